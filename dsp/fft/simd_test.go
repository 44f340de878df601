package fft

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestSIMDMatchesGo holds the vector kernels to the Go code on random
// frames, out of place and in place, for every size. On amd64 they must
// agree bit for bit (the AVX kernels run the same float32 operations in the
// same order); elsewhere (arm64 fuses multiply-adds, in Go and in NEON
// alike, but not at the same places) within a few float32 roundings of
// the output RMS.
func TestSIMDMatchesGo(t *testing.T) {
	if simdName == "" {
		t.Skipf("no vector kernel on %s (or purego build)", runtime.GOARCH)
	}
	exact := runtime.GOARCH == "amd64"
	for n := MinLen; n <= MaxLen; n *= 2 {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			f := mustNew(t, n)
			rng := rand.New(rand.NewPCG(uint64(n), 99))
			for trial := range min(8, max(2, 1<<15/n)) {
				x := randomFrame(rng, n)
				if trial == 1 {
					// Large and tiny values side by side.
					for i := range x {
						x[i] *= complex(float32(math.Pow(10, float64(rng.IntN(13)-6))), 0)
					}
				}
				want := make([]complex64, n)
				f.transformGo(want, x)
				for _, inPlace := range []bool{false, true} {
					got := make([]complex64, n)
					if inPlace {
						copy(got, x)
						f.Transform(got, got)
					} else {
						f.Transform(got, x)
					}
					var rms, maxErr float64
					for k := range want {
						rms += sq(want[k])
						maxErr = math.Max(maxErr, math.Sqrt(sq(got[k]-want[k])))
						if exact && got[k] != want[k] {
							t.Fatalf("trial %d, in place %v: bin %d = %v, Go kernel %v", trial, inPlace, k, got[k], want[k])
						}
					}
					if rms = math.Sqrt(rms / float64(n)); maxErr > 1e-6*rms {
						t.Fatalf("trial %d, in place %v: max difference %.3g × RMS from the Go kernel", trial, inPlace, maxErr/rms)
					}
				}
			}
		})
	}
}
