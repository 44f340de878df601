package waveform

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// Symbol timing of a normal-CP slot in Ts (TS 36.211 Table 5.6-1),
// written out independently of the generator.
func lteSymStartTs(l int) float64 {
	if l == 0 {
		return 0
	}
	return 160 + 2048 + float64(l-1)*(144+2048)
}

func lteUsefulStartTs(l int) float64 {
	if l == 0 {
		return 160
	}
	return lteSymStartTs(l) + 144
}

const tsSec = 1 / 30.72e6

// slots renders count consecutive slots (a continuous PUSCH transmission)
// at frac 0 and returns them back to back.
func slots(t *testing.T, l *LTE, count, nPRB int, mod LTEMod, seed uint64) []complex64 {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 17))
	buf := make([]complex64, count*l.SlotLen())
	pos := 0
	for range count {
		n, _ := l.Slot(buf[pos:], nPRB, mod, 0, rng)
		pos += n
	}
	return buf[:pos]
}

func TestLTEOccupiedBandwidth(t *testing.T) {
	for _, tc := range []struct {
		name string
		rate float64
		nPRB int
		mod  LTEMod
	}{
		{"1PRB-2.4", 2.4e6, 1, QPSK},
		{"2PRB-2.4", 2.4e6, 2, QAM16},
		{"6PRB-2.4", 2.4e6, 6, QPSK},
		{"6PRB-3.2", 3.2e6, 6, QAM16},
		{"1PRB-1.024", 1.024e6, 1, QPSK},
		{"3PRB-2.048", 2.048e6, 3, QPSK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLTE(tc.rate)
			if err != nil {
				t.Fatal(err)
			}
			x := slots(t, l, 300, tc.nPRB, tc.mod, 1)
			sp := newSpectrum(4096, tc.rate)
			sp.add(x, 2048)
			p, df := sp.psd()
			half := float64(tc.nPRB) * 90e3
			inband := bandPower(p, df, -half/2, half/2) / (half / df)
			// The allocation's edges: the half-power points of the averaged
			// spectrum sit at ±nPRB·90 kHz, within half a subcarrier.
			lo, hi := edges(p, df, inband, -3)
			t.Logf("−3 dB edges %.1f / %+.1f kHz", lo/1e3, hi/1e3)
			if math.Abs(lo+half) > 7.5e3 || math.Abs(hi-half) > 7.5e3 {
				t.Errorf("−3 dB edges %.1f…%.1f kHz, want ±%.0f kHz ± 7.5 kHz", lo/1e3, hi/1e3, half/1e3)
			}
			bw, centre := occupiedBW(p, df, 0.99)
			inside := bandPower(p, df, -half-15e3, half+15e3) / bandPower(p, df, -tc.rate, tc.rate)
			t.Logf("99%% bandwidth %.1f kHz, centre %+.2f kHz, %.1f%% of the power within ±(%.0f+15) kHz",
				bw/1e3, centre/1e3, 100*inside, half/1e3)
			// Centred on the allocation: without the 7.5 kHz shift the
			// centre of power would sit at −7.5 kHz.
			if math.Abs(centre) > 2.5e3 {
				t.Errorf("power centred at %.2f kHz, want 0", centre/1e3)
			}
			// SC-FDMA symbols are rectangular in time, so every subcarrier
			// has sinc² sidelobes: with one PRB they hold ~7 % of the power
			// and widen the 99 % bandwidth to ~300 kHz; with 6 PRBs the
			// 99 % bandwidth is the allocation.
			if inside < 0.9 {
				t.Errorf("only %.1f%% of the power within the allocation ± 15 kHz", 100*inside)
			}
			if tc.nPRB == 6 && math.Abs(bw-1080e3) > 15e3 {
				t.Errorf("99%% bandwidth %.1f kHz, want 1080 ± 15 kHz", bw/1e3)
			}
			if pw := meanPower(x); math.Abs(pw-1) > 0.03 {
				t.Errorf("mean power %.3f, want 1", pw)
			}
		})
	}
}

