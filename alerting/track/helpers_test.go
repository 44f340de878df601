package track

import (
	"encoding/json"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/dsp"
)

// t0 is the start of every hand-made stream.
var t0 = time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)

var testOrigin = alerting.Origin{Site: "hmp-test", Sensor: "a1", Wing: "A"}

const tuned = 902.4e6 // the hand-made streams' tuning, Hz

// at returns t0 plus s seconds.
func at(s float64) time.Time { return t0.Add(time.Duration(math.Round(s * 1e9))) }

// frameStart is the start of TDMA frame n of a phone whose slot begins
// phase after t0 (frames are 120/26 ms, kept exact in ns).
func frameStart(n int, phase time.Duration) time.Time {
	return t0.Add(phase + time.Duration(math.Round(float64(n)*tdmaFrameNs)))
}

// gsmBurst is a normal burst as the DSP reports it.
func gsmBurst(start time.Time, f, snr, dbm float64) dsp.Burst {
	return dsp.Burst{
		Start: start, Duration: 546 * time.Microsecond,
		Freq: f, FreqLow: f - 90e3, FreqHigh: f + 90e3, Center: tuned,
		PowerDBFS: dbm + 54, PowerDBm: dbm, SNR: snr,
		Class: dsp.ClassGSM, Kind: "normal", Score: 0.85,
	}
}

// gsmPhone is a GSM phone on a timeslot (phase in the frame), hopping
// cyclically over its channels, sending in frames from..to-1 (every
// every-th frame).
type gsmPhone struct {
	phase    time.Duration
	channels []float64
	from, to int
	every    int
	snr, dbm float64
}

func (p gsmPhone) bursts() []dsp.Burst {
	every := max(p.every, 1)
	var out []dsp.Burst
	for n := p.from; n < p.to; n += every {
		f := p.channels[n%len(p.channels)]
		out = append(out, gsmBurst(frameStart(n, p.phase), f, p.snr, p.dbm))
	}
	return out
}

// arfcn is the uplink frequency of an E-GSM 900 channel, Hz.
func arfcn(n int) float64 { return 890e6 + 200e3*float64(n) }

// lteBurst is one LTE burst of a UE: kind, start, band and PSD (dBm per
// 180 kHz).
func lteBurst(kind string, start time.Time, dur time.Duration, lo, hi, psd, snr float64) dsp.Burst {
	dbm := psd + 10*math.Log10((hi-lo)/180e3)
	return dsp.Burst{
		Start: start, Duration: dur, Freq: (lo + hi) / 2, FreqLow: lo, FreqHigh: hi, Center: tuned,
		PowerDBFS: dbm + 54, PowerDBm: dbm, SNR: snr, Class: dsp.ClassLTE, Kind: kind, Score: 0.9,
	}
}

// lteUE sends, every 10 ms subframe-aligned from `from` to `to` seconds, a
// PUSCH on 4 PRBs moving with scheduling, an SRS in the last symbol every
// 40 ms, a PUCCH alternating between the carrier's edges at the slot, and
// one PRACH at the start.
func lteUE(from, to float64, grid time.Duration, psd, snr float64) []dsp.Burst {
	const carrierLo, carrierHi = 901.5e6, 903.3e6 // a 1.8 MHz slice seen
	out := []dsp.Burst{lteBurst("prach", at(from).Add(grid), 903*time.Microsecond, 901.9e6, 902.98e6, psd-3, snr)}
	for i := 0; at(from).Add(time.Duration(i) * 10 * time.Millisecond).Before(at(to)); i++ {
		sf := at(from).Add(grid + time.Duration(i+1)*10*time.Millisecond)
		lo := carrierLo + float64((i*7)%6)*180e3
		out = append(out, lteBurst("pusch", sf, time.Millisecond, lo, lo+4*180e3, psd, snr))
		edge := carrierLo
		if i%2 == 1 {
			edge = carrierHi - 180e3
		}
		out = append(out, lteBurst("pucch", sf.Add(5*time.Millisecond), 500*time.Microsecond, edge, edge+180e3, psd+1, snr))
		if i%4 == 0 {
			out = append(out, lteBurst("srs", sf.Add(929*time.Microsecond), 71*time.Microsecond, carrierLo, carrierHi, psd-2, snr-3))
		}
	}
	return out
}

// feedResult is what a stream fed through a tracker gave.
type feedResult struct {
	events []alerting.Alert
	stats  Stats
}

