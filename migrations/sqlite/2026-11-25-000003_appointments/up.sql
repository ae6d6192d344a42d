-- Appointments that never double-book, their history, idempotent booking, and the
-- doctors' working hours.

ALTER TABLE doctors ADD COLUMN slot_minutes INTEGER NOT NULL DEFAULT 30 CHECK (slot_minutes BETWEEN 10 AND 120);
ALTER TABLE doctors ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) BETWEEN 1 AND 64);

-- The end of each appointment, kept by the server (scheduled_for + duration), in the
-- same fixed-width UTC text as every time, so ranges compare as text.
ALTER TABLE appointments ADD COLUMN ends_at TEXT NOT NULL DEFAULT '';
UPDATE appointments SET ends_at = strftime('%Y-%m-%dT%H:%M:%f000Z', scheduled_for, '+' || duration_minutes || ' minutes');

-- No double-booking of a doctor, and no patient in two places at once. SQLite has no
-- exclusion constraints; these triggers are the same rule. Writers are serialized
-- (one writer at a time, BEGIN IMMEDIATE), so the check cannot race.
CREATE TRIGGER appointments_no_overlap_insert
BEFORE INSERT ON appointments
WHEN NEW.status = 'SCHEDULED'
BEGIN
    SELECT RAISE(ABORT, 'appointments_doctor_overlap')
    WHERE EXISTS (SELECT 1 FROM appointments a
                  WHERE a.doctor_id = NEW.doctor_id AND a.status = 'SCHEDULED'
                    AND a.scheduled_for < NEW.ends_at AND a.ends_at > NEW.scheduled_for);
    SELECT RAISE(ABORT, 'appointments_patient_overlap')
    WHERE EXISTS (SELECT 1 FROM appointments a
                  WHERE a.patient_id = NEW.patient_id AND a.status = 'SCHEDULED'
                    AND a.scheduled_for < NEW.ends_at AND a.ends_at > NEW.scheduled_for);
END;

CREATE TRIGGER appointments_no_overlap_update
BEFORE UPDATE OF scheduled_for, ends_at, status, doctor_id, patient_id ON appointments
WHEN NEW.status = 'SCHEDULED'
BEGIN
    SELECT RAISE(ABORT, 'appointments_doctor_overlap')
    WHERE EXISTS (SELECT 1 FROM appointments a
                  WHERE a.id <> NEW.id AND a.doctor_id = NEW.doctor_id AND a.status = 'SCHEDULED'
                    AND a.scheduled_for < NEW.ends_at AND a.ends_at > NEW.scheduled_for);
    SELECT RAISE(ABORT, 'appointments_patient_overlap')
    WHERE EXISTS (SELECT 1 FROM appointments a
                  WHERE a.id <> NEW.id AND a.patient_id = NEW.patient_id AND a.status = 'SCHEDULED'
                    AND a.scheduled_for < NEW.ends_at AND a.ends_at > NEW.scheduled_for);
END;

CREATE TRIGGER appointments_ends_after_start
BEFORE INSERT ON appointments
WHEN NEW.ends_at <= NEW.scheduled_for
BEGIN
    SELECT RAISE(ABORT, 'appointments_ends_after_start');
END;

CREATE INDEX appointments_doctor_ends_idx ON appointments (doctor_id, ends_at);
CREATE INDEX appointments_patient_ends_idx ON appointments (patient_id, ends_at);

CREATE TABLE appointment_events (
    id             TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    appointment_id TEXT NOT NULL REFERENCES appointments (id) ON DELETE CASCADE,
    actor_id       TEXT REFERENCES users (id) ON DELETE SET NULL,
    action         TEXT NOT NULL CHECK (action IN ('CREATED', 'STATUS_CHANGED', 'RESCHEDULED', 'REASON_CHANGED')),
    from_status    TEXT,
    to_status      TEXT,
    from_time      TEXT,
    to_time        TEXT,
    created_at     TEXT NOT NULL
);
CREATE INDEX appointment_events_appointment_idx ON appointment_events (appointment_id, created_at);

CREATE TABLE idempotency_keys (
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key             TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash    TEXT NOT NULL,
    response_status INTEGER,
    response_body   TEXT,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE working_hours (
    id           TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    doctor_id    TEXT NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    weekday      INTEGER NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_minute INTEGER NOT NULL CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER NOT NULL CHECK (end_minute BETWEEN 1 AND 1440),
    CHECK (end_minute > start_minute)
);
CREATE INDEX working_hours_doctor_idx ON working_hours (doctor_id);

CREATE TABLE schedule_exceptions (
    id           TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    doctor_id    TEXT NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    day          TEXT NOT NULL,
    start_minute INTEGER CHECK (start_minute BETWEEN 0 AND 1439),
    end_minute   INTEGER CHECK (end_minute BETWEEN 1 AND 1440),
    CHECK ((start_minute IS NULL AND end_minute IS NULL) OR (end_minute > start_minute))
);
CREATE INDEX schedule_exceptions_doctor_day_idx ON schedule_exceptions (doctor_id, day);
