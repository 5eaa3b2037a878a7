//! Trust over HTTP: sign-in, roles, tenant isolation, CSRF, goal edits with conflicts, signing
//! with a Nachtrag, and the audit trail on the pages.
