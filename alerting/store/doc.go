// Package store keeps the console's state in SQLite (modernc.org/sqlite,
// pure Go): the incidents the fusion makes, the sensor alerts behind them,
// the operators' acknowledgements and resolutions, the sensors with their
// last status and health and their shelving or out-of-service state, and an
// append-only audit log of every operator and administrator action. The web
// UI reads and acts through it; the ingest path writes fusion output in
// batches (Ingest, SaveIncidents).
//
// # Ownership of the fields
//
// The fusion owns what an incident is (kind, class, wing, sensors, times,
// Active); SaveIncident overwrites those. The store owns the operator fields
// (AckedBy/AckedAt, Resolution/ResolvedBy/ResolvedAt, Note) and the alarm
// state: whatever the fusion sends in them is ignored, so a fusion update
// never un-acknowledges or reopens an incident.
//
// # Alarm states (ISA-18.2)
//
// The state is derived, never stored as given, from Active, the
// acknowledgement, the resolution and the suppression of the sensors the
// incident concerns (Incident.Sensor for a sensor incident, every
// Sensors[].Sensor for a phone):
//
//	resolved  acked  active  sensors suppressed     alarm
//	yes       -      -       -                      closed
//	no        yes    no      -                      closed
//	no        no     yes     no                     unacknowledged
//	no        yes    yes     no                     acknowledged
//	no        no     no      no                     cleared-unacknowledged
//	no        any    any     all out of service     out-of-service
//	no        any    any     all shelved or o.o.s.  shelved
//
// A sensor is suppressed while it is out of service or shelved (shelved
// until a time in the future); an incident is suppressed only when every
// sensor it concerns is, so a phone that an unsuppressed sensor also hears
// still alarms. A closed incident stays closed whatever its sensors do.
// Resolving implies acknowledging (the resolver becomes the acknowledger
// when nobody acknowledged before). A resolved incident is final: the
// fusion's later updates are stored but it stays closed; activity after a
// resolution belongs in a new incident (linked with LinkedTo).
//
// Transitions that make no sense fail with an error wrapping ErrConflict:
// acknowledging an acknowledged or closed incident, resolving a resolved
// one, unshelving a sensor that is not shelved, shelving one out of
// service, taking out of service one that already is (and back).
//
// # Merged incidents
//
// When Ingest stores an incident with Method MethodMerged (the fusion
// found it to be the same emitter as the older incident its LinkedTo
// names), it closes it and records merged_into, moves its alerts (those
// stored and those of the batch) to the survivor, carries its
// acknowledgement (and note) over when the survivor has none, and
// appends an audit entry (user MergeUser, action ActionMerge). A merged
// incident stays closed whatever later updates say.
//
// # Sessions
//
// The web console's sessions (SaveSession, Session, TouchSession,
// DeleteSession, PruneSessions, Sessions) are kept so that a console
// restart does not log the guards out: the SHA-256 of the token (never
// the token), the user and role, the CSRF secret, the login address, and
// the idle expiry.
//
// # Durability
//
// The database runs in WAL mode with synchronous=NORMAL: a commit is in the
// WAL (in the OS page cache) when it returns, so it survives a crash of the
// process, and the database is never corrupted; only an OS crash or power
// cut may lose the last commits, which for the ingest path are fusion
// updates that the next alert restates. That is what makes batched ingest
// cheap (no fsync per batch). Operator actions and audit entries must
// survive a power cut too: they commit with synchronous=FULL (the WAL is
// fsynced before the commit returns), at the cost of one fsync per human
// action.
//
// One connection writes (writes are serialized in the process, and
// BEGIN IMMEDIATE takes the write lock up front so that a read-modify-write
// such as an acknowledgement cannot interleave); a small pool of read-only
// connections serves the web UI concurrently with the ingest.
//
// # Ingest
//
// The console's ingest path writes with Ingest: statuses, health messages,
// the fusion's incident updates and the alert events behind them, in one
// transaction per batch. Batch 100 to 1000 messages: a transaction per
// message pays a commit (WAL frames, a checkpoint now and then) per message
// and sustains a few thousand messages per CPU second; batches of a
// thousand five to eight times more (BenchmarkIngest). The payload as
// received (IncidentAlert.Raw) is stored as is rather than encoded again.
// Every statement of the path is prepared once at Open and bound to each
// batch's transaction (parsing an upsert costs more than running it). A
// sensor row keeps only its last health, so a batch writes (and encodes)
// only the latest health of each sensor and counts the others
// (IngestResult.Coalesced): after a backlog, or with short health periods,
// most health messages cost nothing in SQLite.
//
// # Queries
//
// Lists are newest first (first_seen, then id, descending) and walk an
// index that carries the filter columns, so they stop at the limit. Time
// windows use the last_seen index when the planner's statistics (ANALYZE
// with STAT4 samples, run by Prune) say the window is narrow.
//
// # Schema migrations
//
// migrations/NNNN_name.sql, embedded, are applied in order, each in its own
// transaction together with PRAGMA user_version = NNNN. Opening a database
// written by a newer version fails with ErrNewerSchema rather than
// misreading it.
//
// # Retention
//
// Prune deletes incidents (with their alerts) closed longer ago than
// Options.Retention. Open incidents are kept whatever their age: a
// cleared-unacknowledged incident waits for an operator. The audit log is
// never pruned: triggers refuse UPDATE, DELETE and INSERT OR REPLACE on it
// (a guard against mistakes in code, not against someone who holds the
// file).
package store
