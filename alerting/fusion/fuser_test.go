package fusion

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// t0 is the time base of the tests.
var t0 = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

func at(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }

// testSite has two wings 10 m apart, A south and B north, each 30 m × 10 m
// in 15 dB walls with a 30 dB fire wall across the middle, one sensor in
// each half of a wing listening to E-GSM 900, and a perimeter wall 20 m
// around.
func testSite() *Site {
	rect := func(x0, y0, x1, y1 float64) []Point { return []Point{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}} }
	s := &Site{
		Name:      "unit",
		Buildings: []Building{{Name: "main"}},
		Wings: []Wing{
			{Name: "A", Building: "main", Polygon: rect(0, 0, 30, 10)},
			{Name: "B", Building: "main", Polygon: rect(0, 20, 30, 30)},
		},
		Perimeter:       rect(-20, -20, 50, 50),
		PerimeterLossDB: 20,
	}
	for _, w := range s.Wings {
		p := w.Polygon
		for i := range p {
			s.Walls = append(s.Walls, Wall{Name: w.Name, A: p[i], B: p[(i+1)%len(p)], LossDB: 15})
		}
		s.Walls = append(s.Walls, Wall{Name: w.Name + "-fire", A: Point{15, p[0].Y}, B: Point{15, p[2].Y}, LossDB: 30})
	}
	band := []Band{{Name: "E-GSM900", LowHz: 880e6, HighHz: 915e6}}
	for _, sn := range []struct {
		id, wing string
		x, y     float64
	}{{"a1", "A", 7, 5}, {"a2", "A", 23, 5}, {"b1", "B", 7, 25}, {"b2", "B", 23, 25}} {
		s.Sensors = append(s.Sensors, Sensor{ID: sn.id, Wing: sn.wing, X: sn.x, Y: sn.y, Bands: band, FloorDBm: -110})
	}
	return s
}

// rxDBm is what a sensor of testSite receives from a phone of power p at
// (x, y), written out independently of the package: free space at 1 m at
// 902.4 MHz (31.55 dB), exponent 3, the height difference 1.5 m, 15 dB per
// wing wall, 30 dB for a fire wall and 20 dB for the perimeter wall
// crossed.
func rxDBm(s *Site, sensor string, x, y, p float64) float64 {
	var sn Sensor
	for _, c := range s.Sensors {
		if c.ID == sensor {
			sn = c
		}
	}
	d := math.Sqrt((x-sn.X)*(x-sn.X) + (y-sn.Y)*(y-sn.Y) + 1.5*1.5)
	loss := 31.55 + 30*math.Log10(d)
	// Horizontal wing walls at y = 0, 10, 20, 30 between x = 0 and 30;
	// vertical ones at x = 0 and 30 for 0 ≤ y ≤ 10 and 20 ≤ y ≤ 30.
	cross := func(a, b, c float64) bool { return (a < c) != (b < c) }
	for _, wy := range []float64{0, 10, 20, 30} {
		if cross(y, sn.Y, wy) {
			t := (wy - y) / (sn.Y - y)
			if xx := x + t*(sn.X-x); xx > 0 && xx < 30 {
				loss += 15
			}
		}
	}
	for _, wx := range []float64{0, 30} {
		if cross(x, sn.X, wx) {
			t := (wx - x) / (sn.X - x)
			if yy := y + t*(sn.Y-y); yy > 0 && yy < 10 || yy > 20 && yy < 30 {
				loss += 15
			}
		}
	}
	if cross(x, sn.X, 15) {
		t := (15 - x) / (sn.X - x)
		if yy := y + t*(sn.Y-y); yy > 0 && yy < 10 || yy > 20 && yy < 30 {
			loss += 30
		}
	}
	if x < -20 || x > 50 || y < -20 || y > 50 {
		loss += 20
	}
	return p - loss
}

// alert makes an alert event of a GSM emitter heard by a sensor.
func alert(sensor, id string, rev int, state string, first, last float64, dbm float64, freqs ...float64) *alerting.Alert {
	if len(freqs) == 0 {
		freqs = []float64{902.4e6}
	}
	return &alerting.Alert{
		Schema: alerting.SchemaAlert, Origin: alerting.Origin{Site: "unit", Sensor: sensor},
		ID: id, Rev: rev, State: state, Mode: alerting.ModeActual, Time: at(last),
		Class: "gsm", Kind: "call", FreqHz: freqs[0], FreqsHz: freqs, BandwidthHz: 200e3,
		FirstSeen: at(first), LastSeen: at(last), Bursts: 100,
		PowerDBm: alerting.Level(dbm), RecentDBm: alerting.Level(dbm), PowerDBFS: alerting.Unknown, SNR: alerting.Level(dbm + 113),
		Confidence: 1,
	}
}

