package fft

import (
	"fmt"
	"math"
	"math/bits"
)

// MinLen and MaxLen bound the transform sizes New accepts.
const (
	MinLen = 4
	MaxLen = 1 << 16
)

// FFT is a precomputed plan for complex64 DFTs of one power-of-two length.
// It holds only read-only tables, so one FFT may be used by several
// goroutines at once.
//
// The algorithm is an iterative decimation-in-time FFT. The first pass is a
// 4-, 8- or 16-point DFT codelet with constant twiddles that also performs
// the bit-reversal permutation (it gathers its inputs from src); the
// remaining passes are radix-4 butterflies with precomputed twiddles.
type FFT struct {
	n     int
	first int // length of the first-pass codelet: 4, 8 or 16
	// gather[b] = bitrev(first·b): codelet b reads src[gather[b] + t·n/first].
	gather []uint32
	// inPlace[b] = first·b: after an in-place bit-reversal permutation,
	// codelet b reads its inputs from dst[first·b : first·(b+1)].
	inPlace []uint32
	swaps   []uint32 // pairs (i, bitrev(i)) with i < bitrev(i)
	stages  []stage  // radix-4 passes after the first, in order of growing span
}

// stage is one radix-4 decimation-in-time pass that merges groups of four
// interleaved sub-transforms of length m into transforms of length 4m.
// tw[j] = {w^j, w^2j, w^3j, 0}, w = exp(−2πi/(4m)); the padding to 32
// bytes lets the compiler address an entry with one shift instead of
// recomputing j·24 for every load (measured: ~8% faster passes).
type stage struct {
	m  int
	tw [][4]complex64
	// simd holds the same twiddles laid out for this architecture's
	// vector kernel (see simdTwiddles); nil when there is none.
	simd []float32
}

// New returns an FFT for length n, a power of two with MinLen ≤ n ≤ MaxLen.
func New(n int) (*FFT, error) {
	if n < MinLen || n > MaxLen || n&(n-1) != 0 {
		return nil, fmt.Errorf("fft: length %d is not a power of two in [%d, %d]", n, MinLen, MaxLen)
	}
	logn := bits.TrailingZeros(uint(n))
	f := &FFT{n: n}
	// The largest codelet that leaves an even number of bits for the
	// radix-4 passes.
	switch {
	case logn%2 == 1:
		f.first = 8
	case logn >= 4:
		f.first = 16
	default:
		f.first = 4
	}
	bitrev := func(i int) uint32 { return bits.Reverse32(uint32(i)) >> (32 - logn) }
	for i := range n {
		if r := bitrev(i); uint32(i) < r {
			f.swaps = append(f.swaps, uint32(i), r)
		}
	}
	f.gather = make([]uint32, n/f.first)
	f.inPlace = make([]uint32, n/f.first)
	for b := range f.gather {
		f.gather[b] = bitrev(f.first * b)
		f.inPlace[b] = uint32(f.first * b)
	}
	for m := f.first; m < n; m *= 4 {
		s := stage{m: m, tw: make([][4]complex64, m)}
		for j := range s.tw {
			s.tw[j] = [4]complex64{twiddle(j, 4*m), twiddle(2*j, 4*m), twiddle(3*j, 4*m)}
		}
		s.simd = simdTwiddles(s.tw)
		f.stages = append(f.stages, s)
	}
	return f, nil
}

// The twiddles of the 16-point codelet besides ±1, ±i and (±1±i)/√2.
const (
	cosPi8 = 0.92387953251128675613 // cos(π/8)
	sinPi8 = 0.38268343236508977173 // sin(π/8)
)

// twiddle returns exp(−2πi·k/n), computed in float64 and rounded once.
func twiddle(k, n int) complex64 {
	s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
	return complex(float32(c), float32(s))
}

// Len returns the transform length n.
func (f *FFT) Len() int { return f.n }

// Transform computes the forward DFT X[k] = Σ_n x[n]·exp(−2πi·k·n/N) of
// src into dst, unnormalized. dst and src must both have length Len(); dst
// may be the same slice as src (in place) but must not otherwise overlap it.
// Transform panics if a length is wrong. It does not allocate.
func (f *FFT) Transform(dst, src []complex64) {
	n := f.n
	if len(dst) != n || len(src) != n {
		panic(fmt.Sprintf("fft: Transform lengths dst %d, src %d, want %d", len(dst), len(src), n))
	}
	if !f.transformSIMD(dst, src) {
		f.transformGo(dst, src)
	}
}

