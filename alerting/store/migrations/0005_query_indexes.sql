-- Schema version 5: indexes measured on 100,000 incidents
-- (BenchmarkIncidents). Newest-first lists ORDER BY first_seen DESC, id
-- DESC: an index on first_seen alone left the id tie-break to a temporary
-- B-tree, and the planner then sorted the whole table (0.6 s). The main
-- index now carries the tie-break and the filter columns, so filters are
-- evaluated on the narrow index entries and only matching rows are read
-- (a row holds the incident's JSON, ~1 KB).

DROP INDEX incidents_first_seen;
DROP INDEX incidents_site_first_seen;
DROP INDEX incidents_open;

CREATE INDEX incidents_newest ON incidents
	(first_seen, id, last_seen, site, wing, kind, class, mode, base_alarm);
CREATE INDEX incidents_site_newest ON incidents (site, first_seen, id);
CREATE INDEX incidents_open_newest ON incidents (first_seen, id) WHERE base_alarm <> 'closed';

-- Time windows ask last_seen ≥ since: without this index the query walks
-- every incident older than the window too (an incident may last long).
-- STAT4 (compiled into modernc.org/sqlite) lets the planner weigh the
-- bound since against the newest-first walk.
CREATE INDEX incidents_last_seen ON incidents (last_seen, first_seen, id);