func newTest(t testing.TB, cfg Config) *Fuser {
	t.Helper()
	f, err := New(testSite(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		name string
		site func(*Site)
		cfg  Config
		want string
	}{
		{"no name", func(s *Site) { s.Name = "" }, Config{}, "fusion: invalid site: name: missing"},
		{"grid", nil, Config{GridM: 0.1}, "fusion: grid 0.1 m: must be from 0.25 to 50 m"},
		{"slack", nil, Config{Slack: -time.Second}, "fusion: slack -1s: must be from 0 to 1h"},
		{"timeout", nil, Config{AlertTimeout: time.Millisecond}, "fusion: alert_timeout 1ms: must be from 1s to 24h"},
		{"max open", nil, Config{MaxOpen: -1}, "fusion: max_open -1: must be from 1 to 1048576"},
		{"strongest", nil, Config{StrongestConfidence: 2}, "fusion: strongest_confidence 2: must be in (0, 1]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := testSite()
			if c.site != nil {
				c.site(s)
			}
			_, err := New(s, c.cfg)
			if err == nil || err.Error() != c.want {
				t.Errorf("New: %v, want %q", err, c.want)
			}
		})
	}
	if _, err := New(nil, Config{}); err == nil {
		t.Error("New(nil): no error")
	}
}

// TestSameEmitter: alerts of several sensors become one incident when
// they can be one emitter, and stay apart when they cannot.
func TestSameEmitter(t *testing.T) {
	cases := []struct {
		name   string
		second *alerting.Alert
		want   int // incidents open after both alerts
	}{
		{"same channel, overlapping", alert("a2", "a2-1", 0, alerting.StateRaised, 1, 3, -80), 1},
		{"hopping sets intersect", alert("a2", "a2-1", 0, alerting.StateRaised, 1, 3, -80, 902.2e6, 902.4e6, 902.6e6), 1},
		{"within the slack", alert("a2", "a2-1", 0, alerting.StateRaised, 6, 9, -80), 1},
		{"other channel", alert("a2", "a2-1", 0, alerting.StateRaised, 1, 3, -80, 903.0e6), 2},
		{"adjacent channel", alert("a2", "a2-1", 0, alerting.StateRaised, 1, 3, -80, 902.6e6), 2},
		{"later than the slack", alert("a2", "a2-1", 0, alerting.StateRaised, 9, 12, -80), 2},
		{"same sensor, live", alert("a1", "a1-2", 0, alerting.StateRaised, 1, 3, -80), 2},
		{"other mode", func() *alerting.Alert {
			a := alert("a2", "a2-1", 0, alerting.StateRaised, 1, 3, -80)
			a.Mode = alerting.ModeTest
			return a
		}(), 2},
		{"other class", func() *alerting.Alert {
			a := alert("a2", "a2-1", 0, alerting.StateRaised, 1, 3, -80)
			a.Class = "lte"
			return a
		}(), 2},
		{"other site", func() *alerting.Alert {
			a := alert("a2", "a2-1", 0, alerting.StateRaised, 1, 3, -80)
			a.Site = "elsewhere"
			return a
		}(), 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newTest(t, Config{})
			f.Alert(alert("a1", "a1-1", 0, alerting.StateRaised, 0, 2, -60), at(2))
			f.Alert(c.second, at(3))
			open := f.Open()
			if len(open) != c.want {
				t.Fatalf("%d incidents, want %d: %+v", len(open), c.want, open)
			}
			if c.want == 1 && c.second.Site == "unit" {
				if n := len(open[0].Sensors); n != 2 {
					t.Errorf("incident has %d sensors, want 2", n)
				}
				if open[0].Sensors[0].Sensor != "a1" {
					t.Errorf("strongest sensor first: got %s", open[0].Sensors[0].Sensor)
				}
			}
		})
	}
}

