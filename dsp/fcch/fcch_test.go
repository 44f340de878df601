package fcch_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cellsentry/cellsentry/dsp/fcch"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

const (
	rate   = 2.4e6
	center = 944.7e6
)

// render renders a scene with one sensor tuned to center (clean dongle
// but for its ppm and noise) and the given interference list.
func render(t testing.TB, ppm float64, seconds float64, interference string) []complex64 {
	t.Helper()
	yml := fmt.Sprintf(`name: fcch
seed: 11
sample_rate: 2.4MHz
duration: %gs
sensors:
  - id: s1
    position: [0, 0, 2]
    center: 944.7MHz
    dongle: {ppm: %g, spurs: [], lo_leak: off, dc_i: 0, dc_q: 0, iq_gain: 0dB, iq_phase: 0}
interference:
%s`, seconds, ppm, interference)
	sc, err := sim.Parse([]byte(yml), "fcch.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src, err := sc.Open("s1")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var iq []complex64
	b := &sdr.Block{Samples: make([]complex64, 1<<16)}
	for src.ReadBlock(b) == nil {
		iq = append(iq, b.Samples...)
	}
	return iq
}

func downlink(id, carrier string, snr float64) string {
	return fmt.Sprintf("  - {id: %s, kind: gsm_downlink, %s, snr: %gdB}\n", id, carrier, snr)
}

// detect runs a detector for the carrier offset Hz from center over iq in
// blocks of 10000 samples.
func detect(t testing.TB, iq []complex64, offset, maxPPM float64) []fcch.Burst {
	t.Helper()
	lo, hi := fcch.SearchRange(offset, center, maxPPM)
	d, err := fcch.New(fcch.Config{Rate: rate, Low: lo, High: hi})
	if err != nil {
		t.Fatal(err)
	}
	var out []fcch.Burst
	for len(iq) > 0 {
		n := min(10000, len(iq))
		out = d.Process(out, iq[:n])
		iq = iq[n:]
	}
	return d.Flush(out)
}

// TestPPM plants crystal errors and SNRs and measures them back from the
// FCCH bursts of one second.
func TestPPM(t *testing.T) {
	for _, c := range []struct {
		name    string
		ppm     float64
		carrier string
		freq    float64
		snr     float64
	}{
		{"-40 ppm 25 dB", -40, "arfcn: 50", 945e6, 25},
		{"-7.3 ppm 15 dB", -7.3, "arfcn: 50", 945e6, 15},
		{"0 ppm 30 dB", 0, "arfcn: 50", 945e6, 30},
		{"+12 ppm 8 dB", 12, "arfcn: 50", 945e6, 8},
		{"+63 ppm 20 dB", 63, "arfcn: 50", 945e6, 20},
		{"+20 ppm below the center", 20, "arfcn: 46", 944.2e6, 20},
		{"+3 ppm 45 dB", 3, "arfcn: 50", 945e6, 45},
	} {
		t.Run(c.name, func(t *testing.T) {
			iq := render(t, c.ppm, 1, downlink("bts", c.carrier, c.snr))
			off := c.freq - center
			bursts := detect(t, iq, off, 80)
			// One second holds 21 or 22 FCCH bursts.
			if len(bursts) < 19 || len(bursts) > 22 {
				t.Fatalf("%d bursts in 1 s, want 21 or 22", len(bursts))
			}
			e, err := fcch.Combine(bursts, rate, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := fcch.PPM(e.Freq, off, center)
			t.Logf("ppm %.4f (planted %g), %d/%d bursts, σ %.2f Hz per burst, mean ±%.2f Hz, SNR %.1f dB, %d aligned",
				got, c.ppm, e.Used, e.Bursts, e.Std, e.StdErr, e.SNR, e.Aligned)
			if math.Abs(got-c.ppm) > 0.05 {
				t.Errorf("measured %.4f ppm, planted %g ppm", got, c.ppm)
			}
			if e.Aligned != e.Used {
				t.Errorf("%d of %d bursts on the TDMA frame grid", e.Aligned, e.Used)
			}
			if math.Abs(e.SNR-c.snr) > 3 {
				t.Errorf("SNR estimate %.1f dB, set %g dB", e.SNR, c.snr)
			}
		})
	}
}

// TestNotFCCH checks what must not be taken for an FCCH: a steady carrier
// in the search range, the GSM bursts of a phone and of a BCCH carrier
// without FCCH, noise.
func TestNotFCCH(t *testing.T) {
	for _, c := range []struct{ name, items string }{
		{"cw at the tone", "  - {id: cw, kind: cw, freq: 945.0677MHz, snr: 30dB}\n"},
		{"bcch without fcch", "  - {id: b, kind: bcch, arfcn: 50, snr: 30dB}\n"},
		{"impulses", "  - {id: i, kind: impulses, rate: 200/s, snr: 30dB}\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			iq := render(t, 0, 0.5, c.items)
			if b := detect(t, iq, 945e6-center, 80); len(b) != 0 {
				t.Errorf("%d bursts found, want none: first %+v", len(b), b[0])
			}
		})
	}
}

// TestCarriers puts two carriers in the window, a third 200 kHz from the
// first, and a CW spur: each carrier's detector finds only its own tone.
func TestCarriers(t *testing.T) {
	const ppm = -18.5
	iq := render(t, ppm, 1, downlink("a", "arfcn: 50", 20)+downlink("b", "arfcn: 51", 20)+
		downlink("c", "arfcn: 47", 25)+"  - {id: cw, kind: cw, freq: 945.35MHz, snr: 30dB}\n")
	for _, c := range []struct {
		name string
		freq float64
	}{{"arfcn 50", 945e6}, {"arfcn 51", 945.2e6}, {"arfcn 47", 944.4e6}} {
		t.Run(c.name, func(t *testing.T) {
			off := c.freq - center
			bursts := detect(t, iq, off, 80)
			e, err := fcch.Combine(bursts, rate, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := fcch.PPM(e.Freq, off, center)
			t.Logf("%s: ppm %.4f, %d/%d bursts, σ %.2f Hz", c.name, got, e.Used, e.Bursts, e.Std)
			if e.Used < 19 || math.Abs(got-ppm) > 0.05 {
				t.Errorf("%d bursts used, %.4f ppm, planted %g ppm", e.Used, got, ppm)
			}
		})
	}
}

func TestCombine(t *testing.T) {
	frame := fcch.FrameDuration * rate
	mk := func(freqs ...float64) []fcch.Burst {
		var b []fcch.Burst
		for i, f := range freqs {
			b = append(b, fcch.Burst{Sample: int64(math.Round(float64(i) * 10 * frame)), Freq: f, SNR: 20})
		}
		return b
	}
	for _, c := range []struct {
		name       string
		bursts     []fcch.Burst
		used       int
		freq       float64
		aligned    int
		wantErrNil bool
	}{
		{"one", mk(100), 1, 100, 0, true},
		{"outlier dropped", mk(100, 101, 99, 100, 5000), 4, 100, 4, true},
		{"all agree", mk(10, 12, 14), 3, 12, 3, true},
		{"none", nil, 0, 0, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := fcch.Combine(c.bursts, rate, nil)
			if (err == nil) != c.wantErrNil {
				t.Fatalf("err %v", err)
			}
			if err != nil {
				return
			}
			if e.Used != c.used || math.Abs(e.Freq-c.freq) > 1e-9 || e.Aligned != c.aligned {
				t.Errorf("got %+v, want used %d freq %g aligned %d", e, c.used, c.freq, c.aligned)
			}
		})
	}
}

func TestPPMFormula(t *testing.T) {
	// A +10 ppm crystal at 944.7 MHz moves everything down by 9447 Hz.
	if got := fcch.PPM(300e3+fcch.ToneOffset-9447, 300e3, 944.7e6); math.Abs(got-10) > 1e-9 {
		t.Errorf("PPM = %v, want 10", got)
	}
}

func TestNewErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  fcch.Config
		want string
	}{
		{"rate", fcch.Config{Rate: 1e5, Low: 0, High: 1}, "fcch: rate 100000 S/s outside 0.5–20 MS/s"},
		{"range", fcch.Config{Rate: 2.4e6, Low: 5, High: 1}, "fcch: search range 5…1 Hz: want low < high within ±1120000 Hz (±rate/2 less 80 kHz)"},
		{"edge", fcch.Config{Rate: 2.4e6, Low: 0, High: 1.15e6}, "fcch: search range 0…1150000 Hz: want low < high within ±1120000 Hz (±rate/2 less 80 kHz)"},
		{"size", fcch.Config{Rate: 2.4e6, Low: 0, High: 1, Size: 100}, "fcch: size 100: want a power of two from 64 to 80 % of a burst (1312 samples)"},
		{"threshold", fcch.Config{Rate: 2.4e6, Low: 0, High: 1, Threshold: 0.99}, "fcch: threshold 0.99 outside 0.2–0.95"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := fcch.New(c.cfg)
			if err == nil || err.Error() != c.want {
				t.Errorf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestProcessAllocs(t *testing.T) {
	iq := render(t, 5, 0.2, downlink("bts", "arfcn: 50", 20))
	lo, hi := fcch.SearchRange(300e3, center, 80)
	d, err := fcch.New(fcch.Config{Rate: rate, Low: lo, High: hi})
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]fcch.Burst, 0, 64)
	blk := iq[:16384]
	allocs := testing.AllocsPerRun(20, func() { dst = d.Process(dst[:0], blk) })
	if allocs != 0 {
		t.Errorf("%v allocations per block, want 0", allocs)
	}
}

// FuzzProcess feeds arbitrary samples in arbitrary block sizes: no panic,
// and every burst's tone lies in the search range and its span in what
// was given.
func FuzzProcess(f *testing.F) {
	f.Add(uint64(1), uint16(1000), uint8(0))
	f.Add(uint64(2), uint16(7), uint8(3))
	f.Add(uint64(3), uint16(40000), uint8(9))
	f.Fuzz(func(t *testing.T, seed uint64, block uint16, tone uint8) {
		rng := rand.New(rand.NewPCG(seed, 1))
		lo, hi := fcch.SearchRange(300e3, center, 80)
		d, err := fcch.New(fcch.Config{Rate: rate, Low: lo, High: hi})
		if err != nil {
			t.Fatal(err)
		}
		n := 30000
		iq := make([]complex64, n)
		f0 := lo + (hi-lo)*float64(tone)/255
		for i := range iq {
			iq[i] = complex(float32(rng.NormFloat64()*0.1), float32(rng.NormFloat64()*0.1))
			if tone%2 == 1 && i%12000 < 1300 {
				s, c := math.Sincos(2 * math.Pi * f0 * float64(i) / rate)
				iq[i] += complex(float32(c), float32(s))
			}
		}
		bs := max(1, int(block))
		var out []fcch.Burst
		for i := 0; i < n; i += bs {
			out = d.Process(out, iq[i:min(n, i+bs)])
		}
		out = d.Flush(out)
		for _, b := range out {
			binHz := rate / 512
			if b.Freq < lo-2*binHz || b.Freq > hi+2*binHz || b.Sample < 0 || b.Sample+int64(b.Len) > int64(n) {
				t.Fatalf("burst %+v outside the search range %g…%g or the stream", b, lo, hi)
			}
		}
	})
}

func BenchmarkProcess(b *testing.B) {
	iq := render(b, 5, 0.5, downlink("bts", "arfcn: 50", 20))
	lo, hi := fcch.SearchRange(300e3, center, 80)
	d, err := fcch.New(fcch.Config{Rate: rate, Low: lo, High: hi})
	if err != nil {
		b.Fatal(err)
	}
	const blk = 65536
	dst := make([]fcch.Burst, 0, 64)
	b.ReportAllocs()
	b.SetBytes(blk * 8)
	b.ResetTimer()
	off := 0
	for range b.N {
		if off+blk > len(iq) {
			off = 0
		}
		dst = d.Process(dst[:0], iq[off:off+blk])
		off += blk
	}
	b.ReportMetric(float64(b.N)*blk/b.Elapsed().Seconds()/1e6, "Msamples/s")
}

// TestNoiseOnly: white noise, whose windows reach a purity of 0.55 now
// and then, gives no burst in 5 s (50 000 windows).
func TestNoiseOnly(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	lo, hi := fcch.SearchRange(300e3, center, 80)
	d, err := fcch.New(fcch.Config{Rate: rate, Low: lo, High: hi})
	if err != nil {
		t.Fatal(err)
	}
	blk := make([]complex64, 1<<16)
	var out []fcch.Burst
	for n := 0; n < 5*rate; n += len(blk) {
		for i := range blk {
			blk[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
		}
		out = d.Process(out, blk)
	}
	if len(out) != 0 {
		t.Errorf("%d bursts in noise, first %+v", len(out), out[0])
	}
}
