package web

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

func TestCentroid(t *testing.T) {
	for _, tc := range []struct {
		name   string
		poly   [][2]float64
		cx, cy float64
	}{
		{"square", [][2]float64{{0, 0}, {10, 0}, {10, 10}, {0, 10}}, 5, 5},
		{"clockwise", [][2]float64{{0, 0}, {0, 10}, {10, 10}, {10, 0}}, 5, 5},
		{"L shape", [][2]float64{{0, 0}, {20, 0}, {20, 10}, {10, 10}, {10, 30}, {0, 30}}, 7.5, 12.5},
		{"triangle", [][2]float64{{0, 0}, {9, 0}, {0, 6}}, 3, 2},
		{"degenerate: vertex mean", [][2]float64{{0, 0}, {5, 5}, {10, 10}}, 5, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, y := centroid(tc.poly)
			if math.Abs(x-tc.cx) > 1e-9 || math.Abs(y-tc.cy) > 1e-9 {
				t.Errorf("centroid (%v, %v), want (%v, %v)", x, y, tc.cx, tc.cy)
			}
		})
	}
}

func TestPlans(t *testing.T) {
	s := &Server{cfg: Config{Plan: testPlan()}, sensors: map[string]SensorPlan{}, wings: map[string]Wing{}}
	for _, w := range s.cfg.Plan.Wings {
		s.wings[w.Name] = w
	}
	now := time.Now()
	open := []*incidentView{
		{Incident: alerting.Incident{ID: "1", Wing: "A", Alarm: alerting.AlarmAcknowledged}},
		{Incident: alerting.Incident{ID: "2", Wing: "A", Alarm: alerting.AlarmUnacknowledged}},
		{Incident: alerting.Incident{ID: "3", Wing: "B", Alarm: alerting.AlarmShelved}},
		{Incident: alerting.Incident{ID: "4", Outside: true, Alarm: alerting.AlarmUnacknowledged}},
		{Incident: alerting.Incident{ID: "5", Alarm: alerting.AlarmClearedUnacknowledged}},
	}
	states := map[string]SensorState{
		"sA": {ID: "sA", Online: true, LastSeen: now},
		"sB": {ID: "sB", Online: false, LastSeen: now.Add(-time.Hour)},
	}
	plans := s.plans(open, states, now)
	if len(plans) != 1 || plans[0].Title != "Main · floor 1" || len(plans[0].Wings) != 3 || len(plans[0].Sensors) != 3 {
		t.Fatalf("plans %+v", plans)
	}
	p := plans[0]
	for _, tc := range []struct {
		wing, alarm, summary string
	}{
		{"A", alerting.AlarmUnacknowledged, "2 open · 1 to acknowledge"},
		{"B", alerting.AlarmShelved, "1 open · shelved"},
		{"C", "", "No open incident"},
	} {
		var w wingView
		for _, x := range p.Wings {
			if x.Name == tc.wing {
				w = x
			}
		}
		if w.Alarm != tc.alarm || w.Summary != tc.summary {
			t.Errorf("wing %s: alarm %q summary %q, want %q %q", tc.wing, w.Alarm, w.Summary, tc.alarm, tc.summary)
		}
	}
	// Wing A is x 0..20, y 0..30 m in a 60 × 30 m building: in SVG units
	// (x right, y down) its left edge is at the padding, its top at y = pad.
	if !strings.HasPrefix(p.Wings[0].Points, "58.8,500 352.9,500 352.9,58.8 58.8,58.8") {
		t.Errorf("wing A points %q", p.Wings[0].Points)
	}
	for _, d := range p.Sensors {
		want := map[string]string{"sA": statusOK, "sB": statusOffline, "sC": statusNeverSeen}[d.ID]
		if d.Status != want {
			t.Errorf("sensor %s drawn %q, want %q", d.ID, d.Status, want)
		}
	}
	u := summarizeUndrawn(open)
	if u.Outside != 1 || u.OutsideAlarm != alerting.AlarmUnacknowledged || u.NoWing != 1 || u.NoWingAlarm != alerting.AlarmClearedUnacknowledged {
		t.Errorf("undrawn %+v", u)
	}
}

