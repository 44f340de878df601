package fft_test

import (
	"fmt"
	"math"
	"math/cmplx"

	"github.com/cellsentry/cellsentry/dsp/fft"
)

// A tone of amplitude 1 at bin 2 of an 8-point frame puts N = 8 in bin 2;
// Inverse brings the frame back scaled by N.
func ExampleFFT_Transform() {
	const n = 8
	f, err := fft.New(n)
	if err != nil {
		panic(err)
	}
	x := make([]complex64, n)
	for i := range x {
		x[i] = complex64(cmplx.Exp(complex(0, 2*math.Pi*2*float64(i)/n)))
	}
	X := make([]complex64, n)
	f.Transform(X, x)
	for k, v := range X {
		fmt.Printf("bin %d: |X| = %.3f\n", k, cmplx.Abs(complex128(v)))
	}
	f.Inverse(X, X) // in place
	fmt.Printf("x[1] = %.3f, Inverse(X)[1]/N = %.3f\n", x[1], X[1]/n)
	// Output:
	// bin 0: |X| = 0.000
	// bin 1: |X| = 0.000
	// bin 2: |X| = 8.000
	// bin 3: |X| = 0.000
	// bin 4: |X| = 0.000
	// bin 5: |X| = 0.000
	// bin 6: |X| = 0.000
	// bin 7: |X| = 0.000
	// x[1] = (0.000+1.000i), Inverse(X)[1]/N = (0.000+1.000i)
}
