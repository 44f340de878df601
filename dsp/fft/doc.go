// Package fft computes power-of-two complex64 DFTs without allocating:
// X[k] = Σ_n x[n]·exp(−2πi·k·n/N) (forward, unnormalized), for the
// channelizer's fixed-size frames.
//
// # Why a hand-written FFT
//
// The channelizer transforms every IQ sample of a 2.4 MS/s stream, and the
// whole sensor pipeline must run at ≥ 40× real time on one core: about
// 10 ns per sample for everything. gonum's dsp/fourier.CmplxFFT (FFTPACK on
// complex128) costs 19–30 ns per sample before the complex64 ↔ complex128
// copies; this package costs 3–5.5 ns (n = 64…4096, table below). The
// project allows a hand-written FFT only while a benchmark shows it faster
// than gonum by a margin that matters and tests hold it to gonum:
// BenchmarkFFT is that benchmark, and fft_test.go compares every size from
// 4 to 65536 with gonum (largest error seen on random frames: 6.4e-7 of the
// output RMS; the tests allow 1e-5).
//
// # Algorithm
//
// The Go compiler does not vectorize, so the Go code's speed comes from
// doing less: an iterative decimation-in-time FFT whose first pass is a
// 16-point (8 when log2 N is odd, 4 for N = 4) codelet with constant
// twiddles that also performs the bit-reversal permutation by gathering
// its inputs, followed by radix-4 passes with precomputed twiddle tables. Complex products are written out
// in float32 (Go's complex64 product converts to float64 and back), and the
// inner loops index re-sliced equal-length slices so the compiler drops the
// bounds checks. Also tried and not faster on amd64: radix-8 passes (they
// spill: Go has 15 usable XMM registers), a radix-16 pass staged through
// memory like the first pass (same loads and stores as two radix-4 passes),
// unrolling or peeling the radix-4 loop, and 24-byte twiddle entries (the
// padding to 32 bytes saves address arithmetic).
//
// # Vector kernels
//
// On amd64 with AVX (kernels_amd64.s) the same passes run four butterflies
// or four codelets side by side in 256-bit registers for n ≥ 32. Each lane
// performs exactly the Go code's float32 operations in the same order (no
// fused multiply-add), so the output is bit for bit that of the Go code
// (TestSIMDMatchesGo), and everything downstream is unchanged. The codelet
// pass takes four codelets whose inputs are neighbours (one vector load per
// input) and scatters their outputs; the in-place path gathers instead.
// For n = 256 this is 2,406 instructions per transform against 18,756 for
// the Go code (valgrind --tool=callgrind, 10,000 transforms).
//
// On arm64 (the Raspberry Pi) NEON kernels (kernels_arm64.s) do the same
// with split real and imaginary vectors (VLD2/VST2) and 4×4 transposes
// where the first pass gathers or scatters. They fuse multiply-adds, as Go's
// own arm64 code does in places, so they agree with the Go code within a
// few float32 roundings (TestSIMDMatchesGo allows 1e-6 of the output RMS)
// rather than bit for bit; in place and out of place agree exactly. They
// are tested here under qemu-aarch64; their speed on a Pi has not been
// measured. The purego build tag selects the Go code everywhere.
//
// # Measurements
//
// ns per N-point transform on the development machine (2 cores, "Oxide
// Virtual Turin-like Processor", Go 1.26, amd64), best of 30 runs of
//
//	go test -run '^$' -bench BenchmarkFFT -benchtime 300ms -count 10 ./dsp/fft   (three times)
//
// while other builds shared the machine (load average 2.4–3.2: the medians
// of the same runs were up to 80 % higher, in every column):
//
//	   n │ cellsentry      │ in place │ gonum CmplxFFT   │ gonum+convert │ gonum radix2 │ speed-up
//	     │ ns/FFT  ns/samp │ ns/FFT   │ ns/FFT   ns/samp │ ns/FFT        │ ns/FFT       │ vs gonum+convert
//	  64 │    213     3.33 │      224 │    1495     23.4 │          1241 │          547 │   5.8×
//	 128 │    383     3.00 │      416 │    2608     20.4 │          2781 │         1182 │   7.3×
//	 256 │    906     3.54 │     1011 │    5318     20.8 │          5351 │         2638 │   5.9×
//	 512 │   2110     4.12 │     2624 │   12952     25.3 │         15087 │         6251 │   7.2×
//	1024 │   4524     4.42 │     5067 │   27072     26.4 │         30129 │        14054 │   6.7×
//	4096 │  22368     5.46 │    24216 │  122426     29.9 │        125774 │        67803 │   5.6×
//
// "in place" includes copying the frame into the buffer first; "gonum
// radix2" is CoefficientsRadix2 (in place, complex128, twiddles by
// recurrence, less accurate) including the copy in; neither gonum column
// counts converting complex64 samples except "gonum+convert". A cross-check
// that times per-thread CPU time instead of wall time (so it does not
// count time lost to other processes), interleaving the variants, gave
// medians of 163, 426, 866, 1995, 4351 and 21566 ns for this package and
// 1199, 2733, 5218, 12998, 25786 and 121184 ns for gonum CmplxFFT.
//
// # Use
//
// New(n) builds the tables once; Transform and Inverse then allocate
// nothing. An FFT holds only read-only tables, so goroutines may share one.
// Out of place (dst ≠ src) is about 10 % faster than in place, which needs
// an extra bit-reversal pass of swaps.
package fft
