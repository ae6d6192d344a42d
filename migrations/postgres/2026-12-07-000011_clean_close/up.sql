-- Whether a replica's last socket of a doctor was closed by the client (a tab closed:
-- a WebSocket Close with 1000 or 1001), not dropped. A doctor whose last socket closed
-- cleanly goes offline after a short grace (10 s, enough for a reload), one whose
-- network dropped after PRESENCE_GRACE_SECONDS.
ALTER TABLE presence_leases ADD COLUMN clean_close BOOLEAN NOT NULL DEFAULT FALSE;