// TestLTESpan: LTE alerts are the same emitter when their spectrum
// overlaps (one carrier), whatever channels each heard.
func TestLTESpan(t *testing.T) {
	lte := func(sensor, id string, lo, hi float64) *alerting.Alert {
		a := alert(sensor, id, 0, alerting.StateRaised, 0, 3, -70, lo, hi)
		a.Class, a.Kind, a.BandwidthHz = "lte", "data", hi-lo
		return a
	}
	cases := []struct {
		name   string
		lo, hi float64
		want   int
	}{
		{"overlapping", 902.0e6, 903.0e6, 1},
		{"inside", 901.5e6, 901.7e6, 1},
		{"apart", 905e6, 906e6, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newTest(t, Config{})
			f.Alert(lte("a1", "a1-1", 901.2e6, 902.3e6), at(3))
			f.Alert(lte("b1", "b1-1", c.lo, c.hi), at(3))
			if n := len(f.Open()); n != c.want {
				t.Errorf("%d incidents, want %d", n, c.want)
			}
		})
	}
}

// TestDuplicates: an event already taken (same id, rev not newer) changes
// nothing, including after the incident has closed.
func TestDuplicates(t *testing.T) {
	f := newTest(t, Config{})
	a := alert("a1", "a1-1", 0, alerting.StateRaised, 0, 2, -60)
	if got := f.Alert(a, at(2)); len(got) != 1 {
		t.Fatalf("raised: %d incidents changed", len(got))
	}
	if got := f.Alert(a, at(2.1)); len(got) != 0 {
		t.Errorf("redelivered raised changed %d incidents", len(got))
	}
	u := alert("a1", "a1-1", 2, alerting.StateUpdated, 0, 12, -61)
	if got := f.Alert(u, at(12)); len(got) != 1 {
		t.Fatalf("update: %d incidents changed", len(got))
	}
	old := alert("a1", "a1-1", 1, alerting.StateUpdated, 0, 8, -62)
	if got := f.Alert(old, at(12.5)); len(got) != 0 {
		t.Errorf("stale rev 1 after rev 2 changed %d incidents", len(got))
	}
	c := alert("a1", "a1-1", 3, alerting.StateCleared, 0, 12, -61)
	if got := f.Alert(c, at(42)); len(got) != 1 || got[0].Active {
		t.Fatalf("cleared: %+v", got)
	}
	f.Advance(at(42 + 61))
	if n := len(f.Open()); n != 0 {
		t.Fatalf("%d incidents open after CloseAfter", n)
	}
	if got := f.Alert(c, at(120)); len(got) != 0 {
		t.Errorf("redelivery after close reopened %d incidents", len(got))
	}
	if st := f.Stats(); st.Duplicates != 3 || st.Alerts != 3 {
		t.Errorf("stats %+v, want 3 duplicates of 3 alerts taken", st)
	}
}

// TestModeKept: incidents carry their alerts' mode.
func TestModeKept(t *testing.T) {
	f := newTest(t, Config{})
	a := alert("a1", "a1-1", 0, alerting.StateRaised, 0, 2, -60)
	a.Mode = alerting.ModeTest
	got := f.Alert(a, at(2))
	if len(got) != 1 || got[0].Mode != alerting.ModeTest {
		t.Fatalf("incident %+v, want mode test", got)
	}
	b := alert("a2", "a2-1", 0, alerting.StateRaised, 0, 2, -70)
	got = f.Alert(b, at(2))
	if len(got) != 1 || got[0].Mode != alerting.ModeActual || got[0].ID == f.Open()[0].ID && len(f.Open()) != 2 {
		t.Fatalf("actual alert joined a test incident: %+v", got)
	}
}

