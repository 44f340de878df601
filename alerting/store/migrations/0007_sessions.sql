-- Schema version 7: the web console's sessions, so that a console restart
-- does not log the guards out.

-- sessions: one logged-in browser or API client. The token itself is
-- never stored, only its SHA-256 (token_hash): someone who reads the file
-- cannot take over a session. csrf is the session's CSRF secret, which
-- the pages embed; expires is when it lapses unless used again (idle
-- expiry), ns since 1970.
CREATE TABLE sessions (
	token_hash BLOB    PRIMARY KEY,
	user       TEXT    NOT NULL,
	role       TEXT    NOT NULL,
	csrf       TEXT    NOT NULL,
	remote     TEXT    NOT NULL DEFAULT '',
	created    INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	expires    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_expires ON sessions (expires);