// feed sorts bursts by end (the order the pipeline reports them in), feeds
// them with Advance every 10 ms of stream time, and, when flushAt is not
// zero, advances to it and flushes.
func feed(t *testing.T, tr *Tracker, bursts []dsp.Burst, until, flushAt time.Time) feedResult {
	t.Helper()
	bs := append([]dsp.Burst(nil), bursts...)
	sort.SliceStable(bs, func(i, j int) bool {
		return bs[i].Start.Add(bs[i].Duration).Before(bs[j].Start.Add(bs[j].Duration))
	})
	var ev []alerting.Alert
	tick := t0
	for i := range bs {
		end := bs[i].Start.Add(bs[i].Duration)
		for !tick.After(end) {
			ev = tr.Advance(ev, tick)
			tick = tick.Add(10 * time.Millisecond)
		}
		ev = tr.Add(ev, &bs[i])
	}
	for !tick.After(until) {
		ev = tr.Advance(ev, tick)
		tick = tick.Add(10 * time.Millisecond)
	}
	if !flushAt.IsZero() {
		ev = tr.Advance(ev, flushAt)
		ev = tr.Flush(ev, flushAt)
	}
	return feedResult{events: ev, stats: tr.Stats()}
}

// raisedOf returns the raised events, optionally of one class.
func raisedOf(ev []alerting.Alert, class string) []alerting.Alert {
	var out []alerting.Alert
	for _, a := range ev {
		if a.State == alerting.StateRaised && (class == "" || a.Class == class) {
			out = append(out, a)
		}
	}
	return out
}

// lastOf returns the last event of alert id.
func lastOf(ev []alerting.Alert, id string) alerting.Alert {
	var l alerting.Alert
	for _, a := range ev {
		if a.ID == id {
			l = a
		}
	}
	return l
}

// checkLifecycle asserts what holds for every event stream: each event
// validates against the schema; per id, rev counts from 0 (raised) by one,
// nothing follows cleared, updates are at least interval apart, times and
// burst counts never go back, first_seen ≤ last_seen; ids are unique to
// their alert (one class, one first_seen).
func checkLifecycle(t *testing.T, ev []alerting.Alert, interval time.Duration) {
	t.Helper()
	type state struct {
		rev     int
		cleared bool
		last    alerting.Alert
	}
	seen := map[string]*state{}
	for i, a := range ev {
		js, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if err := alerting.Validate(alerting.KindAlert, js); err != nil {
			t.Fatalf("event %d does not validate: %v\n%s", i, err, js)
		}
		if a.FirstSeen.After(a.LastSeen) {
			t.Errorf("event %d (%s rev %d): first_seen %v after last_seen %v", i, a.ID, a.Rev, a.FirstSeen, a.LastSeen)
		}
		if a.Confidence < 0 || a.Confidence > 1 {
			t.Errorf("event %d: confidence %g", i, a.Confidence)
		}
		s := seen[a.ID]
		if s == nil {
			if a.State != alerting.StateRaised || a.Rev != 0 {
				t.Errorf("event %d: first event of %s is %s rev %d, want raised rev 0", i, a.ID, a.State, a.Rev)
			}
			seen[a.ID] = &state{rev: a.Rev, last: a}
			continue
		}
		switch {
		case s.cleared:
			t.Errorf("event %d: %s %s rev %d after cleared", i, a.ID, a.State, a.Rev)
		case a.Rev != s.rev+1:
			t.Errorf("event %d: %s rev %d after rev %d", i, a.ID, a.Rev, s.rev)
		case a.State == alerting.StateRaised:
			t.Errorf("event %d: %s raised twice", i, a.ID)
		case a.State == alerting.StateUpdated && a.Time.Sub(s.last.Time) < interval:
			t.Errorf("event %d: %s updated %v after its previous event, want ≥ %v", i, a.ID, a.Time.Sub(s.last.Time), interval)
		case a.Time.Before(s.last.Time), a.Bursts < s.last.Bursts, a.Class != s.last.Class, !a.FirstSeen.Equal(s.last.FirstSeen) && a.FirstSeen.After(s.last.FirstSeen):
			t.Errorf("event %d: %s went back: %+v after %+v", i, a.ID, a, s.last)
		}
		s.rev, s.last, s.cleared = a.Rev, a, a.State == alerting.StateCleared
	}
}
