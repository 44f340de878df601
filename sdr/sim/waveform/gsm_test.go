package waveform

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// gsmBits demodulates the useful bits of a burst with a plain differential
// phase detector: the sign of the phase change across each bit period,
// taken between the samples nearest to the bit's edges, gives the
// differentially encoded bit d̂_i = d_i ⊕ d_{i−1}; the bits follow from
// d_{−1} = 1 (TS 45.004 §2.2). startSec is the instant of the first useful
// bit after sample position frac.
func gsmBits(s []complex64, rate, frac, startSec float64, nbits int) []uint8 {
	T := 48 / 13e6
	at := func(t float64) complex128 { return complex128(s[int(math.Round(t*rate+frac))]) }
	out := make([]uint8, nbits)
	prev := uint8(1)
	for i := range nbits {
		a := at(startSec + float64(i)*T)
		b := at(startSec + float64(i+1)*T)
		var dh uint8
		if cmplx.Phase(b*cmplx.Conj(a)) < 0 {
			dh = 1 // α = −1: phase falls
		}
		out[i] = dh ^ prev
		prev = out[i]
	}
	return out
}

func TestGSMDemodulatesTrainingSequence(t *testing.T) {
	for _, tc := range []struct {
		name       string
		rate, frac float64
	}{
		{"2.4MSps", 2.4e6, 0},
		{"2.4MSps-frac", 2.4e6, 0.37},
		{"1.024MSps-frac", 1.024e6, 0.81},
		{"2.048MSps", 2.048e6, 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := NewGSM(tc.rate)
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			buf := make([]complex64, g.BurstLen(GSMNormal))
			for tsc := range 8 {
				g.Burst(buf, GSMNormal, tsc, tc.frac, rng)
				bits := gsmBits(buf, tc.rate, tc.frac, 10e-6, 148)
				want := GSMTrainingSequence(tsc)
				for i, b := range want {
					if bits[61+i] != b {
						t.Fatalf("TSC %d: bit %d = %d, want %d; got %v", tsc, i, bits[61+i], b, bits[61:87])
					}
				}
				for _, i := range []int{0, 1, 2, 60, 87, 145, 146, 147} { // tails and flags
					if bits[i] != 0 {
						t.Errorf("TSC %d: bit %d = 1, want 0 (tail/flag)", tsc, i)
					}
				}
			}
			abuf := make([]complex64, g.BurstLen(GSMAccess))
			g.Burst(abuf, GSMAccess, 0, tc.frac, rng)
			bits := gsmBits(abuf, tc.rate, tc.frac, 10e-6, 88)
			tail, sync := [8]uint8{0, 0, 1, 1, 1, 0, 1, 0}, GSMAccessSync()
			for i := range 8 {
				if bits[i] != tail[i] {
					t.Errorf("access extended tail: %v", bits[:8])
					break
				}
			}
			for i := range 41 {
				if bits[8+i] != sync[i] {
					t.Errorf("access sync bit %d: got %v", i, bits[8:49])
					break
				}
			}
			if bits[85]|bits[86]|bits[87] != 0 {
				t.Errorf("access tail bits %v, want 000", bits[85:])
			}
		})
	}
}

func TestGSMTrainingSequencesAreDistinct(t *testing.T) {
	// Guard against a mistyped table: the eight TSCs of set 1 have low
	// mutual cross-correlation in their central 16 bits (±1 mapping): that
	// is what they were chosen for; a mistyped row usually breaks it.
	pm := func(b uint8) int { return 1 - 2*int(b) }
	for a := range 8 {
		ta := GSMTrainingSequence(a)
		for b := range 8 {
			tb := GSMTrainingSequence(b)
			// TSCs are cyclically extended: bits 0–4 repeat 16–20, 21–25 repeat 5–9.
			for i := range 5 {
				if ta[i] != ta[16+i] || ta[21+i] != ta[5+i] {
					t.Fatalf("TSC %d is not a cyclically extended 16-bit core", a)
				}
			}
			// Autocorrelation of the 16-bit core against the 26 bits: peak 16
			// at lag 0, and 0 at lags ±1…±5 (the TSC design property).
			if a != b {
				continue
			}
			for lag := -5; lag <= 5; lag++ {
				c := 0
				for i := range 16 {
					c += pm(ta[5+i]) * pm(tb[5+i+lag])
				}
				if lag == 0 && c != 16 || lag != 0 && c != 0 {
					t.Errorf("TSC %d: autocorrelation at lag %d = %d", a, lag, c)
				}
			}
		}
	}
}

