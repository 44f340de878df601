package classify

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/sdr/sim/waveform"
)

const testRate = 2.4e6

// decideCases are hand-made feature sets, one or more per rule of Decide,
// with the class, kind and score each rule gives. The pairs that differ in
// one feature show which feature the rule turns on.
var decideCases = []struct {
	name  string
	f     Features
	class dsp.Class
	kind  string
	score float64
}{
	// Rules on the footprint that apply with or without samples.
	{"impulse by peak share", Features{Bandwidth: 2e6, Duration: 50e-6, Window: testRate, HasIQ: true, Peak: 0.8},
		dsp.ClassInterference, "impulse", 0.9},
	{"impulse by peak share beats narrowband", Features{Bandwidth: 30e3, Duration: 0.1e-3, Window: testRate, HasIQ: true, Peak: 0.9},
		dsp.ClassInterference, "impulse", 0.9},
	{"peak share ignored from 0.2 ms on", Features{Bandwidth: 200e3, Duration: 0.33e-3, Window: testRate, HasIQ: true, Peak: 0.8, GMSK: gmskMatch + 0.1},
		dsp.ClassGSM, "access", 0.9},
	{"carrier", Features{Bandwidth: 20e3, Duration: 50e-3, Window: testRate},
		dsp.ClassInterference, "carrier", 0.9},
	{"narrowband", Features{Bandwidth: 30e3, Duration: 1e-3, Window: testRate, HasIQ: true},
		dsp.ClassInterference, "narrowband", 0.7},
	{"narrowband before dc", Features{Bandwidth: 50e3, Duration: 1e-3, Offset: 0, Window: testRate},
		dsp.ClassInterference, "narrowband", 0.7},
	{"impulse by footprint", Features{Bandwidth: 2e6, Duration: 30e-6, Window: testRate},
		dsp.ClassInterference, "impulse", 0.7},
	{"dc", Features{Bandwidth: 80e3, Duration: 0.55e-3, Offset: 10e3, Window: testRate},
		dsp.ClassInterference, "dc", 0.7},
	{"same burst away from dc", Features{Bandwidth: 80e3, Duration: 0.55e-3, Offset: 200e3, Window: testRate},
		dsp.ClassGSM, "normal", 0.5},

	// With samples: cyclic prefix.
	{"cp → lte pusch", Features{Bandwidth: 1.08e6, Duration: 0.5e-3, Window: testRate, HasIQ: true, CP: 0.6, CPLooks: 100},
		dsp.ClassLTE, "pusch", 0.9},
	{"cp below its noise level (3.5/√25 = 0.7)", Features{Bandwidth: 1.08e6, Duration: 0.5e-3, Window: testRate, HasIQ: true, CP: 0.6, CPLooks: 25},
		dsp.ClassLTE, "pusch", 0.6},
	{"cp below 0.45 with many looks", Features{Bandwidth: 1.08e6, Duration: 3e-3, Window: testRate, HasIQ: true, CP: 0.44, CPLooks: 10000},
		dsp.ClassUnknown, "", 0.3},
	{"cp → lte srs", Features{Bandwidth: 1e6, Duration: 71e-6, Window: testRate, HasIQ: true, CP: 0.9, CPLooks: 1000},
		dsp.ClassLTE, "srs", 0.9},
	{"cp → lte prach", Features{Bandwidth: 1.08e6, Duration: 0.9e-3, Window: testRate, HasIQ: true, CP: 0.5, CPLooks: 400},
		dsp.ClassLTE, "prach", 0.9},
	{"cp beats gsm known bits", Features{Bandwidth: 200e3, Duration: 0.55e-3, Window: testRate, HasIQ: true, CP: 0.8, CPLooks: 100, GMSK: 0.95},
		dsp.ClassLTE, "pucch", 0.9},

	// With samples: GSM access bursts (shorter than 0.45 ms).
	{"gsm access by known bits", Features{Bandwidth: 200e3, Duration: 0.33e-3, Window: testRate, HasIQ: true, GMSK: gmskMatch + 0.1},
		dsp.ClassGSM, "access", 0.9},
	{"access length, known bits unsure", Features{Bandwidth: 200e3, Duration: 0.33e-3, Window: testRate, HasIQ: true, GMSK: (gmskNone + gmskMatch) / 2},
		dsp.ClassUnknown, "", 0.4},
	{"access length, no known bits, lte slot length", Features{Bandwidth: 180e3, Duration: 0.44e-3, Window: testRate, HasIQ: true, GMSK: gmskNone - 0.1},
		dsp.ClassLTE, "pucch", 0.6},
	{"access length, no known bits, no lte length", Features{Bandwidth: 180e3, Duration: 0.33e-3, Window: testRate, HasIQ: true, GMSK: gmskNone - 0.1},
		dsp.ClassUnknown, "", 0.4},

	// With samples: GSM normal burst (546.5 µs) against a 1-PRB PUCCH slot
	// (500 µs): known bits and length weigh together, d = (GMSK −
	// gmskMatch)/scale + (duration − 523 µs)/20 µs, the score growing with
	// |d| (scoreRange: only its range is checked, the scale being tuning).
	{"normal by length, known bits at the limit", Features{Bandwidth: 180e3, Duration: 546.5e-6, Window: testRate, HasIQ: true, GMSK: gmskMatch},
		dsp.ClassGSM, "normal", scoreRange},
	{"pucch by length, known bits at the limit", Features{Bandwidth: 180e3, Duration: 500e-6, Window: testRate, HasIQ: true, GMSK: gmskMatch},
		dsp.ClassLTE, "pucch", scoreRange},
	{"known bits win over a slot's length", Features{Bandwidth: 200e3, Duration: 500e-6, Window: testRate, HasIQ: true, GMSK: gmskMatch + 0.25},
		dsp.ClassGSM, "normal", scoreRange},
	{"score capped at 0.95", Features{Bandwidth: 200e3, Duration: 0.7e-3, Window: testRate, HasIQ: true, GMSK: 1},
		dsp.ClassGSM, "normal", 0.95},
	{"no known bits at normal length", Features{Bandwidth: 180e3, Duration: 546e-6, Window: testRate, HasIQ: true, GMSK: gmskNone - 0.05},
		dsp.ClassLTE, "pucch", scoreRange},
	{"long enough but no known bits", Features{Bandwidth: 180e3, Duration: 0.75e-3, Window: testRate, HasIQ: true, GMSK: gmskNone - 0.02},
		dsp.ClassUnknown, "", 0.4},
	{"lte score capped at 0.9", Features{Bandwidth: 360e3, Duration: 500e-6, Window: testRate, HasIQ: true, GMSK: 0},
		dsp.ClassLTE, "pusch", 0.9},

	// With samples: wide and long.
	{"floor step", Features{Bandwidth: 2.3e6, Duration: 10e-3, Window: testRate, HasIQ: true, Kappa: 2},
		dsp.ClassInterference, "step", 0.6},
	{"umts", Features{Bandwidth: 2e6, Duration: 10e-3, Window: testRate, HasIQ: true, Kappa: 1.9},
		dsp.ClassUMTS, "dpch", 0.8},
	{"sweep (constant envelope)", Features{Bandwidth: 2e6, Duration: 10e-3, Window: testRate, HasIQ: true, Kappa: 1.05},
		dsp.ClassInterference, "sweep", 0.6},
	{"lte by footprint with samples", Features{Bandwidth: 540e3, Duration: 1e-3, Window: testRate, HasIQ: true, CP: 0.1, CPLooks: 100},
		dsp.ClassLTE, "pusch", 0.6},
	{"nothing known with samples", Features{Bandwidth: 500e3, Duration: 3e-3, Window: testRate, HasIQ: true},
		dsp.ClassUnknown, "", 0.3},

	// Footprint only (no samples).
	{"footprint gsm access", Features{Bandwidth: 200e3, Duration: 0.3e-3, Window: testRate},
		dsp.ClassGSM, "access", 0.5},
	{"footprint too short for access", Features{Bandwidth: 200e3, Duration: 0.22e-3, Window: testRate},
		dsp.ClassUnknown, "", 0.3},
	{"footprint gsm normal", Features{Bandwidth: 200e3, Duration: 0.55e-3, Window: testRate},
		dsp.ClassGSM, "normal", 0.5},
	{"footprint pucch", Features{Bandwidth: 180e3, Duration: 0.5e-3, Window: testRate},
		dsp.ClassLTE, "pucch", 0.5},
	{"footprint pusch", Features{Bandwidth: 360e3, Duration: 0.5e-3, Window: testRate},
		dsp.ClassLTE, "pusch", 0.5},
	{"footprint prach", Features{Bandwidth: 1.08e6, Duration: 1e-3, Window: testRate},
		dsp.ClassLTE, "prach", 0.5},
	{"footprint srs", Features{Bandwidth: 720e3, Duration: 80e-6, Window: testRate},
		dsp.ClassLTE, "srs", 0.5},
	{"footprint step", Features{Bandwidth: 2.2e6, Duration: 6e-3, Window: testRate},
		dsp.ClassInterference, "step", 0.5},
	{"footprint wide and long", Features{Bandwidth: 2e6, Duration: 10e-3, Window: testRate},
		dsp.ClassUnknown, "", 0.3},
	{"footprint umts is not claimed without samples", Features{Bandwidth: 2e6, Duration: 10e-3, Window: testRate, Kappa: 1.9},
		dsp.ClassUnknown, "", 0.3},
}

