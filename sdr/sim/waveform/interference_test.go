package waveform

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

func TestCWFrequency(t *testing.T) {
	for _, tc := range []struct {
		name         string
		rate, offset float64
	}{
		{"2.4-+317k", 2.4e6, 317e3}, {"2.4--1.1M", 2.4e6, -1.1e6}, {"1.024-+12.5k", 1.024e6, 12.5e3}, {"2.4-dc", 2.4e6, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewCW(tc.rate, tc.offset)
			const nfft = 8192
			x := make([]complex64, nfft)
			// Two reads: the phase carries over.
			c.Read(x[:3000])
			c.Read(x[3000:])
			sp := newSpectrum(nfft, tc.rate)
			sp.add(x, nfft)
			p, df := sp.psd()
			peak := 0
			for i := range p {
				if p[i] > p[peak] {
					peak = i
				}
			}
			if f := sp.freq(peak); math.Abs(f-tc.offset) > df {
				t.Errorf("peak at %.1f Hz, want %.1f ± %.1f", f, tc.offset, df)
			}
			// Phase continuity across the two reads: the step between any
			// two samples is 2π·offset/rate.
			want := 2 * math.Pi * tc.offset / tc.rate
			for i := 1; i < len(x); i++ {
				d := cmplx.Phase(complex128(x[i]) * cmplx.Conj(complex128(x[i-1])))
				if math.Abs(math.Remainder(d-want, 2*math.Pi)) > 1e-4 {
					t.Fatalf("phase step %.6f at sample %d, want %.6f", d, i, want)
				}
			}
			if pw := meanPower(x); math.Abs(pw-1) > 1e-4 {
				t.Errorf("power %.6f", pw)
			}
		})
	}
}

