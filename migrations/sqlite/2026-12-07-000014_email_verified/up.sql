-- When the account's current address was confirmed, through the link sent to it; empty
-- until then, and again after the address changes. Accounts that exist now count as
-- confirmed: they were made before addresses were checked.
ALTER TABLE users ADD COLUMN email_verified_at TEXT;
UPDATE users SET email_verified_at = created_at;

-- Only confirmed addresses get "doctor is online" alerts, so a patient who confirms
-- theirs joins the alert audience: stamped as a reactivated account is (ADR 0016).
CREATE TRIGGER users_alert_audience_verified
AFTER UPDATE OF email_verified_at ON users
WHEN NEW.email_verified_at IS NOT NULL AND OLD.email_verified_at IS NULL
BEGIN
    UPDATE alert_audience SET version = version + 1;
    UPDATE patients SET alerts_version = (SELECT version FROM alert_audience)
        WHERE user_id = NEW.id;
END;
