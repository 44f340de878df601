// Package fft computes power-of-two complex64 DFTs without allocating:
// X[k] = Σ_n x[n]·exp(−2πi·k·n/N) (forward, unnormalized), for the
// channelizer's fixed-size frames.
//
// # Why a hand-written FFT
//
// The channelizer transforms every IQ sample of a 2.4 MS/s stream, and the
// whole sensor pipeline must run at ≥ 40× real time on one core: about
// 10 ns per sample for everything. gonum's dsp/fourier.CmplxFFT (FFTPACK on
// complex128) costs 18–30 ns per sample before the complex64 ↔ complex128
// copies; this package costs 2.7–5.6 ns. The project allows a hand-written
// FFT only while a benchmark shows it faster than gonum by a margin that
// matters and tests hold it to gonum: BenchmarkFFT is that benchmark, and
// fft_test.go compares every size from 4 to 65536 with gonum (largest error
// seen: 6.4e-7 of the output RMS; the tests allow 1e-5).
//
// # Algorithm
//
// Pure Go gets no SIMD, so the speed comes from doing less: an iterative
// decimation-in-time FFT whose first pass is a 16-point (8 when log2 N is
// odd, 4 for N = 4) codelet with constant twiddles that also performs the
// bit-reversal permutation by gathering its inputs, followed by radix-4
// passes with precomputed twiddle tables. Complex products are written out
// in float32 (Go's complex64 product converts to float64 and back), and the
// inner loops index re-sliced equal-length slices so the compiler drops the
// bounds checks. Radix-8 and radix-16 passes with twiddles were tried and
// were not faster on amd64: with 15 usable XMM registers they spill.
//
// # Measurements
//
// ns per N-point transform, best of 30 runs, on the development machine
// (2 cores, "Oxide Virtual Turin-like Processor", Go 1.26, amd64), while
// other builds shared it (load average 2.5–3.6; the medians of the same
// runs were 4–80 % higher, in every column):
//
//	go test -run '^$' -bench BenchmarkFFT -benchtime 300ms -count 10 ./dsp/fft   (three times)
//
//	     n │ cellsentry      │ in place │ gonum CmplxFFT   │ gonum+convert │ gonum radix2 │ speed-up
//	       │ ns/FFT  ns/samp │ ns/FFT   │ ns/FFT   ns/samp │ ns/FFT        │ ns/FFT       │ vs gonum+convert
//	    64 │    171     2.68 │      187 │    1149     18.0 │          1256 │          544 │   7.3×
//	   128 │    385     3.01 │      424 │    2598     20.3 │          2849 │         1269 │   7.4×
//	   256 │    904     3.53 │      991 │    5304     20.7 │          5443 │         2716 │   6.0×
//	   512 │   2010     3.93 │     2211 │   12622     24.7 │         13427 │         6153 │   6.7×
//	  1024 │   4811     4.70 │     5085 │   26929     26.3 │         27696 │        13951 │   5.8×
//	  4096 │  23066     5.63 │    24925 │  124043     30.3 │        126399 │        69145 │   5.5×
//
// "in place" includes copying the frame into the buffer first; "gonum
// radix2" is CoefficientsRadix2 (in place, complex128, twiddles by
// recurrence, less accurate) including the copy in; neither gonum column
// counts converting complex64 samples except "gonum+convert".
//
// # Use
//
// New(n) builds the tables once; Transform and Inverse then allocate
// nothing. An FFT holds only read-only tables, so goroutines may share one.
// Out of place (dst ≠ src) is about 10 % faster than in place, which needs
// an extra bit-reversal pass of swaps.
package fft
