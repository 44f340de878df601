package fusion

import (
	"slices"
	"testing"

	"github.com/cellsentry/cellsentry/alerting"
)

// TestMerge: two open incidents that prove to be one emitter (an update
// widens an alert's channels, spectrum or time until they match) become
// one: the older survives with every alert, the younger ends merged into
// it.
func TestMerge(t *testing.T) {
	lte := func(a *alerting.Alert, lo, hi float64) *alerting.Alert {
		a.Class, a.Kind, a.FreqHz, a.FreqsHz, a.BandwidthHz = "lte", "data", lo, []float64{lo, hi}, hi-lo
		return a
	}
	site := testSite()
	type step struct {
		a   *alerting.Alert
		now float64
	}
	cases := []struct {
		name  string
		steps []step
		// want after the last step: open incidents, the survivor's
		// sensors (nil: no merge expected), and the merged ids.
		wantOpen    int
		wantSensors []string
		wantMerged  []string
	}{
		{"hopping sets grow into each other", []step{
			{alert("a1", "a1-1", 0, alerting.StateRaised, 0, 3, -60, 902.2e6, 902.4e6), 3},
			{alert("b1", "b1-1", 0, alerting.StateRaised, 1, 3, -95, 903.0e6), 3},
			{alert("a1", "a1-1", 1, alerting.StateUpdated, 0, 6, -60, 902.2e6, 902.4e6, 903.0e6), 6},
			{alert("b1", "b1-1", 1, alerting.StateUpdated, 1, 8, -95, 903.0e6, 902.2e6), 8},
		}, 1, []string{"a1", "b1"}, []string{"unit-gsm-20260302T010001.000Z-903000"}},
		{"times become compatible", []step{
			{alert("a1", "a1-1", 0, alerting.StateRaised, 0, 3, -60), 3},
			{alert("b1", "b1-1", 0, alerting.StateRaised, 20, 22, -95), 22},
			{alert("a1", "a1-1", 1, alerting.StateUpdated, 0, 30, -60), 30},
		}, 1, []string{"a1", "b1"}, []string{"unit-gsm-20260302T010020.000Z-902400"}},
		{"one side spans both (a bridging alert)", []step{
			{alert("a1", "a1-1", 0, alerting.StateRaised, 0, 3, -60, 902.2e6, 902.4e6), 3},
			{alert("b1", "b1-1", 0, alerting.StateRaised, 1, 3, -95, 903.0e6), 3},
			{alert("b1", "b1-1", 1, alerting.StateUpdated, 1, 8, -95, 903.0e6, 902.4e6), 8},
		}, 2, nil, nil},
		{"update of the older one", []step{
			{alert("a1", "a1-1", 0, alerting.StateRaised, 0, 3, -60, 902.2e6), 3},
			{alert("b1", "b1-1", 0, alerting.StateRaised, 1, 3, -95, 902.6e6, 903.0e6), 3},
			{alert("b1", "b1-1", 1, alerting.StateUpdated, 1, 6, -95, 902.6e6, 903.0e6, 902.2e6), 6},
			{alert("a1", "a1-1", 1, alerting.StateUpdated, 0, 8, -60, 902.2e6, 902.6e6), 8},
		}, 1, []string{"a1", "b1"}, []string{"unit-gsm-20260302T010001.000Z-902600"}},
		{"LTE spectrum grows", []step{
			// A phone at (10, 5) in wing A at −3 dBm: a2 hears it through
			// the fire wall.
			{lte(alert("a1", "a1-1", 0, alerting.StateRaised, 0, 3, rxDBm(site, "a1", 10, 5, -3)), 901.0e6, 901.4e6), 3},
			{lte(alert("a2", "a2-1", 0, alerting.StateRaised, 2, 3, rxDBm(site, "a2", 10, 5, -3)), 903.0e6, 903.4e6), 3},
			{lte(alert("a1", "a1-1", 1, alerting.StateUpdated, 0, 8, rxDBm(site, "a1", 10, 5, -3)), 901.0e6, 903.1e6), 8},
		}, 1, []string{"a1", "a2"}, []string{"unit-lte-20260302T010002.000Z-903000"}},
		{"two phones on one channel, wings apart", []step{
			{alert("a1", "a1-1", 0, alerting.StateRaised, 0, 3, -60), 3},
			{alert("b2", "b2-1", 0, alerting.StateRaised, 20, 22, -60), 22},
			{alert("a1", "a1-1", 1, alerting.StateUpdated, 0, 30, -60), 30},
		}, 2, nil, nil},
		{"three into the oldest", []step{
			{alert("a1", "a1-1", 0, alerting.StateRaised, 0, 1, -60), 1},
			{alert("b1", "b1-1", 0, alerting.StateRaised, 15, 16, -95), 16},
			{alert("a2", "a2-1", 0, alerting.StateRaised, 8, 9, -70), 16},
			{alert("b2", "b2-1", 0, alerting.StateRaised, 0, 17, -97), 17},
		}, 1, []string{"a1", "a2", "b1", "b2"}, []string{"unit-gsm-20260302T010008.000Z-902400", "unit-gsm-20260302T010015.000Z-902400"}},
		{"one sensor hears both: two phones", []step{
			{alert("a1", "a1-1", 0, alerting.StateRaised, 0, 3, -60, 902.2e6), 3},
			{alert("a1", "a1-2", 0, alerting.StateRaised, 1, 3, -70, 903.0e6), 3},
			{alert("a1", "a1-2", 1, alerting.StateUpdated, 1, 8, -70, 903.0e6, 902.2e6), 8},
		}, 2, nil, nil},
		{"other class", []step{
			{alert("a1", "a1-1", 0, alerting.StateRaised, 0, 3, -60, 902.2e6), 3},
			{lte(alert("b1", "b1-1", 0, alerting.StateRaised, 1, 3, -90), 903.0e6, 903.4e6), 3},
			{lte(alert("b1", "b1-1", 1, alerting.StateUpdated, 1, 8, -90), 902.0e6, 903.4e6), 8},
		}, 2, nil, nil},
		{"apart in time", []step{
			{alert("a1", "a1-1", 0, alerting.StateRaised, 0, 3, -60, 902.2e6), 3},
			{alert("b1", "b1-1", 0, alerting.StateRaised, 20, 22, -90, 903.0e6), 22},
			{alert("b1", "b1-1", 1, alerting.StateUpdated, 20, 25, -90, 903.0e6, 902.2e6), 25},
		}, 2, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newTest(t, Config{})
			var ids []string
			var last []alerting.Incident
			for _, s := range c.steps {
				last = f.Alert(s.a, at(s.now))
				for _, x := range last {
					if !slices.Contains(ids, x.ID) {
						ids = append(ids, x.ID)
					}
				}
			}
			open := f.Open()
			if len(open) != c.wantOpen {
				t.Fatalf("%d incidents open, want %d: %+v", len(open), c.wantOpen, open)
			}
			if c.wantSensors == nil {
				if n := f.Stats().Merged; n != 0 {
					t.Errorf("%d merged, want none", n)
				}
				for _, x := range last {
					if x.Method == MethodMerged {
						t.Errorf("%s reported merged", x.ID)
					}
				}
				return
			}
			keep := open[0]
			// The older (first seen earliest) survives.
			for _, id := range ids {
				if id < keep.ID && id[:9] == keep.ID[:9] {
					t.Errorf("survivor %s, but %s is older", keep.ID, id)
				}
			}
			var sensors []string
			for _, h := range keep.Sensors {
				sensors = append(sensors, h.Sensor)
			}
			slices.Sort(sensors)
			if !slices.Equal(sensors, c.wantSensors) {
				t.Errorf("survivor heard by %v, want %v", sensors, c.wantSensors)
			}
			if n := f.Stats().Merged; n != int64(len(c.wantMerged)) {
				t.Errorf("%d merged, want %d", n, len(c.wantMerged))
			}
			// The step reports the merged ones, ended, then the survivor.
			if len(last) != len(c.wantMerged)+1 || last[len(last)-1].ID != keep.ID {
				t.Fatalf("last step returned %d incidents, want the %d merged then %s", len(last), len(c.wantMerged), keep.ID)
			}
			var merged []string
			for _, x := range last[:len(last)-1] {
				merged = append(merged, x.ID)
				if x.Method != MethodMerged || x.LinkedTo != keep.ID || x.Active || len(x.Sensors) != 0 {
					t.Errorf("merged %s: method %q linked to %q active %v sensors %d", x.ID, x.Method, x.LinkedTo, x.Active, len(x.Sensors))
				}
			}
			slices.Sort(merged)
			if !slices.Equal(merged, c.wantMerged) {
				t.Errorf("merged %v, want %v", merged, c.wantMerged)
			}
		})
	}
}

