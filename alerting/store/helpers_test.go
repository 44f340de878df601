package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// t0 is the start of every test's clock.
var t0 = time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newStore opens a fresh store in a temporary directory with a test clock
// at t0.
func newStore(t testing.TB) (*Store, *clock, string) {
	t.Helper()
	c := &clock{t: t0}
	path := filepath.Join(t.TempDir(), "console.db")
	s, err := Open(path, Options{Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, c, path
}

// phone makes a phone incident heard by the given sensors of site "s1".
func phone(id string, first time.Time, active bool, sensors ...string) alerting.Incident {
	inc := alerting.Incident{
		Schema: alerting.SchemaIncident, ID: id, Site: "s1", Kind: alerting.IncidentPhone,
		Mode: alerting.ModeActual, Class: "gsm", FreqHz: 902.4e6, FreqsHz: []float64{902.4e6, 903e6},
		Wing: "A", Building: "main", Confidence: 0.9, RunnerUp: "B", Margin: 0.8, Method: "ml",
		Wings:     []alerting.WingScore{{Wing: "A", Probability: 0.9}, {Wing: "B", Probability: 0.1}},
		FirstSeen: first, LastSeen: first.Add(time.Minute), Active: active,
	}
	for i, s := range sensors {
		inc.Sensors = append(inc.Sensors, alerting.Heard{
			Sensor: s, Wing: "A", AlertID: fmt.Sprintf("s1.%s-gsm-%d", s, i), PowerDBm: alerting.Level(-60 - i),
			Bursts: 10 + i, LastSeen: first.Add(time.Minute),
		})
	}
	return inc
}

// sensorIncident makes a sensor incident of site "s1".
func sensorIncident(id, kind, sensor string, first time.Time, active bool) alerting.Incident {
	return alerting.Incident{
		Schema: alerting.SchemaIncident, ID: id, Site: "s1", Kind: kind, Mode: alerting.ModeActual,
		Wing: "B", Method: "sensor", Confidence: 1, Sensor: sensor, Detail: "last will: connection lost",
		FirstSeen: first, LastSeen: first, Active: active,
	}
}

// alert makes an alert event of sensor sn.
func alert(id string, rev int, sn string, tm time.Time) *alerting.Alert {
	state := alerting.StateUpdated
	if rev == 0 {
		state = alerting.StateRaised
	}
	return &alerting.Alert{
		Schema: alerting.SchemaAlert, Origin: alerting.Origin{Site: "s1", Sensor: sn, Wing: "A"},
		ID: id, Rev: rev, State: state, Mode: alerting.ModeActual, Time: tm, Class: "gsm",
		FreqHz: 902.4e6, BandwidthHz: 200e3, FirstSeen: tm.Add(-time.Second), LastSeen: tm, Bursts: 5 + rev,
		PowerDBm: -61.25, RecentDBm: -62.5, PowerDBFS: -20, SNR: alerting.Unknown, Confidence: 0.8,
	}
}

// declare records sensors of site "s1".
func declare(t testing.TB, s *Store, sensors ...string) {
	t.Helper()
	for _, sn := range sensors {
		if err := s.DeclareSensor(context.Background(), "s1", sn, "A", "main"); err != nil {
			t.Fatal(err)
		}
	}
}

func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
