DROP INDEX doctors_approval_idx;
DROP TRIGGER doctors_online_approved_update;
DROP TRIGGER doctors_online_approved_insert;
ALTER TABLE doctors DROP COLUMN rejection_reason;
ALTER TABLE doctors DROP COLUMN license_number;
ALTER TABLE doctors DROP COLUMN approval_status;