// TestLocalize places phones in the test site, computes what each sensor
// receives (the test's own path-loss arithmetic, shadow fading drawn
// here), and checks the wing the fuser finds.
func TestLocalize(t *testing.T) {
	s := testSite()
	cases := []struct {
		name    string
		x, y, p float64
		shadow  [4]float64 // per sensor a1 a2 b1 b2, dB
		wing    string
		outside bool
		method  string
	}{
		{"A west cell", 3, 2, 10, [4]float64{2, -3, 4, -1}, "A", false, "ml"},
		{"A east cell", 27, 8, 5, [4]float64{-4, 1, 0, 3}, "A", false, "ml"},
		{"B middle", 15, 26, 15, [4]float64{5, 0, -2, 2}, "B", false, "ml"},
		{"B corner, shadowed", 29, 29, 8, [4]float64{0, 0, -6, 6}, "B", false, "ml"},
		{"outside north", 15, 75, 33, [4]float64{1, -2, 2, -1}, "", true, "ml"},
		{"outside west", -45, 15, 33, [4]float64{-1, 2, 0, 1}, "", true, "ml"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newTest(t, Config{})
			var last []alerting.Incident
			heard := 0
			for i, sn := range s.Sensors {
				lv := rxDBm(s, sn.ID, c.x, c.y, c.p) + c.shadow[i]
				if lv < sn.FloorDBm {
					continue
				}
				heard++
				last = f.Alert(alert(sn.ID, sn.ID+"-1", 0, alerting.StateRaised, 0, 20, lv), at(20))
			}
			if heard < 2 {
				t.Fatalf("only %d sensors hear the phone: the case tests nothing", heard)
			}
			x := last[0]
			if x.Wing != c.wing || x.Outside != c.outside || x.Method != c.method {
				t.Errorf("wing %q outside %v method %s (confidence %.2f, %+v), want %q %v %s", x.Wing, x.Outside, x.Method, x.Confidence, x.Wings, c.wing, c.outside, c.method)
			}
			if x.Confidence < 0.6 || x.Margin <= 0 || x.RunnerUp == "" {
				t.Errorf("confidence %.3f margin %.3f runner-up %q: want a clear winner", x.Confidence, x.Margin, x.RunnerUp)
			}
			var sum float64
			for i, w := range x.Wings {
				sum += w.Probability
				if i > 0 && w.Probability > x.Wings[i-1].Probability {
					t.Errorf("wings not sorted: %+v", x.Wings)
				}
			}
			if math.Abs(sum-1) > 0.005 || len(x.Wings) != 3 {
				t.Errorf("probabilities %+v sum to %.3f over %d hypotheses, want 1 over A, B, outside", x.Wings, sum, len(x.Wings))
			}
			if !c.outside && (x.Building != "main" || x.Floor == nil || *x.Floor != 0) {
				t.Errorf("building %q floor %v, want main, 0", x.Building, x.Floor)
			}
		})
	}
}

// TestStrongest: one sensor with nothing else to go on gives its wing with
// a modest confidence; the same sensor with silent neighbours past the
// grace gives the model's answer.
func TestStrongest(t *testing.T) {
	f := newTest(t, Config{})
	got := f.Alert(alert("b2", "b2-1", 0, alerting.StateRaised, 0, 1, -70), at(1))
	x := got[0]
	if x.Method != "strongest" || x.Wing != "B" || x.Confidence != DefaultStrongestConfidence || x.Outside {
		t.Errorf("young single-sensor incident: %+v", x)
	}
	got = f.Alert(alert("b2", "b2-1", 1, alerting.StateUpdated, 0, 11, -70), at(11))
	x = got[0]
	if x.Method != "ml" || x.Wing != "B" || x.Confidence <= DefaultStrongestConfidence {
		t.Errorf("after the grace, with three silent sensors: method %s wing %s confidence %.2f", x.Method, x.Wing, x.Confidence)
	}

	// A sensor the site does not know: the wing it says it is in.
	f = newTest(t, Config{})
	a := alert("x9", "x9-1", 0, alerting.StateRaised, 0, 1, -70)
	a.Wing = "annex"
	got = f.Alert(a, at(1))
	if x := got[0]; x.Method != "strongest" || x.Wing != "annex" {
		t.Errorf("unknown sensor: method %s wing %q", x.Method, x.Wing)
	}
}

// TestClipped: a clipped level is a lower bound. a1 clips on a phone next
// to it (its true level far above the reported one); taken at face value
// the reported levels would put the phone between the sensors.
func TestClipped(t *testing.T) {
	f := newTest(t, Config{})
	a1 := alert("a1", "a1-1", 0, alerting.StateRaised, 0, 20, -55)
	a1.Clipped = true
	f.Alert(a1, at(20))
	got := f.Alert(alert("a2", "a2-1", 0, alerting.StateRaised, 0, 20, -95), at(20))
	x := got[0]
	if x.Wing != "A" || x.Method != "ml" {
		t.Fatalf("wing %q method %s", x.Wing, x.Method)
	}
	if !x.Sensors[0].Clipped || x.Sensors[0].Sensor != "a1" {
		t.Errorf("heard %+v: want a1 first, clipped", x.Sensors)
	}
}

