//go:build !purego

package channelize

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSSEKernels holds the SSE2 kernels, which run on CPUs without AVX, to
// the Go loops bit for bit (TestKernelsMatchGo exercises the AVX ones on a
// machine that has it).
func TestSSEKernels(t *testing.T) {
	const n = 64
	rng := rand.New(rand.NewPCG(2, 2))
	x, w := make([]complex64, n), make([]float32, n)
	for i := range x {
		x[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
		w[i] = float32(rng.Float64())
	}
	x[5] = complex(float32(math.NaN()), 0.25)
	x[9] = complex(-1, 0.5)
	want, got := make([]complex64, n), make([]complex64, n)
	mw := windowMaxGo(want, x, w)
	if mg := windowMaxSSE(&got[0], &x[0], &w[0], n); mg != mw {
		t.Errorf("windowMaxSSE maximum %v, Go %v", mg, mw)
	}
	for i := range want {
		if math.Float32bits(real(got[i])) != math.Float32bits(real(want[i])) || math.Float32bits(imag(got[i])) != math.Float32bits(imag(want[i])) {
			t.Fatalf("windowMaxSSE work[%d] = %v, Go %v", i, got[i], want[i])
		}
	}
	pw, pg := make([]float32, n), make([]float32, n)
	powerShiftGo(pw, want, 0.5)
	powerShiftSSE(&pg[0], &want[0], n, 0.5)
	for k := range pw {
		if math.Float32bits(pg[k]) != math.Float32bits(pw[k]) {
			t.Fatalf("powerShiftSSE p[%d] = %v, Go %v", k, pg[k], pw[k])
		}
	}
}
