-- Sign-ups the policy (`SIGN_UP`) refused: when, the email as typed (trimmed, at most 254
-- characters), why (`store::RefusalReason`), the client's address when known, and the workspace
-- of the invitation whose link was used when that invitation names another address (no
-- reference: the row outlives the workspace). Kept 30 days and at most 100,000 rows (the hourly
-- sweep deletes the rest, oldest first).
CREATE TABLE sign_up_refusals (
    id           uuid PRIMARY KEY,
    at           timestamptz NOT NULL,
    email        text NOT NULL CHECK (length(email) <= 254),
    reason       text NOT NULL
        CHECK (reason IN ('sign-up-closed', 'invitation-closed', 'invited-another-address')),
    address      text CHECK (length(address) <= 45),
    workspace_id text
);
CREATE INDEX sign_up_refusals_by_time ON sign_up_refusals (at, id);

-- An audit record may have no actor: a sign-up refused through an invitation's link is done by
-- nobody signed in. Records are kept 365 days (the hourly sweep deletes older ones, by `at`).
ALTER TABLE audit_log ALTER COLUMN actor_id DROP NOT NULL;
CREATE INDEX audit_by_time ON audit_log (at);