// scoreRange in a decideCases entry: the score depends on tuning; it must
// lie in [0.6, 0.95] for GSM and [0.6, 0.9] for LTE.
const scoreRange = -1

func TestDecide(t *testing.T) {
	for _, tc := range decideCases {
		t.Run(tc.name, func(t *testing.T) {
			class, kind, score := Decide(tc.f)
			if class != tc.class || kind != tc.kind {
				t.Errorf("Decide(%+v) = %v %q, want %v %q", tc.f, class, kind, tc.class, tc.kind)
			}
			switch {
			case tc.score == scoreRange:
				hi := 0.95
				if class == dsp.ClassLTE {
					hi = 0.9
				}
				if score < 0.6 || score > hi {
					t.Errorf("score %.6f outside [0.6, %g]", score, hi)
				}
			case math.Abs(score-tc.score) > 1e-9:
				t.Errorf("score %.6f, want %.6f", score, tc.score)
			}
		})
	}
	// The weighing of known bits against length: at the slot's length, more
	// known bits make a stronger GSM claim; at the GSM length, fewer make a
	// stronger LTE claim.
	score := func(gmsk, dur float64) (dsp.Class, float64) {
		c, _, s := Decide(Features{Bandwidth: 180e3, Duration: dur, Window: testRate, HasIQ: true, GMSK: gmsk})
		return c, s
	}
	c1, s1 := score(gmskMatch+0.2, 546.5e-6)
	c2, s2 := score(gmskMatch+0.3, 546.5e-6)
	if c1 != dsp.ClassGSM || c2 != dsp.ClassGSM || !(s2 > s1) {
		t.Errorf("GSM length: GMSK +0.2 → %v %.3f, +0.3 → %v %.3f; want GSM, rising", c1, s1, c2, s2)
	}
	c1, s1 = score(gmskMatch-0.05, 500e-6)
	c2, s2 = score(gmskNone, 500e-6)
	if c1 != dsp.ClassLTE || c2 != dsp.ClassLTE || !(s2 > s1) {
		t.Errorf("slot length: GMSK −0.05 → %v %.3f, gmskNone → %v %.3f; want LTE, rising", c1, s1, c2, s2)
	}
}

