package eval

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Ideal describes the ideal energy detector for one kind of burst: it knows
// the burst's bandwidth and length exactly and integrates its energy over
// precisely that footprint, at every non-overlapping position in a window.
type Ideal struct {
	Bandwidth float64 // Hz
	Duration  float64 // s
	WindowHz  float64 // the receiver's band searched (sample rate)
	PerHour   float64 // false alarms per hour it is allowed
}

// dof is the number of real degrees of freedom of the energy: B·T complex
// samples of noise, two each.
func (d Ideal) dof() float64 { return 2 * d.Bandwidth * d.Duration }

// Pfa is the false-alarm probability per test: the allowed rate divided by
// the number of independent footprints searched per hour.
func (d Ideal) Pfa() float64 {
	tests := d.WindowHz / d.Bandwidth * 3600 / d.Duration
	return d.PerHour / tests
}

// Threshold is the energy threshold (in units of the noise variance per
// real dimension, so that noise alone is χ² with dof degrees of freedom)
// that noise exceeds with probability Pfa.
func (d Ideal) Threshold() float64 {
	c := distuv.ChiSquared{K: d.dof()}
	pfa := d.Pfa()
	// Bisect on the survival function: Quantile(1−pfa) loses precision as
	// pfa approaches the float64 epsilon.
	lo, hi := c.Mean(), c.Mean()+40*c.StdDev()
	for range 200 {
		mid := (lo + hi) / 2
		if c.Survival(mid) > pfa {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// Pd is the probability that a constant-envelope burst (GMSK; SC-FDMA is
// close enough at these sizes) at snr dB in its own bandwidth crosses the
// threshold: the energy is then noncentral χ² with noncentrality
// λ = dof·SNR, whose CDF is the Poisson(λ/2) mixture of central χ² CDFs
// with dof + 2j degrees of freedom.
func (d Ideal) Pd(snrDB float64) float64 {
	k := d.dof()
	lambda := k * math.Pow(10, snrDB/10)
	x := d.Threshold()
	half := lambda / 2
	lo := max(0, int(half-12*math.Sqrt(half)-10))
	hi := int(half + 12*math.Sqrt(half) + 10)
	pois := distuv.Poisson{Lambda: half}
	var cdf float64
	for j := lo; j <= hi; j++ {
		w := math.Exp(pois.LogProb(float64(j)))
		cdf += w * distuv.ChiSquared{K: k + 2*float64(j)}.CDF(x)
	}
	return 1 - cdf
}

// SNRFor is the SNR (dB) at which the ideal detector reaches pd.
func (d Ideal) SNRFor(pd float64) float64 {
	lo, hi := -20.0, 30.0
	for range 60 {
		mid := (lo + hi) / 2
		if d.Pd(mid) < pd {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}