// refGMSKSpectrum is an independent, deliberately plain GMSK modulator for
// comparison: random ±1 symbols at 32 samples per bit, NRZ convolved with
// the sampled Gaussian impulse response of TS 45.004 (σ = √ln2/(2π·0.3)
// bit), phase = (π/2)·cumulative sum / 32. It returns the averaged
// spectrum at the given resolution, re-binned to the test's bin width.
func refGMSKSpectrum(t *testing.T, rate float64, nfft int) []float64 {
	const os = 32
	fs := 13e6 / 48 * os
	sigma := math.Sqrt(math.Ln2) / (2 * math.Pi * 0.3) * os
	var h []float64
	for k := -int(5 * sigma); k <= int(5*sigma); k++ {
		h = append(h, math.Exp(-float64(k*k)/(2*sigma*sigma)))
	}
	var hs float64
	for _, v := range h {
		hs += v
	}
	rng := rand.New(rand.NewPCG(9, 9))
	nbits := 8000
	nrz := make([]float64, nbits*os)
	for i := range nbits {
		a := 1.0
		if rng.IntN(2) == 1 {
			a = -1
		}
		for k := range os {
			nrz[i*os+k] = a
		}
	}
	x := make([]complex64, len(nrz))
	phase := 0.0
	for n := range nrz {
		var f float64
		for k, v := range h {
			if m := n - k + len(h)/2; m >= 0 && m < len(nrz) {
				f += v * nrz[m]
			}
		}
		phase += math.Pi / 2 * f / hs / os
		x[n] = complex64(cmplx.Exp(complex(0, phase)))
	}
	// Same resolution bandwidth as the test spectrum: nfft at rate ⇒ the
	// reference uses nfft·fs/rate points (rounded to an even size).
	nref := int(math.Round(float64(nfft)*fs/rate/2)) * 2
	sp := newSpectrum(nref, fs)
	sp.add(x[len(h):len(x)-len(h)], nref/2)
	p, df := sp.psd()
	// Re-bin onto the test grid by linear interpolation.
	out := make([]float64, nfft)
	dft := rate / float64(nfft)
	for i := range out {
		f := float64(i-nfft/2) * dft
		pos := f/df + float64(nref/2)
		j := int(math.Floor(pos))
		w := pos - float64(j)
		out[i] = p[j]*(1-w) + p[j+1]*w
	}
	_ = t
	return out
}