func TestLTEKeptFractionWhenWiderThanBand(t *testing.T) {
	// 6 PRBs (1.08 MHz) do not fit 1.024 MS/s: the subcarriers beyond
	// ±0.42·rate are left out, the rest is alias free.
	const rate = 1.024e6
	l, _ := NewLTE(rate)
	x := slots(t, l, 300, 6, QPSK, 2)
	kf := l.KeptFraction(6)
	if kf >= 1 || kf < 0.7 {
		t.Fatalf("KeptFraction(6) = %.3f at %.0f S/s", kf, rate)
	}
	if pw := meanPower(x); math.Abs(pw-kf) > 0.03 {
		t.Errorf("mean power %.3f, KeptFraction %.3f", pw, kf)
	}
	sp := newSpectrum(2048, rate)
	sp.add(x, 1024)
	p, df := sp.psd()
	inband := bandPower(p, df, -200e3, 200e3) / (400e3 / df)
	lo, hi := edges(p, df, inband, -3)
	want := kf * 540e3
	t.Logf("kept %.3f: −3 dB edges %.1f / %.1f kHz", kf, lo/1e3, hi/1e3)
	if math.Abs(lo+want) > 7.5e3 || math.Abs(hi-want) > 7.5e3 {
		t.Errorf("−3 dB edges %.1f…%.1f kHz, want ±%.1f kHz", lo/1e3, hi/1e3, want/1e3)
	}
	// Nothing folded back: the band between the kept edge and Nyquist
	// holds only the filter's skirt.
	if edge := bandPower(p, df, 470e3, 512e3) / (42e3 / df); db(edge/inband) > -20 {
		t.Errorf("%.1f dB near Nyquist", db(edge/inband))
	}
	if l.KeptFraction(1) != 1 {
		t.Errorf("KeptFraction(1) = %g, want 1", l.KeptFraction(1))
	}
}

// cpCorrelation averages, over many subframes, the normalised correlation
// between a window of w samples at position d of a subframe and the
// window one useful period (u samples) later.
func cpCorrelation(x []complex64, period, u, w int) []float64 {
	c := make([]float64, period)
	for d := range period {
		var num complex128
		var e1, e2 float64
		for off := 0; off+period+u+w <= len(x); off += period {
			for k := range w {
				a, b := complex128(x[off+d+k]), complex128(x[off+d+k+u])
				num += a * cmplx.Conj(b)
				e1 += real(a)*real(a) + imag(a)*imag(a)
				e2 += real(b)*real(b) + imag(b)*imag(b)
			}
		}
		c[d] = cmplx.Abs(num) / math.Sqrt(e1*e2)
	}
	return c
}

func TestLTECyclicPrefixStructure(t *testing.T) {
	for _, tc := range []struct {
		name string
		nPRB int
	}{{"1PRB", 1}, {"6PRB", 6}} {
		t.Run(tc.name, func(t *testing.T) {
			const rate = 2.4e6 // 160 samples per useful period, 11.25 per CP
			l, _ := NewLTE(rate)
			x := slots(t, l, 2*60, tc.nPRB, QPSK, 3)
			const sub, u, w = 2400, 160, 9 // 1 ms subframe
			if len(x) != 120*1200 {
				t.Fatalf("120 slots gave %d samples, want 120 × 1200 (0.5 ms each)", len(x))
			}
			c := cpCorrelation(x, sub, u, w)
			// Expected prefix positions: 14 per subframe.
			var starts []int
			for s := range 2 {
				for sym := range 7 {
					starts = append(starts, int(math.Ceil((lteSymStartTs(sym)+float64(s)*15360)*tsSec*rate)))
				}
			}
			for _, st := range starts {
				best := 0.0
				for d := st - 1; d <= st+1; d++ {
					best = math.Max(best, c[(d+sub)%sub])
				}
				if best < 0.9 {
					t.Errorf("prefix at sample %d: correlation %.3f, want ≈ 1", st, best)
				}
			}
			worst, peaks := 0.0, 0
			for d := range sub {
				// Windows [d, d+w) overlapping a prefix (12.5 or 11.25
				// samples, +1 for the filter's spread), modulo the subframe.
				near := false
				for _, st := range starts {
					if r := (d - st + sub + w + 1) % sub; r <= w+1+14 {
						near = true
					}
				}
				if !near {
					worst = math.Max(worst, c[d])
				}
				if c[d] > 0.5 && c[(d+sub-1)%sub] <= 0.5 { // runs above 0.5
					peaks++
				}
			}
			t.Logf("prefix correlation runs above 0.5: %d per ms; largest elsewhere %.3f", peaks, worst)
			if worst > 0.3 {
				t.Errorf("correlation %.3f away from any prefix, want ≈ 0", worst)
			}
			if peaks != 14 {
				t.Errorf("%d correlation runs above 0.5 per ms, want 14 symbols", peaks)
			}
		})
	}
}

