//go:build !purego

package classify

import "github.com/cellsentry/cellsentry/dsp/internal/cpu"

// corrSums is corrSumsGo, with AVX where the CPU has it: four lanes of
// partial sums (k mod 4), added pairwise at the end.
func corrSums(px, py, rr, ri []float64) (s1, s2, s3, s4 float64) {
	m := len(rr)
	if !cpu.AVX || m == 0 {
		return corrSumsGo(px, py, rr, ri)
	}
	_, _, _ = px[m-1], py[m-1], ri[m-1]
	return corrSumsAVX(&px[0], &py[0], &rr[0], &ri[0], m)
}

//go:noescape
func corrSumsAVX(px, py, rr, ri *float64, m int) (s1, s2, s3, s4 float64)

// hypots is hypotsGo, four at a time with AVX: the steps of Go's amd64
// Hypot (max·√(1 + (min/max)²), 0 for two zeros) in the same order, so the
// same values. Non-finite inputs, which that code treats apart, send the
// whole call to math.Hypot.
func hypots(h, re, im []float64) {
	n := len(h) &^ 3
	if !cpu.AVX || n == 0 {
		hypotsGo(h, re, im)
		return
	}
	_, _ = re[len(h)-1], im[len(h)-1]
	if hypotsAVX(&h[0], &re[0], &im[0], n) {
		hypotsGo(h, re, im)
		return
	}
	hypotsGo(h[n:], re[n:], im[n:])
}

//go:noescape
func hypotsAVX(h, re, im *float64, n int) (nonFinite bool)

// hypotK holds hypotsAVX's constants: the |·| mask, +Inf and 1.0.
//
//lint:ignore U1000 used by kernels_amd64.s
var hypotK = [12]uint64{
	1<<63 - 1, 1<<63 - 1, 1<<63 - 1, 1<<63 - 1,
	0x7FF0000000000000, 0x7FF0000000000000, 0x7FF0000000000000, 0x7FF0000000000000,
	0x3FF0000000000000, 0x3FF0000000000000, 0x3FF0000000000000, 0x3FF0000000000000,
}
