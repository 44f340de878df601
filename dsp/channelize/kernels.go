package channelize

import "math"

// The per-frame loops around the FFT, in Go: the reference for the vector
// kernels (kernels_*.s) and the code on other architectures. Lengths are
// multiples of 4.

// windowMaxGo sets work[i] = x[i]·w[i] (both parts) and returns the
// largest |real| or |imag| of x, leaving NaNs out.
func windowMaxGo(work, x []complex64, w []float32) float32 {
	work, w = work[:len(x)], w[:len(x)]
	var m float32
	for i, v := range x {
		re, im := real(v), imag(v)
		work[i] = complex(re*w[i], im*w[i])
		if a := abs32(re); a > m {
			m = a
		}
		if a := abs32(im); a > m {
			m = a
		}
	}
	return m
}

func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// powerShiftGo sets p[k] = |spec[(k+n/2) mod n]|²·norm: the powers in
// frequency order (bin n/2 is DC).
func powerShiftGo(p []float32, spec []complex64, norm float32) {
	half := len(spec) / 2
	lo, hi := spec[:half], spec[half:2*half]
	p0, p1 := p[:half], p[half:2*half]
	for k, a := range hi {
		p0[k] = (real(a)*real(a) + imag(a)*imag(a)) * norm
	}
	for k, d := range lo {
		p1[k] = (real(d)*real(d) + imag(d)*imag(d)) * norm
	}
}

// countClipped counts the samples whose I or Q reaches ClipLevel.
func countClipped(x []complex64) int {
	n := 0
	for _, v := range x {
		re, im := real(v), imag(v)
		if re >= ClipLevel || re <= -ClipLevel || im >= ClipLevel || im <= -ClipLevel {
			n++
		}
	}
	return n
}
