-- cellsentry console store, schema version 1: incidents, the alerts behind
-- them, sensors with their last status and health, and the audit log.
--
-- Times are INTEGER nanoseconds since 1970-01-01 UTC (NULL when unset), so
-- that ranges and ordering use plain integer comparisons and indexes.

-- incidents: doc is the fusion-owned part of an alerting.Incident as JSON
-- (without the operator fields); the columns beside it are copies of what
-- the filters and ordering need, plus the operator fields the store owns.
CREATE TABLE incidents (
	id          TEXT    PRIMARY KEY,
	site        TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	mode        TEXT    NOT NULL DEFAULT '',
	class       TEXT    NOT NULL DEFAULT '',
	wing        TEXT    NOT NULL DEFAULT '',
	sensor      TEXT    NOT NULL DEFAULT '',
	first_seen  INTEGER NOT NULL,
	last_seen   INTEGER NOT NULL,
	active      INTEGER NOT NULL,
	doc         TEXT    NOT NULL,
	acked_by    TEXT    NOT NULL DEFAULT '',
	acked_at    INTEGER,
	resolution  TEXT    NOT NULL DEFAULT '',
	resolved_by TEXT    NOT NULL DEFAULT '',
	resolved_at INTEGER,
	note        TEXT    NOT NULL DEFAULT '',
	-- base_alarm is the ISA-18.2 state before sensor suppression
	-- (unacknowledged, acknowledged, cleared-unacknowledged, closed);
	-- closed_at is when it became closed, for retention.
	base_alarm  TEXT    NOT NULL,
	closed_at   INTEGER
);
CREATE INDEX incidents_first_seen ON incidents (first_seen);
CREATE INDEX incidents_site_first_seen ON incidents (site, first_seen);
CREATE INDEX incidents_open ON incidents (first_seen) WHERE base_alarm <> 'closed';
CREATE INDEX incidents_closed_at ON incidents (closed_at) WHERE closed_at IS NOT NULL;

-- alerts: every lifecycle event of every sensor alert behind an incident,
-- once: (alert_id, rev) identifies an event, redeliveries are dropped.
CREATE TABLE alerts (
	alert_id    TEXT    NOT NULL,
	rev         INTEGER NOT NULL,
	incident_id TEXT    NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	site        TEXT    NOT NULL,
	sensor      TEXT    NOT NULL,
	state       TEXT    NOT NULL,
	time        INTEGER NOT NULL,
	doc         TEXT    NOT NULL,
	PRIMARY KEY (alert_id, rev)
);
CREATE INDEX alerts_incident ON alerts (incident_id, time);

-- sensors: last status (online/offline) and last health of each sensor.
CREATE TABLE sensors (
	site        TEXT    NOT NULL,
	id          TEXT    NOT NULL,
	wing        TEXT    NOT NULL DEFAULT '',
	building    TEXT    NOT NULL DEFAULT '',
	online      INTEGER NOT NULL DEFAULT 0,
	reason      TEXT    NOT NULL DEFAULT '',
	last_seen   INTEGER,
	status_time INTEGER,
	health      TEXT,
	health_time INTEGER,
	PRIMARY KEY (site, id)
);

-- audit: append-only log of every operator and administrator action.
CREATE TABLE audit (
	id     INTEGER PRIMARY KEY AUTOINCREMENT,
	time   INTEGER NOT NULL,
	user   TEXT    NOT NULL,
	action TEXT    NOT NULL,
	target TEXT    NOT NULL DEFAULT '',
	detail TEXT    NOT NULL DEFAULT '',
	remote TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_time ON audit (time);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
	SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused');
END;