// kindsOf lists the kinds Decide may give with each class.
var kindsOf = map[dsp.Class][]string{
	dsp.ClassUnknown:      {""},
	dsp.ClassGSM:          {"normal", "access"},
	dsp.ClassLTE:          {"pusch", "pucch", "prach", "srs"},
	dsp.ClassUMTS:         {"dpch"},
	dsp.ClassInterference: {"impulse", "carrier", "narrowband", "dc", "step", "sweep"},
}

// FuzzDecide: whatever the features, Decide returns a class it may return,
// a kind of that class, and (for features that are numbers) a score in
// [0, 1]. Decide never says overload: that comes from the detector.
func FuzzDecide(f *testing.F) {
	for _, tc := range decideCases {
		x := tc.f
		f.Add(x.Bandwidth, x.Duration, x.Offset, x.Window, x.SNR, x.HasIQ, x.Kappa, x.CP, x.CPLooks, x.GMSK, x.Peak)
	}
	f.Add(math.NaN(), math.Inf(1), math.Inf(-1), 0.0, 0.0, true, math.NaN(), math.Inf(1), -5, math.Inf(-1), math.NaN())
	f.Fuzz(func(t *testing.T, bw, dur, off, win, snr float64, iq bool, kappa, cp float64, looks int, gmsk, peak float64) {
		x := Features{Bandwidth: bw, Duration: dur, Offset: off, Window: win, SNR: snr, HasIQ: iq,
			Kappa: kappa, CP: cp, CPLooks: looks, GMSK: gmsk, Peak: peak}
		class, kind, score := Decide(x)
		ok := false
		for _, k := range kindsOf[class] {
			ok = ok || k == kind
		}
		if !ok {
			t.Fatalf("Decide(%+v) = class %v kind %q: not a pair Decide gives", x, class, kind)
		}
		finite := true
		for _, v := range []float64{bw, dur, off, win, snr, kappa, cp, gmsk, peak} {
			finite = finite && !math.IsNaN(v)
		}
		if finite && !(score >= 0 && score <= 1) {
			t.Fatalf("Decide(%+v): score %v outside [0, 1]", x, score)
		}
	})
}

