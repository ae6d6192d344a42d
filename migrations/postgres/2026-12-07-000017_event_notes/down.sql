ALTER TABLE appointment_events DROP COLUMN note;