// TestMergedFollows: after a merge the moved alert's next events update
// the survivor, and the merged incident never comes back.
func TestMergedFollows(t *testing.T) {
	f := newTest(t, Config{})
	f.Alert(alert("a1", "a1-1", 0, alerting.StateRaised, 0, 3, -60), at(3))
	f.Alert(alert("b1", "b1-1", 0, alerting.StateRaised, 20, 22, -95), at(22))
	got := f.Alert(alert("a1", "a1-1", 1, alerting.StateUpdated, 0, 30, -60), at(30))
	if len(got) != 2 {
		t.Fatalf("merge returned %d incidents", len(got))
	}
	gone, keep := got[0].ID, got[1].ID
	next := f.Alert(alert("b1", "b1-1", 1, alerting.StateCleared, 20, 32, -95), at(32))
	if len(next) != 1 || next[0].ID != keep || !next[0].LastSeen.Equal(at(32)) {
		t.Fatalf("next event of the moved alert changed %+v, want %s", next, keep)
	}
	next = f.Alert(alert("a1", "a1-1", 2, alerting.StateCleared, 0, 32, -60), at(32))
	if len(next) != 1 || next[0].Active {
		t.Fatalf("last alert cleared: %+v", next)
	}
	for _, x := range append(f.Advance(at(200)), f.Open()...) {
		if x.ID == gone {
			t.Errorf("merged incident %s came back: %+v", gone, x)
		}
	}
}

