package fft

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// benchSizes are the frame lengths the channelizer may use.
var benchSizes = []int{64, 128, 256, 512, 1024, 4096}

// BenchmarkFFT compares this package with gonum's FFTs, the only others
// available to the project. "cellsentry" is Transform out of place (with
// the vector kernel where there is one), "cellsentry-go" the same in pure
// Go, and "cellsentry-inplace" copies the frame in and transforms it in
// place.
// "gonum" is CmplxFFT.Coefficients on complex128 alone; "gonum+convert" adds
// the complex64→complex128→complex64 copies that a caller holding complex64
// samples would pay. "gonum-radix2" is gonum's in-place CoefficientsRadix2
// (complex128, twiddles by recurrence), including the copy of the frame in.
func BenchmarkFFT(b *testing.B) {
	for _, n := range benchSizes {
		rng := rand.New(rand.NewPCG(1, uint64(n)))
		x64 := make([]complex64, n)
		for i := range x64 {
			x64[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
		}
		b.Run(fmt.Sprintf("n=%d/cellsentry", n), func(b *testing.B) {
			f, err := New(n)
			if err != nil {
				b.Fatal(err)
			}
			dst := make([]complex64, n)
			run(b, n, 8, func() { f.Transform(dst, x64) })
		})
		b.Run(fmt.Sprintf("n=%d/cellsentry-go", n), func(b *testing.B) {
			f, err := New(n)
			if err != nil {
				b.Fatal(err)
			}
			dst := make([]complex64, n)
			run(b, n, 8, func() { f.transformGo(dst, x64) })
		})
		b.Run(fmt.Sprintf("n=%d/cellsentry-inplace", n), func(b *testing.B) {
			f, err := New(n)
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]complex64, n)
			run(b, n, 8, func() {
				copy(buf, x64)
				f.Transform(buf, buf)
			})
		})
		b.Run(fmt.Sprintf("n=%d/gonum", n), func(b *testing.B) {
			g := fourier.NewCmplxFFT(n)
			src := make([]complex128, n)
			for i, v := range x64 {
				src[i] = complex128(v)
			}
			dst := make([]complex128, n)
			run(b, n, 16, func() { g.Coefficients(dst, src) })
		})
		b.Run(fmt.Sprintf("n=%d/gonum-radix2", n), func(b *testing.B) {
			src := make([]complex128, n)
			for i, v := range x64 {
				src[i] = complex128(v)
			}
			buf := make([]complex128, n)
			run(b, n, 16, func() {
				copy(buf, src)
				fourier.CoefficientsRadix2(buf)
			})
		})
		b.Run(fmt.Sprintf("n=%d/gonum+convert", n), func(b *testing.B) {
			g := fourier.NewCmplxFFT(n)
			buf := make([]complex128, n)
			out := make([]complex64, n)
			run(b, n, 8, func() {
				for i, v := range x64 {
					buf[i] = complex128(v)
				}
				g.Coefficients(buf, buf)
				for i, v := range buf {
					out[i] = complex64(v)
				}
			})
		})
	}
}

// run times op and reports ns/sample and Msamples/s for an n-point FFT whose
// samples are bytesPerSample wide.
func run(b *testing.B, n, bytesPerSample int, op func()) {
	b.ReportAllocs()
	b.SetBytes(int64(n * bytesPerSample))
	for b.Loop() {
		op()
	}
	nsPerOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(nsPerOp/float64(n), "ns/sample")
	b.ReportMetric(1e3*float64(n)/nsPerOp, "Msamples/s")
}
