-- An admin's invitation of a doctor or another admin: a one-time link (only its SHA-256
-- stored, valid 7 days) with which the invitee chooses a password. The account is then
-- made with its address confirmed and, for a doctor, approved.
CREATE TABLE invitations (
    id             UUID PRIMARY KEY,
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    role           TEXT NOT NULL CHECK (role IN ('DOCTOR', 'ADMIN')),
    specialization TEXT,
    token_hash     TEXT NOT NULL UNIQUE,
    invited_by     UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    accepted_at    TIMESTAMPTZ,
    revoked_at     TIMESTAMPTZ,
    CHECK ((role = 'DOCTOR') = (specialization IS NOT NULL))
);
-- At most one open invitation per address: a new one revokes the one before.
CREATE UNIQUE INDEX invitations_open_email_idx ON invitations (email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