// TestSilenceNeedsListening: a sensor that does not listen on the
// frequency, or is offline, says nothing by its silence.
func TestSilenceNeedsListening(t *testing.T) {
	cases := []struct {
		name   string
		freq   float64
		setup  func(f *Fuser)
		method string
	}{
		{"listening", 902.4e6, nil, "ml"},
		{"outside its bands", 1747.8e6, nil, "strongest"},
		{"others offline", 902.4e6, func(f *Fuser) {
			for _, id := range []string{"a1", "b1", "b2"} {
				f.Status(&alerting.Status{Schema: alerting.SchemaStatus, Origin: alerting.Origin{Site: "unit", Sensor: id}, State: "offline"}, at(0))
			}
		}, "strongest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newTest(t, Config{})
			if c.setup != nil {
				c.setup(f)
			}
			got := f.Alert(alert("a2", "a2-1", 0, alerting.StateRaised, 0, 30, -70, c.freq), at(30))
			if x := got[0]; x.Method != c.method || x.Wing != "A" {
				t.Errorf("method %s wing %s, want %s A", x.Method, x.Wing, c.method)
			}
		})
	}
}

// TestLearnedFloor: without a configured floor a sensor's silence counts
// once it has reported enough alerts to know its floor.
func TestLearnedFloor(t *testing.T) {
	s := testSite()
	for i := range s.Sensors {
		s.Sensors[i].FloorDBm = 0
	}
	f, err := New(s, Config{})
	if err != nil {
		t.Fatal(err)
	}
	alone := func(k int) string {
		id := fmt.Sprintf("a2-%d", k)
		f.Alert(alert("a2", id, 0, alerting.StateRaised, float64(100*k), float64(100*k+30), -70, 880e6+float64(k)*0.2e6), at(float64(100*k+30)))
		got := f.Alert(alert("a2", id, 1, alerting.StateCleared, float64(100*k), float64(100*k+30), -70, 880e6+float64(k)*0.2e6), at(float64(100*k+60)))
		return got[0].Method
	}
	if m := alone(0); m != "strongest" {
		t.Errorf("no floor known: method %s", m)
	}
	// Every sensor reports weak alerts: floors become known.
	for k := 1; k <= minFloorAlerts; k++ {
		for _, sn := range s.Sensors {
			f.Alert(alert(sn.ID, fmt.Sprintf("%s-w%d", sn.ID, k), 0, alerting.StateRaised, float64(1000*k), float64(1000*k+1), -108, 911e6), at(float64(1000*k+1)))
		}
	}
	if fl := f.floorOf(0, "gsm"); fl != -108 {
		t.Errorf("learned floor of a1 %g, want −108", fl)
	}
	if m := alone(100); m != "ml" {
		t.Errorf("floors learned: method %s", m)
	}
}

// TestLinking: a phone that comes back on its channel in its wing is
// linked to its earlier incident, within LinkWithin only.
func TestLinking(t *testing.T) {
	day := 24 * 3600.0
	cases := []struct {
		name   string
		after  float64 // s after the first ended
		freq   float64
		sensor string
		linked bool
	}{
		{"next day, same channel", day, 902.4e6, "a1", true},
		{"an hour later, other sensor of the wing", 3600, 902.4e6, "a2", true},
		{"other channel", day, 903.0e6, "a1", false},
		{"other wing", day, 902.4e6, "b1", false},
		{"after 15 days", 15 * day, 902.4e6, "a1", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newTest(t, Config{})
			f.Alert(alert("a1", "a1-1", 0, alerting.StateRaised, 0, 20, -60), at(20))
			first := f.Alert(alert("a1", "a1-1", 1, alerting.StateCleared, 0, 20, -60), at(50))[0]
			if first.Wing != "A" {
				t.Fatalf("first incident in wing %q", first.Wing)
			}
			f.Advance(at(200))
			if n := len(f.Open()); n != 0 {
				t.Fatalf("%d open", n)
			}
			s := 20 + c.after
			got := f.Alert(alert(c.sensor, c.sensor+"-2", 0, alerting.StateRaised, s, s+30, -60, c.freq), at(s+30))
			x := got[0]
			if x.ID == first.ID {
				t.Fatalf("same id %s for both", x.ID)
			}
			if (x.LinkedTo == first.ID) != c.linked || !c.linked && x.LinkedTo != "" {
				t.Errorf("LinkedTo %q, want linked=%v to %s", x.LinkedTo, c.linked, first.ID)
			}
		})
	}
}