// cnoise returns n samples of circular complex Gaussian noise of power p.
func cnoise(rng *rand.Rand, n int, p float64) []complex64 {
	s := make([]complex64, n)
	sd := math.Sqrt(p / 2)
	for i := range s {
		s[i] = complex(float32(rng.NormFloat64()*sd), float32(rng.NormFloat64()*sd))
	}
	return s
}

// TestEnvelopeEdges: the edges of a rectangular burst 10 dB over the noise
// are found within 2 % of its length from a nominal span that is off by
// tens of µs (as the spectrogram's frames leave it), with a constant or a
// Gaussian envelope, and across a dip inside the burst.
func TestEnvelopeEdges(t *testing.T) {
	const (
		n          = 4000
		b0, b1     = 1000, 2200 // the burst: 500 µs at 2.4 MS/s
		snr        = 10.0
		tolSamples = (b1 - b0) * 2 / 100
	)
	cases := []struct {
		name     string
		gaussian bool // Gaussian envelope (SC-FDMA-like) instead of constant (GMSK)
		dips     [][2]int
		s0, s1   int // nominal span
	}{
		{"constant", false, nil, 900, 2300},
		{"constant, nominal late and short", false, nil, 1080, 2150},
		{"gaussian", true, nil, 950, 2280},
		{"dip off centre", false, [][2]int{{1300, 1400}}, 900, 2300},
		{"dip at the middle", false, [][2]int{{1550, 1650}}, 900, 2300},
		{"gaussian, two dips", true, [][2]int{{1200, 1260}, {1580, 1640}}, 900, 2300},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 11))
			x := cnoise(rng, n, 1)
			for k := b0; k < b1; k++ {
				in := false
				for _, d := range tc.dips {
					in = in || (k >= d[0] && k < d[1])
				}
				if in {
					continue
				}
				var s complex64
				if tc.gaussian {
					s = complex(float32(rng.NormFloat64()*math.Sqrt(snr/2)), float32(rng.NormFloat64()*math.Sqrt(snr/2)))
				} else {
					ph := 2 * math.Pi * rng.Float64()
					s = complex(float32(math.Sqrt(snr)*math.Cos(ph)), float32(math.Sqrt(snr)*math.Sin(ph)))
				}
				x[k] += s
			}
			p := make([]float64, n)
			e0, e1, ok := envelopeEdges(x, testRate, tc.s0, tc.s1, snr, p)
			if !ok {
				t.Fatal("no edges found")
			}
			if abs(e0-b0) > tolSamples || abs(e1-b1) > tolSamples {
				t.Errorf("edges [%d, %d), want [%d, %d) within %d samples", e0, e1, b0, b1, tolSamples)
			}
			t.Logf("edges [%d, %d): off by %d and %d samples", e0, e1, e0-b0, e1-b1)
		})
	}
	t.Run("refuses", func(t *testing.T) {
		x := make([]complex64, 100)
		for _, c := range []struct {
			s0, s1, scratch int
		}{{10, 15, 100}, {10, 101, 100}, {10, 90, 50}} {
			if _, _, ok := envelopeEdges(x, testRate, c.s0, c.s1, 10, make([]float64, c.scratch)); ok {
				t.Errorf("span [%d, %d) with %d scratch: edges reported", c.s0, c.s1, c.scratch)
			}
		}
	})
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// TestPeakShare: an impulse puts nearly all its energy in its loudest
// 10 µs; a constant-envelope burst puts w/len of it there.
func TestPeakShare(t *testing.T) {
	w := int(10e-6 * testRate) // 24 samples
	rng := rand.New(rand.NewPCG(5, 5))
	impulse := cnoise(rng, 1200, 1e-4)
	for k := 600; k < 600+w; k++ {
		impulse[k] += complex(3, -2)
	}
	flat := make([]complex64, 1200)
	for k := range flat {
		ph := 2 * math.Pi * rng.Float64()
		flat[k] = complex(float32(math.Cos(ph)), float32(math.Sin(ph)))
	}
	cases := []struct {
		name     string
		x        []complex64
		w        int
		lo, hi   float64
		exactly  bool
		expected float64
	}{
		{name: "impulse", x: impulse, w: w, lo: 0.99, hi: 1},
		{name: "flat burst", x: flat, w: w, exactly: true, expected: float64(w) / 1200},
		{name: "window longer than x", x: flat[:10], w: w, exactly: true, expected: 1},
		{name: "silence", x: make([]complex64, 100), w: w, exactly: true, expected: 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := peakShare(tc.x, tc.w, nil)
			if g2 := peakShare(tc.x, tc.w, make([]float64, len(tc.x))); g2 != got {
				t.Errorf("with scratch %v, without %v", g2, got)
			}
			if tc.exactly {
				if math.Abs(got-tc.expected) > 1e-6 {
					t.Errorf("peakShare = %.8f, want %.8f", got, tc.expected)
				}
				return
			}
			if got < tc.lo || got > tc.hi {
				t.Errorf("peakShare = %.4f, want [%g, %g]", got, tc.lo, tc.hi)
			}
		})
	}
	// The decision limit sits between the two.
	if !(peakShare(impulse, w, nil) > impulseConc && peakShare(flat, w, nil) < impulseConc) {
		t.Error("impulseConc does not separate an impulse from a flat burst")
	}
}

