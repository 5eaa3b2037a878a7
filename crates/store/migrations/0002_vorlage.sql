-- Committee papers (Vorlagen) and the files published with them.
--
-- The header is the JSON of `zielwerk_domain::VorlageHeader`: the text the Sozialamt writes. The
-- figures are never stored with it; they are computed when the document is built. A published
-- Vorlage keeps the exact files that were published (their checksums are announced through
-- OParl), so a later revision of the data cannot change what the committee received.
-- `agreement_id` has no foreign key on purpose: saving a draft agreement replaces its rows.
-- `content` is BYTEA: PostgreSQL's binary type; SQLite stores blobs in it unchanged.

CREATE TABLE vorlage (
    id           TEXT PRIMARY KEY,
    agreement_id TEXT NOT NULL,
    jobcenter_id TEXT NOT NULL REFERENCES jobcenter (ba_id),
    number       TEXT NOT NULL,
    header       TEXT NOT NULL,
    revision     BIGINT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    published_at TEXT
);
CREATE INDEX vorlage_agreement ON vorlage (agreement_id);

CREATE TABLE vorlage_file (
    vorlage_id TEXT NOT NULL REFERENCES vorlage (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    title      TEXT NOT NULL,
    mime_type  TEXT NOT NULL,
    size       BIGINT NOT NULL,
    sha512     TEXT NOT NULL,
    content    BYTEA NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (vorlage_id, name)
);