// TestLinkBeforeClose: a phone back a minute later, while the first
// incident is still in Open but ended, links to it too.
func TestLinkBeforeClose(t *testing.T) {
	f := newTest(t, Config{CloseAfter: time.Hour})
	f.Alert(alert("a1", "a1-1", 0, alerting.StateRaised, 0, 20, -60), at(20))
	first := f.Alert(alert("a1", "a1-1", 1, alerting.StateCleared, 0, 20, -60), at(50))[0]
	x := f.Alert(alert("a1", "a1-2", 0, alerting.StateRaised, 80, 110, -60), at(110))[0]
	if x.ID == first.ID || x.LinkedTo != first.ID {
		t.Errorf("second %s linked to %q, want a new incident linked to %s", x.ID, x.LinkedTo, first.ID)
	}
}

// TestLifecycle: an incident is active while an alert is, ends when the
// last clears (or times out), and leaves Open after CloseAfter.
func TestLifecycle(t *testing.T) {
	f := newTest(t, Config{})
	f.Alert(alert("a1", "a1-1", 0, alerting.StateRaised, 0, 2, -60), at(2))
	f.Alert(alert("a2", "a2-1", 0, alerting.StateRaised, 0, 2, -75), at(2))
	x := f.Alert(alert("a1", "a1-1", 1, alerting.StateCleared, 0, 5, -60), at(35))[0]
	if !x.Active || x.Alarm != alerting.AlarmUnacknowledged {
		t.Errorf("one alert left: active %v alarm %s", x.Active, x.Alarm)
	}
	if got := f.Advance(at(2 + 119)); len(got) != 0 {
		t.Errorf("before the timeout: %d changed", len(got))
	}
	got := f.Advance(at(2 + 121))
	if len(got) != 1 || got[0].Active || got[0].Alarm != alerting.AlarmClearedUnacknowledged {
		t.Fatalf("after the alert timeout: %+v", got)
	}
	if f.Stats().TimedOut != 1 {
		t.Errorf("stats %+v", f.Stats())
	}
	f.Advance(at(2 + 121 + 59))
	if len(f.Open()) != 1 {
		t.Errorf("closed before CloseAfter")
	}
	f.Advance(at(2 + 121 + 61))
	if len(f.Open()) != 0 {
		t.Errorf("still open after CloseAfter")
	}
}

// TestIDs: the same input gives the same ids; ids are unique.
func TestIDs(t *testing.T) {
	run := func() []string {
		f := newTest(t, Config{})
		var ids []string
		// Two phones on one channel starting in the same millisecond, heard
		// by one sensor each (one sensor cannot have two live alerts in an
		// incident, so they stay apart).
		for i, sn := range []string{"a1", "a1", "b2"} {
			for _, x := range f.Alert(alert(sn, fmt.Sprintf("%s-%d", sn, i), 0, alerting.StateRaised, 0, 1, -60), at(1)) {
				if !slices.Contains(ids, x.ID) {
					ids = append(ids, x.ID)
				}
			}
		}
		return ids
	}
	a, b := run(), run()
	if !slices.Equal(a, b) {
		t.Errorf("ids differ between runs: %v, %v", a, b)
	}
	if len(a) != 2 || a[0] == a[1] || !strings.HasPrefix(a[0], "unit-gsm-20260302T010000.000Z-902400") {
		t.Errorf("ids %v", a)
	}
}

// TestBounded: the open set never passes MaxOpen; the oldest is closed.
func TestBounded(t *testing.T) {
	f := newTest(t, Config{MaxOpen: 8, MaxHistory: 16})
	for i := range 100 {
		s := float64(i * 100)
		f.Alert(alert("a1", fmt.Sprintf("a1-%d", i), 0, alerting.StateRaised, s, s+1, -60, 880e6+float64(i%50)*200e3), at(s+1))
		if n := len(f.Open()); n > 8 {
			t.Fatalf("%d open after %d alerts", n, i+1)
		}
	}
	st := f.Stats()
	hist := 0
	for _, r := range f.history {
		hist += len(r.e)
	}
	if st.Evicted != 92 || st.Open != 8 || len(f.alerts) != 8 || hist != 16 || len(f.history) != 1 {
		t.Errorf("stats %+v, %d alerts kept, %d history in %d places", st, len(f.alerts), hist, len(f.history))
	}
}