// bitReverse permutes x (of length Len) into bit-reversed order in place.
func (f *FFT) bitReverse(x []complex64) {
	sw := f.swaps
	for i := 0; i+1 < len(sw); i += 2 {
		a, b := sw[i], sw[i+1]
		x[a], x[b] = x[b], x[a]
	}
}

// transformGo is Transform in pure Go: the reference the vector kernels
// are held to, and the path on machines without them.
func (f *FFT) transformGo(dst, src []complex64) {
	n := f.n
	// Codelet b reads input t = t1 + (first/4)·t2 (natural order) from
	// in[t2][base[b] + off[t1]]; see first4, first8 and first16.
	var in [4][]complex64
	var base []uint32
	var off [4]int
	if &dst[0] == &src[0] {
		f.bitReverse(dst)
		// Now block b holds its inputs in bit-reversed order: t sits at
		// first·b + bitrev(t) = first·b + 4·bitrev(t1) + bitrev2(t2).
		base = f.inPlace
		in[0], in[1], in[2], in[3] = dst, dst[2:], dst[1:], dst[3:]
		switch f.first {
		case 8:
			off[1] = 4
		case 16:
			off = [4]int{0, 8, 4, 12}
		}
	} else {
		// Input t of block b is src[gather[b] + t·n/first].
		base = f.gather
		for t2 := range in {
			in[t2] = src[t2*n/4 : (t2+1)*n/4]
		}
		for t1 := range off {
			off[t1] = t1 * n / f.first
		}
	}
	switch f.first {
	case 4:
		first4(dst, &in, base)
	case 8:
		first8(dst, &in, base, off[1])
	case 16:
		first16(dst, &in, base, &off)
	}
	for i := range f.stages {
		radix4(dst, f.stages[i].m, f.stages[i].tw)
	}
}

// Inverse computes the unnormalized inverse DFT x[n] = Σ_k X[k]·exp(+2πi·k·n/N)
// of src into dst, so Inverse(Transform(x)) = N·x. Lengths and aliasing are
// as for Transform. It uses IDFT(X) = conj(DFT(conj(X))).
func (f *FFT) Inverse(dst, src []complex64) {
	if len(dst) != f.n || len(src) != f.n {
		panic(fmt.Sprintf("fft: Inverse lengths dst %d, src %d, want %d", len(dst), len(src), f.n))
	}
	conj(dst, src)
	f.Transform(dst, dst)
	conj(dst, dst)
}

// conjGo sets dst[i] = conj(src[i]) (equal lengths; dst may be src).
func conjGo(dst, src []complex64) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = complex(real(v), -imag(v))
	}
}

// mul returns a·b in float32 arithmetic. Go's own complex64 product widens
// to float64 and back, which costs six conversions per multiply.
func mul(a, b complex64) complex64 {
	ar, ai, br, bi := real(a), imag(a), real(b), imag(b)
	return complex(ar*br-ai*bi, ar*bi+ai*br)
}

// negI returns −i·a = imag(a) − i·real(a).
func negI(a complex64) complex64 { return complex(imag(a), -real(a)) }

// first4 writes to dst[4b : 4b+4] the 4-point DFT y_k = Σ_t a_t·(−i)^(kt)
// of a_t = in[t][base[b]].
func first4(dst []complex64, in *[4][]complex64, base []uint32) {
	s0, s1, s2, s3 := in[0], in[1], in[2], in[3]
	s0 = s0[:min(len(s0), len(s1), len(s2), len(s3))]
	s1, s2, s3 = s1[:len(s0)], s2[:len(s0)], s3[:len(s0)]
	dst = dst[:4*len(base)]
	for b, r := range base {
		a0, a1, a2, a3 := s0[r], s1[r], s2[r], s3[r]
		t0, t1 := a0+a2, a0-a2
		t2, t3 := a1+a3, negI(a1-a3)
		y := (*[4]complex64)(dst[4*b : 4*b+4])
		y[0], y[2] = t0+t2, t0-t2
		y[1], y[3] = t1+t3, t1-t3
	}
}

