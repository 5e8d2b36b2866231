-- The other applications a session's access tokens were issued for (GET
-- /api/jwt/issue keeps the source's sid): the revocation feed of each lists
-- the session when it ends, so their resource servers refuse those tokens
-- too (docs/decisions.md "Issued tokens in the revocation feed"). Rows go
-- with the session (purge, hard delete) and with the application.
CREATE TABLE session_applications (
    session_id     TEXT NOT NULL REFERENCES refresh_tokens (id) ON DELETE CASCADE,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    PRIMARY KEY (session_id, application_id)
);
CREATE INDEX session_applications_application ON session_applications (application_id, session_id);
