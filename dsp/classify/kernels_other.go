//go:build purego || !(amd64 || arm64)

package classify

func corrSums(px, py, rr, ri []float64) (s1, s2, s3, s4 float64) {
	return corrSumsGo(px, py, rr, ri)
}

func hypots(h, re, im []float64) { hypotsGo(h, re, im) }
