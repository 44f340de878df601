//go:build !purego

package channelize

// The arm64 kernels use NEON. The powers' multiply-add is fused, so they
// agree with the Go code within a float32 rounding, not bit for bit (as
// Go's own arm64 code may fuse it too); the windowed samples and the
// maximum are exact.

const kernelName = "neon"

// windowMax is windowMaxGo; len(x) a multiple of 4, work and w as long.
func windowMax(work, x []complex64, w []float32) float32 {
	n := len(x)
	if n == 0 || n%4 != 0 {
		panic("channelize: windowMax length not a positive multiple of 4")
	}
	_, _ = work[n-1], w[n-1]
	return windowMaxNEON(&work[0], &x[0], &w[0], n)
}

// powerShift is powerShiftGo; len(spec) a multiple of 8, p as long.
func powerShift(p []float32, spec []complex64, norm float32) {
	n := len(spec)
	if n == 0 || n%8 != 0 {
		panic("channelize: powerShift length not a positive multiple of 8")
	}
	_ = p[n-1]
	powerShiftNEON(&p[0], &spec[0], n, norm)
}

//go:noescape
func windowMaxNEON(work, x *complex64, w *float32, n int) float32

//go:noescape
func powerShiftNEON(p *float32, spec *complex64, n int, norm float32)
