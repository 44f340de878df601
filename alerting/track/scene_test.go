package track

import (
	"errors"
	"flag"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/pipeline"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// sceneSeed replaces the scenes' own seeds, to check that the assertions
// hold beyond the renders they were written on:
//
//	go test ./alerting/track -run TestScenes -scene-seed 11
//
// (seeds 11, 12, 13, 22 passed when this was written; with seed 21 the two
// LTE phones of busy-wing are 10 dB apart in PSD and make one alert).
var sceneSeed = flag.Uint64("scene-seed", 0, "render the scenes of TestScenes with this seed instead of their own")

// sceneRun is a built-in scene heard by its first sensor, run through the
// real pipeline and a tracker with the default config.
type sceneRun struct {
	start  time.Time // the scene's t = 0
	end    time.Time // end of the rendered samples
	events []alerting.Alert
	bursts []dsp.Burst
	truth  []sim.Emission // the emissions the sensor received (visible)
	stats  Stats
}

// offset is t in seconds from the scene's start.
func (r *sceneRun) offset(t time.Time) float64 { return t.Sub(r.start).Seconds() }

// runScene renders seconds of a built-in scene (its own seed) and runs it
// through pipeline and tracker, advancing the tracker after every block as
// the daemon does.
func runScene(t *testing.T, name string, seconds float64) *sceneRun {
	t.Helper()
	sc, err := sim.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	sc.Duration = time.Duration(seconds * float64(time.Second))
	if *sceneSeed != 0 {
		sc.Seed = *sceneSeed
	}
	sensor := sc.Sensors[0]
	src, err := sc.Open(sensor.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r := &sceneRun{start: sc.Start}
	src.OnEmission = func(em sim.Emission, rx sim.Reception) {
		if rx.Visible {
			r.truth = append(r.truth, em)
		}
	}
	d := sensor.Dongle
	if d == nil {
		d = sim.DefaultDongle()
	}
	p, err := pipeline.New(pipeline.Config{CalOffsetDB: d.FullScale - (src.Gain() - d.RefGain)})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(Config{}, alerting.Origin{Site: name, Sensor: sensor.ID})
	if err != nil {
		t.Fatal(err)
	}
	blk := &sdr.Block{Samples: make([]complex64, 1<<16)}
	var bs []dsp.Burst
	for {
		blk.Samples = blk.Samples[:cap(blk.Samples)]
		err := src.ReadBlock(blk)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if bs, err = p.Process(bs[:0], blk); err != nil {
			t.Fatal(err)
		}
		for i := range bs {
			r.events = tr.Add(r.events, &bs[i])
		}
		r.bursts = append(r.bursts, bs...)
		r.end = blk.Time.Add(time.Duration(float64(len(blk.Samples)) / blk.Rate * 1e9))
		r.events = tr.Advance(r.events, r.end)
	}
	bs = p.Flush(bs[:0])
	for i := range bs {
		r.events = tr.Add(r.events, &bs[i])
	}
	r.bursts = append(r.bursts, bs...)
	r.events = tr.Flush(r.events, r.end)
	r.stats = tr.Stats()
	checkLifecycle(t, r.events, DefaultUpdateInterval)
	return r
}

// phoneRaised returns the raised events of handset classes.
func phoneRaised(ev []alerting.Alert) []alerting.Alert {
	var out []alerting.Alert
	for _, a := range raisedOf(ev, "") {
		if a.Class == "gsm" || a.Class == "lte" || a.Class == "umts" {
			out = append(out, a)
		}
	}
	return out
}

// heardSpan is what the pipeline heard of one emitter: bursts, and the
// start of the first and the end of the last.
type heardSpan struct {
	n           int
	first, last time.Time
}

// heard counts, per emitter, the pipeline's bursts of the emitter's class
// that coincide with one of its emissions: in time (GSM within 0.2 ms,
// others 1 ms) and in frequency (GSM within half a channel of its own,
// others in the emission's band widened by 100 kHz); of several, the
// closest in frequency.
func (r *sceneRun) heard() map[string]heardSpan {
	type span struct {
		from, to, lo, hi float64
		em               *sim.Emission
	}
	var spans []span
	var longest float64
	for i := range r.truth {
		e := &r.truth[i]
		slack, half := 1e-3, e.Bandwidth/2+100e3
		switch e.Class {
		case sim.ClassGSM:
			slack, half = 0.2e-3, 100e3
		case sim.ClassLTE, sim.ClassUMTS:
		default:
			continue
		}
		spans = append(spans, span{e.Start - slack, e.Start + e.Duration + slack, e.Freq - half, e.Freq + half, e})
		longest = math.Max(longest, e.Duration+2*slack)
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	n := map[string]heardSpan{}
	for i := range r.bursts {
		b := &r.bursts[i]
		if !b.Class.IsPhone() {
			continue
		}
		s0 := r.offset(b.Start)
		s1 := s0 + b.Duration.Seconds()
		var best *span
		for j := sort.Search(len(spans), func(k int) bool { return spans[k].from > s1 }) - 1; j >= 0 && spans[j].from >= s0-longest; j-- {
			sp := &spans[j]
			if sp.to < s0 || b.Freq < sp.lo || b.Freq > sp.hi || b.Class.String() != sp.em.Class.String() {
				continue
			}
			if best == nil || math.Abs(b.Freq-sp.em.Freq) < math.Abs(b.Freq-best.em.Freq) {
				best = sp
			}
		}
		if best != nil {
			h := n[best.em.Emitter]
			if h.n == 0 || b.Start.Before(h.first) {
				h.first = b.Start
			}
			if e := b.Start.Add(b.Duration); e.After(h.last) {
				h.last = e
			}
			h.n++
			n[best.em.Emitter] = h
		}
	}
	return n
}

// emitterSpan returns the first start and last end of an emitter's
// received emissions, seconds, and their number.
func (r *sceneRun) emitterSpan(id string) (first, last float64, n int) {
	first = math.Inf(1)
	for _, e := range r.truth {
		if e.Emitter == id {
			first = math.Min(first, e.Start)
			last = math.Max(last, e.Start+e.Duration)
			n++
		}
	}
	return first, last, n
}

// TestScenes runs the built-in scenes through the pipeline and the tracker.
func TestScenes(t *testing.T) {
	if testing.Short() {
		t.Skip("renders and detects 106 s of scenes (about 16 s of CPU)")
	}
	t.Run("gsm-call", func(t *testing.T) {
		t.Parallel()
		// 14 s: the call from 1.5 s, through three DTX silences and its
		// power step at 10 s.
		r := runScene(t, "gsm-call", 14)
		first, last, n := r.emitterSpan("phone-a07")
		if n < 500 {
			t.Fatalf("%d emissions of the call received: the scene changed", n)
		}
		up := phoneRaised(r.events)
		if len(up) != 1 || len(raisedOf(r.events, "")) != 1 {
			t.Fatalf("raised %d phone alerts, %d in all; want the one GSM call and nothing else: %+v", len(up), len(raisedOf(r.events, "")), up)
		}
		a, l := up[0], lastOf(r.events, up[0].ID)
		if a.Class != "gsm" || a.FreqHz != arfcn(62) || l.Kind != "call" {
			t.Errorf("class %s freq %g kind %q, want gsm on ARFCN 62 (902.4 MHz), a call", a.Class, a.FreqHz, l.Kind)
		}
		if d := r.offset(a.Time) - first; d < 0 || d > 2 {
			t.Errorf("raised %.3f s after the call's first burst, want within 2 s", d)
		}
		// One alert covers the whole call: the first and last of its
		// bursts the pipeline heard, which cover the call but for at most
		// its first and last half second (DTX: SACCH and SID only).
		h := r.heard()["phone-a07"]
		if !l.FirstSeen.Equal(h.first) || !l.LastSeen.Equal(h.last) {
			t.Errorf("alert covers %.3f–%.3f s, the call's bursts heard %.3f–%.3f s", r.offset(l.FirstSeen), r.offset(l.LastSeen), r.offset(h.first), r.offset(h.last))
		}
		if r.offset(h.first)-first > 0.5 || last-r.offset(h.last) > 0.5 {
			t.Errorf("call %.3f–%.3f s, heard %.3f–%.3f s: the detector changed", first, last, r.offset(h.first), r.offset(h.last))
		}
		if l.State != alerting.StateCleared || l.Bursts < n/2 {
			t.Errorf("last event %s with %d bursts of the call's %d", l.State, l.Bursts, n)
		}
		t.Logf("call %.3f–%.3f s, %d bursts received; alert raised at %.3f s, %d bursts, %d events; %+v", first, last, n, r.offset(a.Time), l.Bursts, len(r.events), r.stats)
	})
	t.Run("lte-data", func(t *testing.T) {
		t.Parallel()
		r := runScene(t, "lte-data", 15)
		first, last, n := r.emitterSpan("phone-a08")
		up := phoneRaised(r.events)
		if len(up) != 1 || up[0].Class != "lte" {
			t.Fatalf("raised %+v, want one LTE alert for the one LTE phone", up)
		}
		a, l := up[0], lastOf(r.events, up[0].ID)
		if d := r.offset(a.Time) - first; d < 0 || d > 3 {
			t.Errorf("raised %.3f s after the phone's first emission, want within 3 s", d)
		}
		if e := r.offset(l.LastSeen); math.Abs(e-last) > 0.5 || l.Kind != "data" {
			t.Errorf("last seen %.3f s (phone's last %.3f s), kind %q; want within 0.5 s, data", e, last, l.Kind)
		}
		t.Logf("phone %.3f–%.3f s, %d emissions received; alert raised at %.3f s with %d bursts over %g Hz; %+v", first, last, n, r.offset(a.Time), l.Bursts, l.BandwidthHz, r.stats)
	})
	t.Run("interference", func(t *testing.T) {
		t.Parallel()
		// 18 s: the walkie keyed on and off twice and the laundry's floor
		// step up 8 dB at 12 s.
		r := runScene(t, "interference", 18)
		if len(r.events) != 0 {
			t.Errorf("%d events on a scene without a phone: %+v", len(r.events), r.events)
		}
		t.Logf("%d bursts, none an alert; %+v", len(r.bursts), r.stats)
	})
	t.Run("quiet-night", func(t *testing.T) {
		t.Parallel()
		r := runScene(t, "quiet-night", 10)
		if len(r.events) != 0 {
			t.Errorf("%d events on a quiet night: %+v", len(r.events), r.events)
		}
	})
	t.Run("jammer", func(t *testing.T) {
		t.Parallel()
		r := runScene(t, "jammer", 17)
		// The jammer is on from 5 to 15 s: one overload alert, raised once
		// the receiver was swamped for a second.
		ov := raisedOf(r.events, "overload")
		if len(ov) != 1 {
			t.Fatalf("%d overload alerts, want 1", len(ov))
		}
		if s := r.offset(ov[0].Time); s < 5 || s > 7 {
			t.Errorf("overload raised at %.3f s, want within 2 s of the jammer's start (5 s)", s)
		}
		if l := lastOf(r.events, ov[0].ID); r.offset(l.LastSeen) < 14.5 || r.offset(l.LastSeen) > 16 {
			t.Errorf("overload last seen at %.3f s, want the jammer's end (15 s)", r.offset(l.LastSeen))
		}
		// The jammer makes no phone alert. The phone that calls under it
		// (ARFCN 60, from 1 s) is a real phone: one GSM alert, raised
		// before the jammer, on its channel, followed through the jamming.
		up := phoneRaised(r.events)
		if len(up) != 1 || up[0].Class != "gsm" || up[0].FreqHz != arfcn(60) || r.offset(up[0].FirstSeen) > 5 {
			t.Fatalf("phone alerts %+v; want only the call on ARFCN 60 from before the jammer", up)
		}
		t.Logf("overload raised at %.3f s; %+v", r.offset(ov[0].Time), r.stats)
	})
	t.Run("busy-wing", func(t *testing.T) {
		t.Parallel()
		// 32 s: every phone has transmitted (the UMTS call from 30 s, the
		// SMS phone twice, the idle LTE phone's second update at 28 s).
		r := runScene(t, "busy-wing", 32)
		// Every phone the DSP heard (20 bursts of its class or more) is
		// one alert, and there is no other phone alert. The phones it
		// does not hear are logged: when this test was written, the guard
		// room's phone (its slots overlap the hopping call's, 30 dB
		// louder: 3 bursts) and the UMTS call (5 dB SNR in 3.84 MHz: none).
		heard := r.heard()
		classOf := map[string]string{} // the transmitting phones
		for _, e := range r.truth {
			if c := e.Class; c == sim.ClassGSM || c == sim.ClassLTE || c == sim.ClassUMTS {
				classOf[e.Emitter] = c.String()
			}
		}
		want := map[string]int{}
		var nheard int
		for id, c := range classOf {
			if heard[id].n >= 20 {
				want[c]++
				nheard++
			} else {
				_, _, n := r.emitterSpan(id)
				t.Logf("phone %s (%s) not heard: %d of its %d received emissions detected as %s", id, c, heard[id].n, n, c)
			}
		}
		up := phoneRaised(r.events)
		got := map[string]int{}
		for _, a := range up {
			got[a.Class]++
		}
		if len(up) != nheard || got["gsm"] != want["gsm"] || got["lte"] != want["lte"] || got["umts"] != want["umts"] {
			t.Errorf("phone alerts by class %v (%d), phones heard by class %v (%d) of %d transmitting", got, len(up), want, nheard, len(classOf))
		}
		if nheard < len(classOf)-2 {
			t.Errorf("only %d of %d transmitting phones heard by the DSP: the scene or the detector changed", nheard, len(classOf))
		}
		// The hopping call (ARFCN 58, 62, 65) is one alert on all three,
		// and the phone on top of sensor a2 (ARFCN 60, 20–26 s) its own,
		// covering what the pipeline heard of it.
		var hop, near int
		hn := heard["near-a2"]
		for _, a := range up {
			l := lastOf(r.events, a.ID)
			if a.Class == "gsm" && slices.Contains(l.FreqsHz, arfcn(58)) && slices.Contains(l.FreqsHz, arfcn(62)) && slices.Contains(l.FreqsHz, arfcn(65)) {
				hop++
			}
			if a.FreqHz == arfcn(60) && l.FirstSeen.Equal(hn.first) && l.LastSeen.Equal(hn.last) {
				near++
			}
			t.Logf("%s %s: %s–%s, %d bursts on %d channels, %v dBm, confidence %.3f", a.ID, l.Kind,
				fmtS(r.offset(l.FirstSeen)), fmtS(r.offset(l.LastSeen)), l.Bursts, len(l.FreqsHz), l.PowerDBm, l.Confidence)
		}
		if hop != 1 || near != 1 {
			t.Errorf("%d alerts span the hopping call's 3 channels, %d match the near phone (ARFCN 60, heard %.3f–%.3f s); want 1 and 1", hop, near, r.offset(hn.first), r.offset(hn.last))
		}
		if ov := raisedOf(r.events, "overload"); len(ov) != 0 {
			t.Errorf("overload alerts %+v in a wing without a jammer", ov)
		}
		for id, h := range heard {
			t.Logf("heard %s: %d bursts, %.3f–%.3f s", id, h.n, r.offset(h.first), r.offset(h.last))
		}
		t.Logf("%+v", r.stats)
	})
}

// fmtS formats seconds for logs.
func fmtS(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) + " s" }
