package detect

import (
	"math"
	"math/cmplx"

	"gonum.org/v1/gonum/stat/distuv"
)

// binCorr returns |ρ(Δ)|² for Δ = 0..n−1: the correlation between the
// powers of two bins Δ apart for white Gaussian noise seen through window w.
func binCorr(w []float32) []float64 {
	n := len(w)
	var sw2 float64
	for _, v := range w {
		sw2 += float64(v) * float64(v)
	}
	out := make([]float64, n)
	for d := 0; d < n; d++ {
		var acc complex128
		for i, v := range w {
			acc += complex(float64(v)*float64(v), 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(d)*float64(i)/float64(n)))
		}
		r := cmplx.Abs(acc) / sw2
		out[d] = r * r
	}
	return out
}

// frameCorr returns the power correlation |Σ wₙ w_{n+hop·k}|² / (Σ wₙ²)²
// between frames k hops apart (k = 0..) until it vanishes: nonzero only
// when frames overlap.
func frameCorr(w []float32, hop int) []float64 {
	var sw2 float64
	for _, v := range w {
		sw2 += float64(v) * float64(v)
	}
	var out []float64
	for k := 0; k*hop < len(w); k++ {
		var acc float64
		for i := 0; i+k*hop < len(w); i++ {
			acc += float64(w[i]) * float64(w[i+k*hop])
		}
		r := acc / sw2
		out = append(out, r*r)
	}
	return out
}

// looks is the equivalent number of independent exponential cells in a
// sum over w adjacent bins and d consecutive frames.
func looks(bc, fc []float64, w, d int) float64 {
	var vf float64 // variance of the frequency sum, in units of one cell
	for i := 0; i < w; i++ {
		for j := 0; j < w; j++ {
			dd := i - j
			if dd < 0 {
				dd = -dd
			}
			if dd < len(bc) {
				vf += bc[dd]
			}
		}
	}
	var vt float64
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			dd := i - j
			if dd < 0 {
				dd = -dd
			}
			if dd < len(fc) {
				vt += fc[dd]
			}
		}
	}
	return float64(w*w) * float64(d*d) / (vf * vt)
}

// gammaThreshold returns τ such that P(X ≥ τ) = alpha for X the mean of
// m equivalent looks (Gamma with shape and rate m, mean 1), widened by the
// relative floor scatter sigmaF.
func gammaThreshold(m, sigmaF, alpha float64) float64 {
	eff := 1 / (1/m + sigmaF*sigmaF)
	g := distuv.Gamma{Alpha: eff, Beta: eff}
	if alpha <= 0 {
		alpha = 1e-300
	}
	if alpha >= 1 {
		return 0
	}
	return g.Quantile(1 - alpha)
}
