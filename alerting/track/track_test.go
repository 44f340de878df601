package track

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/dsp"
)

// eightChannels is a hopping set of 8 E-GSM channels inside a 2.4 MHz
// window around tuned.
var eightChannels = []float64{arfcn(57), arfcn(58), arfcn(59), arfcn(60), arfcn(63), arfcn(64), arfcn(65), arfcn(66)}

// concat joins burst lists.
func concat(lists ...[]dsp.Burst) []dsp.Burst {
	var out []dsp.Burst
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// repeat returns n copies of b, period apart.
func repeat(b dsp.Burst, n int, period time.Duration) []dsp.Burst {
	out := make([]dsp.Burst, n)
	for i := range out {
		out[i] = b
		out[i].Start = b.Start.Add(time.Duration(i) * period)
	}
	return out
}

// TestGrouping feeds hand-made streams and checks the alerts they give.
func TestGrouping(t *testing.T) {
	// A call: 10 s, one burst per frame from frame 200 (0.92 s).
	call := gsmPhone{phase: 1700 * time.Microsecond, channels: eightChannels, from: 200, to: 2367, snr: 40, dbm: -60}
	second := call
	second.phase += 3 * 577 * time.Microsecond // three timeslots later
	second.dbm, second.snr = -70, 30
	overload := dsp.Burst{Start: at(2), Duration: time.Second, Freq: tuned, FreqLow: tuned - 1.2e6, FreqHigh: tuned + 1.2e6,
		Center: tuned, PowerDBFS: -3, PowerDBm: -57, SNR: 40, Clipped: true, Class: dsp.ClassOverload, Kind: "saturated", Score: 1}
	cw := dsp.Burst{Start: at(1), Duration: 200 * time.Millisecond, Freq: 901.9e6, FreqLow: 901.899e6, FreqHigh: 901.901e6,
		Center: tuned, PowerDBFS: -20, PowerDBm: -74, SNR: 45, Class: dsp.ClassInterference, Kind: "cw", Score: 0.9}
	unknown := dsp.Burst{Start: at(1), Duration: 2 * time.Millisecond, Freq: 903e6, FreqLow: 902.9e6, FreqHigh: 903.1e6,
		Center: tuned, PowerDBFS: -40, PowerDBm: -94, SNR: 15, Class: dsp.ClassUnknown, Score: 0.3}
	umts := dsp.Burst{Start: at(1), Duration: time.Second, Freq: 902.4e6, FreqLow: 900.5e6, FreqHigh: 904.3e6,
		Center: tuned, PowerDBFS: -40, PowerDBm: -94, SNR: 8, Class: dsp.ClassUMTS, Score: 0.8}
	// The IQ image of every call burst, mirrored about the tuning, 30 dB
	// down, at the same instant.
	var images []dsp.Burst
	for _, b := range call.bursts() {
		im := gsmBurst(b.Start, 2*tuned-b.Freq, b.SNR-30, b.PowerDBm-30)
		images = append(images, im)
	}
	// The call's bursts 10 to 20 classified as LTE (PUCCH-like) by
	// mistake, shifted 2 µs in time like a re-estimated start.
	var misclassified []dsp.Burst
	for i, b := range call.bursts() {
		if i%50 == 10 {
			b.Class, b.Kind, b.Start = dsp.ClassLTE, "pucch", b.Start.Add(2*time.Microsecond)
			b.FreqLow, b.FreqHigh = b.Freq-90e3, b.Freq+90e3
			misclassified = append(misclassified, b)
		}
	}
	withoutEvery50 := slices.DeleteFunc(call.bursts(), func(b dsp.Burst) bool {
		return slices.ContainsFunc(misclassified, func(m dsp.Burst) bool { return m.Freq == b.Freq && m.Start.Sub(b.Start) == 2*time.Microsecond })
	})

	cases := []struct {
		name   string
		cfg    Config
		bursts []dsp.Burst
		until  float64 // seconds of stream before the flush
		check  func(t *testing.T, r feedResult)
	}{
		{name: "hopping call across 8 channels is one alert", bursts: call.bursts(), until: 12,
			check: func(t *testing.T, r feedResult) {
				up := raisedOf(r.events, "")
				if len(up) != 1 {
					t.Fatalf("%d alerts raised, want 1: %+v", len(up), up)
				}
				last := lastOf(r.events, up[0].ID)
				if last.State != alerting.StateCleared || last.Bursts != call.to-call.from {
					t.Errorf("last event %s with %d bursts, want cleared with all %d", last.State, last.Bursts, call.to-call.from)
				}
				if !slices.Equal(last.FreqsHz, eightChannels) {
					t.Errorf("freqs_hz %v, want the 8 hopped channels %v", last.FreqsHz, eightChannels)
				}
				if last.Class != "gsm" || last.Kind != "call" || last.BandwidthHz != 200e3 {
					t.Errorf("class %s kind %q bandwidth %g, want gsm call 200 kHz", last.Class, last.Kind, last.BandwidthHz)
				}
				if d := up[0].Time.Sub(frameStart(call.from, call.phase)); d > 100*time.Millisecond {
					t.Errorf("raised %v after the first burst, want within 100 ms", d)
				}
			}},
		{name: "two phones on different timeslots of the same channels are two alerts", bursts: concat(call.bursts(), second.bursts()), until: 12,
			check: func(t *testing.T, r feedResult) {
				up := raisedOf(r.events, "gsm")
				if len(up) != 2 {
					t.Fatalf("%d alerts raised, want 2", len(up))
				}
				for _, a := range up {
					l := lastOf(r.events, a.ID)
					if l.Bursts != call.to-call.from || len(l.FreqsHz) != 8 {
						t.Errorf("%s: %d bursts on %d channels, want %d on 8 (one phone each)", a.ID, l.Bursts, len(l.FreqsHz), call.to-call.from)
					}
				}
				l0, l1 := lastOf(r.events, up[0].ID), lastOf(r.events, up[1].ID)
				if float64(l0.PowerDBm) == float64(l1.PowerDBm) {
					t.Errorf("both alerts have power %v dBm: the phones (−60 and −70 dBm) were mixed", l0.PowerDBm)
				}
			}},
		{name: "a single strong GSM burst raises nothing", bursts: []dsp.Burst{gsmBurst(at(1), arfcn(62), 60, -40)}, until: 40,
			check: func(t *testing.T, r feedResult) {
				if len(r.events) != 0 || r.stats.Expired != 1 {
					t.Errorf("events %+v, %d candidates expired; want none and 1", r.events, r.stats.Expired)
				}
			}},
		{name: "a single burst raises nothing even with the lowest bar", cfg: Config{RaiseConfidence: 1e-9, MinBursts: 2},
			bursts: []dsp.Burst{gsmBurst(at(1), arfcn(62), 60, -40)}, until: 5,
			check: func(t *testing.T, r feedResult) {
				if len(r.events) != 0 {
					t.Errorf("events %+v, want none", r.events)
				}
			}},
		{name: "interference raises nothing", bursts: repeat(cw, 100, 250*time.Millisecond), until: 30,
			check: func(t *testing.T, r feedResult) {
				if len(r.events) != 0 || r.stats.Ignored != 100 {
					t.Errorf("%d events, %d ignored; want none and 100", len(r.events), r.stats.Ignored)
				}
			}},
		{name: "overload raises an overload alert", bursts: repeat(overload, 3, time.Second), until: 5,
			check: func(t *testing.T, r feedResult) {
				up := raisedOf(r.events, "")
				if len(up) != 1 || up[0].Class != "overload" {
					t.Fatalf("raised %+v, want one overload alert", up)
				}
				if up[0].Time != at(4) || up[0].Bursts != 2 || !up[0].Clipped || up[0].FreqHz != tuned {
					t.Errorf("raised at %v with %d bursts, clipped %v, freq %g; want at the end of the second second (%v), 2, true, the tuning",
						up[0].Time, up[0].Bursts, up[0].Clipped, up[0].FreqHz, at(4))
				}
			}},
		{name: "one short overload report raises nothing", bursts: repeat(func() dsp.Burst { b := overload; b.Duration = 40 * time.Millisecond; return b }(), 5, 2*time.Second), until: 15,
			check: func(t *testing.T, r feedResult) {
				if len(r.events) != 0 {
					t.Errorf("events %+v: 5 × 40 ms of overload is under OverloadMin", r.events)
				}
			}},
		{name: "unknown raises nothing by default", bursts: repeat(unknown, 200, 20*time.Millisecond), until: 10,
			check: func(t *testing.T, r feedResult) {
				if len(r.events) != 0 {
					t.Errorf("events %+v, want none", r.events)
				}
			}},
		{name: "unknown raises when allowed", cfg: Config{AllowUnknown: true}, bursts: repeat(unknown, 200, 20*time.Millisecond), until: 10,
			check: func(t *testing.T, r feedResult) {
				if up := raisedOf(r.events, "unknown"); len(up) != 1 {
					t.Errorf("raised %+v, want one unknown alert", up)
				}
			}},
		{name: "UMTS carrier is one alert", bursts: repeat(umts, 8, time.Second), until: 12,
			check: func(t *testing.T, r feedResult) {
				up := raisedOf(r.events, "")
				if len(up) != 1 || up[0].Class != "umts" {
					t.Fatalf("raised %+v, want one umts alert", up)
				}
				if l := lastOf(r.events, up[0].ID); l.Bursts != 8 || l.BandwidthHz != 3.8e6 {
					t.Errorf("%d bursts over %g Hz, want 8 over 3.8 MHz", l.Bursts, l.BandwidthHz)
				}
			}},
		{name: "IQ images do not add channels", bursts: concat(call.bursts(), images), until: 12,
			check: func(t *testing.T, r feedResult) {
				up := raisedOf(r.events, "")
				if len(up) != 1 {
					t.Fatalf("%d alerts, want 1", len(up))
				}
				if l := lastOf(r.events, up[0].ID); !slices.Equal(l.FreqsHz, eightChannels) || l.Bursts != call.to-call.from {
					t.Errorf("freqs %v bursts %d, want the 8 real channels and %d bursts", l.FreqsHz, l.Bursts, call.to-call.from)
				}
				if r.stats.Ghosts != int64(len(images)) {
					t.Errorf("%d ghosts dropped, want the %d images", r.stats.Ghosts, len(images))
				}
			}},
		{name: "LTE-classified bursts at the call's timing join the call", bursts: concat(withoutEvery50, misclassified), until: 12,
			check: func(t *testing.T, r feedResult) {
				up := raisedOf(r.events, "")
				if len(up) != 1 || up[0].Class != "gsm" {
					t.Fatalf("raised %+v, want only the GSM call", up)
				}
				if l := lastOf(r.events, up[0].ID); l.Bursts != call.to-call.from {
					t.Errorf("%d bursts, want all %d", l.Bursts, call.to-call.from)
				}
				// The first ones come before the call is raised: they
				// stay an LTE candidate that never raises.
				if r.stats.Absorbed < int64(len(misclassified))-1 {
					t.Errorf("%d absorbed, want at least %d", r.stats.Absorbed, len(misclassified)-1)
				}
			}},
		{name: "one LTE UE across PUSCH, PUCCH, SRS and PRACH is one alert", bursts: lteUE(1, 6, 300*time.Microsecond, -90, 20), until: 8,
			check: func(t *testing.T, r feedResult) {
				up := raisedOf(r.events, "")
				if len(up) != 1 || up[0].Class != "lte" {
					t.Fatalf("raised %+v, want one lte alert", up)
				}
				l := lastOf(r.events, up[0].ID)
				if l.Kind != "data" || l.Bursts < 600 || l.BandwidthHz < 1.7e6 {
					t.Errorf("kind %q, %d bursts over %g Hz; want data, every burst, the 1.8 MHz seen", l.Kind, l.Bursts, l.BandwidthHz)
				}
			}},
		{name: "two LTE UEs 25 dB apart in PSD are two alerts", bursts: concat(lteUE(1, 6, 300*time.Microsecond, -80, 30), lteUE(2, 6, 300*time.Microsecond, -105, 8)), until: 8,
			check: func(t *testing.T, r feedResult) {
				if up := raisedOf(r.events, "lte"); len(up) != 2 {
					t.Fatalf("raised %d LTE alerts, want 2", len(up))
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := New(tc.cfg, testOrigin)
			if err != nil {
				t.Fatal(err)
			}
			r := feed(t, tr, tc.bursts, at(tc.until), at(tc.until))
			checkLifecycle(t, r.events, tr.Config().UpdateInterval)
			if s := tr.Stats(); s.Open != 0 || s.Candidates != 0 {
				t.Errorf("after Flush: %d open, %d candidates", s.Open, s.Candidates)
			}
			tc.check(t, r)
		})
	}
}

// TestLifecycleTiming: updates at most every UpdateInterval, cleared
// exactly ClearAfter after the last burst and not before.
func TestLifecycleTiming(t *testing.T) {
	// A 35 s call.
	call := gsmPhone{phase: 900 * time.Microsecond, channels: []float64{arfcn(62)}, from: 0, to: 7584, every: 2, snr: 30, dbm: -70}
	bs := call.bursts()
	lastEnd := bs[len(bs)-1].Start.Add(bs[len(bs)-1].Duration)
	// Raised within the first 0.1 s, it is updated at 10, 20 and 30 s,
	// and once more at 40 s with the bursts of its last 5 s (unless
	// cleared first).
	cases := []struct {
		name       string
		cfg        Config
		until      time.Time // Advance up to here, no flush
		wantClear  bool
		wantUpdate int
	}{
		{name: "not cleared 1 ms before the quiet time", until: lastEnd.Add(DefaultClearAfter - time.Millisecond), wantUpdate: 4},
		{name: "cleared at the quiet time", until: lastEnd.Add(DefaultClearAfter), wantClear: true, wantUpdate: 4},
		{name: "shorter quiet time", cfg: Config{ClearAfter: 5 * time.Second}, until: lastEnd.Add(5 * time.Second), wantClear: true, wantUpdate: 3},
		{name: "slower updates", cfg: Config{UpdateInterval: 20 * time.Second}, until: lastEnd.Add(time.Second), wantUpdate: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := New(tc.cfg, testOrigin)
			if err != nil {
				t.Fatal(err)
			}
			r := feed(t, tr, bs, tc.until, time.Time{})
			ev := tr.Advance(r.events, tc.until)
			checkLifecycle(t, ev, tr.Config().UpdateInterval)
			var updates int
			var cleared *alerting.Alert
			for i := range ev {
				switch ev[i].State {
				case alerting.StateUpdated:
					updates++
				case alerting.StateCleared:
					cleared = &ev[i]
				}
			}
			if updates != tc.wantUpdate {
				t.Errorf("%d updates over 35 s, want %d", updates, tc.wantUpdate)
			}
			switch {
			case tc.wantClear && cleared == nil:
				t.Fatalf("not cleared at %v after the last burst", tc.until.Sub(lastEnd))
			case !tc.wantClear && cleared != nil:
				t.Fatalf("cleared at %v, %v after the last burst", cleared.Time, cleared.Time.Sub(lastEnd))
			case cleared != nil:
				if want := lastEnd.Add(tr.Config().ClearAfter); !cleared.Time.Equal(want) || !cleared.LastSeen.Equal(lastEnd) {
					t.Errorf("cleared at %v with last_seen %v, want %v and %v", cleared.Time, cleared.LastSeen, want, lastEnd)
				}
				if s := tr.Stats(); s.Open != 0 || s.Cleared != 1 {
					t.Errorf("stats %+v: want 0 open, 1 cleared", s)
				}
			default:
				if tr.Open() != 1 {
					t.Errorf("%d open, want 1", tr.Open())
				}
			}
		})
	}
}

// TestEviction: the table never holds more than MaxGroups activities; the
// least recently heard candidate goes first, then the least recently heard
// alert, which is cleared.
func TestEviction(t *testing.T) {
	t.Run("candidates", func(t *testing.T) {
		tr, err := New(Config{MaxGroups: 8}, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		// 20 single bursts 10 ms apart, each 80 MHz from the previous so
		// that no TDMA phase can join two: 20 candidates.
		var bs []dsp.Burst
		for i := range 20 {
			bs = append(bs, gsmBurst(at(1+0.01*float64(i)), 400e6+80e6*float64(i), 30, -70))
		}
		r := feed(t, tr, bs, at(1.5), time.Time{})
		if r.stats.Candidates != 8 || r.stats.Evicted != 12 || len(r.events) != 0 {
			t.Fatalf("%d candidates, %d evicted, %d events; want 8, 12, 0", r.stats.Candidates, r.stats.Evicted, len(r.events))
		}
		// The survivors are the 8 latest.
		for i := range tr.groups {
			if g := &tr.groups[i]; g.firstF < 400e6+80e6*12-1 {
				t.Errorf("candidate on %g Hz survived; want only the 8 latest", g.firstF)
			}
		}
	})
	t.Run("open alerts", func(t *testing.T) {
		tr, err := New(Config{MaxGroups: 8}, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		// 8 calls on 8 channels and phases, for a second from 0.1 s to
		// 0.8 s; a ninth from 1.5 s while they all go on (dropped: a
		// candidate never ends an alert being heard); a tenth at 13 s,
		// when the first eight have been quiet for over Window (it takes
		// the slot of the one heard least recently, which is cleared).
		var bs []dsp.Burst
		call := func(i, from, n int) gsmPhone {
			return gsmPhone{phase: time.Duration(i) * 450 * time.Microsecond, channels: []float64{880e6 + 400e3*float64(i)}, from: from, to: from + n, snr: 30, dbm: -70}
		}
		for i := range 8 {
			bs = append(bs, call(i, 22+22*i, 217).bursts()...)
		}
		bs = append(bs, call(8, 325, 100).bursts()...)
		bs = append(bs, call(9, 2817, 100).bursts()...)
		r := feed(t, tr, bs, at(14), time.Time{})
		up := raisedOf(r.events, "")
		var cleared []alerting.Alert
		for _, a := range r.events {
			if a.State == alerting.StateCleared {
				cleared = append(cleared, a)
			}
		}
		if len(up) != 9 || len(cleared) != 1 || cleared[0].ID != up[0].ID || up[8].FreqHz != 880e6+400e3*9 {
			t.Fatalf("%d raised, %d cleared (%v); want 9 raised (not the ninth call), the first cleared to make room for the tenth", len(up), len(cleared), cleared)
		}
		if s := tr.Stats(); s.Open != 8 || s.Evicted != 1 || s.Dropped != 100 {
			t.Errorf("%d open, %d evicted, %d dropped; want 8, 1 and the ninth call's 100 bursts", s.Open, s.Evicted, s.Dropped)
		}
		checkLifecycle(t, r.events, DefaultUpdateInterval)
	})
}

// TestMode: alerts carry the mode at their raise; SetMode refuses unknown
// modes and leaves open alerts in theirs.
func TestMode(t *testing.T) {
	tr, err := New(Config{Mode: alerting.ModeExercise}, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	first := gsmPhone{phase: 100 * time.Microsecond, channels: []float64{arfcn(60)}, from: 0, to: 400, snr: 30, dbm: -70}
	ev := feed(t, tr, first.bursts(), at(1), time.Time{}).events
	if err := tr.SetMode("drill"); err == nil || !strings.Contains(err.Error(), `mode "drill"`) {
		t.Errorf("SetMode(drill): %v, want an error naming it", err)
	}
	if err := tr.SetMode(alerting.ModeTest); err != nil {
		t.Fatal(err)
	}
	second := gsmPhone{phase: 2100 * time.Microsecond, channels: []float64{arfcn(64)}, from: 400, to: 800, snr: 30, dbm: -70}
	ev = append(ev, feed(t, tr, second.bursts(), at(4), at(4)).events...)
	modes := map[float64][]string{}
	for _, a := range ev {
		modes[a.FreqHz] = append(modes[a.FreqHz], a.Mode)
	}
	if m := modes[arfcn(60)]; len(m) < 2 || slices.ContainsFunc(m, func(s string) bool { return s != alerting.ModeExercise }) {
		t.Errorf("first call's events in modes %v, want all exercise (raised before the switch)", m)
	}
	if m := modes[arfcn(64)]; len(m) < 2 || slices.ContainsFunc(m, func(s string) bool { return s != alerting.ModeTest }) {
		t.Errorf("second call's events in modes %v, want all test", m)
	}
}

// TestIDs: ids are deterministic for the same input, differ between
// sensors and activities, and stay within the schema's 128 bytes.
func TestIDs(t *testing.T) {
	call := gsmPhone{phase: 1234 * time.Microsecond, channels: []float64{arfcn(62), arfcn(64)}, from: 10, to: 300, snr: 30, dbm: -70}
	other := gsmPhone{phase: 3000 * time.Microsecond, channels: []float64{arfcn(62)}, from: 10, to: 300, snr: 30, dbm: -80}
	run := func(o alerting.Origin) []string {
		tr, err := New(Config{}, o)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range raisedOf(feed(t, tr, concat(call.bursts(), other.bursts()), at(2), at(2)).events, "") {
			ids = append(ids, a.ID)
		}
		return ids
	}
	a, b := run(testOrigin), run(testOrigin)
	if len(a) != 2 || !slices.Equal(a, b) || a[0] == a[1] {
		t.Fatalf("ids %v then %v: want two distinct ids, the same on both runs", a, b)
	}
	// The first call's first burst: frame 10 plus 1234 µs = 47.38 ms.
	want := "hmp-test.a1-gsm-20260301T220000.047Z-902400"
	if !slices.Contains(a, want) {
		t.Errorf("ids %v, want one to be %s (site.sensor-class-first burst-kHz)", a, want)
	}
	o2 := testOrigin
	o2.Sensor = "a2"
	if c := run(o2); slices.ContainsFunc(c, func(id string) bool { return slices.Contains(a, id) }) {
		t.Errorf("sensor a2 gave ids %v, sharing one with a1's %v", c, a)
	}
	long := alerting.Origin{Site: strings.Repeat("s", 64), Sensor: strings.Repeat("n", 64)}
	for _, id := range run(long) {
		if len(id) > maxIDLen || strings.Contains(id, "sss") {
			t.Errorf("id %q (%d bytes): want the long names hashed, ≤ %d bytes", id, len(id), maxIDLen)
		}
	}
}

// TestReorder: bursts fed out of order (within the hold) give the same
// events as in order.
func TestReorder(t *testing.T) {
	call := gsmPhone{phase: 700 * time.Microsecond, channels: eightChannels, from: 0, to: 1000, snr: 25, dbm: -75}
	bs := call.bursts()
	run := func(bs []dsp.Burst) []alerting.Alert {
		tr, err := New(Config{}, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		var ev []alerting.Alert
		for i := range bs {
			ev = tr.Add(ev, &bs[i])
		}
		return tr.Flush(ev, at(6))
	}
	want := run(bs)
	swapped := slices.Clone(bs)
	for i := 0; i+1 < len(swapped); i += 3 {
		swapped[i], swapped[i+1] = swapped[i+1], swapped[i]
	}
	got := run(swapped)
	if len(want) != 2 || len(got) != len(want) {
		t.Fatalf("%d events in order, %d swapped; want raised and cleared both times", len(want), len(got))
	}
	for i := range want {
		w, g := want[i], got[i]
		if w.ID != g.ID || w.State != g.State || w.Bursts != g.Bursts || !w.Time.Equal(g.Time) || !slices.Equal(w.FreqsHz, g.FreqsHz) {
			t.Errorf("event %d: %+v out of order, %+v in order", i, g, w)
		}
	}
}

// TestConfigErrors: every field out of range is refused, naming it.
func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"confidence over 1", Config{RaiseConfidence: 1.5}, "track: raise_confidence 1.5: must be in (0, 1]"},
		{"confidence NaN", Config{RaiseConfidence: math.NaN()}, "track: raise_confidence NaN: must be in (0, 1]"},
		{"one burst", Config{MinBursts: 1}, "track: min_bursts 1: must be from 2 to 64 (one burst must never raise)"},
		{"too many bursts", Config{MinBursts: 65}, "track: min_bursts 65: must be from 2 to 64"},
		{"window", Config{Window: time.Millisecond}, "track: window 1ms: must be from 100ms to 1h"},
		{"update", Config{UpdateInterval: -time.Second}, "track: update_interval -1s: must be from 1s to 1h"},
		{"clear", Config{ClearAfter: 500 * time.Millisecond}, "track: clear_after 500ms: must be from 1s to 24h"},
		{"mode", Config{Mode: "live"}, `track: mode "live": must be actual, test or exercise`},
		{"overload", Config{OverloadMin: -time.Second}, "track: overload_min -1s: must be from 0 to 1h"},
		{"groups", Config{MaxGroups: 5000}, "track: max_groups 5000: must be from 8 to 4096"},
		{"phase", Config{PhaseTolerance: time.Millisecond}, "track: phase_tolerance 1ms: must be from 1µs to 250µs"},
		{"ppm", Config{ClockPPM: -1}, "track: clock_ppm -1: must be from 0 to 200"},
		{"psd", Config{PSDToleranceDB: math.Inf(1)}, "track: psd_tolerance_db +Inf: must be in (0, 60]"},
		{"ghost", Config{GhostMarginDB: -3}, "track: ghost_margin_db -3: must be in (0, 100]"},
		{"leak", Config{LeakMarginDB: 200}, "track: leak_margin_db 200: must be in (0, 100]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, testOrigin)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	for _, o := range []alerting.Origin{{Site: "", Sensor: "a1"}, {Site: "x", Sensor: "a/1"}} {
		if _, err := New(Config{}, o); err == nil || !strings.Contains(err.Error(), "track: origin") {
			t.Errorf("origin %+v: error %v, want one naming the origin", o, err)
		}
	}
	tr, err := New(Config{}, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	c := tr.Config()
	if c.MinBursts != DefaultMinBursts || c.ClearAfter != DefaultClearAfter || c.UpdateInterval != DefaultUpdateInterval || c.Mode != alerting.ModeActual {
		t.Errorf("defaults not filled: %+v", c)
	}
}

// TestGroupingPerBurst follows every burst of two hopping phones on
// different timeslots of the same channels (and one's IQ images) into the
// activities: each phone's bursts all in one, the two apart, no image in
// either.
func TestGroupingPerBurst(t *testing.T) {
	a := gsmPhone{phase: 1700 * time.Microsecond, channels: eightChannels, from: 0, to: 2000, snr: 40, dbm: -60}
	b := a
	b.phase, b.snr, b.dbm = a.phase+5*577*time.Microsecond, 30, -75
	var images []dsp.Burst
	for _, x := range a.bursts() {
		images = append(images, gsmBurst(x.Start, 2*tuned-x.Freq, x.SNR-25, x.PowerDBm-25))
	}
	tr, err := New(Config{}, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	slots := map[float64]map[int]int{} // power → slot → bursts
	tr.onJoin = func(b *dsp.Burst, slot int) {
		if slots[b.PowerDBm] == nil {
			slots[b.PowerDBm] = map[int]int{}
		}
		slots[b.PowerDBm][slot]++
	}
	r := feed(t, tr, concat(a.bursts(), b.bursts(), images), at(10), at(10))
	checkLifecycle(t, r.events, DefaultUpdateInterval)
	if len(slots[-60]) != 1 || len(slots[-75]) != 1 || len(slots[-85]) != 0 {
		t.Fatalf("phone A's bursts in activities %v, B's in %v, images in %v: want one each, no image", slots[-60], slots[-75], slots[-85])
	}
	for sa, na := range slots[-60] {
		for sb, nb := range slots[-75] {
			if sa == sb || na != 2000 || nb != 2000 {
				t.Errorf("A: %d bursts in activity %d, B: %d in %d; want all 2000 each, apart", na, sa, nb, sb)
			}
		}
	}
}
