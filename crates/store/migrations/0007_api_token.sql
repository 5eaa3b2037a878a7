-- Personal API tokens: a user's credential for other systems (a data warehouse pushing monthly
-- figures, a dashboard). Kept by the SHA-256 of the token only; the token is shown once. A token
-- acts with its owner's grants, optionally narrowed to reading (`read_only` = 1) or to one
-- Jobcenter. Not backed up, like sessions: a restored installation issues new tokens.
-- Times are RFC 3339 (UTC).
CREATE TABLE api_token (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    read_only    INTEGER NOT NULL,
    jobcenter_id TEXT,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);
CREATE INDEX api_token_user ON api_token (user_id, created_at);
