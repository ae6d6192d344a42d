DROP TRIGGER users_alert_audience_verified;
ALTER TABLE users DROP COLUMN email_verified_at;