func TestGSMSpectrum(t *testing.T) {
	// Segments of 448 samples (50.6 bits) lie inside the two 57-bit data
	// fields, bits 4–55 and 90–141: TS 45.005 also measures the modulation
	// spectrum away from the midamble, whose fixed bits colour it.
	const rate, nfft = 2.4e6, 448
	g, _ := NewGSM(rate)
	rng := rand.New(rand.NewPCG(3, 4))
	buf := make([]complex64, g.BurstLen(GSMNormal))
	sp := newSpectrum(nfft, rate)
	T := 48 / 13e6
	for range 2000 {
		frac := rng.Float64()
		_, act := g.Burst(buf, GSMNormal, rng.IntN(8), frac, rng)
		for _, bit := range []float64{4, 90} {
			s := act.Start + int(bit*T*rate)
			sp.add(buf[s:s+nfft], nfft)
		}
	}
	p, df := sp.psd()
	// Integrate over a 30 kHz resolution bandwidth, as TS 45.005 §4.2.1.
	rbw := func(f float64) float64 { return bandPower(p, df, f-15e3, f+15e3) }
	ref := rbw(0)
	t.Run("occupied-99%", func(t *testing.T) {
		bw, centre := occupiedBW(p, df, 0.99)
		t.Logf("99%% bandwidth %.1f kHz, centre %.2f kHz", bw/1e3, centre/1e3)
		// GMSK BT 0.3: 99 % of the power within 0.92 × bit rate ≈ 249 kHz
		// (Murota & Hirade 1981).
		if math.Abs(bw-249e3) > 10e3 {
			t.Errorf("99%% bandwidth %.1f kHz, want 249 ± 10 kHz", bw/1e3)
		}
		if math.Abs(centre) > 2e3 {
			t.Errorf("spectrum centred at %.1f kHz, want 0", centre/1e3)
		}
	})
	t.Run("modulation-mask", func(t *testing.T) {
		// TS 45.005 §4.2.1, MS, relative levels in 30 kHz: +0.5 dB at
		// 100 kHz, −30 dB at 200 kHz, −33 dB at 250 kHz, −60 dB at 400 kHz
		// and beyond.
		for _, m := range []struct{ off, maxDB float64 }{
			{100e3, 0.5}, {200e3, -30}, {250e3, -33}, {400e3, -60}, {600e3, -60}, {1000e3, -60},
		} {
			for _, sign := range []float64{-1, 1} {
				l := db(rbw(sign*m.off) / ref)
				t.Logf("%+5.0f kHz: %6.1f dB (mask %5.1f dB)", sign*m.off/1e3, l, m.maxDB)
				if l > m.maxDB {
					t.Errorf("level at %+.0f kHz = %.1f dB, mask %.1f dB", sign*m.off/1e3, l, m.maxDB)
				}
			}
		}
	})
	t.Run("matches-reference-GMSK", func(t *testing.T) {
		// Compare the spectral shape with an independent textbook GMSK
		// modulator: within 1.5 dB wherever the reference is above −50 dB.
		rp := refGMSKSpectrum(t, rate, nfft)
		var rmax, pmax float64
		for i := range p {
			rmax, pmax = math.Max(rmax, rp[i]), math.Max(pmax, p[i])
		}
		worst := 0.0
		for i := range p {
			if rp[i] < rmax*1e-5 {
				continue
			}
			d := db(p[i]/pmax) - db(rp[i]/rmax)
			if math.Abs(d) > math.Abs(worst) {
				worst = d
			}
			if math.Abs(d) > 1.5 {
				t.Errorf("at %.1f kHz: %.2f dB vs reference %.2f dB", sp.freq(i)/1e3, db(p[i]/pmax), db(rp[i]/rmax))
			}
		}
		t.Logf("largest deviation from reference GMSK spectrum: %.2f dB", worst)
		lo, hi := edges(p, df, pmax, -3)
		rlo, rhi := edges(rp, df, rmax, -3)
		t.Logf("−3 dB width %.1f kHz (reference %.1f kHz)", (hi-lo)/1e3, (rhi-rlo)/1e3)
		if math.Abs((hi-lo)-(rhi-rlo)) > 2*df {
			t.Errorf("−3 dB width %.1f kHz, reference %.1f kHz", (hi-lo)/1e3, (rhi-rlo)/1e3)
		}
	})
}

