package sdr

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDecodeKernel holds the fast decoders (SSE2 on amd64) to the
// portable ones bit for bit: every byte value in both halves of a sample,
// and every length around the kernels' eight-sample steps.
func TestDecodeKernel(t *testing.T) {
	kernels := []struct {
		name      string
		fast, ref func([]complex64, []byte)
	}{
		{"cu8", decodeU8, decodeU8Go},
		{"ci8", decodeI8, decodeI8Go},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	all := make([]byte, 1024) // re = i, im = 255-i, then shuffled pairs
	for i := range 256 {
		all[2*i], all[2*i+1] = byte(i), byte(255-i)
		all[512+2*i], all[512+2*i+1] = byte(rng.IntN(256)), byte(i)
	}
	for _, k := range kernels {
		t.Run(k.name, func(t *testing.T) {
			for n := 0; n <= 512; n++ {
				if n > 40 && n%8 != 1 && n != 512 {
					continue
				}
				got := make([]complex64, n)
				want := make([]complex64, n)
				k.fast(got, all[:2*n])
				k.ref(want, all[:2*n])
				for i := range want {
					if math.Float32bits(real(got[i])) != math.Float32bits(real(want[i])) ||
						math.Float32bits(imag(got[i])) != math.Float32bits(imag(want[i])) {
						t.Fatalf("n=%d sample %d (bytes %d,%d): got %v, want %v", n, i, all[2*i], all[2*i+1], got[i], want[i])
					}
				}
			}
		})
	}
}
