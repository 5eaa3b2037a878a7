-- Comparisons across regions (docs/comparisons.md).
--
-- An indicator of an agreement may name the published yearly statistic across regions that
-- measures the same thing (INKAR's D_UNTERKUNFT_LSTG for KdU per BG): its goal page and documents
-- then place the Jobcenter's Kreis among its Land, the Bund and its comparison group.
ALTER TABLE indicator ADD COLUMN comparison TEXT;

-- An assigned grouping of regions (the BA's SGB II Vergleichstypen, from a file): one row per
-- scheme, replaced as a whole when the file is imported again.
CREATE TABLE comparison_scheme (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL
);

CREATE TABLE comparison_assignment (
    scheme_id  TEXT NOT NULL REFERENCES comparison_scheme (id) ON DELETE CASCADE,
    region_id  TEXT NOT NULL REFERENCES region (id),
    group_code TEXT NOT NULL,
    group_name TEXT NOT NULL,
    PRIMARY KEY (scheme_id, region_id)
);