// TestMergeScene: phones placed on the test site, each sensor's level
// from the path-loss model written out in rxDBm (with a few dB of
// shadowing), their alerts arriving as a sensor reports them: the first
// sensor alone, the others after its last update plus the slack (a new
// incident), then the first sensor's update makes the times compatible.
// One phone heard across two wings merges into one incident in its wing;
// two phones on one channel in wings apart stay two.
func TestMergeScene(t *testing.T) {
	s := testSite()
	type phone struct {
		x, y, p float64
		first   string // the sensor that hears it first, alone
	}
	cases := []struct {
		name      string
		phones    []phone
		shadow    map[string]float64
		wantWings []string // of the open incidents, sorted
		wantMerge bool
	}{
		{"one phone near the wall to B", []phone{{25, 9, 10, "a2"}},
			map[string]float64{"a1": -2, "a2": 1, "b1": 3, "b2": -1}, []string{"A"}, true},
		{"one phone in B, heard in A too", []phone{{12, 22, 12, "b1"}},
			map[string]float64{"a1": 2, "a2": -3, "b1": 0, "b2": 1}, []string{"B"}, true},
		// Each heard by one sensor only (a2 and b1 shadowed), the second
		// first heard after the first's last update plus the slack.
		{"two phones on one channel, wings apart", []phone{{3, 2, 5, "a1"}, {27, 28, 5, "b2"}},
			map[string]float64{"a1": 1, "a2": -20, "b1": -20, "b2": -2}, []string{"A", "B"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newTest(t, Config{})
			// Which phone each sensor hears (the strongest above its floor).
			type heard struct {
				level float64
				phone int
			}
			hear := map[string]heard{}
			for i, ph := range c.phones {
				for _, sn := range s.Sensors {
					lv := rxDBm(s, sn.ID, ph.x, ph.y, ph.p) + c.shadow[sn.ID]
					if lv >= sn.FloorDBm && (hear[sn.ID] == heard{} || lv > hear[sn.ID].level) {
						hear[sn.ID] = heard{lv, i}
					}
				}
			}
			if len(hear) < 2 {
				t.Fatalf("only %d sensors hear: the case tests nothing", len(hear))
			}
			firsts := map[string]bool{}
			for i, ph := range c.phones {
				firsts[ph.first] = true
				h, ok := hear[ph.first]
				if !ok || h.phone != i {
					t.Fatalf("%s does not hear its phone best", ph.first)
				}
				start := 12 * float64(i)
				f.Alert(alert(ph.first, ph.first+"-1", 0, alerting.StateRaised, start, start+2, h.level), at(start+2))
			}
			for _, sn := range s.Sensors {
				if h, ok := hear[sn.ID]; ok && !firsts[sn.ID] {
					f.Alert(alert(sn.ID, sn.ID+"-1", 0, alerting.StateRaised, 12, 14, h.level), at(14))
				}
			}
			if len(f.Open()) < 2 {
				t.Fatalf("%d incidents before the update: the later alerts joined at once, nothing to merge", len(f.Open()))
			}
			for i, ph := range c.phones {
				start := 12 * float64(i)
				f.Alert(alert(ph.first, ph.first+"-1", 1, alerting.StateUpdated, start, 15, hear[ph.first].level), at(15))
			}
			open := f.Open()
			var wings []string
			for _, x := range open {
				wings = append(wings, x.Wing)
			}
			slices.Sort(wings)
			if !slices.Equal(wings, c.wantWings) {
				t.Errorf("open incidents in wings %v, want %v: %+v", wings, c.wantWings, open)
			}
			if merged := f.Stats().Merged > 0; merged != c.wantMerge {
				t.Errorf("merged %v, want %v", merged, c.wantMerge)
			}
			if c.wantMerge {
				if n := len(open[0].Sensors); n != len(hear) {
					t.Errorf("the survivor has %d sensors, want every one of the %d that heard", n, len(hear))
				}
			}
		})
	}
}
