-- A doctor's booking rules. No row: the defaults (120 minutes' notice, no cancel
-- cutoff, 180 days ahead, 3 appointments ahead per patient).
CREATE TABLE booking_rules (
    doctor_id             UUID PRIMARY KEY REFERENCES doctors (id) ON DELETE CASCADE,
    min_notice_minutes    INTEGER NOT NULL CHECK (min_notice_minutes BETWEEN 0 AND 43200),
    cancel_cutoff_minutes INTEGER NOT NULL CHECK (cancel_cutoff_minutes BETWEEN 0 AND 43200),
    horizon_days          INTEGER NOT NULL CHECK (horizon_days BETWEEN 1 AND 180),
    max_open_per_patient  INTEGER NOT NULL CHECK (max_open_per_patient BETWEEN 1 AND 100),
    updated_at            TIMESTAMPTZ NOT NULL
);
