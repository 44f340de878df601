-- Schema version 2: operator suppression after ISA-18.2 (shelving a noisy
-- sensor for a set time, taking one out of service for maintenance) and the
-- index of which sensors each incident concerns, which the derived alarm
-- state and the sensor filter need.

ALTER TABLE sensors ADD COLUMN shelved_until  INTEGER;
ALTER TABLE sensors ADD COLUMN shelved_by     TEXT    NOT NULL DEFAULT '';
ALTER TABLE sensors ADD COLUMN out_of_service INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sensors ADD COLUMN oos_by         TEXT    NOT NULL DEFAULT '';
ALTER TABLE sensors ADD COLUMN note           TEXT    NOT NULL DEFAULT '';

-- incident_sensors: the sensor concerned by a sensor incident, and every
-- sensor that heard a phone; same site as the incident.
CREATE TABLE incident_sensors (
	incident_id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
	site        TEXT NOT NULL,
	sensor      TEXT NOT NULL,
	PRIMARY KEY (incident_id, sensor)
) WITHOUT ROWID;
CREATE INDEX incident_sensors_sensor ON incident_sensors (sensor, site);

-- Backfill from the incidents stored at version 1.
INSERT OR IGNORE INTO incident_sensors (incident_id, site, sensor)
	SELECT id, site, sensor FROM incidents WHERE sensor <> '';
INSERT OR IGNORE INTO incident_sensors (incident_id, site, sensor)
	SELECT i.id, i.site, json_extract(h.value, '$.sensor')
	FROM incidents i, json_each(i.doc, '$.sensors') h
	WHERE json_extract(h.value, '$.sensor') <> '';