// first8 writes to dst[8b : 8b+8] the 8-point DFT of x_t, t = t1 + 2·t2,
// x_t = in[t2][base[b] + t1·off1]: two 4-point DFTs (even and odd t)
// joined with the twiddles W8^k, W8 = exp(−2πi/8) = (1−i)/√2.
func first8(dst []complex64, in *[4][]complex64, base []uint32, off1 int) {
	const h = math.Sqrt2 / 2
	s0 := in[0][:min(len(in[0]), len(in[1]), len(in[2]), len(in[3]))]
	s1, s2, s3 := in[1][:len(s0)], in[2][:len(s0)], in[3][:len(s0)]
	dst = dst[:8*len(base)]
	for b, r := range base {
		i := int(r)
		a0, a2, a4, a6 := s0[i], s1[i], s2[i], s3[i]
		e0, e1 := a0+a4, a0-a4
		e2, e3 := a2+a6, negI(a2-a6)
		E0, E2 := e0+e2, e0-e2
		E1, E3 := e1+e3, e1-e3
		i += off1
		a1, a3, a5, a7 := s0[i], s1[i], s2[i], s3[i]
		o0, o1 := a1+a5, a1-a5
		o2, o3 := a3+a7, negI(a3-a7)
		O0, O2 := o0+o2, negI(o0-o2)
		O1, O3 := o1+o3, o1-o3
		// W8·z = h·(re+im) + i·h·(im−re); W8³·z = h·(im−re) − i·h·(re+im).
		O1 = complex(h*(real(O1)+imag(O1)), h*(imag(O1)-real(O1)))
		O3 = complex(h*(imag(O3)-real(O3)), -h*(real(O3)+imag(O3)))
		y := (*[8]complex64)(dst[8*b : 8*b+8])
		y[0], y[4] = E0+O0, E0-O0
		y[1], y[5] = E1+O1, E1-O1
		y[2], y[6] = E2+O2, E2-O2
		y[3], y[7] = E3+O3, E3-O3
	}
}

