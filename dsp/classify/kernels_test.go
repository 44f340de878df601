package classify

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestCorrSums holds the vector kernel (where there is one) to the Go sums:
// the order of the additions differs, so each sum may differ by a few
// roundings of the sum of the magnitudes of its products.
func TestCorrSums(t *testing.T) {
	for _, m := range []int{1, 2, 3, 4, 5, 7, 8, 95, 170} {
		t.Run(fmt.Sprintf("m=%d", m), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(m), 3))
			v := func() []float64 {
				x := make([]float64, m+3) // longer than rr: only len(rr) counts
				for i := range x {
					x[i] = rng.NormFloat64()
				}
				return x
			}
			px, py, ri := v(), v(), v()
			rr := v()[:m]
			w1, w2, w3, w4 := corrSumsGo(px, py, rr, ri)
			g1, g2, g3, g4 := corrSums(px, py, rr, ri)
			var mag [4]float64
			for k := range m {
				mag[0] += math.Abs(px[k] * rr[k])
				mag[1] += math.Abs(py[k] * ri[k])
				mag[2] += math.Abs(py[k] * rr[k])
				mag[3] += math.Abs(px[k] * ri[k])
			}
			for i, p := range [][2]float64{{g1, w1}, {g2, w2}, {g3, w3}, {g4, w4}} {
				if math.Abs(p[0]-p[1]) > 1e-14*mag[i] {
					t.Errorf("s%d = %v, Go %v (Σ|products| %v)", i+1, p[0], p[1], mag[i])
				}
			}
			if w1 == 0 || w2 == 0 {
				t.Error("zero sums: the test checks nothing")
			}
		})
	}
}

func BenchmarkCorrSums(b *testing.B) {
	const m = 95 // a normal burst's training sequence at 1.2 MS/s
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float64, 4*m)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	px, py, rr, ri := x[:m], x[m:2*m], x[2*m:3*m], x[3*m:]
	for _, k := range []struct {
		name string
		fn   func(px, py, rr, ri []float64) (float64, float64, float64, float64)
	}{{"kernel", corrSums}, {"go", corrSumsGo}} {
		b.Run(k.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(4 * 8 * m)
			for b.Loop() {
				k.fn(px, py, rr, ri)
			}
			b.ReportMetric(float64(m)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Msamples/s")
		})
	}
}

// TestHypots: the vector kernel gives math.Hypot's values bit for bit on
// amd64 (and is math.Hypot elsewhere), including zeros, subnormals and
// extremes; a non-finite input anywhere falls back to math.Hypot.
func TestHypots(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, tc := range []struct {
		name string
		n    int
		put  map[int][2]float64
	}{
		{"random", 103, nil},
		{"zeros and signs", 16, map[int][2]float64{0: {0, 0}, 1: {math.Copysign(0, -1), 0}, 2: {0, -3}, 3: {-2, 0}, 4: {5e-324, 5e-324}, 5: {1e300, 1e300}, 6: {1e-300, 1e300}}},
		{"infinite", 12, map[int][2]float64{3: {math.Inf(-1), 1}}},
		{"NaN", 12, map[int][2]float64{9: {1, math.NaN()}}},
		{"short", 3, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			re, im := make([]float64, tc.n), make([]float64, tc.n)
			for i := range re {
				re[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(20)-10))
				im[i] = rng.NormFloat64()
			}
			for i, v := range tc.put {
				re[i], im[i] = v[0], v[1]
			}
			got := make([]float64, tc.n)
			hypots(got, re, im)
			for i := range got {
				want := math.Hypot(re[i], im[i])
				if math.Float64bits(got[i]) != math.Float64bits(want) && !(math.IsNaN(got[i]) && math.IsNaN(want)) {
					t.Fatalf("hypot(%v, %v) = %v, math.Hypot %v", re[i], im[i], got[i], want)
				}
			}
		})
	}
}
