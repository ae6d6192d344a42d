ALTER TABLE presence_leases DROP COLUMN clean_close;
