package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

func TestPrune(t *testing.T) {
	ctx := context.Background()
	const day = 24 * time.Hour
	c := &clock{t: t0}
	s, err := Open(filepath.Join(t.TempDir(), "p.db"), Options{Retention: 30 * day, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	declare(t, s, "a1")
	// closed when: resolved at t0; acked at t0 then cleared at t0+1d;
	// acked at t0 and still active; cleared at t0 and never acked;
	// resolved at t0+10d.
	for _, id := range []string{"resolved", "acked-cleared", "acked-active", "cleared-unacked", "resolved-later"} {
		save(t, s, phone(id, t0, true, "a1"))
		if _, err := s.AddAlert(ctx, id, alert(id+"-x", 0, "a1", t0)); err != nil {
			t.Fatal(err)
		}
	}
	must[alerting.Incident](t)(s.Resolve(ctx, "resolved", "ann", alerting.ResolutionFoundPhone, ""))
	must[alerting.Incident](t)(s.Ack(ctx, "acked-cleared", "ann", ""))
	must[alerting.Incident](t)(s.Ack(ctx, "acked-active", "ann", ""))
	cleared := phone("acked-cleared", t0, false, "a1")
	cleared.LastSeen = t0.Add(day)
	save(t, s, cleared)
	save(t, s, phone("cleared-unacked", t0, false, "a1"))
	c.Set(t0.Add(10 * day))
	must[alerting.Incident](t)(s.Resolve(ctx, "resolved-later", "ann", alerting.ResolutionFalseAlarm, ""))

	steps := []struct {
		name    string
		now     time.Time
		deleted int
		left    []string
	}{
		{"nothing old enough", t0.Add(30 * day), 0,
			[]string{"resolved", "acked-cleared", "acked-active", "cleared-unacked", "resolved-later"}},
		{"resolved at t0", t0.Add(30*day + time.Nanosecond), 1,
			[]string{"acked-cleared", "acked-active", "cleared-unacked", "resolved-later"}},
		{"closed when it cleared", t0.Add(31*day + time.Nanosecond), 1,
			[]string{"acked-active", "cleared-unacked", "resolved-later"}},
		{"open incidents stay", t0.Add(1000 * day), 1,
			[]string{"acked-active", "cleared-unacked"}},
	}
	audits := auditCount(t, s)
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			n, err := s.Prune(ctx, st.now)
			if err != nil {
				t.Fatal(err)
			}
			if n != st.deleted {
				t.Errorf("deleted %d, want %d", n, st.deleted)
			}
			for _, id := range st.left {
				if _, err := s.Incident(ctx, id); err != nil {
					t.Errorf("%s: %v", id, err)
				}
			}
			var incs, alerts, sensors int
			if err := s.r.QueryRow(`SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM alerts),
				(SELECT count(DISTINCT incident_id) FROM incident_sensors)`).Scan(&incs, &alerts, &sensors); err != nil {
				t.Fatal(err)
			}
			if incs != len(st.left) || alerts != len(st.left) || sensors != len(st.left) {
				t.Errorf("%d incidents, %d alerts, %d with sensors; want %d each (cascade)", incs, alerts, sensors, len(st.left))
			}
			if st.deleted > 0 {
				audits++
				e := lastAudit(t, s)
				cut := st.now.Add(-30 * day).UTC().Format(time.RFC3339)
				want := AuditEntry{ID: e.ID, Time: st.now, User: "system", Action: ActionPrune,
					Detail: fmt.Sprintf("%d incidents closed before %s", st.deleted, cut)}
				if e != want {
					t.Errorf("audit %+v, want %+v", e, want)
				}
			}
			if n := auditCount(t, s); n != audits {
				t.Errorf("%d audit entries, want %d (pruning never deletes them)", n, audits)
			}
		})
	}
}

// TestPruneBatches: more closed incidents than one transaction deletes.
func TestPruneBatches(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	n := 2*pruneBatch + 7
	incs := make([]alerting.Incident, n)
	for i := range incs {
		incs[i] = phone(fmt.Sprintf("i%d", i), t0, false, "a1")
	}
	if err := s.SaveIncidents(ctx, incs); err != nil {
		t.Fatal(err)
	}
	// Close them behind the API's back: the ack path is tested elsewhere.
	if _, err := s.w.Exec(`UPDATE incidents SET acked_by = 'x', acked_at = ?1, base_alarm = 'closed', closed_at = ?1`, t0.UnixNano()); err != nil {
		t.Fatal(err)
	}
	got, err := s.Prune(ctx, t0.Add(DefaultRetention+time.Second))
	if err != nil || got != n {
		t.Fatalf("Prune = %d, %v; want %d", got, err, n)
	}
}
