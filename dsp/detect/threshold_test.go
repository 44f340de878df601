package detect

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPrefixSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	z := make([]float32, 128)
	for i := range z {
		z[i] = float32(rng.ExpFloat64())
	}
	cum := make([]float32, 129)
	prefixSum(cum, z)
	var run float64
	for k := 0; k <= len(z); k++ {
		if math.Abs(float64(cum[k])-run) > 1e-4*math.Max(1, run) {
			t.Fatalf("cum[%d] = %g, want %g", k, cum[k], run)
		}
		if k < len(z) {
			run += float64(z[k])
		}
	}
}
