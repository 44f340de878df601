package eval

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The bound's Pd against a Monte Carlo of the same energy detector.
func TestIdealPdMonteCarlo(t *testing.T) {
	d := Ideal{Bandwidth: 200e3, Duration: 100e-6, WindowHz: 2.4e6, PerHour: 3.6e6} // 20 looks, loose Pfa
	x := d.Threshold()
	rng := rand.New(rand.NewPCG(1, 2))
	k := int(d.dof() / 2)
	for _, snr := range []float64{0, 3, 6} {
		a := math.Sqrt(math.Pow(10, snr/10) * 2) // noise: variance 1 per real dimension, 2 per complex sample
		hits := 0
		const trials = 20000
		for range trials {
			var e float64
			for i := 0; i < k; i++ {
				ph := rng.Float64() * 2 * math.Pi
				re := a*math.Cos(ph) + rng.NormFloat64()
				im := a*math.Sin(ph) + rng.NormFloat64()
				e += re*re + im*im
			}
			if e > x {
				hits++
			}
		}
		mc := float64(hits) / trials
		if got := d.Pd(snr); math.Abs(got-mc) > 0.02 {
			t.Errorf("SNR %g dB: bound Pd %.3f, Monte Carlo %.3f", snr, got, mc)
		}
	}
}

func TestIdealGSMNormal(t *testing.T) {
	d := Ideal{Bandwidth: 200e3, Duration: 546.5e-6, WindowHz: 2.4e6, PerHour: 0.5}
	snr := d.SNRFor(0.9)
	t.Logf("ideal energy detector, GSM normal burst, Pfa %.3g per test: Pd 0.9 at %.2f dB", d.Pfa(), snr)
	// An energy detector over 109 complex samples at Pfa ~1e-10 needs
	// roughly 0 dB; a bound far from that means the computation is off.
	if snr < -3 || snr > 3 {
		t.Errorf("ideal SNR for Pd 0.9 = %.2f dB, outside the plausible −3…+3 dB", snr)
	}
}
