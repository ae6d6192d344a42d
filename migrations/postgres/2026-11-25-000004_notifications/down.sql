DROP TABLE notification_jobs;
DROP INDEX notifications_status_idx;
DROP INDEX notifications_cooldown_idx;
DROP INDEX notifications_due_idx;
ALTER TABLE notifications
    DROP CONSTRAINT notifications_sent_matches_status,
    DROP COLUMN unsubscribe_url,
    DROP COLUMN ics,
    DROP COLUMN html,
    DROP COLUMN last_error,
    DROP COLUMN next_attempt_at,
    DROP COLUMN attempts,
    DROP COLUMN status,
    DROP COLUMN doctor_id,
    DROP COLUMN user_id,
    DROP COLUMN kind;
DROP TABLE follows;
ALTER TABLE patients DROP COLUMN notify_doctor_online;