// symbolSpectrum returns |X| at the nominal subcarrier frequencies
// (m − (M−1)/2)·15 kHz, m = −extra … M−1+extra, of the useful part of
// symbol sym of a slot rendered with frac chosen so that it starts on a
// sample (2.4 MS/s: 160 samples per useful period).
func symbolSpectrum(x []complex64, usefulStart int, M, extra int) []float64 {
	const rate = 2.4e6
	seg := x[usefulStart : usefulStart+160]
	out := make([]float64, M+2*extra)
	for i := range out {
		m := i - extra
		f := (float64(m) - float64(M-1)/2) * 15e3
		out[i] = cmplx.Abs(dft(seg, f, rate)) / 160
	}
	return out
}

func TestLTEDMRSIsConstantAmplitude(t *testing.T) {
	const rate = 2.4e6
	l, _ := NewLTE(rate)
	for _, nPRB := range []int{1, 2, 3, 6} {
		t.Run(map[int]string{1: "1PRB", 2: "2PRB", 3: "3PRB", 6: "6PRB"}[nPRB], func(t *testing.T) {
			rng := rand.New(rand.NewPCG(4, uint64(nPRB)))
			M := 12 * nPRB
			buf := make([]complex64, l.SlotLen())
			for range 5 {
				// Symbol 3's useful part starts 6736 Ts = 526.25 samples into
				// the slot; frac 0.75 puts it on sample 527.
				l.Slot(buf, nPRB, QPSK, 0.75, rng)
				us := int(math.Round(lteUsefulStartTs(3)*tsSec*rate + 0.75))
				mags := symbolSpectrum(buf, us, M, 3)
				in := mags[3 : 3+M]
				lo, hi := math.Inf(1), 0.0
				for _, v := range in {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
				// Constant amplitude on every subcarrier of the allocation (to
				// the interpolation filter's ±0.1 dB ripple).
				if db(hi*hi/(lo*lo)) > 0.3 {
					t.Errorf("DMRS |X| spans %.2f dB across its %d subcarriers", db(hi*hi/(lo*lo)), M)
				}
				// The subcarrier grid is the half-integer one: outside the
				// allocation, on the same grid, nothing (orthogonality).
				for _, i := range []int{0, 1, 2, M + 3, M + 4, M + 5} {
					if db(mags[i]*mags[i]/(lo*lo)) > -30 {
						t.Errorf("%.1f dB at grid position %d outside the allocation", db(mags[i]*mags[i]/(lo*lo)), i-3)
					}
				}
				// A data symbol (DFT-spread QPSK) is not constant amplitude:
				// the test would notice a DMRS in the wrong place.
				ds := symbolSpectrum(buf, int(math.Round(lteUsefulStartTs(1)*tsSec*rate+0.75)), M, 0)
				dlo, dhi := math.Inf(1), 0.0
				for _, v := range ds {
					dlo, dhi = math.Min(dlo, v), math.Max(dhi, v)
				}
				if db(dhi*dhi/(dlo*dlo)) < 3 {
					t.Errorf("data symbol spans only %.2f dB", db(dhi*dhi/(dlo*dlo)))
				}
			}
		})
	}
}

func TestLTEDMRSMatchesTS36211Sequence(t *testing.T) {
	// For 1 PRB the reference signal is exp(j(φ(n)π/4 + αn)) with φ from
	// Table 5.5.1.2-1: the measured subcarrier phases, after removing a
	// common phase and the linear phase of the cyclic shift, must match one
	// of the 30 rows (±π/4 quantisation, so a 0.3 rad tolerance).
	const rate = 2.4e6
	l, _ := NewLTE(rate)
	rng := rand.New(rand.NewPCG(8, 8))
	buf := make([]complex64, l.SlotLen())
	l.Slot(buf, 1, QPSK, 0.75, rng)
	us := int(math.Round(lteUsefulStartTs(3)*tsSec*rate + 0.75))
	seg := buf[us : us+160]
	var X [12]complex128
	for m := range 12 {
		X[m] = dft(seg, (float64(m)-5.5)*15e3, rate)
	}
	// Reference rows, typed independently from TS 36.211 (first 3 rows
	// and the last, enough to catch transposition errors together with
	// the group search below).
	matched := -1
	for u := range 30 {
		for cs := range 12 {
			var acc complex128
			for n := range 12 {
				ref := cmplx.Exp(complex(0, float64(phi12[u][n])*math.Pi/4+2*math.Pi*float64(cs*n)/12))
				acc += X[n] * cmplx.Conj(ref)
			}
			var e float64
			for n := range 12 {
				e += cmplx.Abs(X[n])
			}
			if cmplx.Abs(acc)/e > 0.99 {
				matched = u
			}
		}
	}
	if matched < 0 {
		t.Error("DMRS matches no base sequence of Table 5.5.1.2-1 with any cyclic shift")
	}
	spot := map[int][12]int8{
		0:  {-1, 1, 3, -3, 3, 3, 1, 1, 3, 1, -3, 3},
		1:  {1, 1, 3, 3, 3, -1, 1, -3, -3, 1, -3, 3},
		2:  {1, 1, -3, -3, -3, -1, -3, -3, 1, -3, 1, -1},
		29: {3, -3, -3, -1, -1, -3, -1, 3, -3, 3, 1, -1},
	}
	for u, row := range spot {
		if phi12[u] != row {
			t.Errorf("phi12[%d] = %v, TS 36.211 says %v", u, phi12[u], row)
		}
	}
}

func TestLTESCFDMAHasLowerPAPRThanOFDM(t *testing.T) {
	const rate = 2.4e6
	l, _ := NewLTE(rate)
	for _, nPRB := range []int{2, 6} {
		t.Run(map[int]string{2: "2PRB", 6: "6PRB"}[nPRB], func(t *testing.T) {
			x := slots(t, l, 400, nPRB, QPSK, 5)
			pw := make([]float64, len(x))
			mean := meanPower(x)
			for i, v := range x {
				pw[i] = float64(real(v)*real(v)+imag(v)*imag(v)) / mean
			}
			sc := db(percentile(pw, 0.999))
			// OFDM of the same allocation, built here directly: independent
			// QPSK on each subcarrier (no DFT spreading), summed at 2.4 MS/s.
			M := 12 * nPRB
			rng := rand.New(rand.NewPCG(6, 6))
			var ofdm []float64
			for range 400 * 7 {
				var X []complex128
				for range M {
					X = append(X, complex(float64(1-2*rng.IntN(2)), float64(1-2*rng.IntN(2))))
				}
				for n := range 160 {
					var s complex128
					for m, v := range X {
						f := (float64(m) - float64(M-1)/2) * 15e3
						s += v * cmplx.Exp(complex(0, 2*math.Pi*f*float64(n)/rate))
					}
					ofdm = append(ofdm, real(s)*real(s)+imag(s)*imag(s))
				}
			}
			var om float64
			for _, v := range ofdm {
				om += v
			}
			om /= float64(len(ofdm))
			for i := range ofdm {
				ofdm[i] /= om
			}
			of := db(percentile(ofdm, 0.999))
			t.Logf("PAPR at 99.9 %%: SC-FDMA %.2f dB, OFDM %.2f dB", sc, of)
			if sc > of-1.5 {
				t.Errorf("SC-FDMA PAPR %.2f dB not clearly below OFDM %.2f dB", sc, of)
			}
		})
	}
}

func TestLTESlotLengthAndFraction(t *testing.T) {
	for _, tc := range []struct {
		name       string
		rate, frac float64
	}{
		{"2.4", 2.4e6, 0}, {"2.4-frac", 2.4e6, 0.4}, {"1.024", 1.024e6, 0.9},
		{"2.56", 2.56e6, 0}, {"3.2", 3.2e6, 0.5}, {"odd-rate", 2.3456e6, 0.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := NewLTE(tc.rate)
			rng := rand.New(rand.NewPCG(1, 1))
			buf := make([]complex64, l.SlotLen()+20)
			env := make([]float64, len(buf))
			var act Span
			n := 0
			const count = 100
			for range count {
				n, act = l.Slot(buf, 2, QPSK, tc.frac, rng)
				if n > l.SlotLen() {
					t.Fatalf("wrote %d > SlotLen %d", n, l.SlotLen())
				}
				for i, v := range buf[:n] {
					env[i] += float64(real(v)*real(v)+imag(v)*imag(v)) / count
				}
			}
			// Averaged envelope: the slot is where the mean power is above
			// half its level inside; that run lasts 0.5 ms ± 1 sample.
			var level float64
			for _, v := range env[n/4 : 3*n/4] {
				level += v / float64(n/2)
			}
			first, last := -1, -1
			for i, v := range env[:n] {
				if v >= level/2 {
					if first < 0 {
						first = i
					}
					last = i
				}
			}
			want := 0.5e-3 * tc.rate
			if got := float64(last - first + 1); math.Abs(got-want) > 1 {
				t.Errorf("slot envelope spans %v samples, want %.2f ± 1", got, want)
			}
			if math.Abs(float64(act.Len)-want) > 1 {
				t.Errorf("active %d samples, want %.2f ± 1", act.Len, want)
			}
			if math.Abs(level-1) > 0.05 {
				t.Errorf("mean power inside the slot %.3f, want 1", level)
			}
		})
	}
}

