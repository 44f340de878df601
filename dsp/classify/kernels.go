package classify

import "math"

// corrSumsGo returns s1 = Σ px·rr, s2 = Σ py·ri, s3 = Σ py·rr,
// s4 = Σ px·ri over the length of rr (px, py and ri at least as long):
// the four real sums of the differential known-bit correlation (see
// gmskRefs.match), summed in order. The vector kernels (kernels_*.s) sum
// the same products lane by lane, so their results may differ in the last
// bits.
func corrSumsGo(px, py, rr, ri []float64) (s1, s2, s3, s4 float64) {
	px, py, ri = px[:len(rr)], py[:len(rr)], ri[:len(rr)]
	for k, r := range rr {
		i := ri[k]
		a, b := px[k], py[k]
		s1 += a * r
		s2 += b * i
		s3 += b * r
		s4 += a * i
	}
	return s1, s2, s3, s4
}

// hypotsGo sets h[k] = math.Hypot(re[k], im[k]) (equal lengths).
func hypotsGo(h, re, im []float64) {
	re, im = re[:len(h)], im[:len(h)]
	for k := range h {
		h[k] = math.Hypot(re[k], im[k])
	}
}
