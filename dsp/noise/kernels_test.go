package noise

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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

// TestMedian: the quickselect gives the element a sort puts in the middle,
// with ties, odd and even lengths, and NaNs.
func TestMedian(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	for _, tc := range []struct {
		name string
		gen  func(n int) []float32
	}{
		{"distinct", func(n int) []float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(rng.ExpFloat64())
			}
			return v
		}},
		{"ties", func(n int) []float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(rng.IntN(4))
			}
			return v
		}},
		{"NaN", func(n int) []float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(rng.ExpFloat64())
			}
			v[rng.IntN(n)] = float32(math.NaN())
			return v
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for n := 1; n <= 25; n++ {
				for range 20 {
					v := tc.gen(n)
					w := append([]float32(nil), v...)
					slices.Sort(w)
					got, want := median(v), w[n/2]
					if math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("n %d: median %v, sorted middle %v", n, got, want)
					}
				}
			}
		})
	}
}
