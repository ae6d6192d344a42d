-- Doctors' daily agenda: those who ask for it (`daily_agenda`) are emailed the day's
-- appointments at 07:00 in their time zone. `agenda_day` is the last local day whose
-- agenda was taken in hand: a replica claims a day by moving it forward, so each day's
-- agenda is queued once whatever the replicas or restarts. An agenda not sent by noon
-- expires. The outbox also admits waitlist offers, which expire with their hold.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('DOCTOR_ONLINE', 'APPOINTMENT_BOOKED', 'APPOINTMENT_CHANGED', 'APPOINTMENT_CANCELLED',
                    'APPOINTMENT_REMINDER', 'DAILY_AGENDA', 'WAITLIST_OFFER', 'PASSWORD_RESET',
                    'PASSWORD_CHANGED', 'EMAIL_VERIFICATION', 'EMAIL_CHANGED', 'DOCTOR_APPROVED',
                    'DOCTOR_REJECTED', 'INVITATION', 'OTHER'));
ALTER TABLE notifications DROP CONSTRAINT notifications_only_alerts_expire;
ALTER TABLE notifications ADD CONSTRAINT notifications_only_alerts_expire
    CHECK (status <> 'expired' OR kind IN ('DOCTOR_ONLINE', 'APPOINTMENT_REMINDER', 'DAILY_AGENDA',
                                           'WAITLIST_OFFER'));
ALTER TABLE doctors ADD COLUMN daily_agenda BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE doctors ADD COLUMN agenda_day DATE;
