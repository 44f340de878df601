package fft

import "testing"

func BenchmarkAB(b *testing.B) {
	for _, n := range []int{128, 256} {
		f, _ := New(n)
		src := make([]complex64, n)
		for i := range src {
			src[i] = complex(float32(i%7), float32(i%5))
		}
		dst := make([]complex64, n)
		b.Run("out", func(b *testing.B) {
			for b.Loop() {
				f.Transform(dst, src)
			}
		})
		b.Run("copy+in", func(b *testing.B) {
			for b.Loop() {
				copy(dst, src)
				f.Transform(dst, dst)
			}
		})
		b.Run("swaps", func(b *testing.B) {
			for b.Loop() {
				sw := f.swaps
				for i := 0; i+1 < len(sw); i += 2 {
					a, b := sw[i], sw[i+1]
					dst[a], dst[b] = dst[b], dst[a]
				}
			}
		})
	}
}

func BenchmarkSwap(b *testing.B) {
	for _, n := range []int{256} {
		f, _ := New(n)
		dst := make([]complex64, n)
		pairs := make([][2]uint32, len(f.swaps)/2)
		for i := range pairs {
			pairs[i] = [2]uint32{f.swaps[2*i], f.swaps[2*i+1]}
		}
		b.Run("pairs", func(b *testing.B) {
			for b.Loop() {
				for _, p := range pairs {
					dst[p[0]], dst[p[1]] = dst[p[1]], dst[p[0]]
				}
			}
		})
		b.Run("pairs-u64", func(b *testing.B) {
			for b.Loop() {
				for _, p := range pairs {
					x, y := &dst[p[0]], &dst[p[1]]
					*x, *y = *y, *x
				}
			}
		})
		b.Run("swaps", func(b *testing.B) {
			for b.Loop() {
				sw := f.swaps
				for i := 0; i+1 < len(sw); i += 2 {
					a, b := sw[i], sw[i+1]
					dst[a], dst[b] = dst[b], dst[a]
				}
			}
		})
	}
}