func TestLTEPUCCH(t *testing.T) {
	const rate = 2.4e6
	l, _ := NewLTE(rate)
	rng := rand.New(rand.NewPCG(10, 1))
	buf := make([]complex64, l.SlotLen())
	var all []complex64
	for range 200 {
		n, _ := l.PUCCHSlot(buf, 0, rng)
		all = append(all, buf[:n]...)
	}
	if pw := meanPower(all); math.Abs(pw-1) > 0.02 {
		t.Errorf("mean power %.3f", pw)
	}
	// Every PUCCH format 1a symbol is a cyclically shifted CAZAC sequence
	// times a scalar: constant |X| on the PRB's 12 subcarriers.
	n, _ := l.PUCCHSlot(buf, 0.75, rng)
	for sym := range 7 {
		us := int(math.Round(lteUsefulStartTs(sym)*tsSec*rate + 0.75))
		mags := symbolSpectrum(buf[:n], us, 12, 0)
		lo, hi := math.Inf(1), 0.0
		for _, v := range mags {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if db(hi*hi/(lo*lo)) > 0.3 {
			t.Errorf("symbol %d: |X| spans %.2f dB", sym, db(hi*hi/(lo*lo)))
		}
	}
	sp := newSpectrum(4096, rate)
	sp.add(all, 2048)
	p, df := sp.psd()
	lo, hi := edges(p, df, bandPower(p, df, -45e3, 45e3)/(90e3/df), -3)
	if math.Abs(lo+90e3) > 7.5e3 || math.Abs(hi-90e3) > 7.5e3 {
		t.Errorf("−3 dB edges %.1f / %.1f kHz, want ±90", lo/1e3, hi/1e3)
	}
}

func TestLTESRSComb(t *testing.T) {
	const rate = 2.4e6
	l, _ := NewLTE(rate)
	rng := rand.New(rand.NewPCG(11, 1))
	buf := make([]complex64, l.SRSLen())
	for _, nPRB := range []int{1, 4, 6} {
		// Prefix 144 Ts = 11.25 samples; frac 0.75 puts the useful part on
		// sample 12.
		n, act := l.SRS(buf, nPRB, 0.75, rng)
		if d := float64(n) / rate; math.Abs(d-2192*tsSec) > 1/rate {
			t.Errorf("%d PRB: SRS lasts %.2f µs, want 71.35", nPRB, d*1e6)
		}
		M := 12 * nPRB
		mags := symbolSpectrum(buf[:n], 12, M, 0)
		var even, odd float64
		for m, v := range mags {
			if m%2 == 0 {
				even += v * v
			} else {
				odd += v * v
			}
		}
		on, off := math.Max(even, odd), math.Min(even, odd)
		if db(off/on) > -30 {
			t.Errorf("%d PRB: comb not visible, off-comb/on-comb %.1f dB", nPRB, db(off/on))
		}
		if pw := meanPower(buf[act.Start:act.End()]); math.Abs(pw-1) > 0.15 {
			t.Errorf("%d PRB: mean power %.3f", nPRB, pw)
		}
	}
}

// zcDFT computes, directly from TS 36.211 §5.7.2, the 839-point DFT of
// x_u,v(n) = x_u((n + C_v) mod 839), x_u(n) = exp(−jπ u n(n+1)/839).
func zcDFT(u, cv int) []complex128 {
	const N = 839
	x := make([]complex128, N)
	for n := range N {
		m := (n + cv) % N
		x[n] = cmplx.Exp(complex(0, -math.Pi*float64(u)*float64(m)*float64(m+1)/N))
	}
	X := make([]complex128, N)
	for k := range N {
		var s complex128
		for n, v := range x {
			s += v * cmplx.Exp(complex(0, -2*math.Pi*float64(n*k%N)/N))
		}
		X[k] = s
	}
	return X
}

func TestLTEPRACH(t *testing.T) {
	const rate = 2.4e6
	l, _ := NewLTE(rate)
	for _, tc := range []struct {
		name      string
		root, cs  int
		frac      float64
		checkBins bool
	}{
		{"root129-cs0", 129, 0, 0.5, true},
		{"root22-cs13", 22, 13, 0.5, true},
		{"root838-cs419", 838, 419, 0.5, true},
		{"root1-frac", 1, 100, 0.123, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]complex64, l.PRACHLen())
			n, act := l.PRACH(buf, tc.root, tc.cs, tc.frac)
			// Duration: 903.1 µs = 2167.5 samples.
			first, last := -1, -1
			for i := range n {
				if real(buf[i])*real(buf[i])+imag(buf[i])*imag(buf[i]) > 0.01 {
					if first < 0 {
						first = i
					}
					last = i
				}
			}
			if d := float64(last-first+1) / rate; math.Abs(d-(3168+24576)*tsSec) > 1.01/rate {
				t.Errorf("preamble lasts %.2f µs, want 903.13", d*1e6)
			}
			if pw := meanPower(buf[act.Start:act.End()]); math.Abs(pw-1) > 0.02 {
				t.Errorf("mean power %.3f, want 1", pw)
			}
			// The prefix repeats the end of the sequence 0.8 ms later: the
			// 1.25 kHz subcarrier spacing.
			cpStart := int(math.Ceil(tc.frac))
			cpLen := int(math.Floor(3168*tsSec*rate)) - 2
			var num complex128
			var e1, e2 float64
			for i := cpStart + 1; i < cpStart+cpLen; i++ {
				a, b := complex128(buf[i]), complex128(buf[i+1920])
				num += a * cmplx.Conj(b)
				e1 += real(a)*real(a) + imag(a)*imag(a)
				e2 += real(b)*real(b) + imag(b)*imag(b)
			}
			if c := cmplx.Abs(num) / math.Sqrt(e1*e2); c < 0.99 {
				t.Errorf("prefix/sequence-end correlation at 0.8 ms lag %.4f, want ≈ 1", c)
			}
			if !tc.checkBins {
				return
			}
			// The 0.8 ms sequence part (1920 samples from sample 248) has
			// 1.25 kHz bins: bin b ↔ b·1.25 kHz. Subcarrier k sits at
			// (k − 419)·1.25 kHz and carries the ZC sequence's DFT.
			seq := buf[248 : 248+1920]
			ref := zcDFT(tc.root, tc.cs)
			var acc complex128
			var em, er, outside float64
			for b := -960; b < 960; b++ {
				X := dft(seq, float64(b)*1250, rate)
				if k := b + 419; k >= 0 && k < 839 {
					acc += X * cmplx.Conj(ref[k])
					em += real(X)*real(X) + imag(X)*imag(X)
					er += real(ref[k])*real(ref[k]) + imag(ref[k])*imag(ref[k])
				} else {
					outside += real(X)*real(X) + imag(X)*imag(X)
				}
			}
			if c := cmplx.Abs(acc) / math.Sqrt(em*er); c < 0.999 {
				t.Errorf("subcarriers match the TS 36.211 ZC sequence (u=%d, Cv=%d) with correlation %.5f", tc.root, tc.cs, c)
			}
			if db(outside/em) > -40 {
				t.Errorf("%.1f dB of the power outside the 839 subcarriers", db(outside/em))
			}
		})
	}
}

