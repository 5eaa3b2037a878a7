-- Steering dialogues: meetings with their agenda, the appraisal of each goal with the figures it
-- rested on, decisions and action items with their status history, and comments on values.
--
-- `meeting.header` is the JSON of `zielwerk_domain::MeetingHeader`; `agenda_item.snapshot` the
-- JSON of `zielwerk_domain::GoalSnapshot`, frozen when the agenda is drawn up, so that a later
-- revision of the data does not rewrite what an appraisal rested on. As with `vorlage`,
-- `agreement_id` has no foreign key: saving a draft agreement replaces its rows; goal and measure
-- keys are kept as text for the same reason, and agenda items keep the goal's title.
-- `revision` columns guard edits (optimistic locking). `action_update` is append-only: every
-- status change with the meeting it was made in.

CREATE TABLE meeting (
    id           TEXT PRIMARY KEY,
    agreement_id TEXT NOT NULL,
    jobcenter_id TEXT NOT NULL REFERENCES jobcenter (ba_id),
    header       TEXT NOT NULL,
    meeting_date TEXT NOT NULL,
    month        TEXT NOT NULL,
    revision     BIGINT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX meeting_agreement ON meeting (agreement_id);
CREATE INDEX meeting_jobcenter ON meeting (jobcenter_id, meeting_date);

CREATE TABLE agenda_item (
    id              TEXT PRIMARY KEY,
    meeting_id      TEXT NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    goal_key        TEXT,
    action_id       TEXT,
    snapshot        TEXT,
    appraisal       TEXT NOT NULL,
    steering_needed INTEGER NOT NULL,
    revision        BIGINT NOT NULL,
    appraised_at    TEXT
);
CREATE INDEX agenda_item_meeting ON agenda_item (meeting_id, position);

CREATE TABLE decision (
    id             TEXT PRIMARY KEY,
    meeting_id     TEXT NOT NULL REFERENCES meeting (id) ON DELETE CASCADE,
    agenda_item_id TEXT REFERENCES agenda_item (id) ON DELETE SET NULL,
    text           TEXT NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX decision_meeting ON decision (meeting_id);

CREATE TABLE action_item (
    id           TEXT PRIMARY KEY,
    jobcenter_id TEXT NOT NULL REFERENCES jobcenter (ba_id),
    agreement_id TEXT NOT NULL,
    meeting_id   TEXT NOT NULL REFERENCES meeting (id),
    decision_id  TEXT NOT NULL REFERENCES decision (id),
    what         TEXT NOT NULL,
    owner_party  TEXT NOT NULL,
    owner_person TEXT NOT NULL,
    due          TEXT NOT NULL,
    status       TEXT NOT NULL,
    goal_key     TEXT,
    measure_key  TEXT,
    revision     BIGINT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX action_item_jobcenter ON action_item (jobcenter_id, status, due);

CREATE TABLE action_update (
    action_id  TEXT NOT NULL REFERENCES action_item (id),
    seq        BIGINT NOT NULL,
    meeting_id TEXT REFERENCES meeting (id),
    status     TEXT NOT NULL,
    note       TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (action_id, seq)
);
CREATE INDEX action_update_meeting ON action_update (meeting_id);

CREATE TABLE value_comment (
    id           TEXT PRIMARY KEY,
    jobcenter_id TEXT NOT NULL REFERENCES jobcenter (ba_id),
    indicator    TEXT NOT NULL,
    month        TEXT NOT NULL,
    text         TEXT NOT NULL,
    author       TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX value_comment_value ON value_comment (jobcenter_id, indicator, month);
