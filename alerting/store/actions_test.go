package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// TestAlarmTable walks the package doc's table: every combination of
// resolved, acknowledged and active, reached through the store's own
// operations, gives the documented state; the fusion's later update with
// the same Active never changes it back.
func TestAlarmTable(t *testing.T) {
	tests := []struct {
		name                    string
		resolved, acked, active bool
		want                    string
	}{
		{"active", false, false, true, alerting.AlarmUnacknowledged},
		{"active acked", false, true, true, alerting.AlarmAcknowledged},
		{"cleared", false, false, false, alerting.AlarmClearedUnacknowledged},
		{"cleared acked", false, true, false, alerting.AlarmClosed},
		{"resolved active", true, false, true, alerting.AlarmClosed},
		{"resolved cleared", true, false, false, alerting.AlarmClosed},
		{"acked resolved active", true, true, true, alerting.AlarmClosed},
		{"acked resolved cleared", true, true, false, alerting.AlarmClosed},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := newStore(t)
			inc := phone("i", t0, true, "a1")
			must[alerting.Incident](t)(s.SaveIncident(ctx, &inc))
			if tc.acked {
				must[alerting.Incident](t)(s.Ack(ctx, "i", "ann", ""))
			}
			if tc.resolved {
				must[alerting.Incident](t)(s.Resolve(ctx, "i", "bob", alerting.ResolutionFalseAlarm, ""))
			}
			inc.Active = tc.active
			got := must[alerting.Incident](t)(s.SaveIncident(ctx, &inc))
			if got.Alarm != tc.want {
				t.Errorf("SaveIncident: alarm %q, want %q", got.Alarm, tc.want)
			}
			if b := baseAlarm(tc.active, tc.acked || tc.resolved, tc.resolved); b != tc.want {
				t.Errorf("baseAlarm = %q, want %q (Go and SQL disagree)", b, tc.want)
			}
			// Again: an update that repeats itself must not change the state.
			got = must[alerting.Incident](t)(s.SaveIncident(ctx, &inc))
			read := must[alerting.Incident](t)(s.Incident(ctx, "i"))
			if got.Alarm != tc.want || read.Alarm != tc.want {
				t.Errorf("after a second update: %q, read %q, want %q", got.Alarm, read.Alarm, tc.want)
			}
			if (tc.acked || tc.resolved) != !read.AckedAt.IsZero() {
				t.Errorf("AckedAt %v after acked=%v resolved=%v", read.AckedAt, tc.acked, tc.resolved)
			}
		})
	}
}

// TestSaveIgnoresOperatorFields: the fusion cannot acknowledge, resolve
// or un-acknowledge.
func TestSaveIgnoresOperatorFields(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	inc := phone("i", t0, true, "a1")
	inc.Alarm, inc.AckedBy, inc.AckedAt = alerting.AlarmClosed, "fusion", t0
	inc.Resolution, inc.ResolvedBy, inc.ResolvedAt, inc.Note = alerting.ResolutionFoundPhone, "fusion", t0, "x"
	got := must[alerting.Incident](t)(s.SaveIncident(ctx, &inc))
	if got.Alarm != alerting.AlarmUnacknowledged || got.AckedBy != "" || !got.AckedAt.IsZero() ||
		got.Resolution != "" || got.ResolvedBy != "" || !got.ResolvedAt.IsZero() || got.Note != "" {
		t.Fatalf("fusion's operator fields were stored: %+v", got)
	}
	must[alerting.Incident](t)(s.Ack(ctx, "i", "ann", "on my way"))
	inc.AckedBy, inc.AckedAt, inc.Note = "", time.Time{}, ""
	inc.LastSeen = inc.LastSeen.Add(time.Minute)
	got = must[alerting.Incident](t)(s.SaveIncident(ctx, &inc))
	if got.AckedBy != "ann" || got.Alarm != alerting.AlarmAcknowledged || got.Note != "on my way" {
		t.Fatalf("an update un-acknowledged: %+v", got)
	}
	if !got.LastSeen.Equal(inc.LastSeen) {
		t.Errorf("LastSeen %v, want the update's %v", got.LastSeen, inc.LastSeen)
	}
}

