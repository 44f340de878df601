package noise

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestAddTo: the vector kernel (where there is one) adds exactly as the
// Go loop does, for lengths with and without a tail.
func TestAddTo(t *testing.T) {
	for _, n := range []int{1, 3, 4, 8, 13, 256} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n), 4))
			acc, p := make([]float32, n), make([]float32, n)
			for i := range acc {
				acc[i], p[i] = float32(rng.ExpFloat64()), float32(1e-3*rng.ExpFloat64())
			}
			want := append([]float32(nil), acc...)
			addToGo(want, p)
			addTo(acc, p)
			for i := range acc {
				if math.Float32bits(acc[i]) != math.Float32bits(want[i]) {
					t.Fatalf("acc[%d] = %v, Go %v", i, acc[i], want[i])
				}
			}
		})
	}
}
