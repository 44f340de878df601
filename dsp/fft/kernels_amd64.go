//go:build !purego

package fft

import (
	"math"

	"github.com/cellsentry/cellsentry/dsp/internal/cpu"
)

// The amd64 kernels use AVX (256-bit vectors of four complex64, VEX
// encoding; no FMA, no AVX2), present on every x86-64 CPU since 2011–2013.
// They perform exactly the float32 operations of the Go code, in the same
// order, four butterflies or codelets side by side: the results are bit
// for bit those of transformGo (TestSIMDMatchesGo).

var useAVX = cpu.AVX

// simdName names the vector kernel in use, "" for none.
var simdName = map[bool]string{true: "avx"}[useAVX]

// conj is conjGo, four samples at a time with AVX (a sign flip: exact).
func conj(dst, src []complex64) {
	n := len(src)
	if !useAVX || n%4 != 0 || n == 0 {
		conjGo(dst, src)
		return
	}
	_ = dst[n-1]
	conjAVX(&dst[0], &src[0], n)
}

//go:noescape
func conjAVX(dst, src *complex64, n int)

// radix4AVX runs one radix-4 pass (see radix4) over x[:n] with sub-transforms
// of length m (a multiple of 4), twiddles tw laid out by simdTwiddles.
//
//go:noescape
func radix4AVX(x *complex64, n, m int, tw *float32)

// first16AVX is the first pass (see first16) out of place, n ≥ 64: four
// codelets at a time, those whose inputs start at src[r … r+3].
//
//go:noescape
func first16AVX(dst, src *complex64, n int, gather *uint32)

// first8AVX is first8 out of place, n ≥ 32.
//
//go:noescape
func first8AVX(dst, src *complex64, n int, gather *uint32)

// first16InPlaceAVX is first16 on bit-reversed x[:n] (n ≥ 64): codelet
// b transforms block x[16b : 16b+16], four neighbouring blocks at a time.
//
//go:noescape
func first16InPlaceAVX(x *complex64, n int)

// first8InPlaceAVX is first8 on bit-reversed x[:n] (n ≥ 32).
//
//go:noescape
func first8InPlaceAVX(x *complex64, n int)

// simdTwiddles lays out a radix-4 pass's twiddles for radix4AVX: per group
// of four butterflies j … j+3, for w^j, w^2j and w^3j in turn, the real
// parts each written twice (one per lane of a complex) and then the
// imaginary parts likewise: 48 float32 (192 bytes) per group.
func simdTwiddles(tw [][4]complex64) []float32 {
	if !useAVX || len(tw)%4 != 0 {
		return nil
	}
	out := make([]float32, 0, 12*len(tw))
	for j0 := 0; j0 < len(tw); j0 += 4 {
		for w := range 3 {
			for j := j0; j < j0+4; j++ {
				out = append(out, real(tw[j][w]), real(tw[j][w]))
			}
			for j := j0; j < j0+4; j++ {
				out = append(out, imag(tw[j][w]), imag(tw[j][w]))
			}
		}
	}
	return out
}

// transformSIMD runs Transform with the AVX kernels, reporting false (and
// doing nothing) where they do not apply: no AVX, or n < 32.
func (f *FFT) transformSIMD(dst, src []complex64) bool {
	n := f.n
	if !useAVX || n < 32 {
		return false
	}
	x := &dst[0]
	if x == &src[0] {
		f.bitReverse(dst)
		if f.first == 16 {
			first16InPlaceAVX(x, n)
		} else {
			first8InPlaceAVX(x, n)
		}
	} else if f.first == 16 {
		first16AVX(x, &src[0], n, &f.gather[0])
	} else {
		first8AVX(x, &src[0], n, &f.gather[0])
	}
	for i := range f.stages {
		s := &f.stages[i]
		radix4AVX(x, n, s.m, &s.simd[0])
	}
	return true
}

// avxK holds the kernels' constants, each broadcast to a whole vector
// (kernels_amd64.s names them by offset): √2/2, cos(π/8), sin(π/8),
// −cos(π/8), −sin(π/8), rounded to float32 as the Go code's untyped
// constants are, then the sign masks of the imaginary parts and of all.
//
//lint:ignore U1000 used by kernels_amd64.s
var avxK = func() (k [7][8]float32) {
	for i, v := range [...]float32{math.Sqrt2 / 2, cosPi8, sinPi8, -cosPi8, -sinPi8} {
		for j := range k[i] {
			k[i][j] = v
		}
	}
	neg := math.Float32frombits(1 << 31)
	for j := range 8 {
		k[5][j] = [2]float32{0, neg}[j%2]
		k[6][j] = neg
	}
	return k
}()
