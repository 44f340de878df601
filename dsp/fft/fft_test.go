package fft

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"math/cmplx"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// tol is the largest error allowed in any output bin, relative to the RMS
// of the output: float32 carries 24 bits (6e-8), and the error of a
// log2(n)-pass FFT grows about like sqrt(log2 n) in RMS.
const tol = 1e-5

func randomFrame(rng *rand.Rand, n int) []complex64 {
	x := make([]complex64, n)
	for i := range x {
		x[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
	}
	return x
}

// gonumDFT is the reference: gonum's complex128 FFTPACK transform.
func gonumDFT(x []complex64) []complex128 {
	seq := make([]complex128, len(x))
	for i, v := range x {
		seq[i] = complex128(v)
	}
	return fourier.NewCmplxFFT(len(x)).Coefficients(nil, seq)
}

// relErr returns max_k |got[k] − want[k]| / RMS(want), or the plain max error
// if want is all zero.
func relErr(got []complex64, want []complex128) float64 {
	var maxErr, power float64
	for k, w := range want {
		maxErr = math.Max(maxErr, cmplx.Abs(complex128(got[k])-w))
		power += real(w)*real(w) + imag(w)*imag(w)
	}
	if power == 0 {
		return maxErr
	}
	return maxErr / math.Sqrt(power/float64(len(want)))
}

func mustNew(t testing.TB, n int) *FFT {
	t.Helper()
	f, err := New(n)
	if err != nil {
		t.Fatalf("New(%d): %v", n, err)
	}
	return f
}

func TestNew(t *testing.T) {
	for n := MinLen; n <= MaxLen; n *= 2 {
		f := mustNew(t, n)
		if f.Len() != n {
			t.Errorf("New(%d).Len() = %d", n, f.Len())
		}
	}
	bad := []struct {
		name string
		n    int
	}{
		{"negative", -4},
		{"zero", 0},
		{"one", 1},
		{"two", 2},
		{"three", 3},
		{"not a power of two", 96},
		{"odd", 255},
		{"too long", 2 * MaxLen},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			f, err := New(c.n)
			if err == nil {
				t.Fatalf("New(%d) = %v, want error", c.n, f)
			}
			want := fmt.Sprintf("fft: length %d is not a power of two in [4, 65536]", c.n)
			if err.Error() != want {
				t.Errorf("New(%d) error %q, want %q", c.n, err, want)
			}
		})
	}
}

func TestAgainstGonum(t *testing.T) {
	for n := MinLen; n <= MaxLen; n *= 2 {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			f := mustNew(t, n)
			rng := rand.New(rand.NewPCG(uint64(n), 7))
			trials := min(32, max(1, 1<<16/n))
			got := make([]complex64, n)
			inv := make([]complex64, n)
			for trial := range trials {
				x := randomFrame(rng, n)
				f.Transform(got, x)
				want := gonumDFT(x)
				if e := relErr(got, want); e > tol {
					t.Fatalf("trial %d: Transform max error %.3g × RMS, want ≤ %g", trial, e, tol)
				}
				// Inverse against gonum's unnormalized Sequence.
				f.Inverse(inv, x)
				seq := make([]complex128, n)
				for i, v := range x {
					seq[i] = complex128(v)
				}
				wantInv := fourier.NewCmplxFFT(n).Sequence(nil, seq)
				if e := relErr(inv, wantInv); e > tol {
					t.Fatalf("trial %d: Inverse max error %.3g × RMS, want ≤ %g", trial, e, tol)
				}
			}
		})
	}
}

// TestReference checks transforms whose DFT is known in closed form.
func TestReference(t *testing.T) {
	cases := []struct {
		name string
		x    func(i, n int) complex128 // input sample i of n
		want func(k, n int) complex128 // expected bin k of n
	}{
		{"impulse at 0 is flat",
			func(i, n int) complex128 { return b2c(i == 0) },
			func(k, n int) complex128 { return 1 }},
		{"impulse at 3 is a phase ramp",
			func(i, n int) complex128 { return b2c(i == 3) },
			func(k, n int) complex128 { return cmplx.Exp(complex(0, -2*math.Pi*float64(3*k%n)/float64(n))) }},
		{"DC is N at bin 0",
			func(i, n int) complex128 { return complex(0.5, -0.25) },
			func(k, n int) complex128 { return complex(0.5, -0.25) * b2c(k == 0) * complex(float64(n), 0) }},
		{"exponential at bin 1 is N at bin 1",
			func(i, n int) complex128 { return expo(1, i, n) },
			func(k, n int) complex128 { return complex(float64(n), 0) * b2c(k == 1) }},
		{"exponential at bin n/2-1",
			func(i, n int) complex128 { return expo(n/2-1, i, n) },
			func(k, n int) complex128 { return complex(float64(n), 0) * b2c(k == n/2-1) }},
		{"exponential at bin n-1 (negative frequency)",
			func(i, n int) complex128 { return expo(n-1, i, n) },
			func(k, n int) complex128 { return complex(float64(n), 0) * b2c(k == n-1) }},
		{"Nyquist alternation is N at bin n/2",
			func(i, n int) complex128 { return complex(float64(1-2*(i%2)), 0) },
			func(k, n int) complex128 { return complex(float64(n), 0) * b2c(k == n/2) }},
	}
	for _, c := range cases {
		for _, n := range []int{4, 8, 16, 32, 256, 2048} {
			t.Run(fmt.Sprintf("%s/n=%d", c.name, n), func(t *testing.T) {
				x := make([]complex64, n)
				for i := range x {
					x[i] = complex64(c.x(i, n))
				}
				want := make([]complex128, n)
				for k := range want {
					want[k] = c.want(k, n)
				}
				got := make([]complex64, n)
				mustNew(t, n).Transform(got, x)
				if e := relErr(got, want); e > tol {
					k := worstBin(got, want)
					t.Errorf("max error %.3g × RMS (bin %d: got %v, want %v)", e, k, got[k], want[k])
				}
			})
		}
	}
}

