//go:build !purego

package channelize

import "github.com/cellsentry/cellsentry/dsp/internal/cpu"

// The amd64 kernels use AVX where the CPU has it and SSE2 (which every
// amd64 CPU has) otherwise, and the Go code's float32 operations in the
// same order: results are identical bit for bit (TestKernelsMatchGo).

var kernelName = map[bool]string{false: "sse2", true: "avx"}[cpu.AVX]

// windowMax is windowMaxGo; len(x) a multiple of 4, work and w as long.
func windowMax(work, x []complex64, w []float32) float32 {
	n := len(x)
	if n == 0 || n%4 != 0 {
		panic("channelize: windowMax length not a positive multiple of 4")
	}
	_, _ = work[n-1], w[n-1]
	if cpu.AVX && n%8 == 0 {
		return windowMaxAVX(&work[0], &x[0], &w[0], n)
	}
	return windowMaxSSE(&work[0], &x[0], &w[0], n)
}

// powerShift is powerShiftGo; len(spec) a multiple of 8, p as long.
func powerShift(p []float32, spec []complex64, norm float32) {
	n := len(spec)
	if n == 0 || n%8 != 0 {
		panic("channelize: powerShift length not a positive multiple of 8")
	}
	_ = p[n-1]
	if cpu.AVX && n%16 == 0 {
		powerShiftAVX(&p[0], &spec[0], n, norm)
		return
	}
	powerShiftSSE(&p[0], &spec[0], n, norm)
}

//go:noescape
func windowMaxSSE(work, x *complex64, w *float32, n int) float32

//go:noescape
func powerShiftSSE(p *float32, spec *complex64, n int, norm float32)

//go:noescape
func windowMaxAVX(work, x *complex64, w *float32, n int) float32

//go:noescape
func powerShiftAVX(p *float32, spec *complex64, n int, norm float32)

// avxConst holds windowMaxAVX's constants: the VPERMILPS control that
// spreads window values 0, 0, 1, 1 over the low half and 2, 2, 3, 3 over
// the high half (one per I and Q), then the |·| mask.
//
//lint:ignore U1000 used by kernels_amd64.s
var avxConst = [16]uint32{0, 0, 1, 1, 2, 2, 3, 3,
	0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff}
