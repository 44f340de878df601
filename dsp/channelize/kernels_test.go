package channelize

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestKernelsMatchGo holds the vector kernels (where there are any) to the
// Go loops on random frames with clipped, NaN, infinite and signed-zero
// samples: the windowed samples and the maximum exactly, the powers
// exactly on amd64 and within a float32 rounding elsewhere (a fused
// multiply-add).
func TestKernelsMatchGo(t *testing.T) {
	exactPower := runtime.GOARCH == "amd64" || kernelName == ""
	for _, tc := range []struct {
		name string
		n    int
		put  map[int]complex64
	}{
		{"16 plain", 16, nil},
		{"256 clipped", 256, map[int]complex64{3: complex(1, 0), 77: complex(0.2, -1), 255: complex(-1, -1)}},
		{"256 NaN first", 256, map[int]complex64{0: complex(float32(math.NaN()), 0.5), 9: complex(0.3, float32(math.NaN()))}},
		{"1024 NaN and inf", 1024, map[int]complex64{500: complex(float32(math.NaN()), float32(math.NaN())), 501: complex(float32(math.Inf(-1)), 0)}},
		{"64 zeros", 64, map[int]complex64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tc.n), 5))
			x := make([]complex64, tc.n)
			w := make([]float32, tc.n)
			for i := range x {
				if tc.put != nil && len(tc.put) == 0 {
					x[i] = complex(float32(math.Copysign(0, rng.Float64()-0.5)), 0)
				} else {
					x[i] = complex(float32(rng.NormFloat64()*0.3), float32(rng.NormFloat64()*0.3))
				}
				w[i] = float32(rng.Float64())
			}
			for i, v := range tc.put {
				x[i] = v
			}
			want, got := make([]complex64, tc.n), make([]complex64, tc.n)
			mw := windowMaxGo(want, x, w)
			mg := windowMax(got, x, w)
			if mg != mw {
				t.Errorf("windowMax maximum %v, Go %v", mg, mw)
			}
			for i := range want {
				if math.Float32bits(real(got[i])) != math.Float32bits(real(want[i])) || math.Float32bits(imag(got[i])) != math.Float32bits(imag(want[i])) {
					t.Fatalf("windowMax work[%d] = %v, Go %v", i, got[i], want[i])
				}
			}
			pw, pg := make([]float32, tc.n), make([]float32, tc.n)
			powerShiftGo(pw, want, 0.125)
			powerShift(pg, want, 0.125)
			for k := range pw {
				same := pg[k] == pw[k] || (math.IsNaN(float64(pg[k])) && math.IsNaN(float64(pw[k])))
				if !same && (exactPower || math.Abs(float64(pg[k]-pw[k])) > 2e-7*math.Abs(float64(pw[k]))) {
					t.Fatalf("powerShift p[%d] = %v, Go %v", k, pg[k], pw[k])
				}
			}
		})
	}
}

// TestWindowMaxFindsClipping: the maximum reaches ClipLevel exactly when
// countClipped finds a sample, so the fast path never misses one.
func TestWindowMaxFindsClipping(t *testing.T) {
	for _, v := range []complex64{complex(ClipLevel, 0), complex(0, -ClipLevel), complex(-1, 0.1), complex(0.98, 0.98), complex(float32(math.NaN()), 0.5)} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			x := make([]complex64, 64)
			w := make([]float32, 64)
			for i := range x {
				x[i], w[i] = complex(0.1, -0.2), 1
			}
			x[37] = v
			m := windowMax(make([]complex64, 64), x, w)
			if got, want := m >= ClipLevel, countClipped(x) > 0; got != want {
				t.Errorf("max %v ≥ clip level %v, but countClipped says %v", m, got, want)
			}
		})
	}
}

func BenchmarkKernels(b *testing.B) {
	const n = 256
	rng := rand.New(rand.NewPCG(1, 1))
	x := noise(rng, n, 0.1)
	w, _ := Window("tukey", n)
	work := make([]complex64, n)
	p := make([]float32, n)
	for _, k := range []struct {
		name string
		fn   func()
	}{
		{"windowMax", func() { windowMax(work, x, w) }},
		{"windowMaxGo", func() { windowMaxGo(work, x, w) }},
		{"powerShift", func() { powerShift(p, x, 1) }},
		{"powerShiftGo", func() { powerShiftGo(p, x, 1) }},
	} {
		b.Run(k.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(8 * n)
			for b.Loop() {
				k.fn()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Msamples/s")
		})
	}
}
