DROP INDEX notifications_doctor_cooldown_idx;
CREATE INDEX notifications_doctor_cooldown_idx ON notifications (doctor_id, kind, created_at, user_id);
