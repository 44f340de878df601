// Package fft computes power-of-two complex64 DFTs without allocating:
// X[k] = Σ_n x[n]·exp(−2πi·k·n/N) (forward, unnormalized), for the
// channelizer's fixed-size frames.
//
// Why a hand-written FFT: the channelizer transforms every IQ sample of a
// 2.4 MS/s stream, and the whole sensor pipeline must run at ≥ 40× real time
// on one core (about 10 ns per sample for everything). gonum's
// dsp/fourier.CmplxFFT (FFTPACK, complex128) costs 20–30 ns per sample,
// before converting complex64 samples to complex128 and back. This package
// is tested against gonum (see fft_test.go) and must stay measurably faster
// than it (BenchmarkFFT) to earn its place.
//
// The algorithm is an iterative decimation-in-time FFT in pure Go: a first
// pass of 4-, 8- or 16-point codelets with constant twiddles that also does
// the bit-reversal permutation, then radix-4 passes with precomputed
// twiddles, float32 complex multiplies written out by hand (Go's complex64
// product goes through float64), and inner loops free of bounds checks.
//
// Measured (see the table in the package's benchmark comment below):
//
// TODO(table)
package fft
