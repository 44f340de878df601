//go:build !purego

package classify

// corrSums is corrSumsGo with NEON: two lanes of partial sums (k mod 2),
// fused multiply-adds, added pairwise at the end.
func corrSums(px, py, rr, ri []float64) (s1, s2, s3, s4 float64) {
	m := len(rr)
	if m == 0 {
		return 0, 0, 0, 0
	}
	_, _, _ = px[m-1], py[m-1], ri[m-1]
	return corrSumsNEON(&px[0], &py[0], &rr[0], &ri[0], m)
}

//go:noescape
func corrSumsNEON(px, py, rr, ri *float64, m int) (s1, s2, s3, s4 float64)

// hypots is hypotsGo: Go's arm64 Hypot is Go code the compiler may fuse,
// not worth a kernel that would differ from it.
func hypots(h, re, im []float64) { hypotsGo(h, re, im) }