// TestSensorIncidents: offline, silence, blindness, tamper and overload.
func TestSensorIncidents(t *testing.T) {
	origin := alerting.Origin{Site: "unit", Sensor: "b1"}
	status := func(state, reason string) *alerting.Status {
		return &alerting.Status{Schema: alerting.SchemaStatus, Origin: origin, State: state, Reason: reason}
	}
	health := func(state string, src string, events ...string) *alerting.Health {
		return &alerting.Health{Schema: alerting.SchemaHealth, Origin: origin, State: state, Mode: alerting.ModeActual,
			Sources: []alerting.SourceHealth{{Name: "dongle0", State: src, Error: "usb error"}}, Events: events}
	}
	type step struct {
		at     float64
		do     func(f *Fuser, now time.Time) []alerting.Incident
		kind   string
		active bool
		detail string
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"last will", []step{
			{0, func(f *Fuser, n time.Time) []alerting.Incident {
				return f.Status(status("offline", "connection lost"), n)
			}, alerting.IncidentSensorOffline, true, "offline: connection lost"},
			{60, func(f *Fuser, n time.Time) []alerting.Incident { return f.Status(status("online", ""), n) }, alerting.IncidentSensorOffline, false, "offline: connection lost; back online"},
		}},
		{"health silent", []step{
			{0, func(f *Fuser, n time.Time) []alerting.Incident { return f.Health(health("ok", "streaming"), n) }, "", false, ""},
			{10, func(f *Fuser, n time.Time) []alerting.Incident { return f.Health(health("ok", "streaming"), n) }, "", false, ""},
			{39, func(f *Fuser, n time.Time) []alerting.Incident { return f.Advance(n) }, "", false, ""},
			{41, func(f *Fuser, n time.Time) []alerting.Incident { return f.Advance(n) }, alerting.IncidentSensorOffline, true, "health silent since 2026-03-02T01:00:10Z (3 intervals of 10s)"},
			{50, func(f *Fuser, n time.Time) []alerting.Incident { return f.Health(health("ok", "streaming"), n) }, alerting.IncidentSensorOffline, false, "health silent since 2026-03-02T01:00:10Z (3 intervals of 10s); health again"},
		}},
		{"source lost", []step{
			{0, func(f *Fuser, n time.Time) []alerting.Incident { return f.Health(health("degraded", "lost"), n) }, alerting.IncidentSourceLost, true, "dongle0 lost: usb error"},
			{30, func(f *Fuser, n time.Time) []alerting.Incident { return f.Health(health("ok", "streaming"), n) }, alerting.IncidentSourceLost, false, "dongle0 lost: usb error; sources back"},
		}},
		{"blind", []step{
			{0, func(f *Fuser, n time.Time) []alerting.Incident { return f.Health(health("blind", "reopening"), n) }, alerting.IncidentSourceLost, true, "sensor blind"},
		}},
		{"tamper", []step{
			{0, func(f *Fuser, n time.Time) []alerting.Incident {
				return f.Health(health("ok", "streaming", "tamper: enclosure opened"), n)
			}, alerting.IncidentTamper, true, "tamper: enclosure opened"},
			{30, func(f *Fuser, n time.Time) []alerting.Incident { return f.Health(health("ok", "streaming"), n) }, alerting.IncidentTamper, false, "tamper: enclosure opened"},
		}},
		{"overload", []step{
			{2, func(f *Fuser, n time.Time) []alerting.Incident {
				a := alert("b1", "b1-ov", 0, alerting.StateRaised, 0, 2, -20, 902.4e6)
				a.Class = "overload"
				return f.Alert(a, n)
			}, alerting.IncidentOverload, true, "receiver overloaded: jammer or a radio keyed at the antenna suspected"},
			{40, func(f *Fuser, n time.Time) []alerting.Incident {
				a := alert("b1", "b1-ov", 1, alerting.StateCleared, 0, 10, -20, 902.4e6)
				a.Class = "overload"
				return f.Alert(a, n)
			}, alerting.IncidentOverload, false, "receiver overloaded: jammer or a radio keyed at the antenna suspected"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newTest(t, Config{})
			var id string
			for i, s := range c.steps {
				got := s.do(f, at(s.at))
				if s.kind == "" {
					if len(got) != 0 {
						t.Fatalf("step %d: %+v, want nothing", i, got)
					}
					continue
				}
				if len(got) != 1 {
					t.Fatalf("step %d: %d incidents, want 1: %+v", i, len(got), got)
				}
				x := got[0]
				if x.Kind != s.kind || x.Active != s.active || x.Detail != s.detail || x.Sensor != "b1" || x.Wing != "B" || x.Method != "sensor" {
					t.Errorf("step %d: %s active %v detail %q sensor %s wing %s method %s", i, x.Kind, x.Active, x.Detail, x.Sensor, x.Wing, x.Method)
				}
				if id != "" && x.ID != id {
					t.Errorf("step %d: id %s, was %s", i, x.ID, id)
				}
				id = x.ID
			}
		})
	}
}

