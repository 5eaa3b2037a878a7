-- Zielwerk schema, version 1.
--
-- Portable on purpose: it runs unchanged on SQLite and PostgreSQL. Ids are made by the
-- application (TEXT), months are TEXT 'YYYY-MM', dates TEXT 'YYYY-MM-DD', timestamps RFC 3339
-- TEXT, figures DOUBLE PRECISION, flags INTEGER 0/1. Never edit an applied migration; add one.

-- One row; every writing transaction increments it, so readers (e.g. the page cache of the web
-- server) can tell cheaply whether anything changed, also when another process wrote.
CREATE TABLE data_version (
    id      INTEGER PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 0);

CREATE TABLE jobcenter (
    ba_id         TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    ags           TEXT NOT NULL,
    vergleichstyp TEXT
);

CREATE TABLE agreement (
    id           TEXT PRIMARY KEY,
    jobcenter_id TEXT NOT NULL REFERENCES jobcenter (ba_id),
    year         INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    status       TEXT NOT NULL,
    title        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (jobcenter_id, year, version)
);

CREATE TABLE party (
    agreement_id TEXT NOT NULL REFERENCES agreement (id) ON DELETE CASCADE,
    role         TEXT NOT NULL,
    position     INTEGER NOT NULL,
    name         TEXT NOT NULL,
    signatory    TEXT NOT NULL,
    signed_on    TEXT,
    PRIMARY KEY (agreement_id, role)
);

CREATE TABLE goal_area (
    agreement_id TEXT NOT NULL REFERENCES agreement (id) ON DELETE CASCADE,
    area_key     TEXT NOT NULL,
    position     INTEGER NOT NULL,
    title        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    description  TEXT NOT NULL,
    PRIMARY KEY (agreement_id, area_key)
);

-- Indicator definitions travel with the agreement that uses them, so an export is complete and
-- a later agreement may refine a definition without rewriting an earlier one.
CREATE TABLE indicator (
    agreement_id      TEXT NOT NULL REFERENCES agreement (id) ON DELETE CASCADE,
    code              TEXT NOT NULL,
    position          INTEGER NOT NULL,
    name              TEXT NOT NULL,
    description       TEXT NOT NULL,
    unit              TEXT NOT NULL,
    direction         TEXT NOT NULL,
    accumulation      TEXT NOT NULL,
    formula           TEXT NOT NULL,
    formula_numerator TEXT,
    formula_denominator TEXT,
    formula_base      TEXT,
    formula_scale     DOUBLE PRECISION,
    formula_lag       INTEGER,
    numerator_label   TEXT,
    denominator_label TEXT,
    PRIMARY KEY (agreement_id, code)
);

CREATE TABLE goal (
    agreement_id    TEXT NOT NULL REFERENCES agreement (id) ON DELETE CASCADE,
    goal_key        TEXT NOT NULL,
    position        INTEGER NOT NULL,
    area_key        TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    responsible     TEXT NOT NULL,
    origin          TEXT NOT NULL,
    indicator_code  TEXT NOT NULL,
    target_kind     TEXT NOT NULL,
    target_value    DOUBLE PRECISION,
    target_due      TEXT,
    tolerance_kind  TEXT NOT NULL,
    tolerance_value DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (agreement_id, goal_key),
    FOREIGN KEY (agreement_id, area_key) REFERENCES goal_area (agreement_id, area_key),
    FOREIGN KEY (agreement_id, indicator_code) REFERENCES indicator (agreement_id, code)
);

CREATE TABLE goal_target_month (
    agreement_id TEXT NOT NULL,
    goal_key     TEXT NOT NULL,
    month        TEXT NOT NULL,
    value        DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (agreement_id, goal_key, month),
    FOREIGN KEY (agreement_id, goal_key) REFERENCES goal (agreement_id, goal_key) ON DELETE CASCADE
);

CREATE TABLE measure (
    agreement_id    TEXT NOT NULL REFERENCES agreement (id) ON DELETE CASCADE,
    measure_key     TEXT NOT NULL,
    position        INTEGER NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    expected_effect TEXT NOT NULL,
    responsible     TEXT NOT NULL,
    start_month     TEXT NOT NULL,
    end_month       TEXT,
    PRIMARY KEY (agreement_id, measure_key)
);

CREATE TABLE measure_goal (
    agreement_id TEXT NOT NULL,
    measure_key  TEXT NOT NULL,
    goal_key     TEXT NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (agreement_id, measure_key, goal_key),
    FOREIGN KEY (agreement_id, measure_key) REFERENCES measure (agreement_id, measure_key) ON DELETE CASCADE,
    FOREIGN KEY (agreement_id, goal_key) REFERENCES goal (agreement_id, goal_key) ON DELETE CASCADE
);

-- Where a batch of values came from: a generated demo, published statistics, a file, a person.
CREATE TABLE source (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    label       TEXT NOT NULL,
    detail      TEXT NOT NULL,
    file_name   TEXT,
    sha256      TEXT,
    recorded_at TEXT NOT NULL
);

-- Every reported value, with all its revisions. Exactly one revision per key is current; a
-- revision never overwrites an older value, it supersedes it.
CREATE TABLE observation (
    id             TEXT PRIMARY KEY,
    jobcenter_id   TEXT NOT NULL REFERENCES jobcenter (ba_id),
    indicator_code TEXT NOT NULL,
    month          TEXT NOT NULL,
    breakdown      TEXT NOT NULL DEFAULT '',
    value          DOUBLE PRECISION,
    numerator      DOUBLE PRECISION,
    denominator    DOUBLE PRECISION,
    status         TEXT NOT NULL,
    datenstand     TEXT NOT NULL,
    source_id      TEXT NOT NULL REFERENCES source (id),
    recorded_at    TEXT NOT NULL,
    is_current     INTEGER NOT NULL,
    CHECK (value IS NOT NULL OR (numerator IS NOT NULL AND denominator IS NOT NULL)),
    CHECK (status IN ('projected', 'final')),
    CHECK (is_current IN (0, 1))
);

CREATE UNIQUE INDEX observation_one_current
    ON observation (jobcenter_id, indicator_code, month, breakdown)
    WHERE is_current = 1;

CREATE INDEX observation_by_series
    ON observation (jobcenter_id, indicator_code, month);
