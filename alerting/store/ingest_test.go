package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

func TestIngest(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	declare(t, s, "a1")
	raw, err := json.Marshal(alert("r", 0, "a1", t0))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		b       Batch
		want    IngestResult
		wantErr string
		is      error
	}{
		{name: "empty", b: Batch{}},
		{name: "everything", b: Batch{
			Statuses:  []*alerting.Status{status("a1", "online", "", t0)},
			Healths:   []*alerting.Health{health("a1", t0, "ok"), health("a2", t0, "ok")},
			Incidents: []alerting.Incident{phone("i", t0, true, "a1"), phone("j", t0, true, "a1")},
			Alerts: []IncidentAlert{
				{IncidentID: "i", Alert: alert("x", 0, "a1", t0)},
				{IncidentID: "i", Alert: alert("x", 0, "a1", t0)}, // redelivered in the same batch
				{IncidentID: "j", Alert: alert("r", 0, "a1", t0), Raw: append([]byte(" \n"), raw...)},
			},
		}, want: IngestResult{Incidents: 2, Alerts: 2, Dups: 1, Statuses: 1, Healths: 2}},
		{name: "redelivered batch", b: Batch{Alerts: []IncidentAlert{{IncidentID: "i", Alert: alert("x", 0, "a1", t0)}}},
			want: IngestResult{Dups: 1}},
		{name: "alert of an incident of the batch", b: Batch{
			Incidents: []alerting.Incident{phone("k", t0, true, "a1")},
			Alerts:    []IncidentAlert{{IncidentID: "k", Alert: alert("y", 0, "a1", t0)}},
		}, want: IngestResult{Incidents: 1, Alerts: 1}},
		{name: "raw not JSON", b: Batch{Alerts: []IncidentAlert{{IncidentID: "i", Alert: alert("z", 0, "a1", t0), Raw: []byte(`{"id":`)}}},
			wantErr: "store: ingest: alert 0 (z rev 0): raw JSON is not an object: invalid argument", is: ErrInvalid},
		{name: "raw not an object", b: Batch{Alerts: []IncidentAlert{{IncidentID: "i", Alert: alert("z", 0, "a1", t0), Raw: []byte(`[{}]`)}}},
			wantErr: "store: ingest: alert 0 (z rev 0): raw JSON is not an object: invalid argument", is: ErrInvalid},
		{name: "unknown incident rolls back the batch", b: Batch{
			Incidents: []alerting.Incident{phone("never", t0, true, "a1")},
			Alerts:    []IncidentAlert{{IncidentID: "nope", Alert: alert("z", 0, "a1", t0)}},
		}, wantErr: "store: ingest: alert z rev 0: incident nope: not found", is: ErrNotFound},
		{name: "invalid incident names its index", b: Batch{
			Incidents: []alerting.Incident{phone("ok", t0, true, "a1"), {ID: "bad", Site: "s1", Kind: "x", FirstSeen: t0, LastSeen: t0}},
		}, wantErr: `store: ingest: incident 1: incident bad: kind "x" is not one of phone, overload, sensor-offline, source-lost, tamper: invalid argument`, is: ErrInvalid},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			res, err := s.Ingest(ctx, &st.b)
			if st.wantErr != "" {
				if err == nil || err.Error() != st.wantErr || !errors.Is(err, st.is) {
					t.Fatalf("err = %v, want %q", err, st.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res != st.want {
				t.Errorf("result %+v, want %+v", res, st.want)
			}
		})
	}
	if _, err := s.Incident(ctx, "never"); !errors.Is(err, ErrNotFound) {
		t.Errorf("incident of a rolled-back batch: %v", err)
	}
	// The raw payload is what Alerts returns.
	a := must[[]alerting.Alert](t)(s.Alerts(ctx, "j"))
	if len(a) != 1 || a[0].ID != "r" || a[0].PowerDBm != -61.25 || a[0].SNR.Known() {
		t.Errorf("alert stored from raw: %+v", a)
	}
	var doc string
	if err := s.r.QueryRow(`SELECT doc FROM alerts WHERE alert_id = 'r'`).Scan(&doc); err != nil || doc != " \n"+string(raw) {
		t.Errorf("raw stored as %q, %v", doc, err)
	}
	if sn := must[[]Sensor](t)(s.Sensors(ctx, "s1")); len(sn) != 2 || sn[1].ID != "a2" || sn[1].Health == nil {
		t.Errorf("health of an undeclared sensor creates it: %+v", sn)
	}
}

