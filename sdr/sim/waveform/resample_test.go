package waveform

import (
	"math"
	"math/cmplx"
	"testing"
)

// tone returns exp(j2πf t) sampled at rate for n samples, t = (i − frac)/rate.
func tone(n int, f, rate, frac float64) []complex64 {
	x := make([]complex64, n)
	for i := range x {
		x[i] = complex64(cmplx.Exp(complex(0, 2*math.Pi*f*(float64(i)-frac)/rate)))
	}
	return x
}

func TestInterpPassesAndRejects(t *testing.T) {
	const fin, rate = 1.92e6, 2.4e6
	fp := 555e3
	k := newInterp(fin, fp, fin-fp)
	for _, tc := range []struct {
		name     string
		f        float64 // input tone, Hz
		rational bool
	}{
		{"dc", 0, true},
		{"pass-edge", fp, true},
		{"pass-edge-neg", -fp * 0.99, false},
		{"mid-pass", 200e3, false},
		// A tone at 520 kHz has its first image at fin − 520 kHz =
		// 1.40 MHz, which would land at −1.0 MHz in the output: the error
		// bound below includes it, so it proves ≥ 70 dB image rejection.
		{"image", 520e3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tone(4000, tc.f, fin, 0)
			out := make([]complex64, 3000)
			const frac = 0.37
			if tc.rational {
				a, b, ok := rationalStep(fin, rate)
				if !ok || a != 4 || b != 5 {
					t.Fatalf("rationalStep = %d/%d %v, want 4/5", a, b, ok)
				}
				k.runRational(out, in, frac, a, b)
			} else {
				k.run(out, in, -frac*fin/rate, fin/rate)
			}
			// Compare away from the input's ends with the ideal tone at the
			// output instants t = (n − frac)/rate. An input tone above
			// fin/2 is really its alias f − fin.
			want := tone(len(out), tc.f, rate, frac)
			var errp float64
			for n := 100; n < len(out)-100; n++ {
				d := complex128(out[n] - want[n])
				errp += real(d)*real(d) + imag(d)*imag(d)
			}
			if e := db(errp / float64(len(out)-200)); e > -70 {
				t.Errorf("tone at %.0f kHz: error %.1f dB", tc.f/1e3, e)
			}
		})
	}
}

func TestInterpRationalMatchesGeneral(t *testing.T) {
	const fin, rate = 3.84e6, 2.4e6
	k := newInterp(fin, 500e3, 1.9e6)
	in := make([]complex64, 3000)
	for i := range in {
		in[i] = complex(float32(math.Sin(float64(i)*0.37)), float32(math.Cos(float64(i)*0.11)))
	}
	a, b, ok := rationalStep(fin, rate)
	if !ok {
		t.Fatal("3.84e6/2.4e6 not rational")
	}
	for _, frac := range []float64{0, 0.25, 0.999} {
		x := make([]complex64, 1900)
		y := make([]complex64, 1900)
		k.run(x, in, -frac*fin/rate, fin/rate)
		k.runRational(y, in, frac, a, b)
		for i := range x {
			if cmplx.Abs(complex128(x[i]-y[i])) > 1e-5 {
				t.Fatalf("frac %g: sample %d differs: %v vs %v", frac, i, x[i], y[i])
			}
		}
	}
	if _, _, ok := rationalStep(1.92e6, 2.3456e6); ok {
		t.Error("1.92e6/2.3456e6 has period 733, want not rational-fast")
	}
}
