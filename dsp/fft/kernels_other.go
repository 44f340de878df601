//go:build purego || !(amd64 || arm64)

package fft

// Without a vector kernel for this architecture (or with the purego tag)
// every transform runs the Go code.

func simdTwiddles([][4]complex64) []float32 { return nil }

func (f *FFT) transformSIMD(dst, src []complex64) bool { return false }

func conj(dst, src []complex64) { conjGo(dst, src) }

// simdName names the vector kernel in use, "" for none.
const simdName = ""
