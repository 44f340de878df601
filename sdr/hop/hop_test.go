package hop

import (
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

func mustPreset(t *testing.T, name string) Band {
	t.Helper()
	b, err := Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPresets(t *testing.T) {
	for _, c := range []struct {
		name     string
		low, hi  float64
		wantName string
	}{
		{"gsm900-ul", 880e6, 915e6, "gsm900-ul"},
		{"B8", 880e6, 915e6, "gsm900-ul"},
		{"b20", 832e6, 862e6, "b20-ul"},
		{"b28-ul", 703e6, 748e6, "b28-ul"},
		{"b3", 1710e6, 1785e6, "dcs1800-ul"},
	} {
		b := mustPreset(t, c.name)
		if b.Name != c.wantName || b.Low != c.low || b.High != c.hi {
			t.Errorf("%s: got %+v", c.name, b)
		}
	}
	// Not handset uplinks: GSM-R and the SRD band lie outside every preset.
	for _, f := range []float64{878e6, 866e6} {
		for _, b := range Presets {
			if f >= b.Low && f <= b.High {
				t.Errorf("%.0f MHz is inside preset %s", f/1e6, b.Name)
			}
		}
	}
	if _, err := Preset("gsm1900"); err == nil || !strings.Contains(err.Error(), "known:") {
		t.Errorf("unknown band: %v", err)
	}
}

func TestPlanLayout(t *testing.T) {
	p, err := NewPlan(Config{Bands: []BandWeight{{mustPreset(t, "b8"), 2}, {mustPreset(t, "b3"), 1}}})
	if err != nil {
		t.Fatal(err)
	}
	// B8: 35 MHz in hops of 1.92 MHz → 19 centres; B3 clipped at the
	// tuner's 1766 MHz − 1.2 MHz → 54.8 MHz → 29 centres.
	var b8, b3 []float64
	for _, s := range p.Steps {
		if s.Band == "gsm900-ul" {
			b8 = append(b8, s.Center)
		} else {
			b3 = append(b3, s.Center)
		}
	}
	if len(b8) != 2*19 || len(b3) != 29 {
		t.Fatalf("steps: %d B8 (want 38), %d B3 (want 29)", len(b8), len(b3))
	}
	// Every frequency of the band lies in the usable part of some hop.
	for f := 880e6; f <= 915e6; f += 10e3 {
		ok := false
		for _, c := range b8 {
			if math.Abs(f-c) <= 0.8*2.4e6/2+1 {
				ok = true
			}
		}
		if !ok {
			t.Fatalf("%.3f MHz not covered", f/1e6)
		}
	}
	if len(p.Warn) != 1 || !strings.Contains(p.Warn[0], "dcs1800-ul clipped") {
		t.Errorf("warnings: %q", p.Warn)
	}
	if got, want := p.Cycle, time.Duration(38+29)*250*time.Millisecond; got != want {
		t.Errorf("cycle %v, want %v", got, want)
	}
	if p.Visits("gsm900-ul") != 2 || p.Visits("dcs1800-ul") != 1 {
		t.Errorf("visits %d, %d", p.Visits("gsm900-ul"), p.Visits("dcs1800-ul"))
	}
	if p.Revisit("gsm900-ul") != p.Cycle/2 {
		t.Errorf("revisit %v, want half the cycle %v", p.Revisit("gsm900-ul"), p.Cycle/2)
	}
}

func TestPlanErrors(t *testing.T) {
	b8 := mustPreset(t, "b8")
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no band"},
		{Config{Bands: []BandWeight{{b8, 0}}}, "weight 0"},
		{Config{Bands: []BandWeight{{b8, 1}}, Dwell: 5 * time.Millisecond, Settle: 10 * time.Millisecond}, "not longer than the settle time"},
		{Config{Bands: []BandWeight{{Band{"x", 2000e6, 2100e6, ""}, 1}}}, "outside the tuner"},
	} {
		if _, err := NewPlan(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err %v, want %q", c.cfg, err, c.want)
		}
	}
}

// The intercept formula against a Monte Carlo over the plan's own
// schedule of visits.
func TestInterceptMonteCarlo(t *testing.T) {
	p, err := NewPlan(Config{Bands: []BandWeight{{mustPreset(t, "b8"), 1}, {mustPreset(t, "b20"), 1}}, Dwell: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	cycle := p.Cycle.Seconds()
	listen := p.Listening().Seconds()
	settle := p.Config().Settle.Seconds()
	dwell := p.Config().Dwell.Seconds()
	for _, c := range []struct{ train, need time.Duration }{
		{3 * time.Second, 100 * time.Millisecond},  // an SMS exchange
		{15 * time.Second, 500 * time.Millisecond}, // a short call, weak
		{30 * time.Second, 500 * time.Millisecond}, // a call, weak
	} {
		const trials = 20000
		hit := 0
		for range trials {
			// A random frequency of B8 (heard on its nearest hop centre)
			// and a random start.
			f := 880e6 + rng.Float64()*35e6
			nearest := p.Steps[0].Center
			for _, st := range p.Steps {
				if st.Band == "gsm900-ul" && math.Abs(f-st.Center) < math.Abs(f-nearest) {
					nearest = st.Center
				}
			}
			start := rng.Float64() * cycle * 3
			end := start + c.train.Seconds()
			// Listening time summed over the visits the train spans.
			var heard float64
			for k := 0; float64(k)*dwell < end; k++ {
				st := p.Steps[k%len(p.Steps)]
				if st.Center != nearest {
					continue
				}
				w0 := float64(k)*dwell + settle
				w1 := w0 + listen
				heard += math.Max(0, math.Min(end, w1)-math.Max(start, w0))
			}
			if heard >= c.need.Seconds() {
				hit++
			}
		}
		mc := float64(hit) / trials
		got := p.Intercept("gsm900-ul", c.train, c.need)
		t.Logf("train %v, need %v: formula %.3f, Monte Carlo %.3f (cycle %.1f s)", c.train, c.need, got, mc, cycle)
		if math.Abs(got-mc) > 0.02 {
			t.Errorf("train %v: formula %.3f, Monte Carlo %.3f", c.train, got, mc)
		}
	}
}

// The scheduler over a synthetic scene: it follows the plan, marks the
// settle time after every retune, and a tone shows up only in the dwells
// that cover it.
func TestSchedulerOnScene(t *testing.T) {
	band := Band{"test", 900e6, 905e6, ""}
	p, err := NewPlan(Config{Bands: []BandWeight{{band, 1}}, Dwell: 20 * time.Millisecond, Settle: 4 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	tone := 903.7e6
	d := sim.CleanDongle()
	sc := &sim.Scene{Name: "hop", Seed: 3, Duration: 400 * time.Millisecond,
		Sensors:      []sim.Sensor{{ID: "s", Center: p.Steps[0].Center, Dongle: d}},
		Interference: []sim.Emitter{{ID: "cw", Level: sim.SNR(30), Behaviour: &sim.CW{Freq: tone}}}}
	src, err := sc.Open("s")
	if err != nil {
		t.Fatal(err)
	}
	s := NewScheduler(src, p, src.Rate())
	buf := make([]complex64, 4096)
	blk := sdr.Block{Samples: buf}
	var settling, heard int
	toneSeen := map[float64]bool{}
	for {
		blk.Samples = buf
		err := s.ReadBlock(&blk)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if blk.Settling {
			settling += len(blk.Samples)
			continue
		}
		heard += len(blk.Samples)
		// Tone power at its offset from this block's centre.
		off := tone - blk.Center
		if math.Abs(off) < 1.2e6 {
			var acc complex128
			for i, v := range blk.Samples {
				ph := -2 * math.Pi * off * float64(i) / blk.Rate
				acc += complex128(v) * complex(math.Cos(ph), math.Sin(ph))
			}
			if p := real(acc*complex(real(acc), -imag(acc))) / float64(len(blk.Samples)*len(blk.Samples)); p > 1e-5 {
				toneSeen[blk.Center] = true
			}
		}
	}
	total := settling + heard
	dwells := 0.4 / 0.020 // the scene lasts 400 ms, a dwell 20 ms
	wantSettle := dwells * 0.004 * 2.4e6
	t.Logf("%d retunes (the last one met the end of the scene), %d settling samples (%.0f expected), tone seen at %v", s.Retunes(), settling, wantSettle, toneSeen)
	if math.Abs(float64(settling)-wantSettle) > 0.01*wantSettle {
		t.Errorf("settling samples %d, want %.0f", settling, wantSettle)
	}
	if total != int(0.4*2.4e6) {
		t.Errorf("%d samples in all, want %d", total, int(0.4*2.4e6))
	}
	if len(toneSeen) != 1 {
		t.Errorf("tone seen at %d centres, want exactly the one covering %.1f MHz: %v", len(toneSeen), tone/1e6, toneSeen)
	}
	for c := range toneSeen {
		if math.Abs(c-tone) > 0.96e6 {
			t.Errorf("tone seen at centre %.3f MHz, which does not cover it", c/1e6)
		}
	}
}
