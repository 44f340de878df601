package detect

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n      int
		masked []int
	}{
		{"16 bins", 16, nil},
		{"128 bins", 128, nil},
		{"256 bins, DC masked", 256, []int{127, 128, 129}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.n)))
			p := make([]float32, tc.n)
			inv := make([]float32, tc.n)
			one := make([]float32, tc.n)
			for i := range p {
				p[i] = float32(rng.ExpFloat64()) * 1e-6
				inv[i] = float32(1e6 * (0.9 + 0.2*rng.Float64()))
			}
			for _, k := range tc.masked {
				inv[k], one[k] = 0, 1
			}
			z := make([]float32, tc.n)
			cum := make([]float32, tc.n+1)
			normalize(z, cum, p, inv, one)
			var run float64
			for k := 0; k <= tc.n; k++ {
				if math.Abs(float64(cum[k])-run) > 1e-4*math.Max(1, run) {
					t.Fatalf("cum[%d] = %g, want %g", k, cum[k], run)
				}
				if k == tc.n {
					break
				}
				if want := p[k]*inv[k] + one[k]; z[k] != want {
					t.Fatalf("z[%d] = %g, want %g", k, z[k], want)
				}
				run += float64(z[k])
			}
			for _, k := range tc.masked {
				if z[k] != 1 {
					t.Errorf("masked z[%d] = %g, want 1", k, z[k])
				}
			}
		})
	}
}