func TestBatchReset(t *testing.T) {
	b := Batch{
		Statuses:  []*alerting.Status{status("a1", "online", "", t0)},
		Healths:   []*alerting.Health{health("a1", t0, "ok")},
		Incidents: []alerting.Incident{phone("i", t0, true)},
		Alerts:    []IncidentAlert{{IncidentID: "i", Alert: alert("x", 0, "a1", t0)}},
	}
	if b.Len() != 4 {
		t.Fatalf("Len %d", b.Len())
	}
	incs := b.Incidents
	b.Reset()
	if b.Len() != 0 || cap(b.Incidents) != 1 {
		t.Errorf("after Reset: len %d, cap %d", b.Len(), cap(b.Incidents))
	}
	// Reset drops the references, so that a reused batch keeps nothing alive.
	if incs[:1][0].ID != "" || b.Alerts[:1][0].Alert != nil {
		t.Error("Reset kept the old messages")
	}
}

// TestIngestCoalescesHealth: a batch writes only the latest health of each
// sensor, and leaves the sensors exactly as writing every health in its
// own batch, in order, would.
func TestIngestCoalescesHealth(t *testing.T) {
	ctx := context.Background()
	withWing := func(h *alerting.Health, wing, building string) *alerting.Health {
		h.Wing, h.Building = wing, building
		return h
	}
	cases := []struct {
		name          string
		healths       func() []*alerting.Health
		wantCoalesced int
	}{
		{"one per sensor", func() []*alerting.Health {
			return []*alerting.Health{health("a1", t0, "ok"), health("a2", t0, "ok")}
		}, 0},
		{"in order", func() []*alerting.Health {
			return []*alerting.Health{health("a1", t0, "ok"), health("a1", t0.Add(time.Second), "degraded"), health("a1", t0.Add(2*time.Second), "blind")}
		}, 2},
		{"redelivery out of order", func() []*alerting.Health {
			return []*alerting.Health{health("a1", t0.Add(time.Second), "degraded"), health("a2", t0, "ok"),
				health("a1", t0.Add(3*time.Second), "blind"), health("a1", t0.Add(2*time.Second), "ok")}
		}, 2},
		{"same time, the later wins", func() []*alerting.Health {
			return []*alerting.Health{health("a1", t0, "ok"), health("a1", t0, "degraded")}
		}, 1},
		{"wing only on an earlier message", func() []*alerting.Health {
			return []*alerting.Health{withWing(health("a3", t0, "ok"), "C", "annex"), health("a3", t0.Add(time.Second), "degraded"),
				withWing(health("a4", t0, "ok"), "D", ""), withWing(health("a4", t0.Add(time.Second), "ok"), "", "main")}
		}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			batched, _, _ := newStore(t)
			single, _, _ := newStore(t)
			declare(t, batched, "a1", "a2")
			declare(t, single, "a1", "a2")
			res, err := batched.Ingest(ctx, &Batch{Healths: c.healths()})
			if err != nil {
				t.Fatal(err)
			}
			hs := c.healths()
			if res.Healths != len(hs) || res.Coalesced != c.wantCoalesced {
				t.Errorf("result %+v, want %d healths, %d coalesced", res, len(hs), c.wantCoalesced)
			}
			for _, h := range hs {
				if _, err := single.Ingest(ctx, &Batch{Healths: []*alerting.Health{h}}); err != nil {
					t.Fatal(err)
				}
			}
			got := must[[]Sensor](t)(batched.Sensors(ctx, "s1"))
			want := must[[]Sensor](t)(single.Sensors(ctx, "s1"))
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if string(gj) != string(wj) {
				t.Errorf("batched:\n%s\none by one:\n%s", gj, wj)
			}
		})
	}
}
