DROP TABLE schedule_exceptions;
DROP TABLE working_hours;
DROP TABLE idempotency_keys;
DROP TABLE appointment_events;
ALTER TABLE appointments
    DROP CONSTRAINT appointments_patient_overlap,
    DROP CONSTRAINT appointments_doctor_overlap,
    DROP CONSTRAINT appointments_ends_after_start,
    DROP COLUMN ends_at;
ALTER TABLE doctors DROP COLUMN time_zone, DROP COLUMN slot_minutes;