// gsmTestBurst is a GSM burst as a receiver would see it: 5 µs of noise
// before the ramp-up, the burst carrier off by offHz, I and Q swapped when
// swap, in white noise whose power in 200 kHz is the burst's power / snr
// (linear), at testRate.
func gsmTestBurst(t *testing.T, rng *rand.Rand, kind waveform.GSMBurstKind, tsc int, offHz float64, swap bool, snr float64) []complex64 {
	t.Helper()
	g, err := waveform.NewGSM(testRate)
	if err != nil {
		t.Fatal(err)
	}
	const pre = 12
	buf := make([]complex64, g.BurstLen(kind))
	n, _ := g.Burst(buf, kind, tsc, rng.Float64(), rng)
	x := cnoise(rng, pre+n+48, 1/snr*testRate/200e3)
	for i, v := range buf[:n] {
		k := pre + i
		s, c := math.Sincos(2 * math.Pi * offHz * float64(k) / testRate)
		v *= complex(float32(c), float32(s))
		if swap {
			v = complex(imag(v), real(v))
		}
		x[k] += v
	}
	return x
}

// TestGMSKMatch: the known-bit correlation is high on GSM bursts at 20 dB
// with a ±15 kHz carrier error and either spectral orientation (I and Q
// swapped), for every training sequence and for the access burst. Each
// training sequence is one phone, heard by a classifier of its own.
func TestGMSKMatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 2))
	lowest := 1.0
	for tsc := -1; tsc < 8; tsc++ { // −1: access burst
		kind, name := waveform.GSMNormal, fmt.Sprintf("normal tsc %d", tsc)
		if tsc < 0 {
			kind, name = waveform.GSMAccess, "access"
		}
		c := New(testRate)
		for _, swap := range []bool{false, true} {
			for _, off := range []float64{15e3, -15e3} {
				t.Run(fmt.Sprintf("%s/swap=%v/%+.0fkHz", name, swap, off/1e3), func(t *testing.T) {
					for range 3 {
						x := gsmTestBurst(t, rng, kind, max(tsc, 0), off, swap, 100)
						// The classifier thinks the burst is at 0 Hz: the
						// offset stays in the signal.
						y := c.bandLimit(x, 0, 240e3, c.gsmDec)
						got := c.gsm.match(y, kind == waveform.GSMAccess)
						lowest = math.Min(lowest, got)
						if got <= 0.9 {
							t.Errorf("match %.3f, want > 0.9", got)
						}
					}
				})
			}
		}
	}
	t.Logf("lowest match on GSM bursts at 20 dB: %.3f", lowest)
}

