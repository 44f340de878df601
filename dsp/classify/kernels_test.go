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
