package waveform

import (
	"math"
	"math/rand/v2"
	"testing"
)

func wcdmaSpectrum(t *testing.T, rate, offset float64, seconds float64) (*WCDMA, []float64, float64, []complex64) {
	t.Helper()
	w, err := NewWCDMA(rate, offset, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	x := make([]complex64, int(seconds*rate))
	w.Read(x)
	sp := newSpectrum(2048, rate)
	sp.add(x, 1024)
	p, df := sp.psd()
	return w, p, df, x
}

func TestWCDMAFlatInWindow(t *testing.T) {
	const rate = 2.4e6
	w, p, df, x := wcdmaSpectrum(t, rate, 0, 0.2)
	level := bandPower(p, df, -1e6, 1e6) / (2e6 / df)
	worst := 0.0
	for i, v := range p {
		if f := float64(i-len(p)/2) * df; math.Abs(f) <= 1e6 {
			worst = math.Max(worst, math.Abs(db(v/level)))
		}
	}
	t.Logf("PSD within ±%.2f dB over the inner 2 MHz; InWindowFraction %.4f, measured power %.4f", worst, w.InWindowFraction(), meanPower(x))
	if worst > 1 {
		t.Errorf("PSD deviates by %.2f dB over ±1 MHz, want ≤ 1 dB", worst)
	}
	// The RRC is flat over the whole window, so the window holds at most
	// 2.4/3.84 of the carrier, and at least the flat ±0.42·rate part.
	if f := w.InWindowFraction(); f > 2.4/3.84 || f < 0.84*2.4/3.84 {
		t.Errorf("InWindowFraction %.4f, want within %.4f…%.4f", f, 0.84*2.4/3.84, 2.4/3.84)
	}
	if pw := meanPower(x); math.Abs(pw-w.InWindowFraction()) > 0.02*w.InWindowFraction() {
		t.Errorf("measured power %.4f, InWindowFraction %.4f", pw, w.InWindowFraction())
	}
}

func TestWCDMABandEdgeAndNoAliases(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rate   float64
		offset float64
	}{
		{"2.4MSps+2MHz", 2.4e6, 2e6},
		{"2.4MSps-2MHz", 2.4e6, -2e6},
		{"2.048MSps+1.9MHz", 2.048e6, 1.9e6},
		{"odd-rate+2MHz", 2.3456e6, 2e6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, p, df, x := wcdmaSpectrum(t, tc.rate, tc.offset, 0.5)
			s := math.Copysign(1, tc.offset)
			// Smooth the PSD over ±5 bins (±6 kHz) for the edge search.
			sm := make([]float64, len(p))
			for i := range p {
				for k := max(0, i-5); k <= min(len(p)-1, i+5); k++ {
					sm[i] += p[k] / 11
				}
			}
			// In-band level: between the carrier's edge and the window edge.
			inF := s * 0.35 * tc.rate
			level := bandPower(p, df, inF-50e3, inF+50e3) / (100e3 / df)
			// The carrier's band edge: its −3 dB point (half of the RC
			// spectrum) lies 1.92 MHz (half the chip rate) from its centre.
			edge := tc.offset - s*1.92e6
			var cross float64
			for i := range p {
				f := float64(i-len(p)/2) * df
				if s > 0 && f < inF && sm[i] < level/2 {
					cross = f + df/2
				}
				if s < 0 && f > inF && sm[i] < level/2 && cross == 0 {
					cross = f - df/2
				}
			}
			t.Logf("−3 dB edge at %.1f kHz (expected %.1f kHz)", cross/1e3, edge/1e3)
			if math.Abs(cross-edge) > 20e3 {
				t.Errorf("band edge at %.1f kHz, want %.1f kHz", cross/1e3, edge/1e3)
			}
			// Beyond the carrier's outer edge (1.22 × 1.92 MHz from its
			// centre) the window must be empty: any alias of the part of
			// the carrier outside the window would land there.
			outer := tc.offset - s*1.22*1.92e6
			f1, f2 := outer-s*0.1e6, -s*0.42*tc.rate
			if f1 > f2 {
				f1, f2 = f2, f1
			}
			alias := bandPower(p, df, f1, f2) / ((f2 - f1) / df)
			t.Logf("level between %.0f and %.0f kHz: %.1f dB", f1/1e3, f2/1e3, db(alias/level))
			if db(alias/level) > -50 {
				t.Errorf("%.1f dB between %.0f and %.0f kHz, want nothing (< −50 dB)", db(alias/level), f1/1e3, f2/1e3)
			}
			if pw := meanPower(x); math.Abs(pw-w.InWindowFraction()) > 0.03*w.InWindowFraction() {
				t.Errorf("measured power %.4f, InWindowFraction %.4f", pw, w.InWindowFraction())
			}
		})
	}
}

