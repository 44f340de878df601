-- Schema version 3: INSERT OR REPLACE on an existing audit id deletes the
-- old row without firing DELETE triggers (recursive_triggers is off), so
-- the append-only guard of version 1 let it through. Refuse it before the
-- insert.
CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit WHERE id = NEW.id)
BEGIN
	SELECT RAISE(ABORT, 'audit log is append-only: REPLACE refused');
END;
