-- Identities a mapping declares (docs/import-mapping.md) that a published value violates: kept
-- beside the value, so that a page can show them next to it. One row per value (region,
-- indicator, period of the total); an import that checks the value again replaces or removes
-- its row in the same transaction as the values.
CREATE TABLE value_warning (
    region_id      TEXT NOT NULL REFERENCES region (id),
    indicator_code TEXT NOT NULL,
    period         TEXT NOT NULL,
    message        TEXT NOT NULL,
    source_seq     INTEGER NOT NULL REFERENCES source (seq),
    PRIMARY KEY (region_id, indicator_code, period)
);
