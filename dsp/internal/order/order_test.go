package order

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSelect holds Select to a sort for every k, on random, sorted,
// reversed and constant inputs of several lengths.
func TestSelect(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	gens := map[string]func(n int) []float64{
		"random": func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = rng.NormFloat64()
			}
			return v
		},
		"sorted": func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(i)
			}
			return v
		},
		"reversed": func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(n - i)
			}
			return v
		},
		"few": func(n int) []float64 {
			v := make([]float64, n)
			for i := range v {
				v[i] = float64(rng.IntN(3))
			}
			return v
		},
	}
	for name, gen := range gens {
		t.Run(name, func(t *testing.T) {
			for _, n := range []int{1, 2, 3, 7, 64, 255} {
				v := gen(n)
				want := slices.Clone(v)
				slices.Sort(want)
				for k := range n {
					w := slices.Clone(v)
					if got := Select(w, k); got != want[k] {
						t.Fatalf("n=%d k=%d: got %v, want %v", n, k, got, want[k])
					}
				}
			}
		})
	}
}
