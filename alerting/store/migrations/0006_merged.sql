-- Schema version 6: incidents merged into another (the fusion found two
-- open incidents to be one emitter: the older survives, the younger's
-- alerts move to it).

-- merged_into: the incident this one was merged into ('' when not
-- merged). A merged incident is closed.
ALTER TABLE incidents ADD COLUMN merged_into TEXT NOT NULL DEFAULT '';