// TestGMSKLearnsTSC: a classifier that remembers another phone's training
// sequence (match tries the last one matched first and may stop there)
// still finds a new phone's own within a few bursts, after which its
// bursts match well.
func TestGMSKLearnsTSC(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 4))
	for tsc := range 8 {
		t.Run(fmt.Sprint(tsc), func(t *testing.T) {
			c := New(testRate) // remembers TSC 0, as after the start
			var got float64
			for range 4 {
				x := gsmTestBurst(t, rng, waveform.GSMNormal, tsc, 15e3, false, 100)
				got = c.gsm.match(c.bandLimit(x, 0, 240e3, c.gsmDec), false)
			}
			if got <= 0.9 {
				t.Errorf("fourth burst of TSC %d: match %.3f, want > 0.9", tsc, got)
			}
		})
	}
}

// TestGMSKNoise: on noise as long as a burst, band-limited to the GSM
// channel like a burst, the best correlation over every lag, training
// sequence and orientation stays below 0.75.
func TestGMSKNoise(t *testing.T) {
	c := New(testRate)
	g, err := waveform.NewGSM(testRate)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(46, 3))
	const trials = 200
	for _, access := range []bool{false, true} {
		t.Run(fmt.Sprintf("access=%v", access), func(t *testing.T) {
			kind := waveform.GSMNormal
			if access {
				kind = waveform.GSMAccess
			}
			highest := 0.0
			for i := range trials {
				x := cnoise(rng, 12+g.BurstLen(kind)+48, 1)
				got := c.gsm.match(c.bandLimit(x, 0, 240e3, c.gsmDec), access)
				highest = math.Max(highest, got)
				if got >= 0.75 {
					t.Errorf("noise trial %d: match %.3f, want < 0.75", i, got)
				}
			}
			t.Logf("%d trials: highest %.3f (gmskNone %.2f, gmskMatch %.2f)", trials, highest, gmskNone, gmskMatch)
		})
	}
}

