package waveform

// Measurement helpers for the tests: they look at generated IQ the way an
// analyser would (averaged windowed periodograms, envelopes, correlations)
// and never at a generator's internal parameters.

import (
	"math"
	"math/cmplx"
	"sort"

	"gonum.org/v1/gonum/dsp/fourier"
)

// spectrum accumulates an averaged periodogram with a 4-term
// Blackman-Harris window (sidelobes −92 dB, so −70 dB masks are visible).
type spectrum struct {
	n    int
	rate float64
	win  []float64
	fft  *fourier.CmplxFFT
	buf  []complex128
	acc  []float64 // power per bin, FFT order
	segs int
}

func newSpectrum(n int, rate float64) *spectrum {
	s := &spectrum{n: n, rate: rate, win: make([]float64, n), fft: fourier.NewCmplxFFT(n),
		buf: make([]complex128, n), acc: make([]float64, n)}
	a := [4]float64{0.35875, 0.48829, 0.14128, 0.01168}
	for i := range s.win {
		x := 2 * math.Pi * float64(i) / float64(n)
		s.win[i] = a[0] - a[1]*math.Cos(x) + a[2]*math.Cos(2*x) - a[3]*math.Cos(3*x)
	}
	return s
}

// add accumulates every full segment of x with the given hop.
func (s *spectrum) add(x []complex64, hop int) {
	for off := 0; off+s.n <= len(x); off += hop {
		for i := range s.n {
			s.buf[i] = complex128(x[off+i]) * complex(s.win[i], 0)
		}
		s.fft.Coefficients(s.buf, s.buf)
		for i, v := range s.buf {
			s.acc[i] += real(v)*real(v) + imag(v)*imag(v)
		}
		s.segs++
	}
}

// psd returns the averaged power per bin, centred (index n/2 is 0 Hz), and
// the bin width in Hz.
func (s *spectrum) psd() (p []float64, df float64) {
	p = make([]float64, s.n)
	for i := range s.n {
		p[(i+s.n/2)%s.n] = s.acc[i] / float64(s.segs)
	}
	return p, s.rate / float64(s.n)
}

// freq is the frequency of centred bin i.
func (s *spectrum) freq(i int) float64 { return float64(i-s.n/2) * s.rate / float64(s.n) }

// bandPower sums the centred PSD over [f1, f2] Hz.
func bandPower(p []float64, df, f1, f2 float64) float64 {
	n := len(p)
	var sum float64
	for i, v := range p {
		f := float64(i-n/2) * df
		if f >= f1 && f <= f2 {
			sum += v
		}
	}
	return sum
}

// occupiedBW returns the 99 % occupied bandwidth of a centred PSD: the
// width between the frequencies below which 0.5 % and 99.5 % of the power
// lie (linear interpolation within a bin), and its centre.
func occupiedBW(p []float64, df, frac float64) (bw, centre float64) {
	n := len(p)
	var total float64
	for _, v := range p {
		total += v
	}
	lo, hi := (1-frac)/2*total, (1+frac)/2*total
	var cum float64
	flo, fhi := math.NaN(), math.NaN()
	for i, v := range p {
		f0 := (float64(i-n/2) - 0.5) * df
		if math.IsNaN(flo) && cum+v >= lo {
			flo = f0 + (lo-cum)/v*df
		}
		if math.IsNaN(fhi) && cum+v >= hi {
			fhi = f0 + (hi-cum)/v*df
		}
		cum += v
	}
	return fhi - flo, (fhi + flo) / 2
}

// edges returns the outermost frequencies where the centred PSD, relative
// to ref, is still above levelDB (interpolated between bins).
func edges(p []float64, df, ref, levelDB float64) (lo, hi float64) {
	n := len(p)
	th := ref * math.Pow(10, levelDB/10)
	first, last := -1, -1
	for i, v := range p {
		if v >= th {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	interp := func(i, j int) float64 { // crossing between bins i (above) and j
		if j < 0 || j >= n {
			return math.NaN() // never falls below the level
		}
		a, b := 10*math.Log10(p[i]/th), 10*math.Log10(p[j]/th)
		return (float64(i-n/2) + (float64(j-i))*a/(a-b)) * df
	}
	return interp(first, first-1), interp(last, last+1)
}

// meanPower is the mean of |x|².
func meanPower(x []complex64) float64 {
	var s float64
	for _, v := range x {
		s += float64(real(v))*float64(real(v)) + float64(imag(v))*float64(imag(v))
	}
	return s / float64(len(x))
}

// dft evaluates Σ x[n] e^{−j2πfn/rate} at one frequency.
func dft(x []complex64, f, rate float64) complex128 {
	var s complex128
	for n, v := range x {
		s += complex128(v) * cmplx.Exp(complex(0, -2*math.Pi*f*float64(n)/rate))
	}
	return s
}

// percentile returns the q-quantile (0…1) of v (sorted copy).
func percentile(v []float64, q float64) float64 {
	c := append([]float64(nil), v...)
	sort.Float64s(c)
	return c[int(q*float64(len(c)-1))]
}

func db(x float64) float64 { return 10 * math.Log10(x) }
