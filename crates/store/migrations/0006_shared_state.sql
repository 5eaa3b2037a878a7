-- State that every server process on one database shares, so that several processes behind a
-- load balancer (a Land installation) behave as one: the key that signs the sign-in form's
-- token, the count of failed sign-ins, and uploads awaiting confirmation. None of it is backed
-- up: it belongs to the running installation, like its sessions.

CREATE TABLE server_secret (
    id     INTEGER PRIMARY KEY,
    secret TEXT NOT NULL
);

-- `last_at`: milliseconds since 1970 (UTC).
CREATE TABLE sign_in_failure (
    throttle_key TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    last_at      BIGINT NOT NULL
);

CREATE TABLE pending_upload (
    token        TEXT PRIMARY KEY,
    session_hash TEXT NOT NULL REFERENCES user_session (token_hash) ON DELETE CASCADE,
    file_name    TEXT NOT NULL,
    mapping      TEXT NOT NULL,
    size         BIGINT NOT NULL,
    created_at   TEXT NOT NULL,
    content      BYTEA NOT NULL
);
CREATE INDEX pending_upload_session ON pending_upload (session_hash, created_at);