func b2c(b bool) complex128 {
	if b {
		return 1
	}
	return 0
}

// expo returns exp(2πi·k·i/n), which a forward DFT puts entirely in bin k.
func expo(k, i, n int) complex128 {
	return cmplx.Exp(complex(0, 2*math.Pi*float64(k*i%n)/float64(n)))
}

func worstBin(got []complex64, want []complex128) int {
	worst, worstErr := 0, -1.0
	for k := range want {
		if e := cmplx.Abs(complex128(got[k]) - want[k]); e > worstErr {
			worst, worstErr = k, e
		}
	}
	return worst
}

// TestProperties checks Parseval, linearity and the round trip on random
// frames, properties that hold whatever the reference.
func TestProperties(t *testing.T) {
	for _, n := range []int{4, 8, 16, 64, 128, 1024, 8192} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			f := mustNew(t, n)
			rng := rand.New(rand.NewPCG(uint64(n), 11))
			x, y := randomFrame(rng, n), randomFrame(rng, n)
			X, Y := make([]complex64, n), make([]complex64, n)
			f.Transform(X, x)
			f.Transform(Y, y)

			t.Run("Parseval", func(t *testing.T) {
				// Σ|x|² = Σ|X|²/N.
				var ex, eX float64
				for i := range x {
					ex += sq(x[i])
					eX += sq(X[i])
				}
				eX /= float64(n)
				if math.Abs(ex-eX) > 1e-5*ex {
					t.Errorf("Σ|x|² = %g, Σ|X|²/N = %g", ex, eX)
				}
			})
			t.Run("linearity", func(t *testing.T) {
				// DFT(a·x + b·y) = a·X + b·Y.
				a, b := complex64(complex(0.75, -2)), complex64(complex(-1.5, 0.25))
				z := make([]complex64, n)
				for i := range z {
					z[i] = a*x[i] + b*y[i]
				}
				Z := make([]complex64, n)
				f.Transform(Z, z)
				want := make([]complex128, n)
				for k := range want {
					want[k] = complex128(a)*complex128(X[k]) + complex128(b)*complex128(Y[k])
				}
				if e := relErr(Z, want); e > tol {
					t.Errorf("max error %.3g × RMS", e)
				}
			})
			t.Run("round trip", func(t *testing.T) {
				// Inverse(Transform(x))/N = x.
				back := make([]complex64, n)
				f.Inverse(back, X)
				want := make([]complex128, n)
				for i := range back {
					back[i] /= complex(float32(n), 0)
					want[i] = complex128(x[i])
				}
				if e := relErr(back, want); e > tol {
					t.Errorf("max error %.3g × RMS", e)
				}
			})
		})
	}
}

func sq(v complex64) float64 {
	return float64(real(v))*float64(real(v)) + float64(imag(v))*float64(imag(v))
}

// TestInPlace checks that dst aliasing src gives bit for bit the result of
// the out-of-place transform: both paths run the same arithmetic, only the
// bit-reversal permutation differs.
func TestInPlace(t *testing.T) {
	for n := MinLen; n <= 1<<14; n *= 2 {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			f := mustNew(t, n)
			x := randomFrame(rand.New(rand.NewPCG(uint64(n), 13)), n)
			for _, op := range []struct {
				name string
				fn   func(dst, src []complex64)
			}{{"Transform", f.Transform}, {"Inverse", f.Inverse}} {
				want := make([]complex64, n)
				op.fn(want, x)
				got := append([]complex64(nil), x...)
				op.fn(got, got)
				for k := range want {
					if got[k] != want[k] {
						t.Fatalf("%s in place: bin %d = %v, out of place %v", op.name, k, got[k], want[k])
					}
				}
			}
		})
	}
}

