-- Schema version 4: the store kept incident_sensors up to date with a
-- DELETE and one INSERT per sensor on every fusion update, most of which
-- do not change the sensors (three statements per message on the ingest
-- path). Now each incident carries its sensor set (a sorted JSON array) and
-- triggers rebuild incident_sensors only when the set or the site changes.

ALTER TABLE incidents ADD COLUMN sensor_set TEXT NOT NULL DEFAULT '[]';

UPDATE incidents SET sensor_set = (
	SELECT json_group_array(sensor) FROM (
		SELECT sensor FROM incident_sensors x WHERE x.incident_id = incidents.id ORDER BY sensor));

CREATE TRIGGER incident_sensors_insert AFTER INSERT ON incidents
BEGIN
	INSERT OR IGNORE INTO incident_sensors (incident_id, site, sensor)
		SELECT new.id, new.site, value FROM json_each(new.sensor_set);
END;

CREATE TRIGGER incident_sensors_update AFTER UPDATE OF site, sensor_set ON incidents
WHEN old.sensor_set IS NOT new.sensor_set OR old.site IS NOT new.site
BEGIN
	DELETE FROM incident_sensors WHERE incident_id = new.id;
	INSERT OR IGNORE INTO incident_sensors (incident_id, site, sensor)
		SELECT new.id, new.site, value FROM json_each(new.sensor_set);
END;
