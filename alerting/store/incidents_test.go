package store

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

func TestAddAlert(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	declare(t, s, "a1", "a2")
	save(t, s, phone("i", t0, true, "a1", "a2"))
	save(t, s, phone("j", t0, true, "a1"))
	steps := []struct {
		name     string
		incident string
		a        *alerting.Alert
		wantDup  bool
		wantErr  string
		is       error
	}{
		{name: "raised", incident: "i", a: alert("x", 0, "a1", t0.Add(2*time.Second))},
		{name: "updated", incident: "i", a: alert("x", 1, "a1", t0.Add(3*time.Second))},
		{name: "other sensor", incident: "i", a: alert("y", 0, "a2", t0.Add(time.Second))},
		{name: "redelivery", incident: "i", a: alert("x", 0, "a1", t0.Add(2*time.Second)), wantDup: true},
		{name: "redelivery of an update", incident: "i", a: alert("x", 1, "a1", t0.Add(3*time.Second)), wantDup: true},
		{name: "same id and rev under another incident", incident: "j", a: alert("x", 1, "a1", t0), wantDup: true},
		{name: "unknown incident", incident: "nope", a: alert("z", 0, "a1", t0),
			wantErr: "store: add alert: alert z rev 0: incident nope: not found", is: ErrNotFound},
		{name: "empty id", incident: "i", a: alert("", 0, "a1", t0),
			wantErr: "store: add alert: alert for incident i: empty id: invalid argument", is: ErrInvalid},
		{name: "negative rev", incident: "i", a: alert("z", -1, "a1", t0),
			wantErr: "store: add alert: alert z: rev -1 is negative: invalid argument", is: ErrInvalid},
		{name: "no incident id", incident: "", a: alert("z", 0, "a1", t0),
			wantErr: "store: add alert: alert z rev 0: empty incident id: invalid argument", is: ErrInvalid},
		{name: "nil", incident: "i", wantErr: "store: add alert: alert for incident i: nil: invalid argument", is: ErrInvalid},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			dup, err := s.AddAlert(ctx, st.incident, st.a)
			if st.wantErr != "" {
				if err == nil || err.Error() != st.wantErr || !errors.Is(err, st.is) {
					t.Fatalf("err = %v, want %q (%v)", err, st.wantErr, st.is)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if dup != st.wantDup {
				t.Errorf("dup = %v, want %v", dup, st.wantDup)
			}
		})
	}
	got := must[[]alerting.Alert](t)(s.Alerts(ctx, "i"))
	var keys []string
	for _, a := range got {
		keys = append(keys, a.ID+"/"+a.State)
	}
	if want := []string{"y/raised", "x/raised", "x/updated"}; !slices.Equal(keys, want) {
		t.Errorf("alerts of i (oldest first): %q, want %q", keys, want)
	}
	// The stored event reads back as it was sent (NaN SNR included).
	want := alert("x", 1, "a1", t0.Add(3*time.Second))
	if g := got[2]; !g.Time.Equal(want.Time) || g.Bursts != want.Bursts || g.PowerDBm != want.PowerDBm || g.SNR.Known() ||
		g.Sensor != "a1" || g.BandwidthHz != want.BandwidthHz {
		t.Errorf("stored alert %+v, want %+v", g, want)
	}
	if l := must[[]alerting.Alert](t)(s.Alerts(ctx, "j")); len(l) != 0 {
		t.Errorf("j has %d alerts, want 0 (the duplicate was dropped)", len(l))
	}
	if _, err := s.Alerts(ctx, "nope"); !errors.Is(err, ErrNotFound) || err.Error() != "store: alerts of incident nope: not found" {
		t.Errorf("Alerts(nope) err = %v", err)
	}
	// An alert is a sign of life of its sensor.
	sn := must[[]Sensor](t)(s.Sensors(ctx, "s1"))
	if !sn[0].LastSeen.Equal(t0.Add(3*time.Second)) || !sn[1].LastSeen.Equal(t0.Add(time.Second)) {
		t.Errorf("last seen a1 %v a2 %v", sn[0].LastSeen, sn[1].LastSeen)
	}
}

func TestSaveIncidentRoundTrip(t *testing.T) {
	ctx := context.Background()
	floor := 2
	full := phone("p", t0, true, "a1", "a2")
	full.Floor, full.Outside, full.LinkedTo = &floor, true, "older"
	tests := []struct {
		name string
		inc  alerting.Incident
	}{
		{"phone", full},
		{"sensor offline", sensorIncident("o", alerting.IncidentSensorOffline, "a1", t0, true)},
		{"tamper", sensorIncident("t", alerting.IncidentTamper, "a2", t0, false)},
		{"minimal", alerting.Incident{ID: "m", Site: "s1", Kind: alerting.IncidentOverload, FirstSeen: t0, LastSeen: t0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _, _ := newStore(t)
			got := save(t, s, tc.inc)
			read := must[alerting.Incident](t)(s.Incident(ctx, tc.inc.ID))
			want := tc.inc
			want.Alarm = baseAlarm(want.Active, false, false)
			for _, g := range []alerting.Incident{got, read} {
				// Times come back in UTC without monotonic readings.
				if !reflect.DeepEqual(normalize(g), normalize(want)) {
					t.Errorf("stored\n%+v\nwant\n%+v", g, want)
				}
			}
		})
	}
}