// TestConcurrent shares one FFT between goroutines, as the doc allows:
// each must get exactly the result of a lone call. A scratch buffer hidden
// in FFT would make them corrupt each other's frames (and fail under -race).
func TestConcurrent(t *testing.T) {
	const n, workers, rounds = 1024, 4, 50
	f := mustNew(t, n)
	rng := rand.New(rand.NewPCG(5, 6))
	in := make([][]complex64, workers)
	want := make([][]complex64, workers)
	for w := range in {
		in[w] = randomFrame(rng, n)
		want[w] = make([]complex64, n)
		f.Transform(want[w], in[w])
	}
	var wg sync.WaitGroup
	errs := make([]string, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := make([]complex64, n)
			for r := range rounds {
				if r%2 == 0 {
					f.Transform(got, in[w])
				} else {
					copy(got, in[w])
					f.Transform(got, got)
				}
				for k := range got {
					if got[k] != want[w][k] {
						errs[w] = fmt.Sprintf("worker %d round %d: bin %d = %v, want %v", w, r, k, got[k], want[w][k])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
}

func TestAllocs(t *testing.T) {
	for _, n := range []int{4, 8, 256, 512, 4096} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			f := mustNew(t, n)
			x := randomFrame(rand.New(rand.NewPCG(1, 2)), n)
			y := make([]complex64, n)
			cases := map[string]func(){
				"Transform":          func() { f.Transform(y, x) },
				"Transform in place": func() { f.Transform(y, y) },
				"Inverse":            func() { f.Inverse(y, x) },
			}
			for name, fn := range cases {
				if a := testing.AllocsPerRun(100, fn); a != 0 {
					t.Errorf("%s: %v allocations per call, want 0", name, a)
				}
			}
		})
	}
}

func TestWrongLengthPanics(t *testing.T) {
	f := mustNew(t, 16)
	ok := make([]complex64, 16)
	cases := []struct {
		name     string
		fn       func(dst, src []complex64)
		dst, src []complex64
		want     string
	}{
		{"Transform short dst", f.Transform, make([]complex64, 8), ok, "fft: Transform lengths dst 8, src 16, want 16"},
		{"Transform long src", f.Transform, ok, make([]complex64, 32), "fft: Transform lengths dst 16, src 32, want 16"},
		{"Transform nil", f.Transform, nil, nil, "fft: Transform lengths dst 0, src 0, want 16"},
		{"Inverse short src", f.Inverse, ok, make([]complex64, 15), "fft: Inverse lengths dst 16, src 15, want 16"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, c.want) {
					t.Errorf("panic %v, want %q", r, c.want)
				}
			}()
			c.fn(c.dst, c.src)
		})
	}
}

// encodeFrame serializes x as the fuzzer's little-endian float32 I/Q pairs.
func encodeFrame(x []complex64) []byte {
	b := make([]byte, 0, 8*len(x))
	for _, v := range x {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(real(v)))
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(imag(v)))
	}
	return b
}

// FuzzTransform reads arbitrary bytes as little-endian float32 I/Q pairs,
// transforms the longest power-of-two prefix (4 to 1024 samples) and
// compares with gonum. Frames with NaN, Inf or magnitudes outside
// [1e-20, 1e20] (where float32 under- or overflows in the sums) are skipped.
func FuzzTransform(f *testing.F) {
	for _, n := range []int{4, 8, 16, 64} {
		impulse := make([]complex64, n)
		impulse[0] = 1
		dc := make([]complex64, n)
		tone := make([]complex64, n)
		for i := range dc {
			dc[i] = complex(0.5, -0.25)
			tone[i] = complex64(expo(1, i, n))
		}
		for _, x := range [][]complex64{impulse, dc, tone} {
			f.Add(encodeFrame(x))
		}
	}
	f.Add(encodeFrame(randomFrame(rand.New(rand.NewPCG(3, 4)), 32)))
	plans := map[int]*FFT{} // reused across calls: fuzzing runs the body often
	refs := map[int]*fourier.CmplxFFT{}
	f.Fuzz(func(t *testing.T, data []byte) {
		samples := len(data) / 8
		if samples < MinLen {
			return
		}
		n := 1 << (bits.Len(uint(min(samples, 1024))) - 1)
		x := make([]complex64, n)
		for i := range x {
			re := math.Float32frombits(binary.LittleEndian.Uint32(data[8*i:]))
			im := math.Float32frombits(binary.LittleEndian.Uint32(data[8*i+4:]))
			for _, v := range []float32{re, im} {
				a := math.Abs(float64(v))
				if math.IsNaN(a) || a > 1e20 || (a != 0 && a < 1e-20) {
					return
				}
			}
			x[i] = complex(re, im)
		}
		p := plans[n]
		if p == nil {
			p = mustNew(t, n)
			plans[n] = p
			refs[n] = fourier.NewCmplxFFT(n)
		}
		got := make([]complex64, n)
		p.Transform(got, x)
		seq := make([]complex128, n)
		for i, v := range x {
			seq[i] = complex128(v)
		}
		if e := relErr(got, refs[n].Coefficients(nil, seq)); e > tol {
			t.Errorf("n=%d: max error %.3g × RMS, want ≤ %g", n, e, tol)
		}
	})
}
