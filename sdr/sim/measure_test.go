package sim

import (
	"errors"
	"io"
	"math"
	"math/cmplx"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/cellsentry/cellsentry/sdr"
)

// Measurement helpers: they look only at the generated IQ and at the
// truth's times and frequencies, never at a generator's parameters.

type truthEntry struct {
	e  Emission
	rx Reception
}

// renderAll renders the whole scene for one sensor into memory, with the
// truth, reading blocks of blockLen samples.
func renderAll(t testing.TB, sc *Scene, sensor string, blockLen int) ([]complex64, []truthEntry, *Source) {
	t.Helper()
	src, err := sc.Open(sensor)
	if err != nil {
		t.Fatal(err)
	}
	var truth []truthEntry
	src.OnEmission = func(e Emission, rx Reception) { truth = append(truth, truthEntry{e, rx}) }
	var iq []complex64
	if sc.Duration > 0 {
		iq = make([]complex64, 0, int(sc.Duration.Seconds()*sc.rate())+blockLen)
	}
	b := &sdr.Block{Samples: make([]complex64, blockLen)}
	for {
		err := src.ReadBlock(b)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		iq = append(iq, b.Samples...)
	}
	return iq, truth, src
}

// fftCache keeps FFT plans by size.
var fftCache = map[int]*fourier.CmplxFFT{}

func fftOf(x []complex64, n int) []complex128 {
	f := fftCache[n]
	if f == nil {
		f = fourier.NewCmplxFFT(n)
		fftCache[n] = f
	}
	in := make([]complex128, n)
	for i := 0; i < len(x) && i < n; i++ {
		in[i] = complex128(x[i])
	}
	return f.Coefficients(nil, in)
}

// bandPower is the mean power of x in the frequency band [f1, f2] (Hz,
// baseband), by Parseval over the bins of a zero-padded FFT of the whole
// span (rectangular window): (1/(N·L))·Σ_{k in band}|X_k|².
func bandPower(x []complex64, rate, f1, f2 float64) float64 {
	n := 1
	for n < 2*len(x) {
		n *= 2
	}
	X := fftOf(x, n)
	var p float64
	for k, v := range X {
		f := float64(k) * rate / float64(n)
		if f >= rate/2 {
			f -= rate
		}
		if f >= f1 && f <= f2 {
			p += real(v)*real(v) + imag(v)*imag(v)
		}
	}
	return p / float64(n) / float64(len(x))
}

func meanPower(x []complex64) float64 {
	var p float64
	for _, v := range x {
		p += float64(real(v)*real(v) + imag(v)*imag(v))
	}
	return p / float64(len(x))
}

func db(x float64) float64 { return 10 * math.Log10(x) }

// span returns the sample range [i0, i1) of the useful part of e.
func span(e Emission, rate float64) (int, int) {
	return int(math.Ceil(e.Start * rate)), int(math.Floor((e.Start + e.Duration) * rate))
}

// busy reports whether any emission overlaps samples [i0, i1) (with a
// margin for ramps and filter tails).
func busy(truth []truthEntry, rate float64, i0, i1 int) bool {
	const margin = 40e-6
	for _, te := range truth {
		if te.e.Kind == KindFloorStep {
			continue
		}
		a, b := span(te.e, rate)
		if a < i1+int(margin*rate) && b+int(margin*rate) > i0 {
			return true
		}
	}
	return false
}

// toneAt estimates the frequency of the strongest tone in x near f0
// (±span Hz) by a fine DFT search, Hz.
func toneAt(x []complex64, rate, f0, span float64) float64 {
	best, bestP := f0, -1.0
	for f := f0 - span; f <= f0+span; f += span / 200 {
		p := dftPower(x, rate, f)
		if p > bestP {
			best, bestP = f, p
		}
	}
	// Refine around the best.
	lo, hi := best-span/200, best+span/200
	for range 40 {
		m1, m2 := lo+(hi-lo)/3, hi-(hi-lo)/3
		if dftPower(x, rate, m1) < dftPower(x, rate, m2) {
			lo = m1
		} else {
			hi = m2
		}
	}
	return (lo + hi) / 2
}

// dftPower is |Σ x_n e^{−j2πfn/rate}|² / N², the power of a tone at f.
func dftPower(x []complex64, rate, f float64) float64 {
	var acc complex128
	w := cmplx.Exp(complex(0, -2*math.Pi*f/rate))
	p := complex(1, 0)
	for i, v := range x {
		if i%1024 == 0 {
			p = cmplx.Exp(complex(0, -2*math.Pi*f*float64(i)/rate))
		}
		acc += complex128(v) * p
		p *= w
	}
	return real(acc*cmplx.Conj(acc)) / float64(len(x)*len(x))
}

func newBlock(n int) *sdr.Block { return &sdr.Block{Samples: make([]complex64, n)} }
