package detect

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxContrast: skipping the median when max/min cannot beat the
// current best gives exactly math.Max(cur, contrast(v)), for boxes like the
// DTX search's (44 phases, a lit slot or none, zeros and NaN at the edges).
func TestMaxContrast(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, tc := range []struct {
		name string
		fill func(v []float64)
	}{
		{"noise", func(v []float64) {
			for i := range v {
				v[i] = 1 + 0.05*rng.NormFloat64()
			}
		}},
		{"lit slot", func(v []float64) {
			for i := range v {
				v[i] = 1 + 0.05*rng.NormFloat64()
			}
			for i := 10; i < 15; i++ {
				v[i] += 0.5
			}
		}},
		{"a zero", func(v []float64) {
			for i := range v {
				v[i] = 1 + 0.05*rng.NormFloat64()
			}
			v[3] = 0
		}},
		{"NaN", func(v []float64) {
			for i := range v {
				v[i] = 1 + 0.05*rng.NormFloat64()
			}
			v[7] = math.NaN()
		}},
	} {
		for _, cur := range []float64{0, 1.01, 1.1, 1.3, 2} {
			t.Run(fmt.Sprintf("%s/cur=%g", tc.name, cur), func(t *testing.T) {
				skipped := 0
				for range 200 {
					v := make([]float64, 44)
					tc.fill(v)
					w := append([]float64(nil), v...)
					want := math.Max(cur, contrast(w))
					got := maxContrast(cur, v)
					if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
						t.Fatalf("maxContrast(%g) = %v, want %v", cur, got, want)
					}
					if got == cur {
						skipped++
					}
				}
				if tc.name == "noise" && cur == 2 && skipped != 200 {
					t.Errorf("noise never beats 2, yet %d of 200 were not cur", 200-skipped)
				}
			})
		}
		// The bounds at the edge: cur at, just below and just above the
		// contrast itself.
		t.Run(tc.name+"/cur at the contrast", func(t *testing.T) {
			for range 200 {
				v := make([]float64, 44)
				tc.fill(v)
				c := contrast(append([]float64(nil), v...))
				for _, cur := range []float64{c, math.Nextafter(c, 0), math.Nextafter(c, 10), c * 0.999, c * 1.001} {
					want := math.Max(cur, c)
					if got := maxContrast(cur, append([]float64(nil), v...)); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
						t.Fatalf("maxContrast(%v) = %v, want %v (contrast %v)", cur, got, want, c)
					}
				}
			}
		})
	}
}
