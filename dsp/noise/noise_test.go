package noise

import (
	"math"
	"math/rand/v2"
	"testing"
)

// expFrame fills p with unit-mean exponential powers times level: the
// distribution of one FFT bin of complex Gaussian noise.
func expFrame(rng *rand.Rand, p []float32, level float64) {
	for k := range p {
		p[k] = float32(rng.ExpFloat64() * level)
	}
}

func TestMinBiasMonteCarlo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ k, d int }{{1, 10}, {16, 32}, {16, 240}, {4, 100}} {
		const trials = 4000
		var sum float64
		for range trials {
			m := math.Inf(1)
			for range c.d {
				var a float64
				for range c.k {
					a += rng.ExpFloat64()
				}
				m = math.Min(m, a/float64(c.k))
			}
			sum += m
		}
		mc := sum / trials
		if got := MinBias(c.k, c.d); math.Abs(got-mc)/mc > 0.03 {
			t.Errorf("MinBias(%d,%d) = %.4f, Monte Carlo %.4f", c.k, c.d, got, mc)
		}
	}
}

func TestFloorUnbiasedUnderBursts(t *testing.T) {
	const bins = 128
	cases := []struct {
		name      string
		occupancy float64 // fraction of frames a strong burst covers bins 40..60
		burstDB   float64
		tolDB     float64 // on the mean floor under the burst
	}{
		{"noise only", 0, 0, 0.3},
		{"gsm call 1 slot in 8", 1.0 / 8, 20, 0.3},
		// Half the short averages are lost to the burst: the minimum is
		// taken over half as many, so it sits a little higher.
		{"busy 50 %", 0.5, 30, 0.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := New(Config{Bins: bins})
			if err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(7, 9))
			p := make([]float32, bins)
			const level = 1e-4
			frames := 16 * 32 * 8 * 3
			for i := range frames {
				expFrame(rng, p, level)
				// Bursts of 10 frames, a period chosen to give the occupancy.
				if c.occupancy > 0 && float64(i%80) < 80*c.occupancy {
					for k := 40; k < 60; k++ {
						p[k] += float32(level * math.Pow(10, c.burstDB/10))
					}
				}
				f.Update(900e6, 2.4e6, p)
			}
			fl := f.Floor(900e6)
			if fl == nil {
				t.Fatal("no floor after warm-up")
			}
			for k := range bins {
				if k >= 63 && k <= 65 {
					continue // DC mask
				}
				if e := 10 * math.Log10(float64(fl[k])/level); math.Abs(e) > 0.6 {
					t.Errorf("bin %d floor off by %.2f dB", k, e)
				}
			}
			// Average error across bins is much tighter than any single bin.
			var sum float64
			for k := 40; k < 60; k++ {
				sum += float64(fl[k])
			}
			if e := 10 * math.Log10(sum/20/level); math.Abs(e) > c.tolDB {
				t.Errorf("burst bins' mean floor off by %.2f dB", e)
			}
			if !f.Masked(900e6)[64] {
				t.Error("DC bin not masked")
			}
		})
	}
}

func TestFloorMasksPersistentCarrier(t *testing.T) {
	f, _ := New(Config{Bins: 128})
	rng := rand.New(rand.NewPCG(3, 4))
	p := make([]float32, 128)
	for range 16 * 32 * 6 {
		expFrame(rng, p, 1)
		p[20] += 1000 // a spur 30 dB up, always on
		f.Update(1e9, 2.4e6, p)
	}
	if !f.Masked(1e9)[20] {
		t.Error("persistent carrier at bin 20 not masked")
	}
	if f.Masked(1e9)[30] {
		t.Error("plain noise bin 30 masked")
	}
	if v := f.Floor(1e9)[20]; v > 2 {
		t.Errorf("masked bin floor %.2f, want the neighbours' ≈1", v)
	}
}

func TestFloorFollowsStep(t *testing.T) {
	f, _ := New(Config{Bins: 64})
	rng := rand.New(rand.NewPCG(5, 6))
	p := make([]float32, 64)
	window := 16 * 32 * 8
	for i := range window * 4 {
		lvl := 1.0
		if i >= window*2 {
			lvl = 4 // +6 dB
		}
		expFrame(rng, p, lvl)
		f.Update(1e9, 2.4e6, p)
	}
	if e := f.LevelDBFS(1e9) - 10*math.Log10(4*64); math.Abs(e) > 0.5 {
		t.Errorf("after a +6 dB step and two windows, level off by %.2f dB", e)
	}
}

func TestUpdateAllocs(t *testing.T) {
	f, _ := New(Config{Bins: 128})
	p := make([]float32, 128)
	for i := range p {
		p[i] = 1
	}
	f.Update(1e9, 2.4e6, p)
	if a := testing.AllocsPerRun(2000, func() { f.Update(1e9, 2.4e6, p) }); a != 0 {
		t.Errorf("Update allocates %v per frame", a)
	}
}

func BenchmarkUpdate(b *testing.B) {
	f, _ := New(Config{Bins: 128})
	p := make([]float32, 128)
	rng := rand.New(rand.NewPCG(1, 1))
	expFrame(rng, p, 1)
	b.ReportAllocs()
	for b.Loop() {
		f.Update(1e9, 2.4e6, p)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/128, "ns/bin")
}
