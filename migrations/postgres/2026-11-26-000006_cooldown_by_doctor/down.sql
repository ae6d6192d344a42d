DROP INDEX notifications_doctor_cooldown_idx;
CREATE INDEX notifications_cooldown_idx ON notifications (user_id, doctor_id, created_at) WHERE kind = 'DOCTOR_ONLINE';
