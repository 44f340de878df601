package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

func status(sn, state, reason string, tm time.Time) *alerting.Status {
	return &alerting.Status{Schema: alerting.SchemaStatus, Origin: alerting.Origin{Site: "s1", Sensor: sn, Wing: "A"},
		State: state, Time: tm, Reason: reason, Version: "1.0"}
}

func health(sn string, tm time.Time, state string) *alerting.Health {
	temp := 51.5
	return &alerting.Health{Schema: alerting.SchemaHealth, Origin: alerting.Origin{Site: "s1", Sensor: sn},
		Time: tm, State: state, TempC: &temp, Queue: alerting.QueueHealth{Depth: 3},
		Bands: []alerting.BandHealth{{Band: "gsm900", CenterHz: 897.5e6, FloorDBFS: -48.25}}}
}

// TestSensorStatusHealth walks a sensor's life: statuses apply in order of
// arrival (the last will carries its connection's time), stale health is
// ignored, last seen only moves forward.
func TestSensorStatusHealth(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	t1, t2, t3 := t0.Add(time.Minute), t0.Add(2*time.Minute), t0.Add(3*time.Minute)
	type want struct {
		online      bool
		reason      string
		lastSeen    time.Time
		healthState string // "" for no health
		healthTime  time.Time
		wing        string
	}
	steps := []struct {
		name string
		do   func() error
		want want
	}{
		{"online", func() error { return s.SaveStatus(ctx, status("a1", "online", "", t1)) },
			want{true, "", t1, "", time.Time{}, "A"}},
		{"health", func() error { return s.SaveHealth(ctx, health("a1", t2, "ok")) },
			want{true, "", t2, "ok", t2, "A"}},
		{"stale health redelivered", func() error { return s.SaveHealth(ctx, health("a1", t1, "blind")) },
			want{true, "", t2, "ok", t2, "A"}},
		{"last will with the connect time", func() error { return s.SaveStatus(ctx, status("a1", "offline", "connection lost", t1)) },
			want{false, "connection lost", t2, "ok", t2, "A"}},
		{"back online, moved wing", func() error {
			st := status("a1", "online", "", t3)
			st.Wing = "B"
			return s.SaveStatus(ctx, st)
		}, want{true, "", t3, "ok", t2, "B"}},
		{"health without wing keeps it", func() error { return s.SaveHealth(ctx, health("a1", t3, "degraded")) },
			want{true, "", t3, "degraded", t3, "B"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if err := st.do(); err != nil {
				t.Fatal(err)
			}
			l := must[[]Sensor](t)(s.Sensors(ctx, "s1"))
			if len(l) != 1 {
				t.Fatalf("%d sensors", len(l))
			}
			x := l[0]
			hs, ht := "", time.Time{}
			if x.Health != nil {
				hs, ht = x.Health.State, x.Health.Time
				if *x.Health.TempC != 51.5 || x.Health.Bands[0].FloorDBFS != -48.25 || x.Health.Queue.Depth != 3 {
					t.Errorf("health read back %+v", x.Health)
				}
			}
			got := want{x.Online, x.Reason, x.LastSeen, hs, ht, x.Wing}
			if got.online != st.want.online || got.reason != st.want.reason || !got.lastSeen.Equal(st.want.lastSeen) ||
				got.healthState != st.want.healthState || !got.healthTime.Equal(st.want.healthTime) || got.wing != st.want.wing {
				t.Errorf("got %+v, want %+v", got, st.want)
			}
		})
	}
}

func TestSensorsInvalid(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	tests := []struct {
		name    string
		do      func() error
		wantErr string
	}{
		{"status state", func() error { return s.SaveStatus(ctx, status("a1", "sleeping", "", t0)) },
			`store: ingest: status of s1/a1: state "sleeping" is not online or offline: invalid argument`},
		{"status site", func() error { st := status("a1", "online", "", t0); st.Site = ""; return s.SaveStatus(ctx, st) },
			`store: ingest: status 0: status of sensor "a1": empty site: invalid argument`},
		{"health sensor", func() error { h := health("", t0, "ok"); return s.SaveHealth(ctx, h) },
			"store: ingest: health 0: health of site s1: empty sensor: invalid argument"},
		{"health time", func() error { return s.SaveHealth(ctx, health("a1", time.Time{}, "ok")) },
			"store: ingest: health of s1/a1: time is zero: invalid argument"},
		{"slash", func() error { return s.SaveStatus(ctx, status("a/1", "online", "", t0)) },
			"store: ingest: status 0: status of s1/a/1: '/' in a site or sensor name: invalid argument"},
		{"declare", func() error { return s.DeclareSensor(ctx, "", "a1", "", "") },
			`store: declaration of sensor "a1": empty site: invalid argument`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
	if l := must[[]Sensor](t)(s.Sensors(ctx, "")); len(l) != 0 {
		t.Errorf("refused messages stored sensors: %+v", l)
	}
}

// TestSensorsList: declared sensors show before they are heard; the list
// is by site and id, and per site.
func TestSensorsList(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	for _, d := range [][2]string{{"s2", "b1"}, {"s1", "a2"}, {"s1", "a1"}} {
		if err := s.DeclareSensor(ctx, d[0], d[1], "W", "main"); err != nil {
			t.Fatal(err)
		}
	}
	// Declaring again without a wing keeps it.
	if err := s.DeclareSensor(ctx, "s1", "a1", "", ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		site string
		want []string
	}{{"", []string{"s1/a1", "s1/a2", "s2/b1"}}, {"s1", []string{"s1/a1", "s1/a2"}}, {"s3", nil}}
	for _, tc := range tests {
		t.Run("site "+tc.site, func(t *testing.T) {
			l := must[[]Sensor](t)(s.Sensors(ctx, tc.site))
			var got []string
			for _, x := range l {
				got = append(got, x.Site+"/"+x.ID)
				if x.Online || !x.LastSeen.IsZero() || x.Health != nil || x.Wing != "W" || x.Building != "main" {
					t.Errorf("declared sensor %+v", x)
				}
			}
			if len(got) != len(tc.want) || (len(got) > 0 && got[len(got)-1] != tc.want[len(tc.want)-1]) || (len(got) > 0 && got[0] != tc.want[0]) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseSensorRef(t *testing.T) {
	tests := []struct {
		in, site, sensor string
		ok               bool
	}{
		{"a1", "", "a1", true},
		{"s1/a1", "s1", "a1", true},
		{"", "", "", false},
		{"/a1", "", "", false},
		{"s1/", "", "", false},
		{"s1/a1/x", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			site, sensor, err := parseSensorRef(tc.in)
			if (err == nil) != tc.ok || site != tc.site || sensor != tc.sensor {
				t.Fatalf("got %q %q %v", site, sensor, err)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("err %v does not wrap ErrInvalid", err)
			}
		})
	}
}

func FuzzParseSensorRef(f *testing.F) {
	for _, s := range []string{"a1", "s1/a1", "", "/a1", "s1/", "s1/a1/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		site, sensor, err := parseSensorRef(ref)
		if err != nil {
			return
		}
		// What it accepts names the same thing when written back.
		back := sensor
		if site != "" {
			back = site + "/" + sensor
		}
		if back != ref || sensor == "" {
			t.Fatalf("%q parsed as site %q sensor %q", ref, site, sensor)
		}
	})
}