// TestCPCorrelation: the cyclic-prefix correlation of a 6-PRB LTE slot at
// 6 dB SNR in its band stands above both decision limits (cpLTE and
// 3.5/√looks, with looks scaled to the band as Features does); band-
// limited noise and a GSM burst stay below.
func TestCPCorrelation(t *testing.T) {
	c := New(testRate)
	rng := rand.New(rand.NewPCG(9, 9))
	l, err := waveform.NewLTE(testRate)
	if err != nil {
		t.Fatal(err)
	}
	const bw = 6 * 180e3
	limit := func(looks int) float64 {
		eff := int(float64(looks) * math.Min(1, bw/testRate))
		return math.Max(cpLTE, 3.5/math.Sqrt(float64(max(eff, 1))))
	}
	slot := func(snr float64, mod waveform.LTEMod) []complex64 {
		buf := make([]complex64, l.SlotLen())
		n, span := l.Slot(buf, 6, mod, rng.Float64(), rng)
		// Noise power in the band bw = signal power (KeptFraction) / snr.
		x := cnoise(rng, n, l.KeptFraction(6)/snr*testRate/bw)
		for i := span.Start; i < span.End(); i++ {
			x[i] += buf[i]
		}
		return x[span.Start:span.End()]
	}
	for _, tc := range []struct {
		name string
		snr  float64
		mod  waveform.LTEMod
	}{{"qpsk 6 dB", 4, waveform.QPSK}, {"16qam 6 dB", 4, waveform.QAM16}, {"qpsk 20 dB", 100, waveform.QPSK}} {
		for trial := range 5 {
			t.Run(fmt.Sprintf("%s/%d", tc.name, trial), func(t *testing.T) {
				x := c.bandLimit(slot(tc.snr, tc.mod), 0, bw, 1)
				cp, looks := c.cpCorrelation(x)
				if cp <= limit(looks) {
					t.Errorf("CP %.3f with %d looks: want > %.3f", cp, looks, limit(looks))
				}
				t.Logf("CP %.3f, %d looks, limit %.3f", cp, looks, limit(looks))
			})
		}
	}
	t.Run("noise", func(t *testing.T) {
		highest := 0.0
		for trial := range 20 {
			x := c.bandLimit(cnoise(rng, l.SlotLen(), 1), 0, bw, 1)
			cp, looks := c.cpCorrelation(x)
			highest = math.Max(highest, cp)
			if cp >= limit(looks) {
				t.Errorf("trial %d: CP %.3f with %d looks, want < %.3f", trial, cp, looks, limit(looks))
			}
		}
		t.Logf("highest CP on noise: %.3f", highest)
	})
	t.Run("gsm burst", func(t *testing.T) {
		x := c.bandLimit(gsmTestBurst(t, rng, waveform.GSMNormal, 3, 0, false, 100), 0, 240e3, 1)
		if cp, looks := c.cpCorrelation(x); cp >= cpLTE {
			t.Errorf("CP %.3f (%d looks) on a GSM burst, want < %.2f", cp, looks, cpLTE)
		}
	})
	t.Run("too short", func(t *testing.T) {
		if cp, looks := c.cpCorrelation(make([]complex64, 100)); cp != 0 || looks != 0 {
			t.Errorf("100 samples: CP %g looks %d, want 0 0", cp, looks)
		}
	})
}