func TestGSMEnvelopeAndDuration(t *testing.T) {
	for _, tc := range []struct {
		name       string
		kind       GSMBurstKind
		rate, frac float64
		useful     float64 // s
	}{
		{"normal-2.4", GSMNormal, 2.4e6, 0, 148 * 48 / 13e6},
		{"normal-2.4-frac", GSMNormal, 2.4e6, 0.63, 148 * 48 / 13e6},
		{"normal-1.024-frac", GSMNormal, 1.024e6, 0.2, 148 * 48 / 13e6},
		{"access-2.4", GSMAccess, 2.4e6, 0.5, 88 * 48 / 13e6},
		{"access-3.2", GSMAccess, 3.2e6, 0.1, 88 * 48 / 13e6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, _ := NewGSM(tc.rate)
			rng := rand.New(rand.NewPCG(5, 6))
			buf := make([]complex64, g.BurstLen(tc.kind)+10)
			n, act := g.Burst(buf, tc.kind, 3, tc.frac, rng)
			if n > g.BurstLen(tc.kind) {
				t.Fatalf("wrote %d samples, BurstLen %d", n, g.BurstLen(tc.kind))
			}
			// Constant envelope over the active span.
			for i := act.Start; i < act.End(); i++ {
				if m := cmplx.Abs(complex128(buf[i])); math.Abs(m-1) > 0.01 {
					t.Fatalf("|s[%d]| = %.4f inside the active span", i, m)
				}
			}
			if p := meanPower(buf[act.Start:act.End()]); math.Abs(p-1) > 1e-3 {
				t.Errorf("mean power over active span %.4f, want 1", p)
			}
			// Duration measured from the envelope: the run where |s| is
			// within 0.1 % of full scale is the useful part; the ramps stay
			// below that.
			first, last := -1, -1
			for i := range n {
				if cmplx.Abs(complex128(buf[i])) > 0.999 {
					if first < 0 {
						first = i
					}
					last = i
				}
			}
			dur := float64(last-first+1) / tc.rate
			if math.Abs(dur-tc.useful) > 1.5/tc.rate {
				t.Errorf("envelope above −0.01 dB for %.2f µs, want %.2f µs ± 1.5 samples", dur*1e6, tc.useful*1e6)
			}
			// The −6 dB (half amplitude) width includes half of each 10 µs
			// ramp; the power is off (< −60 dB) at both ends.
			h0, h1 := -1, -1
			for i := range n {
				if cmplx.Abs(complex128(buf[i])) > 0.5 {
					if h0 < 0 {
						h0 = i
					}
					h1 = i
				}
			}
			half := float64(h1-h0+1) / tc.rate
			if math.Abs(half-(tc.useful+10e-6)) > 1.5/tc.rate {
				t.Errorf("half-amplitude width %.2f µs, want useful + 10 µs = %.2f µs", half*1e6, (tc.useful+10e-6)*1e6)
			}
			if a, b := cmplx.Abs(complex128(buf[0])), cmplx.Abs(complex128(buf[n-1])); a > 1e-3 || b > 1e-2 {
				t.Errorf("burst edges not ramped: |s[0]| = %g, |s[n−1]| = %g", a, b)
			}
			// The active span starts where the useful bits start.
			wantStart := math.Ceil(10e-6*tc.rate + tc.frac - 1e-9)
			if float64(act.Start) != wantStart {
				t.Errorf("active start %d, want %v", act.Start, wantStart)
			}
		})
	}
}

func TestGSMFractionalTiming(t *testing.T) {
	// A burst started frac of a sample late is the same signal delayed by
	// frac/rate: interpolating the frac = 0 burst must give the frac = 0.5
	// burst (same seed ⇒ same bits and phase).
	const rate = 2.4e6
	g, _ := NewGSM(rate)
	a := make([]complex64, g.BurstLen(GSMNormal))
	b := make([]complex64, g.BurstLen(GSMNormal))
	_, act := g.Burst(a, GSMNormal, 0, 0, rand.New(rand.NewPCG(7, 7)))
	g.Burst(b, GSMNormal, 0, 0.5, rand.New(rand.NewPCG(7, 7)))
	// b[n] is at t = (n − 0.5)/rate: halfway between a[n−1] and a[n]. GMSK
	// at 8.9 samples/bit is smooth enough for a 4-point cubic interpolation
	// to agree within 1 %.
	worst := 0.0
	for n := act.Start + 2; n < act.End()-2; n++ {
		p := (-a[n-2] + 9*a[n-1] + 9*a[n] - a[n+1]) / 16
		worst = math.Max(worst, cmplx.Abs(complex128(p-b[n])))
	}
	if worst > 0.01 {
		t.Errorf("frac=0.5 burst differs from the interpolated frac=0 burst by up to %.4f", worst)
	}
}