// normalize makes times comparable with DeepEqual.
func normalize(inc alerting.Incident) alerting.Incident {
	n := func(t time.Time) time.Time {
		if t.IsZero() {
			return time.Time{}
		}
		return t.UTC().Round(0)
	}
	inc.FirstSeen, inc.LastSeen, inc.AckedAt, inc.ResolvedAt = n(inc.FirstSeen), n(inc.LastSeen), n(inc.AckedAt), n(inc.ResolvedAt)
	h := slices.Clone(inc.Sensors)
	for i := range h {
		h[i].LastSeen = n(h[i].LastSeen)
	}
	inc.Sensors = h
	return inc
}

func TestSaveIncidentInvalid(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	tests := []struct {
		name    string
		edit    func(*alerting.Incident)
		wantErr string
	}{
		{"no id", func(i *alerting.Incident) { i.ID = "" }, "store: save: incident: empty id: invalid argument"},
		{"no site", func(i *alerting.Incident) { i.Site = "" }, "store: save: incident p: empty site: invalid argument"},
		{"bad kind", func(i *alerting.Incident) { i.Kind = "fire" },
			`store: save: incident p: kind "fire" is not one of phone, overload, sensor-offline, source-lost, tamper: invalid argument`},
		{"no first seen", func(i *alerting.Incident) { i.FirstSeen = time.Time{} },
			"store: save: incident p: first_seen is zero: invalid argument"},
		{"last before first", func(i *alerting.Incident) { i.LastSeen = i.FirstSeen.Add(-time.Millisecond) },
			"store: save: incident p: last_seen 2026-03-01T21:59:59.999Z before first_seen 2026-03-01T22:00:00Z: invalid argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inc := phone("p", t0, true, "a1")
			tc.edit(&inc)
			_, err := s.SaveIncident(ctx, &inc)
			if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			// The same in a batch names the index and writes nothing.
			batch := []alerting.Incident{phone("ok", t0, true, "a1"), inc}
			err = s.SaveIncidents(ctx, batch)
			if err == nil || !errors.Is(err, ErrInvalid) {
				t.Fatalf("batch err = %v", err)
			}
			if _, err := s.Incident(ctx, "ok"); !errors.Is(err, ErrNotFound) {
				t.Errorf("a failed batch stored its valid incident: %v", err)
			}
		})
	}
	if _, err := s.Incident(ctx, "nope"); err == nil || err.Error() != "store: incident nope: not found" || !errors.Is(err, ErrNotFound) {
		t.Errorf("Incident(nope) err = %v", err)
	}
}

// TestIncidentSensorsFollowUpdates: the sensors an incident concerns are
// those of its latest update (for the Sensor filter and suppression).
func TestIncidentSensorsFollowUpdates(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	moved := phone("p", t0, true, "a2", "a3")
	moved.Site = "s2"
	steps := []struct {
		name string
		inc  alerting.Incident
		want map[string]string // sensor → "site/incidents"
	}{
		{"new", phone("p", t0, true, "a1", "a2"), map[string]string{"a1": "s1/p", "a2": "s1/p", "a3": ""}},
		{"same set, other order", phone("p", t0, true, "a2", "a1"), map[string]string{"a1": "s1/p", "a2": "s1/p", "a3": ""}},
		{"one more", phone("p", t0, true, "a2", "a1", "a3"), map[string]string{"a1": "s1/p", "a2": "s1/p", "a3": "s1/p"}},
		{"one less", phone("p", t0, true, "a2", "a3"), map[string]string{"a1": "", "a2": "s1/p", "a3": "s1/p"}},
		{"other site", moved, map[string]string{"a1": "", "a2": "s2/p", "a3": "s2/p"}},
		{"sensor incident", sensorIncident("p", alerting.IncidentTamper, "a1", t0, true), map[string]string{"a1": "s1/p", "a2": "", "a3": ""}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			save(t, s, st.inc)
			for sn, want := range st.want {
				rows, err := s.r.Query(`SELECT site, incident_id FROM incident_sensors WHERE sensor = ?`, sn)
				if err != nil {
					t.Fatal(err)
				}
				got := ""
				for rows.Next() {
					var site, id string
					if err := rows.Scan(&site, &id); err != nil {
						t.Fatal(err)
					}
					got += site + "/" + id
				}
				rows.Close()
				if got != want {
					t.Errorf("sensor %s: %q, want %q", sn, got, want)
				}
				if l := must[[]alerting.Incident](t)(s.Incidents(ctx, Filter{Sensor: sn})); (len(l) == 1) != (want != "") {
					t.Errorf("Filter{Sensor: %s}: %d incidents", sn, len(l))
				}
			}
		})
	}
}