func TestAck(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		setup   func(t *testing.T, s *Store, c *clock)
		user    string
		note    string
		want    string // alarm after the ack
		wantErr string
		is      error
	}{
		{name: "active", user: "ann", note: "going", want: alerting.AlarmAcknowledged},
		{name: "cleared", user: "ann", want: alerting.AlarmClosed,
			setup: func(t *testing.T, s *Store, c *clock) { save(t, s, phone("i", t0, false, "a1")) }},
		{name: "twice", user: "bob",
			setup:   func(t *testing.T, s *Store, c *clock) { must[alerting.Incident](t)(s.Ack(ctx, "i", "ann", "")) },
			wantErr: "store: ack i: incident i is already acknowledged by ann at 2026-03-01T22:00:00Z: conflict", is: ErrConflict},
		{name: "closed", user: "bob",
			setup: func(t *testing.T, s *Store, c *clock) {
				must[alerting.Incident](t)(s.Ack(ctx, "i", "ann", ""))
				save(t, s, phone("i", t0, false, "a1"))
			},
			wantErr: "store: ack i: incident i is closed (acknowledged by ann at 2026-03-01T22:00:00Z, no longer active): conflict", is: ErrConflict},
		{name: "resolved", user: "bob",
			setup: func(t *testing.T, s *Store, c *clock) {
				must[alerting.Incident](t)(s.Resolve(ctx, "i", "ann", alerting.ResolutionFoundPhone, ""))
			},
			wantErr: "store: ack i: incident i is resolved (found-phone by ann at 2026-03-01T22:00:00Z): conflict", is: ErrConflict},
		{name: "unknown incident", user: "ann",
			setup:   func(t *testing.T, s *Store, c *clock) { deleteIncident(t, s, "i") },
			wantErr: "store: ack i: incident i: not found", is: ErrNotFound},
		{name: "no user", user: "", wantErr: "store: ack i: empty user: invalid argument", is: ErrInvalid},
		{name: "long note", user: "ann", note: string(make([]byte, maxNote+1)),
			wantErr: "store: ack i: note is 4097 bytes, at most 4096: invalid argument", is: ErrInvalid},
		{name: "shelved sensor", user: "ann", want: alerting.AlarmShelved,
			setup: func(t *testing.T, s *Store, c *clock) {
				if err := s.Shelve(ctx, "a1", "tech", t0.Add(time.Hour), ""); err != nil {
					t.Fatal(err)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c, _ := newStore(t)
			declare(t, s, "a1")
			save(t, s, phone("i", t0, true, "a1"))
			if tc.setup != nil {
				tc.setup(t, s, c)
			}
			before := auditCount(t, s)
			got, err := s.Ack(WithRemote(ctx, "10.0.0.7:5555"), "i", tc.user, tc.note)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, tc.is) {
					t.Fatalf("err = %v, want %q (%v)", err, tc.wantErr, tc.is)
				}
				if n := auditCount(t, s); n != before {
					t.Errorf("a refused ack wrote %d audit entries", n-before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Alarm != tc.want || got.AckedBy != tc.user || !got.AckedAt.Equal(t0) || got.Note != tc.note {
				t.Errorf("got alarm %q acked by %q at %v note %q, want %q by %q at %v note %q",
					got.Alarm, got.AckedBy, got.AckedAt, got.Note, tc.want, tc.user, t0, tc.note)
			}
			e := lastAudit(t, s)
			want := AuditEntry{ID: e.ID, Time: t0, User: tc.user, Action: ActionAck, Target: "i", Detail: tc.note, Remote: "10.0.0.7:5555"}
			if e != want {
				t.Errorf("audit %+v, want %+v", e, want)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name              string
		setup             func(t *testing.T, s *Store, c *clock)
		resolution, note  string
		wantAckedBy       string
		wantAckedAt       time.Time
		wantNote, wantErr string
		is                error
	}{
		{name: "unacknowledged", resolution: alerting.ResolutionFoundPhone, note: "cell 12, under the mattress",
			wantAckedBy: "bob", wantAckedAt: t0.Add(time.Minute), wantNote: "cell 12, under the mattress"},
		{name: "acknowledged keeps acknowledger", resolution: alerting.ResolutionFalseAlarm,
			setup:       func(t *testing.T, s *Store, c *clock) { must[alerting.Incident](t)(s.Ack(ctx, "i", "ann", "going")) },
			wantAckedBy: "ann", wantAckedAt: t0, wantNote: "going"},
		{name: "closed by ack then resolved", resolution: alerting.ResolutionUnknown, note: "nothing found",
			setup: func(t *testing.T, s *Store, c *clock) {
				must[alerting.Incident](t)(s.Ack(ctx, "i", "ann", ""))
				save(t, s, phone("i", t0, false, "a1"))
			},
			wantAckedBy: "ann", wantAckedAt: t0, wantNote: "nothing found"},
		{name: "twice", resolution: alerting.ResolutionFalseAlarm,
			setup: func(t *testing.T, s *Store, c *clock) {
				must[alerting.Incident](t)(s.Resolve(ctx, "i", "ann", alerting.ResolutionFoundPhone, ""))
			},
			wantErr: "store: resolve i: incident i is already resolved (found-phone by ann at 2026-03-01T22:00:00Z): conflict", is: ErrConflict},
		{name: "bad resolution", resolution: "lost",
			wantErr: `store: resolve i: resolution "lost" is not one of found-phone, false-alarm, unknown: invalid argument`, is: ErrInvalid},
		{name: "unknown incident", resolution: alerting.ResolutionUnknown,
			setup:   func(t *testing.T, s *Store, c *clock) { deleteIncident(t, s, "i") },
			wantErr: "store: resolve i: incident i: not found", is: ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c, _ := newStore(t)
			declare(t, s, "a1")
			save(t, s, phone("i", t0, true, "a1"))
			if tc.setup != nil {
				tc.setup(t, s, c)
			}
			c.Add(time.Minute)
			before := auditCount(t, s)
			got, err := s.Resolve(ctx, "i", "bob", tc.resolution, tc.note)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, tc.is) {
					t.Fatalf("err = %v, want %q (%v)", err, tc.wantErr, tc.is)
				}
				if n := auditCount(t, s); n != before {
					t.Errorf("a refused resolve wrote %d audit entries", n-before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Alarm != alerting.AlarmClosed || got.Resolution != tc.resolution || got.ResolvedBy != "bob" ||
				!got.ResolvedAt.Equal(t0.Add(time.Minute)) || got.AckedBy != tc.wantAckedBy ||
				!got.AckedAt.Equal(tc.wantAckedAt) || got.Note != tc.wantNote {
				t.Errorf("got %s %s by %s at %v, acked by %s at %v, note %q", got.Alarm, got.Resolution, got.ResolvedBy,
					got.ResolvedAt, got.AckedBy, got.AckedAt, got.Note)
			}
			e := lastAudit(t, s)
			detail := tc.resolution
			if tc.note != "" {
				detail += ": " + tc.note
			}
			want := AuditEntry{ID: e.ID, Time: t0.Add(time.Minute), User: "bob", Action: ActionResolve, Target: "i", Detail: detail}
			if e != want {
				t.Errorf("audit %+v, want %+v", e, want)
			}
		})
	}
}

// TestSuppression: shelving and out of service of sensors, and what the
// incidents show, including expiry of a shelving and mixed sensors.
func TestSuppression(t *testing.T) {
	ctx := context.Background()
	type op func(t *testing.T, s *Store, c *clock) error
	shelve := func(sn string, d time.Duration) op {
		return func(t *testing.T, s *Store, c *clock) error {
			return s.Shelve(ctx, sn, "tech", c.Now().Add(d), "noisy")
		}
	}
	unshelve := func(sn string) op {
		return func(t *testing.T, s *Store, c *clock) error { return s.Unshelve(ctx, sn, "tech", "fixed") }
	}
	oos := func(sn string, on bool) op {
		return func(t *testing.T, s *Store, c *clock) error { return s.SetOutOfService(ctx, sn, "tech", on, "ladder") }
	}
	wait := func(d time.Duration) op {
		return func(t *testing.T, s *Store, c *clock) error { c.Add(d); return nil }
	}
	tests := []struct {
		name    string
		ops     []op
		wantErr string // of the last op
		is      error
		// alarms of: phone heard by a1 only, phone heard by a1 and a2,
		// sensor-offline of a1, phone heard by an undeclared sensor.
		want [4]string
	}{
		{name: "none", want: [4]string{"unacknowledged", "unacknowledged", "unacknowledged", "unacknowledged"}},
		{name: "shelve a1", ops: []op{shelve("a1", time.Hour)},
			want: [4]string{"shelved", "unacknowledged", "shelved", "unacknowledged"}},
		{name: "shelve a1 and a2", ops: []op{shelve("a1", time.Hour), shelve("s1/a2", time.Hour)},
			want: [4]string{"shelved", "shelved", "shelved", "unacknowledged"}},
		{name: "shelving expires", ops: []op{shelve("a1", time.Hour), wait(time.Hour)},
			want: [4]string{"unacknowledged", "unacknowledged", "unacknowledged", "unacknowledged"}},
		{name: "shelve again moves the end", ops: []op{shelve("a1", time.Hour), shelve("a1", 2*time.Hour), wait(90 * time.Minute)},
			want: [4]string{"shelved", "unacknowledged", "shelved", "unacknowledged"}},
		{name: "unshelve", ops: []op{shelve("a1", time.Hour), unshelve("a1")},
			want: [4]string{"unacknowledged", "unacknowledged", "unacknowledged", "unacknowledged"}},
		{name: "out of service a1", ops: []op{oos("a1", true)},
			want: [4]string{"out-of-service", "unacknowledged", "out-of-service", "unacknowledged"}},
		{name: "a1 out of service, a2 shelved", ops: []op{oos("a1", true), shelve("a2", time.Hour)},
			want: [4]string{"out-of-service", "shelved", "out-of-service", "unacknowledged"}},
		{name: "both out of service", ops: []op{oos("a1", true), oos("a2", true)},
			want: [4]string{"out-of-service", "out-of-service", "out-of-service", "unacknowledged"}},
		{name: "back in service, shelving still running", ops: []op{shelve("a1", time.Hour), oos("a1", true), oos("a1", false)},
			want: [4]string{"shelved", "unacknowledged", "shelved", "unacknowledged"}},
		{name: "unshelve not shelved", ops: []op{unshelve("a1")},
			wantErr: "store: unshelve a1: sensor s1/a1 is not shelved: conflict", is: ErrConflict},
		{name: "unshelve expired", ops: []op{shelve("a1", time.Hour), wait(2 * time.Hour), unshelve("a1")},
			wantErr: "store: unshelve a1: sensor s1/a1 is not shelved: conflict", is: ErrConflict},
		{name: "shelve out of service", ops: []op{oos("a1", true), shelve("a1", time.Hour)},
			wantErr: "store: shelve a1: sensor s1/a1 is out of service (by tech): conflict", is: ErrConflict},
		{name: "out of service twice", ops: []op{oos("a1", true), oos("a1", true)},
			wantErr: "store: out of service a1: sensor s1/a1 is already out of service (by tech): conflict", is: ErrConflict},
		{name: "in service twice", ops: []op{oos("a1", false)},
			wantErr: "store: out of service a1: sensor s1/a1 is not out of service: conflict", is: ErrConflict},
		{name: "shelve into the past", ops: []op{shelve("a1", -time.Second)},
			wantErr: "store: shelve a1: until 2026-03-01T21:59:59Z is not in the future: invalid argument", is: ErrInvalid},
		{name: "shelve too long", ops: []op{shelve("a1", DefaultMaxShelve+time.Second)},
			wantErr: "store: shelve a1: until 2026-03-08T22:00:01Z is more than 168h0m0s ahead: invalid argument", is: ErrInvalid},
		{name: "unknown sensor", ops: []op{shelve("zz", time.Hour)},
			wantErr: "store: shelve zz: sensor zz: not found", is: ErrNotFound},
		{name: "ambiguous sensor", ops: []op{shelve("dup", time.Hour)},
			wantErr: "store: shelve dup: sensor dup is in sites s1, s2: name it SITE/SENSOR: invalid argument", is: ErrInvalid},
		{name: "bad reference", ops: []op{shelve("/a1", time.Hour)},
			wantErr: `store: shelve /a1: sensor "/a1": want SENSOR or SITE/SENSOR: invalid argument`, is: ErrInvalid},
		{name: "site-qualified ambiguous name", ops: []op{shelve("s2/dup", time.Hour)},
			want: [4]string{"unacknowledged", "unacknowledged", "unacknowledged", "unacknowledged"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, c, _ := newStore(t)
			declare(t, s, "a1", "a2", "dup")
			if err := s.DeclareSensor(ctx, "s2", "dup", "", ""); err != nil {
				t.Fatal(err)
			}
			save(t, s, phone("p1", t0, true, "a1"))
			save(t, s, phone("p12", t0.Add(time.Second), true, "a1", "a2"))
			save(t, s, sensorIncident("off", alerting.IncidentSensorOffline, "a1", t0.Add(2*time.Second), true))
			save(t, s, phone("px", t0.Add(3*time.Second), true, "undeclared"))
			var err error
			for _, o := range tc.ops {
				if err != nil {
					t.Fatalf("op before the last failed: %v", err)
				}
				err = o(t, s, c)
			}
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, tc.is) {
					t.Fatalf("err = %v, want %q (%v)", err, tc.wantErr, tc.is)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got [4]string
			for i, id := range []string{"p1", "p12", "off", "px"} {
				got[i] = must[alerting.Incident](t)(s.Incident(ctx, id)).Alarm
			}
			if got != tc.want {
				t.Errorf("alarms %q, want %q", got, tc.want)
			}
			// The Alarm filter agrees with the derived state.
			for i, id := range []string{"p1", "p12", "off", "px"} {
				l := must[[]alerting.Incident](t)(s.Incidents(ctx, Filter{Alarm: tc.want[i]}))
				if !containsID(l, id) {
					t.Errorf("Filter{Alarm: %q} misses %s", tc.want[i], id)
				}
			}
		})
	}
}

// TestSensorActionsAudit: each sensor action appends its audit entry.
func TestSensorActionsAudit(t *testing.T) {
	ctx := WithRemote(context.Background(), "192.0.2.1:4000")
	s, c, _ := newStore(t)
	declare(t, s, "a1")
	until := t0.Add(time.Hour)
	steps := []struct {
		name string
		do   func() error
		want AuditEntry
	}{
		{"shelve", func() error { return s.Shelve(ctx, "a1", "tech", until, "noisy") },
			AuditEntry{User: "tech", Action: ActionShelve, Target: "s1/a1", Detail: "until 2026-03-01T23:00:00Z: noisy"}},
		{"unshelve", func() error { return s.Unshelve(ctx, "s1/a1", "tech", "") },
			AuditEntry{User: "tech", Action: ActionUnshelve, Target: "s1/a1"}},
		{"out of service", func() error { return s.SetOutOfService(ctx, "a1", "tech", true, "new antenna") },
			AuditEntry{User: "tech", Action: ActionOutOfService, Target: "s1/a1", Detail: "new antenna"}},
		{"in service", func() error { return s.SetOutOfService(ctx, "a1", "tech2", false, "done") },
			AuditEntry{User: "tech2", Action: ActionInService, Target: "s1/a1", Detail: "done"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			c.Add(time.Second)
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			e := lastAudit(t, s)
			st.want.ID, st.want.Time, st.want.Remote = e.ID, c.Now(), "192.0.2.1:4000"
			if e != st.want {
				t.Errorf("audit %+v, want %+v", e, st.want)
			}
		})
	}
	sn := must[[]Sensor](t)(s.Sensors(ctx, "s1"))
	if len(sn) != 1 || sn[0].OutOfService || !sn[0].ShelvedUntil.IsZero() || sn[0].Note != "done" {
		t.Errorf("sensor after the steps: %+v", sn)
	}
}

func save(t testing.TB, s *Store, inc alerting.Incident) alerting.Incident {
	t.Helper()
	return must[alerting.Incident](t)(s.SaveIncident(context.Background(), &inc))
}

// deleteIncident removes an incident behind the API's back.
func deleteIncident(t testing.TB, s *Store, id string) {
	t.Helper()
	if _, err := s.w.Exec(`DELETE FROM incidents WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
}

func auditCount(t testing.TB, s *Store) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(`SELECT count(*) FROM audit`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func lastAudit(t testing.TB, s *Store) AuditEntry {
	t.Helper()
	l := must[[]AuditEntry](t)(s.AuditLog(context.Background(), time.Time{}, 1))
	if len(l) != 1 {
		t.Fatalf("audit log has %d entries", len(l))
	}
	return l[0]
}

func containsID(l []alerting.Incident, id string) bool {
	for _, i := range l {
		if i.ID == id {
			return true
		}
	}
	return false
}