func TestGSMDeterminism(t *testing.T) {
	g, _ := NewGSM(2.4e6)
	gen := func(seed uint64) []complex64 {
		buf := make([]complex64, g.BurstLen(GSMNormal))
		g.Burst(buf, GSMNormal, 2, 0.25, rand.New(rand.NewPCG(seed, 1)))
		return buf
	}
	a, b, c := gen(1), gen(1), gen(2)
	same, diff := true, false
	for i := range a {
		same = same && a[i] == b[i]
		diff = diff || a[i] != c[i]
	}
	if !same {
		t.Error("same seed gave different samples")
	}
	if !diff {
		t.Error("different seeds gave identical samples")
	}
}

func TestGSMNoAllocs(t *testing.T) {
	g, _ := NewGSM(2.4e6)
	rng := rand.New(rand.NewPCG(1, 1))
	buf := make([]complex64, g.BurstLen(GSMNormal))
	if a := testing.AllocsPerRun(20, func() { g.Burst(buf, GSMNormal, 1, 0.3, rng) }); a != 0 {
		t.Errorf("Burst allocates %.1f times per call", a)
	}
}

func TestNewGSMRejectsBadRate(t *testing.T) {
	for _, tc := range []struct {
		name string
		rate float64
	}{{"zero", 0}, {"too-low", 999e3}, {"NaN", math.NaN()}, {"negative", -2.4e6}} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewGSM(tc.rate); err == nil {
				t.Errorf("NewGSM(%g) succeeded", tc.rate)
			}
		})
	}
}

func TestGSMPanicsOnBadArguments(t *testing.T) {
	g, _ := NewGSM(2.4e6)
	rng := rand.New(rand.NewPCG(1, 1))
	buf := make([]complex64, g.BurstLen(GSMNormal))
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"short-dst", func() { g.Burst(buf[:10], GSMNormal, 0, 0, rng) }},
		{"tsc-8", func() { g.Burst(buf, GSMNormal, 8, 0, rng) }},
		{"frac-1", func() { g.Burst(buf, GSMNormal, 0, 1, rng) }},
		{"frac-negative", func() { g.Burst(buf, GSMNormal, 0, -0.1, rng) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tc.f()
		})
	}
}

func FuzzGSMBurst(f *testing.F) {
	f.Add(2.4e6, 0.0, uint8(0), uint8(0), uint64(1))
	f.Add(1.024e6, 0.81, uint8(1), uint8(7), uint64(2))
	f.Add(3.2e6, 0.5, uint8(0), uint8(3), uint64(3))
	f.Fuzz(func(t *testing.T, rate, frac float64, kind, tsc uint8, seed uint64) {
		g, err := NewGSM(rate)
		if err != nil || !(frac >= 0 && frac < 1) || rate > 20e6 {
			return
		}
		k := GSMBurstKind(kind % 2)
		buf := make([]complex64, g.BurstLen(k))
		n, act := g.Burst(buf, k, int(tsc%8), frac, rand.New(rand.NewPCG(seed, 0)))
		if n > len(buf) || act.Start < 0 || act.End() > n || act.Len <= 0 {
			t.Fatalf("n=%d span=%+v len=%d", n, act, len(buf))
		}
		want := float64(k.Bits()) * 48 / 13e6 * rate
		if math.Abs(float64(act.Len)-want) > 1 {
			t.Errorf("active %d samples, want %.2f", act.Len, want)
		}
		for i := range n {
			if m := cmplx.Abs(complex128(buf[i])); m > 1.0001 || math.IsNaN(m) {
				t.Fatalf("|s[%d]| = %g", i, m)
			}
		}
	})
}
