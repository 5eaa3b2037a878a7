-- Trust: accounts with their roles per Jobcenter, sessions, the hash-chained audit trail,
-- signatures, and the revision that guards goal edits.
--
-- `app_user.password_hash` is an Argon2id PHC string, NULL for accounts that sign in through an
-- identity provider (`identity_provider`, `external_subject`: e.g. an OpenID Connect issuer and
-- its `sub`). A grant's `scope` is a Jobcenter's BA id or '*' for every Jobcenter.
-- `user_session` keeps only the SHA-256 of the session token, never the token itself.
--
-- `audit_event` is append-only: every write adds one row with who, when, what, and the state
-- before and after as JSON; `hash` is SHA-256 over the row's fields and the previous row's hash,
-- so a row changed or removed behind the application's back breaks the chain
-- (`zielwerk audit verify`).
--
-- `signature`: one per party and agreement version, with the SHA-256 of the content signed.

CREATE TABLE app_user (
    id                TEXT PRIMARY KEY,
    login             TEXT NOT NULL UNIQUE,
    display_name      TEXT NOT NULL,
    password_hash     TEXT,
    identity_provider TEXT,
    external_subject  TEXT,
    disabled          INTEGER NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (identity_provider, external_subject)
);

CREATE TABLE user_grant (
    user_id TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    scope   TEXT NOT NULL,
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, scope, role)
);

CREATE TABLE user_session (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX user_session_user ON user_session (user_id);

CREATE TABLE audit_event (
    seq          BIGINT PRIMARY KEY,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    jobcenter_id TEXT,
    agreement_id TEXT,
    goal_key     TEXT,
    indicator    TEXT,
    action       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    before_state TEXT,
    after_state  TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_event_agreement ON audit_event (agreement_id, goal_key);
CREATE INDEX audit_event_jobcenter ON audit_event (jobcenter_id, indicator);

CREATE TABLE signature (
    agreement_id TEXT NOT NULL REFERENCES agreement (id) ON DELETE CASCADE,
    role         TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    signer       TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    signed_at    TEXT NOT NULL,
    PRIMARY KEY (agreement_id, role)
);

ALTER TABLE goal ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
ALTER TABLE agreement ADD COLUMN based_on TEXT;
