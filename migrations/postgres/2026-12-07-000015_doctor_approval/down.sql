DROP INDEX doctors_approval_idx;
ALTER TABLE doctors DROP CONSTRAINT doctors_online_approved;
ALTER TABLE doctors DROP COLUMN rejection_reason;
ALTER TABLE doctors DROP COLUMN license_number;
ALTER TABLE doctors DROP COLUMN approval_status;
