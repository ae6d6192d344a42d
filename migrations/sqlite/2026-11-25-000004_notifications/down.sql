DROP TABLE notification_jobs;
CREATE TABLE notifications_old (
    id         TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 36),
    email      TEXT NOT NULL,
    subject    TEXT NOT NULL,
    content    TEXT NOT NULL,
    sent       BOOLEAN NOT NULL DEFAULT 0 CHECK (sent IN (0, 1)),
    sent_at    TEXT,
    created_at TEXT NOT NULL
);
INSERT INTO notifications_old SELECT id, email, subject, content, sent, sent_at, created_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_old RENAME TO notifications;
DROP TABLE follows;
ALTER TABLE patients DROP COLUMN notify_doctor_online;
