package detect

import (
	"math"
	"math/rand/v2"
	"runtime"
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
		{"1024 bins, edges masked", 1024, []int{0, 1, 1022, 1023}},
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
			cum[0] = 42 // must be reset
			normalize(z, cum, p, inv, one)
			zg, cumg := make([]float32, tc.n), make([]float32, tc.n+1)
			normalizeGo(zg, cumg, p, inv, one)
			// The vector kernel is held to the Go loop: bit for bit on
			// amd64, within float32 roundings where multiply-adds fuse.
			exact := runtime.GOARCH == "amd64"
			var run float64
			for k := 0; k <= tc.n; k++ {
				if math.Abs(float64(cum[k])-run) > 1e-4*math.Max(1, run) {
					t.Fatalf("cum[%d] = %g, want %g", k, cum[k], run)
				}
				if exact && cum[k] != cumg[k] {
					t.Fatalf("cum[%d] = %g, Go loop %g", k, cum[k], cumg[k])
				}
				if k == tc.n {
					break
				}
				if exact && z[k] != zg[k] || math.Abs(float64(z[k]-zg[k])) > 1e-6*float64(zg[k]) {
					t.Fatalf("z[%d] = %g, Go loop %g", k, z[k], zg[k])
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
