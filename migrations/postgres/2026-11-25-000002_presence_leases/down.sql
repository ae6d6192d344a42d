DROP INDEX doctors_online_idx;
DROP INDEX doctors_specialization_folded_idx;
ALTER TABLE doctors DROP COLUMN specialization_folded;
ALTER TABLE users DROP COLUMN name_folded;
DROP TABLE presence_leases;