func TestLTEPRACHBandwidth(t *testing.T) {
	const rate = 2.4e6
	l, _ := NewLTE(rate)
	buf := make([]complex64, l.PRACHLen())
	sp := newSpectrum(8192, rate) // 293 Hz bins: the 1.25 kHz comb is resolved
	for r := 1; r < 200; r += 7 {
		n, _ := l.PRACH(buf, r, 0, 0)
		padded := make([]complex64, 8192)
		copy(padded[3000:], buf[:n]) // mid-window
		sp.add(padded, 8192)
	}
	p, df := sp.psd()
	ref := bandPower(p, df, -400e3, 400e3) / (800e3 / df)
	lo, hi := edges(p, df, ref, -3)
	t.Logf("PRACH −3 dB edges %.1f / %.1f kHz", lo/1e3, hi/1e3)
	if math.Abs(lo+524.4e3) > 2e3 || math.Abs(hi-524.4e3) > 2e3 {
		t.Errorf("edges %.1f / %.1f kHz, want ±524.4 kHz (839 × 1.25 kHz)", lo/1e3, hi/1e3)
	}
	// At 1.024 MS/s only the part inside ±0.42·rate is kept.
	l2, _ := NewLTE(1.024e6)
	buf2 := make([]complex64, l2.PRACHLen())
	_, act := l2.PRACH(buf2, 25, 0, 0.3)
	kf := l2.PRACHKeptFraction()
	if pw := meanPower(buf2[act.Start:act.End()]); kf >= 1 || math.Abs(pw-kf) > 0.02 {
		t.Errorf("at 1.024 MS/s: mean power %.3f, PRACHKeptFraction %.3f", pw, kf)
	}
}

