-- A doctor's time off: a range of instants (entered in the doctor's time zone, kept
-- as UTC) in which no slot is offered and nothing can be booked.
CREATE TABLE time_off (
    id         UUID PRIMARY KEY,
    doctor_id  UUID NOT NULL REFERENCES doctors (id) ON DELETE CASCADE,
    starts_at  TIMESTAMPTZ NOT NULL,
    ends_at    TIMESTAMPTZ NOT NULL,
    time_zone  TEXT NOT NULL,
    note       TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX time_off_doctor_idx ON time_off (doctor_id, ends_at);
