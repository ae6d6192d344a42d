-- The alert fan-out leaves out patients alerted about the doctor within the cooldown
-- with one subquery per batch: recent DOCTOR_ONLINE rows of one doctor. That reads by
-- doctor and time, so the index leads with them and covers user_id. It replaces the
-- per-patient cooldown index, which no query uses any more.
DROP INDEX notifications_cooldown_idx;
CREATE INDEX notifications_doctor_cooldown_idx ON notifications (doctor_id, kind, created_at, user_id);