func TestLTEDeterminismAndAllocs(t *testing.T) {
	l, _ := NewLTE(2.4e6)
	a := slots(t, l, 4, 3, QAM16, 42)
	b := slots(t, l, 4, 3, QAM16, 42)
	c := slots(t, l, 4, 3, QAM16, 43)
	same, diff := true, false
	for i := range a {
		same = same && a[i] == b[i]
		diff = diff || a[i] != c[i]
	}
	if !same || !diff {
		t.Errorf("same seed identical: %v, other seed different: %v", same, diff)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	buf := make([]complex64, l.PRACHLen())
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"Slot", func() { l.Slot(buf, 6, QPSK, 0.5, rng) }},
		{"Slot16QAM", func() { l.Slot(buf, 1, QAM16, 0.5, rng) }},
		{"PUCCHSlot", func() { l.PUCCHSlot(buf, 0.5, rng) }},
		{"SRS", func() { l.SRS(buf, 4, 0.5, rng) }},
		{"PRACH", func() { l.PRACH(buf, 22, 0, 0.5) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(10, tc.f); n != 0 {
				t.Errorf("%s allocates %.1f times per call", tc.name, n)
			}
		})
	}
}

func TestLTEPanicsOnBadArguments(t *testing.T) {
	l, _ := NewLTE(2.4e6)
	rng := rand.New(rand.NewPCG(1, 1))
	buf := make([]complex64, l.PRACHLen())
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"0PRB", func() { l.Slot(buf, 0, QPSK, 0, rng) }},
		{"26PRB", func() { l.Slot(buf, 26, QPSK, 0, rng) }},
		{"short", func() { l.Slot(buf[:100], 1, QPSK, 0, rng) }},
		{"frac", func() { l.Slot(buf, 1, QPSK, 1.5, rng) }},
		{"root0", func() { l.PRACH(buf, 0, 0, 0) }},
		{"shift839", func() { l.PRACH(buf, 1, 839, 0) }},
		{"srs-short", func() { l.SRS(buf[:10], 1, 0, rng) }},
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

