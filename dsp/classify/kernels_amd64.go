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
