-- Appointment reminders go through the outbox, queued with the booking and due at
-- their time before the start (`next_attempt_at`). Each names its appointment and
-- offset: at most one is queued per appointment and offset, a move re-times them and
-- a cancellation withdraws them. One that could not be sent before the start expires
-- (`expires_at`) and is never sent late.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('DOCTOR_ONLINE', 'APPOINTMENT_BOOKED', 'APPOINTMENT_CHANGED', 'APPOINTMENT_CANCELLED',
                    'APPOINTMENT_REMINDER', 'PASSWORD_RESET', 'PASSWORD_CHANGED', 'EMAIL_VERIFICATION',
                    'EMAIL_CHANGED', 'DOCTOR_APPROVED', 'DOCTOR_REJECTED', 'INVITATION', 'OTHER'));
ALTER TABLE notifications DROP CONSTRAINT notifications_only_alerts_expire;
ALTER TABLE notifications ADD CONSTRAINT notifications_only_alerts_expire
    CHECK (status <> 'expired' OR kind IN ('DOCTOR_ONLINE', 'APPOINTMENT_REMINDER'));
ALTER TABLE notifications ADD COLUMN appointment_id UUID REFERENCES appointments (id) ON DELETE CASCADE;
ALTER TABLE notifications ADD COLUMN reminder_minutes INTEGER CHECK (reminder_minutes > 0);
ALTER TABLE notifications ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE notifications ADD CONSTRAINT notifications_reminder_shape
    CHECK ((kind = 'APPOINTMENT_REMINDER') = (reminder_minutes IS NOT NULL AND appointment_id IS NOT NULL));
CREATE UNIQUE INDEX notifications_reminder_once_idx ON notifications (appointment_id, reminder_minutes)
    WHERE status = 'queued' AND reminder_minutes IS NOT NULL;
-- Patients choose whether they get reminders.
ALTER TABLE patients ADD COLUMN appointment_reminders BOOLEAN NOT NULL DEFAULT TRUE;
