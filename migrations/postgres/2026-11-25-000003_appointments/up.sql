-- Appointments that never double-book, their history, idempotent booking, and the
-- doctors' working hours.

CREATE EXTENSION IF NOT EXISTS btree_gist;

ALTER TABLE doctors
    ADD COLUMN slot_minutes INTEGER NOT NULL DEFAULT 30 CHECK (slot_minutes BETWEEN 10 AND 120),
    ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) BETWEEN 1 AND 64);

-- The end of each appointment, kept by the server (scheduled_for + duration), so the
-- overlap rules below are plain range constraints.
ALTER TABLE appointments ADD COLUMN ends_at TIMESTAMPTZ;
UPDATE appointments SET ends_at = scheduled_for + make_interval(mins => duration_minutes);
ALTER TABLE appointments
    ALTER COLUMN ends_at SET NOT NULL,
    ADD CONSTRAINT appointments_ends_after_start CHECK (ends_at > scheduled_for),
    -- No double-booking of a doctor, and no patient in two places at once.
    ADD CONSTRAINT appointments_doctor_overlap EXCLUDE USING gist
        (doctor_id WITH =, tstzrange(scheduled_for, ends_at) WITH &&) WHERE (status = 'SCHEDULED'),
    ADD CONSTRAINT appointments_patient_overlap EXCLUDE USING gist
        (patient_id WITH =, tstzrange(scheduled_for, ends_at) WITH &&) WHERE (status = 'SCHEDULED');

-- Every change of an appointment: who, when, and from what to what.
CREATE TABLE appointment_events (
    id             UUID PRIMARY KEY,
    appointment_id UUID NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    actor_id       UUID REFERENCES users (id) ON DELETE SET NULL,
    action         TEXT NOT NULL CHECK (action IN ('CREATED', 'STATUS_CHANGED', 'RESCHEDULED', 'REASON_CHANGED')),
    from_status    TEXT,
    to_status      TEXT,
    from_time      TIMESTAMPTZ,
    to_time        TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX appointment_events_appointment_idx ON appointment_events (appointment_id, created_at);

-- Booking requests by Idempotency-Key: a retry with the same key gets the first answer.
CREATE TABLE idempotency_keys (
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key             TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash    TEXT NOT NULL,
    response_status INTEGER,
    response_body   TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Weekly working hours, in the doctor's time zone: minutes since local midnight.
CREATE TABLE working_hours (
    id           UUID PRIMARY KEY,
    doctor_id    UUID NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    CHECK (end_minute > start_minute)
);
CREATE INDEX working_hours_doctor_idx ON working_hours (doctor_id);

-- Dates that differ from the week: a day off (no interval rows, available = false) or
-- other hours (one row per interval).
CREATE TABLE schedule_exceptions (
    id           UUID PRIMARY KEY,
    doctor_id    UUID NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    day          DATE NOT NULL,
    start_minute INTEGER CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER CHECK (end_minute BETWEEN 1 AND 1440),
    CHECK ((start_minute IS NULL AND end_minute IS NULL) OR (end_minute > start_minute))
);
CREATE INDEX schedule_exceptions_doctor_day_idx ON schedule_exceptions (doctor_id, day);
