-- One-time links of the account lifecycle (a password reset, an email verification):
-- only the SHA-256 of each token is stored; a token is spent once and expires.
CREATE TABLE account_tokens (
    id         UUID PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('PASSWORD_RESET', 'EMAIL_VERIFICATION')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX account_tokens_user_idx ON account_tokens (user_id, purpose);

-- The account lifecycle's emails are kinds of their own in the outbox.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('DOCTOR_ONLINE', 'APPOINTMENT_BOOKED', 'APPOINTMENT_CHANGED', 'APPOINTMENT_CANCELLED',
                         'PASSWORD_RESET', 'PASSWORD_CHANGED', 'EMAIL_VERIFICATION', 'EMAIL_CHANGED',
                         'DOCTOR_APPROVED', 'DOCTOR_REJECTED', 'INVITATION', 'OTHER'));
