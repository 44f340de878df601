package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

// fixture stores six incidents covering every filter field and alarm
// state; their first_seen order is a < b < c < d < e < f.
func fixture(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	s, c, _ := newStore(t)
	declare(t, s, "a1", "a2", "a3", "a4")
	if err := s.DeclareSensor(ctx, "s2", "a1", "A", ""); err != nil {
		t.Fatal(err)
	}
	mk := func(id, site, kind, class, mode, wing string, first, last int, active bool, sensors ...string) alerting.Incident {
		inc := phone(id, at(first), active, sensors...)
		inc.Site, inc.Kind, inc.Class, inc.Mode, inc.Wing, inc.LastSeen = site, kind, class, mode, wing, at(last)
		return inc
	}
	incs := []alerting.Incident{
		mk("a", "s1", alerting.IncidentPhone, "gsm", alerting.ModeActual, "A", 0, 10, true, "a1"),
		mk("b", "s1", alerting.IncidentPhone, "lte", alerting.ModeTest, "B", 20, 30, false, "a2"),
		sensorIncident("c", alerting.IncidentSensorOffline, "a1", at(40), true),
		mk("d", "s2", alerting.IncidentPhone, "gsm", alerting.ModeActual, "A", 60, 70, false, "a1"),
		mk("e", "s1", alerting.IncidentOverload, "overload", alerting.ModeActual, "C", 80, 200, true, "a3"),
		mk("f", "s1", alerting.IncidentPhone, "umts", alerting.ModeExercise, "B", 100, 101, true, "a4"),
	}
	incs[2].Wing = "A"
	if err := s.SaveIncidents(ctx, incs); err != nil {
		t.Fatal(err)
	}
	c.Set(at(300))
	must[alerting.Incident](t)(s.Ack(ctx, "c", "ann", ""))
	must[alerting.Incident](t)(s.Resolve(ctx, "d", "ann", alerting.ResolutionFalseAlarm, ""))
	if err := s.Shelve(ctx, "s1/a3", "tech", at(400), ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetOutOfService(ctx, "s1/a4", "tech", true, ""); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIncidentsFilter(t *testing.T) {
	ctx := context.Background()
	s := fixture(t)
	tests := []struct {
		name string
		f    Filter
		want string
	}{
		{"all, newest first", Filter{}, "fedcba"},
		{"site", Filter{Site: "s1"}, "fecba"},
		{"other site", Filter{Site: "s2"}, "d"},
		{"wing", Filter{Wing: "A"}, "dca"},
		{"kind", Filter{Kind: alerting.IncidentPhone}, "fdba"},
		{"sensor kind", Filter{Kind: alerting.IncidentSensorOffline}, "c"},
		{"class", Filter{Class: "gsm"}, "da"},
		{"mode", Filter{Mode: alerting.ModeTest}, "b"},
		{"sensor in any site", Filter{Sensor: "a1"}, "dca"},
		{"sensor in a site", Filter{Site: "s1", Sensor: "a1"}, "ca"},
		{"unacknowledged", Filter{Alarm: alerting.AlarmUnacknowledged}, "a"},
		{"acknowledged", Filter{Alarm: alerting.AlarmAcknowledged}, "c"},
		{"cleared-unacknowledged", Filter{Alarm: alerting.AlarmClearedUnacknowledged}, "b"},
		{"closed", Filter{Alarm: alerting.AlarmClosed}, "d"},
		{"shelved", Filter{Alarm: alerting.AlarmShelved}, "e"},
		{"out of service", Filter{Alarm: alerting.AlarmOutOfService}, "f"},
		{"open only", Filter{OpenOnly: true}, "fecba"},
		{"since", Filter{Since: at(65)}, "fed"},
		{"until", Filter{Until: at(30)}, "ba"},
		{"window", Filter{Since: at(25), Until: at(45)}, "cb"},
		{"window edges", Filter{Since: at(10), Until: at(20)}, "a"},
		{"limit", Filter{Limit: 2}, "fe"},
		{"page", Filter{Limit: 2, Offset: 2}, "dc"},
		{"offset only", Filter{Offset: 4}, "ba"},
		{"past the end", Filter{Offset: 10}, ""},
		{"combined", Filter{Site: "s1", Kind: alerting.IncidentPhone, OpenOnly: true}, "fba"},
		{"nothing", Filter{Site: "s3"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := must[[]alerting.Incident](t)(s.Incidents(ctx, tc.f))
			got := ""
			for _, i := range l {
				got += i.ID
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if l == nil {
				t.Error("nil slice: the JSON API would send null")
			}
		})
	}
}

func TestIncidentsFilterInvalid(t *testing.T) {
	s, _, _ := newStore(t)
	tests := []struct {
		name    string
		f       Filter
		wantErr string
	}{
		{"alarm", Filter{Alarm: "red"}, `store: incidents: filter: alarm "red" is not one of unacknowledged, acknowledged, cleared-unacknowledged, closed, shelved, out-of-service: invalid argument`},
		{"kind", Filter{Kind: "fire"}, `store: incidents: filter: kind "fire" is not one of phone, overload, sensor-offline, source-lost, tamper: invalid argument`},
		{"limit", Filter{Limit: -1}, "store: incidents: filter: limit -1 and offset 0 must not be negative: invalid argument"},
		{"offset", Filter{Offset: -5}, "store: incidents: filter: limit 0 and offset -5 must not be negative: invalid argument"},
		{"window", Filter{Since: at(10), Until: at(10)}, "store: incidents: filter: until 2026-03-01T22:10:00Z is not after since 2026-03-01T22:10:00Z: invalid argument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Incidents(context.Background(), tc.f)
			if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestDefaultLimit: Incidents caps at DefaultLimit, ExportCSV exports all.
func TestDefaultLimit(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	n := DefaultLimit + 100
	incs := make([]alerting.Incident, n)
	for i := range incs {
		incs[i] = phone(fmt.Sprintf("i%04d", i), t0.Add(time.Duration(i)*time.Second), false, "a1")
	}
	if err := s.SaveIncidents(ctx, incs); err != nil {
		t.Fatal(err)
	}
	l := must[[]alerting.Incident](t)(s.Incidents(ctx, Filter{}))
	if len(l) != DefaultLimit || l[0].ID != fmt.Sprintf("i%04d", n-1) {
		t.Errorf("Incidents: %d, first %s; want %d, newest first", len(l), l[0].ID, DefaultLimit)
	}
	recs := exportRecords(t, s, Filter{})
	if len(recs) != n+1 {
		t.Errorf("ExportCSV: %d records, want %d and a header", len(recs), n)
	}
	if !slices.Equal(recs[0], CSVHeader) {
		t.Errorf("header %q", recs[0])
	}
}
