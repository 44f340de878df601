//go:build !purego

package fft

import "math"

// The arm64 kernels use NEON (Advanced SIMD, part of every ARMv8-A core:
// the Raspberry Pi 3, 4, 5 and Zero 2 W). They run the Go code's passes
// four butterflies or codelets side by side on split real/imaginary
// vectors; multiply-adds are fused, so results agree with the Go code
// within a few float32 roundings (TestSIMDMatchesGo), not bit for bit —
// as Go's own arm64 code differs from its amd64 code.

// simdName names the vector kernel in use, "" for none.
const simdName = "neon"

// conj is conjGo, four samples at a time with NEON.
func conj(dst, src []complex64) {
	n := len(src)
	if n%4 != 0 || n == 0 {
		conjGo(dst, src)
		return
	}
	_ = dst[n-1]
	conjNEON(&dst[0], &src[0], n)
}

//go:noescape
func conjNEON(dst, src *complex64, n int)

// radix4NEON runs one radix-4 pass (see radix4) over x[:n] with
// sub-transforms of length m (a multiple of 4), twiddles tw laid out by
// simdTwiddles.
//
//go:noescape
func radix4NEON(x *complex64, n, m int, tw *float32)

// first16NEON is the first pass (see first16) out of place, n ≥ 64: four
// codelets at a time, those whose inputs start at src[r … r+3].
//
//go:noescape
func first16NEON(dst, src *complex64, n int, gather *uint32)

// first8NEON is first8 out of place, n ≥ 32.
//
//go:noescape
func first8NEON(dst, src *complex64, n int, gather *uint32)

// first16InPlaceNEON is first16 on bit-reversed x[:n] (n ≥ 64): codelet
// b transforms block x[16b : 16b+16], four neighbouring blocks at a time.
//
//go:noescape
func first16InPlaceNEON(x *complex64, n int)

// first8InPlaceNEON is first8 on bit-reversed x[:n] (n ≥ 32).
//
//go:noescape
func first8InPlaceNEON(x *complex64, n int)

// neonK holds the codelets' constants (h, c1, s1, −h): h = √2/2,
// c1 = cos(π/8), s1 = sin(π/8), rounded to float32 as the Go code's
// untyped constants are.
//
//lint:ignore U1000 used by kernels_arm64.s
var neonK = [4]float32{math.Sqrt2 / 2, cosPi8, sinPi8, -math.Sqrt2 / 2}

// simdTwiddles lays out a radix-4 pass's twiddles for radix4NEON: per
// group of four butterflies j … j+3, for w^j, w^2j and w^3j in turn, the
// four real parts and then the four imaginary parts: 24 float32 (96 bytes)
// per group.
func simdTwiddles(tw [][4]complex64) []float32 {
	if len(tw)%4 != 0 {
		return nil
	}
	out := make([]float32, 0, 6*len(tw))
	for j0 := 0; j0 < len(tw); j0 += 4 {
		for w := range 3 {
			for j := j0; j < j0+4; j++ {
				out = append(out, real(tw[j][w]))
			}
			for j := j0; j < j0+4; j++ {
				out = append(out, imag(tw[j][w]))
			}
		}
	}
	return out
}

// transformSIMD runs Transform with the NEON kernels, reporting false (and
// doing nothing) for n < 32, where the Go code runs.
func (f *FFT) transformSIMD(dst, src []complex64) bool {
	n := f.n
	if n < 32 {
		return false
	}
	x := &dst[0]
	if x == &src[0] {
		f.bitReverse(dst)
		if f.first == 16 {
			first16InPlaceNEON(x, n)
		} else {
			first8InPlaceNEON(x, n)
		}
	} else if f.first == 16 {
		first16NEON(x, &src[0], n, &f.gather[0])
	} else {
		first8NEON(x, &src[0], n, &f.gather[0])
	}
	for i := range f.stages {
		s := &f.stages[i]
		radix4NEON(x, n, s.m, &s.simd[0])
	}
	return true
}