// TestOfflineNotSilent: an overloaded sensor's silence is not evidence.
func TestOverloadedNotSilent(t *testing.T) {
	f := newTest(t, Config{})
	for _, id := range []string{"a1", "b1", "b2"} {
		a := alert(id, id+"-ov", 0, alerting.StateRaised, 0, 30, -20)
		a.Class = "overload"
		f.Alert(a, at(30))
	}
	got := f.Alert(alert("a2", "a2-1", 0, alerting.StateRaised, 0, 30, -70), at(30))
	var x alerting.Incident
	for _, y := range got {
		if y.Kind == alerting.IncidentPhone {
			x = y
		}
	}
	if x.Method != "strongest" {
		t.Errorf("method %s: overloaded sensors counted as silent", x.Method)
	}
}

// TestHealthPeriod: the learned health period survives extra health
// messages (sent when a source is lost or back) and is not stretched by
// the gap of an offline spell; until learned it is the configured one.
func TestHealthPeriod(t *testing.T) {
	h := &alerting.Health{Schema: alerting.SchemaHealth, Origin: alerting.Origin{Site: "unit", Sensor: "a1"}, State: "ok", Mode: alerting.ModeActual}
	cases := []struct {
		name    string
		healths []float64 // s
		quiet   float64   // s after the last health when Advance is called
		offline bool
	}{
		{"regular, 25 s quiet", []float64{0, 10, 20, 30}, 25, false},
		{"regular, 31 s quiet", []float64{0, 10, 20, 30}, 31, true},
		{"extra healths, 25 s quiet", []float64{0, 10, 20, 21, 22, 23, 24, 25, 30}, 25, false},
		{"back after an hour, 31 s quiet", []float64{0, 10, 20, 3620, 3630, 3640}, 31, true},
		{"period 2 min as configured, 5 min quiet", []float64{0, 120, 240}, 300, false},
		{"period 2 min as configured, 7 min quiet", []float64{0, 120, 240}, 420, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Config{}
			if strings.HasPrefix(c.name, "period 2 min") {
				cfg.HealthInterval = 2 * time.Minute
			}
			f := newTest(t, cfg)
			for _, s := range c.healths {
				f.Advance(at(s)) // as the console does, before the message
				f.Health(h, at(s))
			}
			last := c.healths[len(c.healths)-1]
			got := f.Advance(at(last + c.quiet))
			if (len(got) == 1 && got[0].Kind == alerting.IncidentSensorOffline) != c.offline {
				t.Errorf("after %g s quiet: %+v, want offline %v", c.quiet, got, c.offline)
			}
		})
	}
}

// TestBridgingAlert: an alert whose channels span two incidents (the
// tracker took two calls for one hopping call) joins the one on the
// channel it heard most, even when the other has more sensors.
func TestBridgingAlert(t *testing.T) {
	f := newTest(t, Config{})
	f.Alert(alert("a1", "a1-1", 0, alerting.StateRaised, 0, 3, -60, 902.8e6), at(3))
	f.Alert(alert("b1", "b1-1", 0, alerting.StateRaised, 0, 3, -90, 903.2e6), at(3))
	f.Alert(alert("b2", "b2-1", 0, alerting.StateRaised, 0, 3, -92, 903.2e6), at(3))
	got := f.Alert(alert("a2", "a2-1", 0, alerting.StateRaised, 0, 3, -85, 902.8e6, 903.2e6), at(3))
	if len(got) != 1 || got[0].FreqHz != 902.8e6 || len(got[0].Sensors) != 2 {
		t.Errorf("bridging alert joined %+v, want the 902.8 MHz incident of a1", got)
	}
}
