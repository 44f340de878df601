package waveform

import (
	"math"
	"math/rand/v2"
)

// Span is a half-open range of output samples [Start, Start+Len) of what a
// burst method wrote: the burst's "active" (useful) part, over which its
// mean power is 1.
type Span struct{ Start, Len int }

// End returns Start+Len.
func (s Span) End() int { return s.Start + s.Len }

// eps absorbs float rounding when a time instant falls exactly on a sample:
// 10e-6 s × 2.4e6 S/s evaluates to 24.000000000000004, which must count as
// sample 24, not 25.
const eps = 1e-9

// ceilEps is math.Ceil with a tolerance of eps for values a rounding error
// above an integer.
func ceilEps(x float64) int { return int(math.Ceil(x - eps)) }

// firstSampleAt returns the index of the first output sample taken at or
// after t seconds, when sample n is taken at (n − frac)/rate.
func firstSampleAt(t, frac, rate float64) int { return ceilEps(t*rate + frac) }

// checkFrac panics unless 0 ≤ frac < 1: a fractional start outside that
// range is a caller bug (the integer part belongs in the buffer offset).
func checkFrac(frac float64) {
	if !(frac >= 0 && frac < 1) {
		panic("waveform: frac must be in [0, 1)")
	}
}

// cisBits sets the size of the table behind cis: 2^12 points on the unit
// circle with linear interpolation give |cis| = 1 within 3e-7 and a phase
// error below 1e-6 rad, far below the −60 dB spectral masks tested here.
const (
	cisBits = 12
	cisN    = 1 << cisBits
)

// cisTab[i] = exp(j2π i/cisN), with one extra point for interpolation.
var cisTab = func() (t [cisN + 1]complex64) {
	for i := range t {
		s, c := math.Sincos(2 * math.Pi * float64(i) / cisN)
		t[i] = complex(float32(c), float32(s))
	}
	return t
}()

// cis returns exp(j2π·cycles): a table lookup with linear interpolation,
// about five times faster than math.Sincos.
func cis(cycles float64) complex64 {
	x := (cycles - math.Floor(cycles)) * cisN
	i := int(x)
	if i >= cisN { // cycles a hair below an integer
		i = cisN - 1
	}
	w := float32(x - float64(i))
	a, b := cisTab[i], cisTab[i+1]
	return complex(real(a)+w*(real(b)-real(a)), imag(a)+w*(imag(b)-imag(a)))
}

// bitSource hands out random bits 64 at a time from a *rand.Rand.
type bitSource struct {
	rng  *rand.Rand
	word uint64
	left int
}

func (b *bitSource) reset(rng *rand.Rand) { b.rng, b.left = rng, 0 }

// bits returns the next n (≤ 64) random bits in the low bits of the result.
func (b *bitSource) bits(n int) uint64 {
	if n > b.left {
		b.word, b.left = b.rng.Uint64(), 64
	}
	v := b.word & (1<<n - 1)
	b.word >>= n
	b.left -= n
	return v
}
