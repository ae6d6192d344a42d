-- A self-registered doctor waits for an admin's approval: until then they are not
-- listed, cannot go online and cannot be booked. Doctors that exist now are approved.
ALTER TABLE doctors ADD COLUMN approval_status TEXT NOT NULL DEFAULT 'PENDING'
    CHECK (approval_status IN ('PENDING', 'APPROVED', 'REJECTED'));
-- As the doctor gave it at registration; only admins read it.
ALTER TABLE doctors ADD COLUMN license_number TEXT;
-- Why an admin turned the account down (told to the doctor).
ALTER TABLE doctors ADD COLUMN rejection_reason TEXT;
UPDATE doctors SET approval_status = 'APPROVED';
-- Only an approved doctor is ever online: the database holds the rule (SQLite cannot
-- add a table constraint to an existing table, so triggers hold it).
CREATE TRIGGER doctors_online_approved_insert
BEFORE INSERT ON doctors
WHEN NEW.is_online AND NEW.approval_status <> 'APPROVED'
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: doctors_online_approved');
END;
CREATE TRIGGER doctors_online_approved_update
BEFORE UPDATE OF is_online, approval_status ON doctors
WHEN NEW.is_online AND NEW.approval_status <> 'APPROVED'
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: doctors_online_approved');
END;
CREATE INDEX doctors_approval_idx ON doctors (approval_status);
