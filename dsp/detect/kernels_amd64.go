//go:build !purego

package detect

// The amd64 kernels use SSE2, which every amd64 CPU has, and perform the
// Go code's float32 operations in the same order: results are identical
// bit for bit (TestKernelsMatchGo).

// bandSums is bandSumsGo (scalar assembly: the positions are gathered).
// pos must be ascending, from 0 or more (a group's positions are), so that
// checking the last one checks them all.
func bandSums(v, cum []float32, pos []int, w int) {
	n := len(pos)
	if n == 0 {
		return
	}
	_ = v[n-1]
	if pos[0] < 0 || w < 0 || pos[n-1]+w >= len(cum) {
		panic("detect: bandSums position out of range")
	}
	bandSumsSSE(&v[0], &cum[0], &pos[0], n, w)
}

//go:noescape
func bandSumsSSE(v, cum *float32, pos *int, n, w int)

// accumulate is accumulateGo.
func accumulate(acc, pw, z, floor []float32) {
	n := len(z)
	if n == 0 {
		return
	}
	_, _, _ = acc[n-1], pw[n-1], floor[n-1]
	accumulateSSE(&acc[0], &pw[0], &z[0], &floor[0], n)
}

// runSums is runSumsGo; len(run) is a multiple of 4.
func runSums(run, v, old []float32, tau float32, hits []uint8, bit uint8) bool {
	n := len(run)
	if n == 0 || n%4 != 0 {
		panic("detect: runSums length not a positive multiple of 4")
	}
	_, _, _ = v[n-1], old[n-1], hits[n-1]
	return runSumsSSE(&run[0], &v[0], &old[0], n, tau, &hits[0], int(bit))
}

// normalize is normalizeGo; len(z) a multiple of 4.
func normalize(z, cum, p, inv, one []float32) {
	n := len(z)
	if n == 0 || n%4 != 0 {
		panic("detect: normalize length not a positive multiple of 4")
	}
	_, _, _, _ = cum[n], p[n-1], inv[n-1], one[n-1]
	cum[0] = 0
	normalizeSSE(&z[0], &cum[1], &p[0], &inv[0], &one[0], n)
}

//go:noescape
func normalizeSSE(z, cum1, p, inv, one *float32, n int)

//go:noescape
func accumulateSSE(acc, pw, z, floor *float32, n int)

//go:noescape
func runSumsSSE(run, v, old *float32, n int, tau float32, hits *uint8, bit int) bool
