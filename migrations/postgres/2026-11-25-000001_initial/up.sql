-- Accounts, the role extensions of the spec (doctor, patient), appointments,
-- notifications and refresh tokens. Invariants live here as constraints.

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL CHECK (email = lower(btrim(email)) AND length(email) BETWEEN 3 AND 254),
    name          TEXT NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('DOCTOR', 'PATIENT', 'ADMIN')),
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_role_idx ON users (role);

CREATE TABLE doctors (
    id             UUID PRIMARY KEY,
    user_id        UUID NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    specialization TEXT NOT NULL CHECK (length(btrim(specialization)) BETWEEN 1 AND 100),
    is_online      BOOLEAN NOT NULL DEFAULT FALSE,
    last_online    TIMESTAMPTZ
);
CREATE INDEX doctors_specialization_idx ON doctors (lower(specialization));

CREATE TABLE patients (
    id            UUID PRIMARY KEY,
    user_id       UUID NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    date_of_birth DATE,
    phone_number  TEXT CHECK (phone_number IS NULL OR length(phone_number) BETWEEN 7 AND 32)
);

CREATE TABLE appointments (
    id               UUID PRIMARY KEY,
    doctor_id        UUID NOT NULL REFERENCES doctors (id),
    patient_id       UUID NOT NULL REFERENCES patients (id),
    scheduled_for    TIMESTAMPTZ NOT NULL,
    duration_minutes INTEGER NOT NULL DEFAULT 30 CHECK (duration_minutes BETWEEN 10 AND 120),
    reason           TEXT CHECK (reason IS NULL OR length(reason) <= 500),
    status           TEXT NOT NULL DEFAULT 'SCHEDULED'
                     CHECK (status IN ('SCHEDULED', 'COMPLETED', 'CANCELLED', 'NO_SHOW')),
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX appointments_doctor_time_idx ON appointments (doctor_id, scheduled_for);
CREATE INDEX appointments_patient_time_idx ON appointments (patient_id, scheduled_for);

CREATE TABLE notifications (
    id         UUID PRIMARY KEY,
    email      TEXT NOT NULL,
    subject    TEXT NOT NULL,
    content    TEXT NOT NULL,
    sent       BOOLEAN NOT NULL DEFAULT FALSE,
    sent_at    TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);

-- Opaque refresh tokens, stored as SHA-256 hashes. A family is one login's chain of
-- rotations; presenting a spent token revokes the whole family.
CREATE TABLE refresh_tokens (
    id          UUID PRIMARY KEY,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   UUID NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