func TestWCDMAWholeCarrier(t *testing.T) {
	// At 8 MS/s the whole 4.68 MHz carrier fits: the −3 dB edges are
	// ±1.92 MHz (3.84 Mcps) and all the power is there.
	const rate = 8e6
	w, p, df, x := wcdmaSpectrum(t, rate, 0, 0.05)
	level := bandPower(p, df, -1e6, 1e6) / (2e6 / df)
	lo, hi := edges(p, df, level, -3)
	t.Logf("−3 dB edges %.1f / %.1f kHz, InWindowFraction %.4f", lo/1e3, hi/1e3, w.InWindowFraction())
	if math.Abs(lo+1.92e6) > 20e3 || math.Abs(hi-1.92e6) > 20e3 {
		t.Errorf("edges %.1f / %.1f kHz, want ±1920", lo/1e3, hi/1e3)
	}
	bw, _ := occupiedBW(p, df, 0.99)
	// RRC 0.22: 99 % of the power within ~4.1 MHz (the 3GPP occupied
	// bandwidth limit is 5 MHz).
	t.Logf("99%% bandwidth %.1f kHz", bw/1e3)
	if bw < 3.84e6 || bw > 4.68e6 {
		t.Errorf("99%% bandwidth %.0f kHz, want between 3840 and 4685", bw/1e3)
	}
	// All of the carrier but what the kernel's 32-chip window trims off
	// the pulse's tails (< 1 %).
	if f := w.InWindowFraction(); f < 0.99 || f > 1 || math.Abs(meanPower(x)-f) > 0.02 {
		t.Errorf("InWindowFraction %.4f, power %.4f, want ≈ 1", f, meanPower(x))
	}
	far, _ := NewWCDMA(2.4e6, 20e6, rand.New(rand.NewPCG(1, 1)))
	y := make([]complex64, 100000)
	far.Read(y)
	if far.InWindowFraction() > 1e-6 || meanPower(y) > 1e-6 {
		t.Errorf("carrier 20 MHz away: fraction %g, power %g", far.InWindowFraction(), meanPower(y))
	}
}

func TestWCDMAStreamingIsSeamless(t *testing.T) {
	a, _ := NewWCDMA(2.4e6, 1e6, rand.New(rand.NewPCG(3, 3)))
	b, _ := NewWCDMA(2.4e6, 1e6, rand.New(rand.NewPCG(3, 3)))
	c, _ := NewWCDMA(2.4e6, 1e6, rand.New(rand.NewPCG(4, 4)))
	whole := make([]complex64, 20000)
	a.Read(whole)
	parts := make([]complex64, 20000)
	for pos, k := 0, 1; pos < len(parts); k = k*3 + 1 {
		end := min(pos+k, len(parts))
		b.Read(parts[pos:end])
		pos = end
	}
	other := make([]complex64, 20000)
	c.Read(other)
	for i := range whole {
		if whole[i] != parts[i] {
			t.Fatalf("sample %d differs between one Read and many", i)
		}
	}
	same := 0
	for i := range whole {
		if whole[i] == other[i] {
			same++
		}
	}
	if same > 10 {
		t.Errorf("different seeds share %d samples", same)
	}
	if n := testing.AllocsPerRun(20, func() { a.Read(whole[:5000]) }); n != 0 {
		t.Errorf("Read allocates %.1f times per call", n)
	}
}

func TestNewWCDMARejectsBadInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name         string
		rate, offset float64
	}{{"rate-0", 0, 0}, {"rate-NaN", math.NaN(), 0}, {"offset-NaN", 2.4e6, math.NaN()}, {"offset-huge", 2.4e6, 1e9}} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewWCDMA(tc.rate, tc.offset, rng); err == nil {
				t.Error("accepted")
			}
		})
	}
}
