package waveform

import "math"

// fft64 is an in-place radix-2 FFT on complex64 for power-of-two sizes,
// used for the IFFTs of the LTE generator. gonum's fourier package works
// in complex128 through an interleaved float64 copy; for the 128–2048
// point transforms done thousands of times per second of signal this one
// is about three times faster, and float32 precision (−140 dB) is ample.
type fft64 struct {
	n   int
	tw  []complex64 // tw[k] = exp(+j2πk/n), k < n/2
	rev []int32     // bit-reversal permutation
}

func newFFT64(n int) *fft64 {
	if n < 2 || n&(n-1) != 0 {
		panic("waveform: fft64 size must be a power of two")
	}
	f := &fft64{n: n, tw: make([]complex64, n/2), rev: make([]int32, n)}
	for k := range f.tw {
		s, c := math.Sincos(2 * math.Pi * float64(k) / float64(n))
		f.tw[k] = complex(float32(c), float32(s))
	}
	bits := 0
	for 1<<bits < n {
		bits++
	}
	for i := range f.rev {
		r := 0
		for b := range bits {
			r |= (i >> b & 1) << (bits - 1 - b)
		}
		f.rev[i] = int32(r)
	}
	return f
}

// inverse replaces x (len n) by its unnormalised inverse DFT,
// x[m] ← Σ_k x[k]·exp(+j2πkm/n).
func (f *fft64) inverse(x []complex64) {
	n := f.n
	x = x[:n]
	for i, r := range f.rev {
		if int(r) > i {
			x[i], x[r] = x[r], x[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half, step := size/2, n/size
		for start := 0; start < n; start += size {
			a := x[start : start+half]
			b := x[start+half : start+size]
			b = b[:len(a)]
			for k := range a {
				w := f.tw[k*step]
				t := complex(real(w)*real(b[k])-imag(w)*imag(b[k]), real(w)*imag(b[k])+imag(w)*real(b[k]))
				b[k] = a[k] - t
				a[k] += t
			}
		}
	}
}
