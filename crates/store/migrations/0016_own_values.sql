-- Values computed by the Jobcenter from its own records (issue 23, docs/records.md) get a status
-- of their own, 'own' ("aus eigenen Daten"): current until an official value of their month
-- arrives, then kept beside it as history. The status is checked by the table, so the table is
-- built again with the wider check (as 0009 did), its rows and indexes as they were.
CREATE TABLE observation_own (
    id             INTEGER PRIMARY KEY,
    region_id      TEXT NOT NULL REFERENCES region (id),
    indicator_code TEXT NOT NULL,
    period         TEXT NOT NULL,
    breakdown      TEXT NOT NULL DEFAULT '',
    value          DOUBLE PRECISION,
    numerator      DOUBLE PRECISION,
    denominator    DOUBLE PRECISION,
    status         TEXT NOT NULL,
    datenstand     TEXT NOT NULL,
    source_seq     INTEGER NOT NULL REFERENCES source (seq),
    is_current     INTEGER NOT NULL,
    CHECK (value IS NOT NULL OR (numerator IS NOT NULL AND denominator IS NOT NULL)),
    CHECK (status IN ('projected', 'final', 'own')),
    CHECK (is_current IN (0, 1))
);

INSERT INTO observation_own (id, region_id, indicator_code, period, breakdown, value,
        numerator, denominator, status, datenstand, source_seq, is_current)
    SELECT id, region_id, indicator_code, period, breakdown, value, numerator, denominator,
           status, datenstand, source_seq, is_current
    FROM observation;

DROP TABLE observation;
ALTER TABLE observation_own RENAME TO observation;

CREATE UNIQUE INDEX observation_one_current
    ON observation (region_id, indicator_code, breakdown, period)
    WHERE is_current = 1;

CREATE INDEX observation_history
    ON observation (region_id, indicator_code, breakdown, period)
    WHERE is_current = 0;

CREATE INDEX observation_across
    ON observation (indicator_code, period, region_id, value)
    WHERE is_current = 1 AND breakdown = '' AND LENGTH(period) <> 7;
