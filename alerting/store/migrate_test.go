package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

func TestParseMigrationName(t *testing.T) {
	tests := []struct {
		name    string
		want    int
		wantErr string
	}{
		{"0001_init.sql", 1, ""},
		{"0042_add_things.sql", 42, ""},
		{"0001_init.txt", 0, `migration "0001_init.txt": name must end in .sql`},
		{"0001.sql", 0, `migration "0001.sql": name must be NNNN_description.sql`},
		{"0001_.sql", 0, `migration "0001_.sql": name must be NNNN_description.sql`},
		{"001_init.sql", 0, `migration "001_init.sql": version "001" must have 4 digits`},
		{"0000_zero.sql", 0, `migration "0000_zero.sql": version "0000" must be a number from 0001`},
		{"+001_plus.sql", 0, `migration "+001_plus.sql": version "+001" must be a number from 0001`},
		{"abcd_x.sql", 0, `migration "abcd_x.sql": version "abcd" must be a number from 0001`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMigrationName(tc.name)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func FuzzParseMigrationName(f *testing.F) {
	for _, s := range []string{"0001_init.sql", "0042_add_things.sql", "0001.sql", "001_init.sql", "+001_plus.sql", "0000_zero.sql"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		v, err := parseMigrationName(name)
		if err != nil {
			return
		}
		// Whatever it accepts is NNNN_x.sql with that number.
		if v < 1 || v > 9999 || len(name) < len("0001_x.sql") || !strings.HasSuffix(name, ".sql") || name[4] != '_' {
			t.Fatalf("accepted %q as %d", name, v)
		}
	})
}

func TestLoadMigrations(t *testing.T) {
	tests := []struct {
		name    string
		files   []string
		want    []int
		wantErr string
	}{
		{"embedded", nil, []int{1, 2, 3, 4, 5, 6, 7}, ""},
		{"ordered", []string{"0002_b.sql", "0001_a.sql"}, []int{1, 2}, ""},
		{"gap", []string{"0001_a.sql", "0003_c.sql"}, nil, "migration migrations/0003_c.sql: version 3, want 2 (gap or duplicate)"},
		{"duplicate", []string{"0001_a.sql", "0001_b.sql"}, nil, "migration migrations/0001_b.sql: version 1, want 2 (gap or duplicate)"},
		{"bad name", []string{"0001_a.sql", "two.sql"}, nil, `migration "two.sql": name must be NNNN_description.sql`},
		{"none", []string{}, nil, "no migrations"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ms []migration
			var err error
			if tc.files == nil {
				ms, err = loadMigrations(migrationFS)
			} else {
				fsys := fstest.MapFS{}
				for _, f := range tc.files {
					fsys["migrations/"+f] = &fstest.MapFile{Data: []byte("SELECT 1;")}
				}
				ms, err = loadMigrations(fsys)
			}
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, m := range ms {
				got = append(got, m.version)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("versions %v, want %v", got, tc.want)
			}
		})
	}
}

// latestVersion is the number of embedded migrations.
func latestVersion(t testing.TB) int {
	t.Helper()
	ms, err := loadMigrations(migrationFS)
	if err != nil {
		t.Fatal(err)
	}
	return len(ms)
}

// rawDB opens a database file without the Store, for building old
// versions and tampering.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path+"?_busy_timeout=5000&_foreign_keys=1&_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

func userVersion(t testing.TB, db *sql.DB) int {
	t.Helper()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestMigrateV1WithData: a database written at version 1 with incidents,
// alerts, sensors and audit entries opens at the latest version with all
// of it, and the version 2 index of incident sensors is backfilled.
func TestMigrateV1WithData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v1.db")
	db := rawDB(t, path)
	if _, to, err := migrate(ctx, db, migrationFS, 1); err != nil || to != 1 {
		t.Fatalf("migrate to 1: %d, %v", to, err)
	}
	p := phone("p", t0, true, "a1", "a2")
	o := sensorIncident("o", alerting.IncidentSensorOffline, "a3", t0.Add(time.Minute), false)
	for _, inc := range []alerting.Incident{p, o} {
		doc, err := fusionDoc(&inc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO incidents (id, site, kind, mode, class, wing, sensor, first_seen, last_seen, active, doc, base_alarm)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, inc.ID, inc.Site, inc.Kind, inc.Mode, inc.Class, inc.Wing, inc.Sensor,
			inc.FirstSeen.UnixNano(), inc.LastSeen.UnixNano(), inc.Active, doc, baseAlarm(inc.Active, false, false)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`UPDATE incidents SET acked_by = 'ann', acked_at = ?, base_alarm = 'acknowledged', note = 'v1 note' WHERE id = 'p'`,
		t0.Add(time.Second).UnixNano()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO alerts (alert_id, rev, incident_id, site, sensor, state, time, doc)
		VALUES ('x', 0, 'p', 's1', 'a1', 'raised', ?, '{"id":"x","rev":0,"state":"raised"}')`, t0.UnixNano()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO sensors (site, id, wing, online, last_seen) VALUES ('s1', 'a1', 'A', 1, ?)`, t0.UnixNano()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO audit (time, user, action, target) VALUES (?, 'ann', 'ack', 'p')`, t0.Add(time.Second).UnixNano()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(path, Options{Now: func() time.Time { return t0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v := userVersion(t, s.w); v != latestVersion(t) {
		t.Fatalf("user_version %d after Open, want %d", v, latestVersion(t))
	}
	got := must[alerting.Incident](t)(s.Incident(ctx, "p"))
	if got.AckedBy != "ann" || got.Note != "v1 note" || got.Alarm != alerting.AlarmAcknowledged || len(got.Sensors) != 2 {
		t.Errorf("incident p after migration: %+v", got)
	}
	for _, tc := range []struct {
		sensor string
		want   []string
	}{{"a1", []string{"p"}}, {"a2", []string{"p"}}, {"a3", []string{"o"}}} {
		l := must[[]alerting.Incident](t)(s.Incidents(ctx, Filter{Sensor: tc.sensor}))
		var ids []string
		for _, i := range l {
			ids = append(ids, i.ID)
		}
		if !slices.Equal(ids, tc.want) {
			t.Errorf("backfilled Filter{Sensor: %s}: %v, want %v", tc.sensor, ids, tc.want)
		}
	}
	if a := must[[]alerting.Alert](t)(s.Alerts(ctx, "p")); len(a) != 1 || a[0].ID != "x" {
		t.Errorf("alerts after migration: %+v", a)
	}
	if sn := must[[]Sensor](t)(s.Sensors(ctx, "")); len(sn) != 1 || !sn[0].Online || sn[0].OutOfService || !sn[0].ShelvedUntil.IsZero() {
		t.Errorf("sensors after migration: %+v", sn)
	}
	if e := must[[]AuditEntry](t)(s.AuditLog(ctx, time.Time{}, 0)); len(e) != 1 || e[0].User != "ann" || e[0].Target != "p" {
		t.Errorf("audit after migration: %+v", e)
	}
	// And the new features work on the old data: out of service (v2)
	// suppresses the old sensor incident; an update of an old incident
	// with other sensors moves its sensor index (v4 triggers).
	if err := s.DeclareSensor(ctx, "s1", "a3", "", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOutOfService(ctx, "a3", "tech", true, ""); err != nil {
		t.Fatal(err)
	}
	if got := must[alerting.Incident](t)(s.Incident(ctx, "o")); got.Alarm != alerting.AlarmOutOfService {
		t.Errorf("old sensor incident of a sensor out of service: %s", got.Alarm)
	}
	p.Sensors = p.Sensors[1:] // a2 only
	save(t, s, p)
	if l := must[[]alerting.Incident](t)(s.Incidents(ctx, Filter{Sensor: "a1"})); len(l) != 0 {
		t.Errorf("after an update without a1, Filter{Sensor: a1} has %d incidents", len(l))
	}
}

func TestOpenNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := rawDB(t, path)
	newer := latestVersion(t) + 1
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", newer)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(path, Options{})
	want := fmt.Sprintf("store: open %s: schema version %d, this program knows up to %d: upgrade cellsentry or restore a backup: database schema is newer than this program",
		path, newer, newer-1)
	if err == nil || err.Error() != want || !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

// TestMigrationRollsBack: a migration that fails half-way leaves the
// database at the previous version, without the half.
func TestMigrationRollsBack(t *testing.T) {
	ctx := context.Background()
	init, err := migrationFS.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		"migrations/0001_init.sql":   {Data: init},
		"migrations/0002_broken.sql": {Data: []byte("CREATE TABLE half (a);\nCREATE TABLE broken (;\n")},
	}
	db := rawDB(t, filepath.Join(t.TempDir(), "b.db"))
	defer db.Close()
	from, to, err := migrate(ctx, db, fsys, -1)
	if err == nil || !strings.HasPrefix(err.Error(), "migration migrations/0002_broken.sql: ") {
		t.Fatalf("err = %v, want one naming migrations/0002_broken.sql", err)
	}
	if from != 0 || to != 1 || userVersion(t, db) != 1 {
		t.Errorf("from %d to %d, user_version %d; want 0, 1, 1", from, to, userVersion(t, db))
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'half'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("table of the failed migration: count %d, %v", n, err)
	}
	// Idempotent: the latest version migrates nothing.
	s, _, path := newStore(t)
	s.Close()
	db2 := rawDB(t, path)
	defer db2.Close()
	if from, to, err := migrate(ctx, db2, migrationFS, -1); err != nil || from != latestVersion(t) || to != latestVersion(t) {
		t.Errorf("migrate at latest: %d→%d, %v", from, to, err)
	}
}

func TestOpenInvalid(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		path    string
		opt     Options
		wantErr string
	}{
		{"empty path", "", Options{}, "store: open: empty path: invalid argument"},
		{"question mark", dir + "/a?b.db", Options{}, "store: open " + dir + "/a?b.db: a path with '?' or '#' is not supported: invalid argument"},
		{"negative retention", dir + "/r.db", Options{Retention: -time.Hour}, "store: open " + dir + "/r.db: retention -1h0m0s must be positive: invalid argument"},
		{"negative shelve", dir + "/m.db", Options{MaxShelve: -time.Hour}, "store: open " + dir + "/m.db: max shelve -1h0m0s must be positive: invalid argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(tc.path, tc.opt)
			if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
	t.Run("missing directory", func(t *testing.T) {
		p := dir + "/no/such/dir/x.db"
		_, err := Open(p, Options{})
		if err == nil || !strings.HasPrefix(err.Error(), "store: open "+p+": ") {
			t.Fatalf("err = %v, want one naming the path", err)
		}
	})
}

// TestPragmas: WAL, synchronous NORMAL on the writer, back to NORMAL after
// an operator action (which commits with FULL), foreign keys on, readers
// read-only.
func TestPragmas(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	declare(t, s, "a1")
	save(t, s, phone("i", t0, true, "a1"))
	must[alerting.Incident](t)(s.Ack(ctx, "i", "ann", ""))
	check := func(db *sql.DB, pragma string, want int64) {
		t.Helper()
		var v int64
		if err := db.QueryRow("PRAGMA " + pragma).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != want {
			t.Errorf("PRAGMA %s = %d, want %d", pragma, v, want)
		}
	}
	check(s.w, "synchronous", 1) // NORMAL
	check(s.w, "foreign_keys", 1)
	check(s.w, "busy_timeout", busyTimeout)
	check(s.r, "query_only", 1)
	var mode string
	if err := s.w.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode %q, %v", mode, err)
	}
	if _, err := s.r.Exec(`DELETE FROM sensors`); err == nil {
		t.Error("a reader connection could write")
	}
}
