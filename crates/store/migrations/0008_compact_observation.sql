-- Values stored compactly (issue 17): an integer key instead of UUID text, the source by its
-- integer number instead of its UUID text, no per-row timestamp (the source has it), and two
-- partial indexes that together hold every row once: the current value of each key (unique,
-- what every read and every import looks up) and the history (earlier revisions, what the
-- "revidiert" lists read). The store assigns the numbers itself, under the write lock.

ALTER TABLE source ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE source SET seq = (
    SELECT COUNT(*) FROM source s
    WHERE s.recorded_at < source.recorded_at
       OR (s.recorded_at = source.recorded_at AND s.id <= source.id)
);
CREATE UNIQUE INDEX source_by_seq ON source (seq);

CREATE TABLE observation_compact (
    id             INTEGER PRIMARY KEY,
    jobcenter_id   TEXT NOT NULL REFERENCES jobcenter (ba_id),
    indicator_code TEXT NOT NULL,
    month          TEXT NOT NULL,
    breakdown      TEXT NOT NULL DEFAULT '',
    value          DOUBLE PRECISION,
    numerator      DOUBLE PRECISION,
    denominator    DOUBLE PRECISION,
    status         TEXT NOT NULL,
    datenstand     TEXT NOT NULL,
    source_seq     INTEGER NOT NULL REFERENCES source (seq),
    is_current     INTEGER NOT NULL,
    CHECK (value IS NOT NULL OR (numerator IS NOT NULL AND denominator IS NOT NULL)),
    CHECK (status IN ('projected', 'final')),
    CHECK (is_current IN (0, 1))
);

INSERT INTO observation_compact (id, jobcenter_id, indicator_code, month, breakdown, value,
        numerator, denominator, status, datenstand, source_seq, is_current)
    SELECT ROW_NUMBER() OVER (ORDER BY o.recorded_at, o.id), o.jobcenter_id, o.indicator_code,
           o.month, o.breakdown, o.value, o.numerator, o.denominator, o.status, o.datenstand,
           s.seq, o.is_current
    FROM observation o JOIN source s ON s.id = o.source_id;

DROP TABLE observation;
ALTER TABLE observation_compact RENAME TO observation;

-- A series (Jobcenter, indicator, breakdown) lies together in both, month by month: a file
-- sorted by series writes each index in order, and a page reads a series in one range.
CREATE UNIQUE INDEX observation_one_current
    ON observation (jobcenter_id, indicator_code, breakdown, month)
    WHERE is_current = 1;

CREATE INDEX observation_history
    ON observation (jobcenter_id, indicator_code, breakdown, month)
    WHERE is_current = 0;
