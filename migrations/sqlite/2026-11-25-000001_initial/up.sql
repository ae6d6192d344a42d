-- Accounts, the role extensions of the spec (doctor, patient), appointments,
-- notifications and refresh tokens. Invariants live here as constraints.
--
-- SQLite has no UUID or timestamptz type: ids are TEXT in the canonical hyphenated
-- lower-case form, and times are TEXT in the fixed-width UTC form
-- 'YYYY-MM-DDTHH:MM:SS.ffffffZ', written only by the server, so that text order is
-- time order.

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    email         TEXT NOT NULL CHECK (email = lower(trim(email)) AND length(email) BETWEEN 3 AND 254),
    name          TEXT NOT NULL CHECK (length(trim(name)) BETWEEN 1 AND 100),
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('DOCTOR', 'PATIENT', 'ADMIN')),
    active        BOOLEAN NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_role_idx ON users (role);

CREATE TABLE doctors (
    id             TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    user_id        TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    specialization TEXT NOT NULL CHECK (length(trim(specialization)) BETWEEN 1 AND 100),
    is_online      BOOLEAN NOT NULL DEFAULT 0 CHECK (is_online IN (0, 1)),
    last_online    TEXT
);
CREATE INDEX doctors_specialization_idx ON doctors (lower(specialization));

CREATE TABLE patients (
    id            TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    user_id       TEXT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    date_of_birth TEXT,
    phone_number  TEXT CHECK (phone_number IS NULL OR length(phone_number) BETWEEN 7 AND 32)
);

CREATE TABLE appointments (
    id               TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    doctor_id        TEXT NOT NULL REFERENCES doctors (id),
    patient_id       TEXT NOT NULL REFERENCES patients (id),
    scheduled_for    TEXT NOT NULL,
    duration_minutes INTEGER NOT NULL DEFAULT 30 CHECK (duration_minutes BETWEEN 10 AND 120),
    reason           TEXT CHECK (reason IS NULL OR length(reason) <= 500),
    status           TEXT NOT NULL DEFAULT 'SCHEDULED'
                     CHECK (status IN ('SCHEDULED', 'COMPLETED', 'CANCELLED', 'NO_SHOW')),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX appointments_doctor_time_idx ON appointments (doctor_id, scheduled_for);
CREATE INDEX appointments_patient_time_idx ON appointments (patient_id, scheduled_for);

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    email      TEXT NOT NULL,
    subject    TEXT NOT NULL,
    content    TEXT NOT NULL,
    sent       BOOLEAN NOT NULL DEFAULT 0 CHECK (sent IN (0, 1)),
    sent_at    TEXT,
    created_at TEXT NOT NULL
);

-- Opaque refresh tokens, stored as SHA-256 hashes. A family is one login's chain of
-- rotations; presenting a spent token revokes the whole family.
CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family_id   TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    revoked_at  TEXT
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
