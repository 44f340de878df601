package sim

import (
	"math"
)

// mixChunk is how many samples a phasor recurrence runs before it is
// recomputed exactly, keeping the float rounding of the recurrence below
// 1e-12 of the amplitude.
const mixChunk = 1024

// fracCycles returns the fractional part of f·n (cycles), computed so that
// it stays accurate for sample indices n up to 2^53: n is split into a
// high and a low part so each product keeps its precision.
func fracCycles(f float64, n int64) float64 {
	hi := n &^ 0xffff
	lo := n & 0xffff
	a := f * float64(hi)
	a -= math.Floor(a)
	b := f*float64(lo) + a
	return b - math.Floor(b)
}

// mixAdd adds amp · src[k] · exp(j2π(cps·(n0+k) + ph)) to dst[k] for every
// k: the signal src placed at cps cycles per sample (offset/rate), with
// the phase referred to the absolute sample index n0 + k so that a signal
// continues coherently across blocks. A nil src stands for a constant 1
// (an unmodulated carrier).
//
// The phasor is computed exactly at every absolute index that is a
// multiple of mixChunk and by recurrence in between, starting from the
// chunk's start even when dst begins inside a chunk: every sample gets
// the same value however the samples are split into blocks.
func mixAdd(dst, src []complex64, amp, cps float64, n0 int64, ph float64) {
	ws, wc := math.Sincos(2 * math.Pi * cps)
	for off := 0; off < len(dst); {
		n := n0 + int64(off)
		c0 := n - n%mixChunk
		s, c := math.Sincos(2 * math.Pi * (fracCycles(cps, c0) + ph))
		pr, pi := amp*c, amp*s
		for j := c0; j < n; j++ {
			pr, pi = pr*wc-pi*ws, pr*ws+pi*wc
		}
		end := min(off+int(c0+mixChunk-n), len(dst))
		d := dst[off:end]
		if src == nil {
			for k := range d {
				d[k] += complex(float32(pr), float32(pi))
				pr, pi = pr*wc-pi*ws, pr*ws+pi*wc
			}
		} else {
			sv := src[off:end]
			for k := range d {
				x := sv[k]
				xr, xi := float64(real(x)), float64(imag(x))
				d[k] += complex(float32(xr*pr-xi*pi), float32(xr*pi+xi*pr))
				pr, pi = pr*wc-pi*ws, pr*ws+pi*wc
			}
		}
		off = end
	}
}