// first16 writes to dst[16b : 16b+16] the 16-point DFT of x_t, t = t1 + 4·t2,
// x_t = in[t2][base[b] + off[t1]], as a 4×4 decomposition:
//
//	Z[t1][k1] = W16^(t1·k1) · Σ_t2 x_(t1+4·t2)·(−i)^(t2·k1)
//	X[k1 + 4·k2] = Σ_t1 Z[t1][k1]·(−i)^(t1·k2)
//
// Z[t1] is kept in dst at 4·bitrev2(t1), where in the in-place case the
// inputs of t1 were, so that no input is overwritten before it is read.
func first16(dst []complex64, in *[4][]complex64, base []uint32, off *[4]int) {
	const (
		h  = math.Sqrt2 / 2
		c1 = cosPi8
		s1 = sinPi8
	)
	s0 := in[0][:min(len(in[0]), len(in[1]), len(in[2]), len(in[3]))]
	ss1, ss2, ss3 := in[1][:len(s0)], in[2][:len(s0)], in[3][:len(s0)]
	o1, o2, o3 := off[1], off[2], off[3]
	dst = dst[:16*len(base)]
	for b, r := range base {
		y := (*[16]complex64)(dst[16*b : 16*b+16])
		i := int(r)
		// t1 = 0: no twiddles.
		a0, a1, a2, a3 := s0[i], ss1[i], ss2[i], ss3[i]
		t0, t1 := a0+a2, a0-a2
		t2, t3 := a1+a3, negI(a1-a3)
		y[0], y[1], y[2], y[3] = t0+t2, t1+t3, t0-t2, t1-t3
		// t1 = 2: twiddles W16^{0,2,4,6} = 1, (1−i)/√2, −i, −(1+i)/√2.
		i = int(r) + o2
		a0, a1, a2, a3 = s0[i], ss1[i], ss2[i], ss3[i]
		t0, t1 = a0+a2, a0-a2
		t2, t3 = a1+a3, negI(a1-a3)
		z1, z3 := t1+t3, t1-t3
		y[4] = t0 + t2
		y[5] = complex(h*(real(z1)+imag(z1)), h*(imag(z1)-real(z1)))
		y[6] = negI(t0 - t2)
		y[7] = complex(h*(imag(z3)-real(z3)), -h*(real(z3)+imag(z3)))
		// t1 = 1: twiddles W16^{0,1,2,3}.
		i = int(r) + o1
		a0, a1, a2, a3 = s0[i], ss1[i], ss2[i], ss3[i]
		t0, t1 = a0+a2, a0-a2
		t2, t3 = a1+a3, negI(a1-a3)
		z1, z2, z3 := t1+t3, t0-t2, t1-t3
		y[8] = t0 + t2
		y[9] = mul(z1, complex(c1, -s1))
		y[10] = complex(h*(real(z2)+imag(z2)), h*(imag(z2)-real(z2)))
		y[11] = mul(z3, complex(s1, -c1))
		// t1 = 3: twiddles W16^{0,3,6,9}.
		i = int(r) + o3
		a0, a1, a2, a3 = s0[i], ss1[i], ss2[i], ss3[i]
		t0, t1 = a0+a2, a0-a2
		t2, t3 = a1+a3, negI(a1-a3)
		z1, z2, z3 = t1+t3, t0-t2, t1-t3
		y[12] = t0 + t2
		y[13] = mul(z1, complex(s1, -c1))
		y[14] = complex(h*(imag(z2)-real(z2)), -h*(real(z2)+imag(z2)))
		y[15] = mul(z3, complex(-c1, s1))
		// Outer 4-point DFTs over t1 for k1 = 0..3 (unrolled: ~4% faster
		// than a loop); Z[t1][k1] is at y[4·bitrev2(t1) + k1].
		z0, zz1, zz2, zz3 := y[0], y[8], y[4], y[12]
		t0, t1 = z0+zz2, z0-zz2
		t2, t3 = zz1+zz3, negI(zz1-zz3)
		y[0], y[4], y[8], y[12] = t0+t2, t1+t3, t0-t2, t1-t3
		z0, zz1, zz2, zz3 = y[1], y[9], y[5], y[13]
		t0, t1 = z0+zz2, z0-zz2
		t2, t3 = zz1+zz3, negI(zz1-zz3)
		y[1], y[5], y[9], y[13] = t0+t2, t1+t3, t0-t2, t1-t3
		z0, zz1, zz2, zz3 = y[2], y[10], y[6], y[14]
		t0, t1 = z0+zz2, z0-zz2
		t2, t3 = zz1+zz3, negI(zz1-zz3)
		y[2], y[6], y[10], y[14] = t0+t2, t1+t3, t0-t2, t1-t3
		z0, zz1, zz2, zz3 = y[3], y[11], y[7], y[15]
		t0, t1 = z0+zz2, z0-zz2
		t2, t3 = zz1+zz3, negI(zz1-zz3)
		y[3], y[7], y[11], y[15] = t0+t2, t1+t3, t0-t2, t1-t3
	}
}

// radix4 merges groups of four length-m transforms. In bit-reversed DIT
// order the sub-transform of residue r (mod 4) is block bitrev2(r), so
// blocks 1 and 2 hold residues 2 and 1:
//
//	a0 = x0[j], a1 = x2[j]·w^j, a2 = x1[j]·w^2j, a3 = x3[j]·w^3j
//	y_q = Σ_r a_r·(−i)^(rq), written to block q.
func radix4(x []complex64, m int, tw [][4]complex64) {
	for base := 0; base+4*m <= len(x); base += 4 * m {
		x0 := x[base : base+m]
		x1 := x[base+m : base+2*m]
		x2 := x[base+2*m : base+3*m]
		x3 := x[base+3*m : base+4*m]
		x1, x2, x3 = x1[:len(x0)], x2[:len(x0)], x3[:len(x0)]
		tw := tw[:len(x0)]
		for j := range x0 {
			w := &tw[j]
			a0 := x0[j]
			a1 := mul(x2[j], w[0])
			a2 := mul(x1[j], w[1])
			a3 := mul(x3[j], w[2])
			t0, t1 := a0+a2, a0-a2
			t2, t3 := a1+a3, a1-a3
			x0[j] = t0 + t2
			x2[j] = t0 - t2
			x1[j] = complex(real(t1)+imag(t3), imag(t1)-real(t3))
			x3[j] = complex(real(t1)-imag(t3), imag(t1)+real(t3))
		}
	}
}