func TestSweptCWCoversRangeInPeriod(t *testing.T) {
	const rate, from, to, period = 2.4e6, -400e3, 300e3, 2e-3
	s := NewSweptCW(rate, from, to, period)
	x := make([]complex64, int(3.5*period*rate))
	for pos := 0; pos < len(x); pos += 1000 { // uneven reads
		s.Read(x[pos:min(pos+1000, len(x))])
	}
	// Instantaneous frequency from consecutive samples (the phase never
	// jumps: a step of more than the expected frequency would show here).
	f := make([]float64, len(x)-1)
	for i := range f {
		f[i] = cmplx.Phase(complex128(x[i+1])*cmplx.Conj(complex128(x[i]))) / (2 * math.Pi) * rate
	}
	worst, jumps := 0.0, []int{}
	for i := range f {
		tp := math.Mod((float64(i)+0.5)/rate, period)
		want := from + (to-from)*tp/period
		if i > 0 && f[i] < f[i-1]-(to-from)/2 {
			jumps = append(jumps, i)
			continue
		}
		if tp > 1/rate && tp < period-1/rate {
			worst = math.Max(worst, math.Abs(f[i]-want))
		}
	}
	if worst > 10 {
		t.Errorf("instantaneous frequency off the sawtooth by up to %.1f Hz", worst)
	}
	if len(jumps) != 3 {
		t.Fatalf("%d sweep restarts in 3.5 periods, want 3", len(jumps))
	}
	for k := 1; k < len(jumps); k++ {
		if d := float64(jumps[k]-jumps[k-1]) / rate; math.Abs(d-period) > 1.5/rate {
			t.Errorf("sweep period %.6f s, want %.6f", d, period)
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range f {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if math.Abs(lo-from) > 500 || math.Abs(hi-to) > 500 {
		t.Errorf("sweep covers %.0f…%.0f Hz, want %.0f…%.0f", lo, hi, from, to)
	}
}

func TestNBFM(t *testing.T) {
	for _, tc := range []struct {
		name      string
		rate, dev float64
	}{{"12.5kHz-channel", 2.4e6, 2.5e3}, {"25kHz-channel", 2.4e6, 5e3}, {"1.024MSps", 1.024e6, 2.5e3}} {
		t.Run(tc.name, func(t *testing.T) {
			n := NewNBFM(tc.rate, tc.dev, rand.New(rand.NewPCG(5, 5)))
			x := make([]complex64, int(2*tc.rate))
			n.Read(x[:12345])
			n.Read(x[12345:])
			if pw := meanPower(x); math.Abs(pw-1) > 1e-3 {
				t.Errorf("power %.5f", pw)
			}
			// Occupied bandwidth vs Carson's rule 2·(Δf + f_max).
			nfft := 1 << 17 // 18 Hz bins at 2.4 MS/s
			sp := newSpectrum(nfft, tc.rate)
			sp.add(x, nfft/2)
			p, df := sp.psd()
			bw, centre := occupiedBW(p, df, 0.99)
			carson := 2 * (tc.dev + 3000)
			t.Logf("99%% bandwidth %.2f kHz (Carson %.1f kHz), centre %.0f Hz", bw/1e3, carson/1e3, centre)
			if bw > carson || bw < 0.5*carson {
				t.Errorf("99%% bandwidth %.2f kHz, want between half of and Carson's %.1f kHz", bw/1e3, carson/1e3)
			}
			// Demodulate: instantaneous frequency, decimated to 16 kHz.
			d := int(math.Round(tc.rate / 16e3))
			var audio []float64
			peak := 0.0
			for i := 0; i+d < len(x); i += d {
				var f float64
				for k := range d {
					f += cmplx.Phase(complex128(x[i+k+1])*cmplx.Conj(complex128(x[i+k]))) / (2 * math.Pi) * tc.rate
				}
				f /= float64(d)
				audio = append(audio, f)
				peak = math.Max(peak, math.Abs(f))
			}
			if peak > tc.dev*1.01 || peak < tc.dev*0.9 {
				t.Errorf("peak deviation %.0f Hz, want %.0f", peak, tc.dev)
			}
			// The modulation is voice band: 300–3000 Hz (with the filters'
			// skirts, ≥ 90 % of the audio power within 250–3400 Hz).
			asp := newSpectrum(1024, 16e3)
			ac := make([]complex64, len(audio))
			for i, v := range audio {
				ac[i] = complex(float32(v), 0)
			}
			asp.add(ac, 512)
			ap, adf := asp.psd()
			in := bandPower(ap, adf, 250, 3400) + bandPower(ap, adf, -3400, -250)
			all := bandPower(ap, adf, -8000, 8000)
			if in/all < 0.9 {
				t.Errorf("only %.1f%% of the modulation within 250–3400 Hz", 100*in/all)
			}
		})
	}
}

func TestImpulse(t *testing.T) {
	for _, tc := range []struct {
		name              string
		rate, width, frac float64
	}{
		{"1us-2.4", 2.4e6, 1e-6, 0}, {"5us-2.4-frac", 2.4e6, 5e-6, 0.7}, {"2us-1.024", 1.024e6, 2e-6, 0.3},
		{"0.1us", 2.4e6, 0.1e-6, 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewImpulse(tc.rate)
			buf := make([]complex64, p.Len(tc.width))
			n, act := p.Burst(buf, tc.width, tc.frac, rand.New(rand.NewPCG(1, 1)))
			nz := 0
			for i := range n {
				if cmplx.Abs(complex128(buf[i])) > 0.5 {
					nz++
					if i < act.Start || i >= act.End() {
						t.Errorf("sample %d outside the active span is on", i)
					}
				}
			}
			want := math.Max(1, tc.width*tc.rate)
			if math.Abs(float64(nz)-want) > 1 {
				t.Errorf("pulse %d samples wide, want %.2f ± 1", nz, want)
			}
			if pw := meanPower(buf[act.Start:act.End()]); math.Abs(pw-1) > 1e-4 {
				t.Errorf("active power %.5f", pw)
			}
		})
	}
	// Broadband: the averaged spectrum of many pulses is flat across the
	// band (±1 dB over ±0.45·rate).
	const rate = 2.4e6
	p := NewImpulse(rate)
	rng := rand.New(rand.NewPCG(2, 2))
	sp := newSpectrum(64, rate)
	buf := make([]complex64, 64)
	for range 4000 {
		clear(buf)
		p.Burst(buf, 3e-6, rng.Float64(), rng)
		sp.add(buf, 64)
	}
	ps, df := sp.psd()
	mean := bandPower(ps, df, -0.45*rate, 0.45*rate) / (0.9 * rate / df)
	for i, v := range ps {
		if f := sp.freq(i); math.Abs(f) <= 0.45*rate && math.Abs(db(v/mean)) > 1 {
			t.Errorf("impulse spectrum %.2f dB at %.0f kHz", db(v/mean), f/1e3)
		}
	}
}

func TestInterferenceDeterminismAndAllocs(t *testing.T) {
	a := NewNBFM(2.4e6, 2.5e3, rand.New(rand.NewPCG(9, 9)))
	b := NewNBFM(2.4e6, 2.5e3, rand.New(rand.NewPCG(9, 9)))
	c := NewNBFM(2.4e6, 2.5e3, rand.New(rand.NewPCG(10, 9)))
	xa, xb, xc := make([]complex64, 50000), make([]complex64, 50000), make([]complex64, 50000)
	a.Read(xa)
	b.Read(xb)
	c.Read(xc)
	diff := false
	for i := range xa {
		if xa[i] != xb[i] {
			t.Fatalf("same seed differs at %d", i)
		}
		diff = diff || xa[i] != xc[i]
	}
	if !diff {
		t.Error("different seeds gave the same NBFM")
	}
	buf := make([]complex64, 4096)
	cw, sw, imp := NewCW(2.4e6, 1e5), NewSweptCW(2.4e6, -1e5, 1e5, 1e-3), NewImpulse(2.4e6)
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"CW", func() { cw.Read(buf) }},
		{"SweptCW", func() { sw.Read(buf) }},
		{"NBFM", func() { a.Read(buf) }},
		{"Impulse", func() { imp.Burst(buf, 2e-6, 0.5, rng) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(10, tc.f); n != 0 {
				t.Errorf("allocates %.1f times per call", n)
			}
		})
	}
}
