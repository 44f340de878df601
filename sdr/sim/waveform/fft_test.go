package waveform

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

func TestFFT64MatchesDirectDFT(t *testing.T) {
	for _, n := range []int{2, 8, 128, 512} {
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		x := make([]complex64, n)
		for i := range x {
			x[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
		}
		want := make([]complex128, n)
		for m := range n {
			for k, v := range x {
				want[m] += complex128(v) * cmplx.Exp(complex(0, 2*math.Pi*float64(k*m%n)/float64(n)))
			}
		}
		newFFT64(n).inverse(x)
		var worst float64
		for m := range n {
			worst = math.Max(worst, cmplx.Abs(complex128(x[m])-want[m]))
		}
		if worst > 1e-4*math.Sqrt(float64(n)) {
			t.Errorf("n=%d: largest error %.3g", n, worst)
		}
	}
}