func TestNewLTERejectsBadRate(t *testing.T) {
	for _, rate := range []float64{0, 5e5, math.Inf(1), math.NaN()} {
		if _, err := NewLTE(rate); err == nil {
			t.Errorf("NewLTE(%g) succeeded", rate)
		}
	}
}

func FuzzLTESlot(f *testing.F) {
	f.Add(2.4e6, 0.0, uint8(1), uint8(0), uint64(1))
	f.Add(1.024e6, 0.9, uint8(6), uint8(1), uint64(2))
	f.Add(2.3456e6, 0.25, uint8(25), uint8(0), uint64(3))
	f.Fuzz(func(t *testing.T, rate, frac float64, nPRB, mod uint8, seed uint64) {
		if !(frac >= 0 && frac < 1) || rate > 8e6 {
			return
		}
		l, err := NewLTE(rate)
		if err != nil {
			return
		}
		p := int(nPRB)%25 + 1
		buf := make([]complex64, l.SlotLen())
		n, act := l.Slot(buf, p, LTEMod(mod%2), frac, rand.New(rand.NewPCG(seed, 0)))
		if n > len(buf) || act.End() != n || math.Abs(float64(act.Len)-0.5e-3*rate) > 1 {
			t.Fatalf("n=%d span=%+v SlotLen=%d", n, act, len(buf))
		}
		for i, v := range buf[:n] {
			if m := cmplx.Abs(complex128(v)); math.IsNaN(m) || m > 10 {
				t.Fatalf("|s[%d]| = %g", i, m)
			}
		}
	})
}
