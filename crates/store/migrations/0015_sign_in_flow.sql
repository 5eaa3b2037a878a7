-- Sign-ins through an identity provider (OpenID Connect) under way: the browser has been sent to
-- the provider and not come back yet. Kept by the SHA-256 of the `state` the provider echoes,
-- with the `nonce` the ID token must carry and the PKCE verifier; taken out (deleted) by the
-- first return, so a replayed `state` finds nothing. Like sessions, it belongs to the running
-- installation and is not backed up.
CREATE TABLE sign_in_flow (
    state_hash TEXT PRIMARY KEY,
    nonce      TEXT NOT NULL,
    verifier   TEXT NOT NULL,
    next_path  TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
