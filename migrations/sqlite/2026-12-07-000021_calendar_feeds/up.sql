-- A user's private calendar feed. The feed's address is signed with the server's key
-- over the user and this random secret (hex): replacing the secret kills the old address,
-- deleting the row turns the feed off, and the address itself is stored nowhere.
CREATE TABLE calendar_feeds (
    user_id    TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret     TEXT NOT NULL CHECK (length(secret) = 32),
    created_at TEXT NOT NULL
);