func TestCoverageGaps(t *testing.T) {
	plan := testPlan()
	plan.Sensors[1].NotHeard = append(plan.Sensors[1].NotHeard, BandGap{Band: "B3 1800 MHz", Why: "antenna cut for 900 MHz"})
	s := &Server{cfg: Config{Plan: plan}}
	got := s.coverageGaps()
	if len(got) != 2 {
		t.Fatalf("gaps %+v", got)
	}
	if got[0].Band != "B1 2100 MHz" || got[0].Sensors != nil {
		t.Errorf("a gap of every sensor: %+v, want no sensor list", got[0])
	}
	if got[1].Band != "B3 1800 MHz" || len(got[1].Sensors) != 1 || got[1].Sensors[0] != "sB" {
		t.Errorf("a gap of one sensor: %+v", got[1])
	}
}

func TestSensorStatus(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name  string
		st    SensorState
		known bool
		want  string
	}{
		{"not in the store", SensorState{}, false, statusNeverSeen},
		{"declared, never heard", SensorState{}, true, statusNeverSeen},
		{"ok", SensorState{Online: true, LastSeen: now, Health: &alerting.Health{State: "ok"}}, true, statusOK},
		{"degraded", SensorState{Online: true, LastSeen: now, Health: &alerting.Health{State: "degraded"}}, true, statusDegraded},
		{"blind", SensorState{Online: true, LastSeen: now, Health: &alerting.Health{State: "blind"}}, true, statusBlind},
		{"offline", SensorState{Online: false, LastSeen: now}, true, statusOffline},
		{"shelved beats offline", SensorState{LastSeen: now, ShelvedUntil: now.Add(time.Hour)}, true, statusShelved},
		{"shelving over", SensorState{Online: true, LastSeen: now, ShelvedUntil: now.Add(-time.Second)}, true, statusOK},
		{"out of service beats all", SensorState{OutOfService: true, ShelvedUntil: now.Add(time.Hour)}, true, statusOutOfService},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := sensorStatus(tc.st, tc.known, now); got != tc.want {
				t.Errorf("status %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWhereabouts(t *testing.T) {
	floor := 2
	for _, tc := range []struct {
		name string
		inc  alerting.Incident
		want string
	}{
		{"ml with runner-up", alerting.Incident{Wing: "B", Building: "Main", Floor: &floor, Confidence: 0.64, RunnerUp: "C", Margin: 0.40, Method: "ml"},
			"B, Main, floor 2 · 64 % · runner-up C 24 %"},
		{"one sensor", alerting.Incident{Wing: "A", Confidence: 1, Method: "strongest"}, "A · 100 % (one sensor only: its wing)"},
		{"sensor incident", alerting.Incident{Wing: "C", Method: "sensor"}, "C (where the sensor hangs)"},
		{"outside", alerting.Incident{Outside: true, Confidence: 0.91}, "Probably outside the walls (91 %)"},
		{"unknown", alerting.Incident{}, "Wing unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := whereabouts(tc.inc); got != tc.want {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
}

func TestSortForLive(t *testing.T) {
	t0 := time.Now()
	v := []*incidentView{
		{Incident: alerting.Incident{ID: "acked-new", Alarm: alerting.AlarmAcknowledged, LastSeen: t0}},
		{Incident: alerting.Incident{ID: "unack-old", Alarm: alerting.AlarmUnacknowledged, LastSeen: t0.Add(-time.Hour)}},
		{Incident: alerting.Incident{ID: "shelved", Alarm: alerting.AlarmShelved, LastSeen: t0}},
		{Incident: alerting.Incident{ID: "cleared", Alarm: alerting.AlarmClearedUnacknowledged, LastSeen: t0}},
		{Incident: alerting.Incident{ID: "unack-new", Alarm: alerting.AlarmUnacknowledged, LastSeen: t0}},
	}
	sortForLive(v)
	var got []string
	for _, x := range v {
		got = append(got, x.ID)
	}
	if want := "unack-new unack-old cleared acked-new shelved"; strings.Join(got, " ") != want {
		t.Errorf("order %v, want %s", got, want)
	}
}
