package detect

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestKernelsMatchGo holds the vector kernels (where there are any) to the
// Go loops on random data: the running sums and hits exactly, the
// accumulated excess exactly on amd64 and within a rounding on arm64 (a
// fused multiply-add there).
func TestKernelsMatchGo(t *testing.T) {
	for _, n := range []int{1, 3, 4, 5, 21, 48, 115, 256} {
		t.Run(fmt.Sprintf("accumulate/n=%d", n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n), 1))
			z, floor := make([]float32, n), make([]float32, n)
			acc, pw := make([]float32, n), make([]float32, n)
			for i := range z {
				z[i] = float32(rng.ExpFloat64())
				floor[i] = float32(1e-6 * (1 + rng.Float64()))
				acc[i], pw[i] = float32(rng.NormFloat64()), float32(1e-6*rng.NormFloat64())
			}
			acc2, pw2 := append([]float32(nil), acc...), append([]float32(nil), pw...)
			accumulateGo(acc, pw, z, floor)
			accumulate(acc2, pw2, z, floor)
			for i := range acc {
				if acc2[i] != acc[i] {
					t.Fatalf("acc[%d] = %v, Go %v", i, acc2[i], acc[i])
				}
				tol := float32(0)
				if runtime.GOARCH != "amd64" {
					tol = 1e-6 * (abs(pw[i]) + abs((z[i]-1)*floor[i]))
				}
				if abs(pw2[i]-pw[i]) > tol {
					t.Fatalf("pw[%d] = %v, Go %v", i, pw2[i], pw[i])
				}
			}
		})
	}
	for _, tc := range []struct {
		name string
		n    int
		tau  float32
	}{
		{"no hits", 48, 1e9},
		{"some hits", 48, 2},
		{"all hits", 8, -1},
		{"NaN threshold", 24, nan32},
	} {
		t.Run("runSums/"+tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.n), 2))
			mk := func() []float32 {
				x := make([]float32, tc.n)
				for i := range x {
					x[i] = float32(rng.ExpFloat64())
				}
				return x
			}
			run, v, old := mk(), mk(), mk()
			run[3] = float32(math.NaN())
			run2 := append([]float32(nil), run...)
			h1, h2 := make([]uint8, tc.n), make([]uint8, tc.n)
			h1[5], h2[5] = 1, 1 // bits already set stay
			a1 := runSumsGo(run, v, old, tc.tau, h1, 4)
			a2 := runSums(run2, v, old, tc.tau, h2, 4)
			if a1 != a2 {
				t.Errorf("any = %v, Go %v", a2, a1)
			}
			for i := range run {
				if math.Float32bits(run2[i]) != math.Float32bits(run[i]) || h2[i] != h1[i] {
					t.Fatalf("position %d: run %v hits %b, Go %v %b", i, run2[i], h2[i], run[i], h1[i])
				}
			}
			switch tc.name {
			case "some hits":
				if !a1 {
					t.Error("no hits: the case checks nothing")
				}
			case "NaN threshold", "no hits":
				if a1 {
					t.Error("hits")
				}
			}
		})
	}
}

func abs(v float32) float32 { return float32(math.Abs(float64(v))) }

func TestBandSums(t *testing.T) {
	for _, tc := range []struct {
		name string
		bins int
		w    int
	}{{"200 kHz", 256, 21}, {"360 kHz", 256, 38}, {"1080 kHz", 256, 115}, {"whole window", 64, 64}} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.w), 8))
			cum := make([]float32, tc.bins+1)
			for k := 1; k < len(cum); k++ {
				cum[k] = cum[k-1] + float32(rng.ExpFloat64())
			}
			var pos []int
			for s := 0; s+tc.w <= tc.bins; s += max(1, tc.w/4) {
				pos = append(pos, s)
			}
			pos = append(pos, tc.bins-tc.w)
			want, got := make([]float32, len(pos)), make([]float32, len(pos))
			bandSumsGo(want, cum, pos, tc.w)
			bandSums(got, cum, pos, tc.w)
			for i := range want {
				if got[i] != want[i] || want[i] <= 0 {
					t.Fatalf("position %d: %v, Go %v", pos[i], got[i], want[i])
				}
			}
		})
	}
}
