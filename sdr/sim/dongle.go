package sim

import (
	"fmt"
	"math"
	"time"
)

// Dongle models the imperfections of an RTL-SDR (RTL2832U + R820T tuner)
// between the antenna and the 8-bit samples rtl_sdr writes. Every level is
// at the ADC, relative to full scale: 0 dBFS is a mean |x|² of 1 with x in
// the ±1 units of sdr.Block (a complex tone of amplitude 1 just fits).
type Dongle struct {
	// NoiseFloor is the thermal noise power over the whole sampled band
	// (±Rate/2) at RefGain, dBFS. 8-bit quantization adds its own noise
	// on top: Δ²/6 = −49.9 dBFS (Δ = 1/127.5) when the thermal noise spans
	// a few counts, a different amount at low gain (see the package doc).
	NoiseFloor float64
	// ADCNoise is noise added after the tuner's gain, whatever the gain,
	// over the sampled band, dBFS: the RTL2832U's own 8-bit ADC at
	// 28.8 MS/s and its IF stages, decimated to the output rate. It keeps
	// the output toggling by a count or so at low gain, as real dongles do.
	ADCNoise float64
	// RefGain is the tuner gain at which NoiseFloor and FullScale hold, dB.
	// At another gain G, signals and thermal noise both move by G − RefGain
	// dB at the ADC (the LNA sets the noise figure); quantization does not.
	RefGain float64
	// FullScale is the power at the antenna port, dBm, that reaches 0 dBFS
	// at RefGain: the dBFS ↔ dBm calibration, dBm = dBFS + FullScale −
	// (G − RefGain).
	FullScale float64
	// DCI and DCQ are the I and Q offsets of the ADC, in counts (1/127.5 of
	// full scale): the static part of the DC spike.
	DCI, DCQ float64
	// LOLeak is the local-oscillator leakage, a tone at 0 Hz whose phase
	// wanders (about 2 Hz wide), dBFS. Together with DCI/DCQ it makes the
	// DC spike.
	LOLeak float64
	// IQGain and IQPhase are the amplitude (dB) and phase (degrees)
	// mismatch of the Q branch against I. They put an image of every
	// signal at −f, ImageRejection() dB below it.
	IQGain, IQPhase float64
	// Spurs are tuner spurs: CW tones at fixed offsets from the tuned
	// center.
	Spurs []Spur
	// PPM is the crystal frequency error, parts per million, with the sign
	// rtl_sdr -p expects: a dongle with PPM = +ε has its LO at
	// fc·(1 + ε·1e-6), so a signal at true frequency f appears at baseband
	// offset f − fc − ε·1e-6·fc, shifted down by ε·1e-6·fc (and rtl_sdr -p ε
	// would correct it). The sample clock error (ε·1e-6 of the rate) is
	// not modelled.
	PPM float64
	// After a retune the dongle delivers Stale of samples still taken at
	// the old frequency (they were in the USB buffers), then Transient of
	// samples while the PLL and the DC loop settle (a decaying DC step and
	// gain ramp).
	Stale, Transient time.Duration
	// SettleFlag is how long after a retune the source marks blocks
	// Settling, as a driver would from its configuration (0: exactly
	// Stale + Transient; negative: never).
	SettleFlag time.Duration
	// DropRate is the mean number of USB sample drops per second (Poisson);
	// each drop loses DropLen samples, reported in Block.Dropped.
	DropRate float64
	DropLen  int
	// GainErrors are where the tuner's real gain departs from its
	// nominal step: at a gain within 0.05 dB of Gain, signals and thermal
	// noise come out Error dB stronger than the nominal gain says (R820T
	// steps are off by up to a couple of dB, and differently per dongle).
	// Empty: every step exact. What cellsentry calibrate --power measures.
	GainErrors []GainError
}

// GainError is one tuner gain's departure from nominal, dB.
type GainError struct{ Gain, Error float64 }

// gainError is the error of gain g, dB (0 where none is listed).
func (d *Dongle) gainError(g float64) float64 {
	for _, e := range d.GainErrors {
		if math.Abs(e.Gain-g) <= 0.05 {
			return e.Error
		}
	}
	return 0
}

// Spur is a tuner spur: a CW tone at Offset Hz from the tuned center, at
// Level dBFS.
type Spur struct {
	Offset float64
	Level  float64
}

// DefaultDongle returns the model of a typical RTL-SDR with an R820T2
// tuner and no TCXO, at 2.4 MS/s:
//
//   - NoiseFloor −30 dBFS at RefGain 40.2 dB (a gain table step): the noise
//     sits about 3 counts rms per component, 20 dB above quantization,
//     leaving about 30 dB of headroom for signals before clipping.
//   - ADCNoise −56 dBFS: the 8-bit ADC's quantization noise at 28.8 MS/s
//     (−50 dBFS over ±14.4 MHz) leaves about −58 dBFS in 2.4 MHz after
//     the RTL2832U's decimation; 2 dB more for its IF stages.
//   - FullScale −74 dBm: −30 dBFS of noise is then −104 dBm in 2.4 MHz, a
//     noise figure of 6 dB over kTB (−110.2 dBm), as measured on R820T
//     dongles at 900 MHz with their input loss.
//   - DC offset 0.8 and −0.5 counts, LO leakage −50 dBFS: a DC spike some
//     20 dB above the noise in a 1 kHz bin.
//   - IQ mismatch 0.25 dB and 2.5°: image rejection 31.7 dB (R820T
//     dongles measure 25–35 dB).
//   - Two spurs, at +412.5 kHz (−60 dBFS) and −687.5 kHz (−63 dBFS).
//   - PPM +20: an uncalibrated crystal (TCXO dongles are within ±1 ppm).
//   - 2 ms stale samples then 1.5 ms transient after a retune.
//   - No USB drops.
func DefaultDongle() *Dongle {
	return &Dongle{
		NoiseFloor: -30,
		ADCNoise:   -56,
		RefGain:    40.2,
		FullScale:  -74,
		DCI:        0.8,
		DCQ:        -0.5,
		LOLeak:     -50,
		IQGain:     0.25,
		IQPhase:    2.5,
		Spurs:      []Spur{{Offset: 412.5e3, Level: -60}, {Offset: -687.5e3, Level: -63}},
		PPM:        20,
		Stale:      2 * time.Millisecond,
		Transient:  1500 * time.Microsecond,
		DropLen:    16384,
	}
}

// CleanDongle returns DefaultDongle's noise, gain and quantization with
// every other imperfection off: no DC spike, no IQ image, no spurs, no
// frequency error, no retune garbage, no drops. Tests use it to isolate
// one effect at a time.
func CleanDongle() *Dongle {
	d := DefaultDongle()
	d.DCI, d.DCQ = 0, 0
	d.LOLeak = math.Inf(-1)
	d.IQGain, d.IQPhase = 0, 0
	d.Spurs = nil
	d.PPM = 0
	d.Stale, d.Transient = 0, 0
	return d
}

// ImageRejection is the ratio of a signal to its IQ-mismatch image at −f,
// dB: with g the Q/I amplitude ratio and φ the phase error,
//
//	IRR = (1 + 2g·cos φ + g²) / (1 − 2g·cos φ + g²)
//
// +Inf for a perfect mixer.
func (d *Dongle) ImageRejection() float64 {
	g := math.Pow(10, d.IQGain/20)
	c := math.Cos(d.IQPhase * math.Pi / 180)
	den := 1 - 2*g*c + g*g
	if den <= 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10((1+2*g*c+g*g)/den)
}

// adcNoise is the noise power a receiver measures at the ADC output when
// only noise (power p before the ADC: thermal plus ADCNoise, full-scale
// units) comes in: the
// variance of the 8-bit output, I plus Q, leaving out its mean (the DC
// spike). The output of a memoryless quantizer fed with i.i.d. noise is
// i.i.d., hence white, so this over the sample rate is N0.
//
// With x ~ N(μ, σ²) in counts (μ the DC offset), code k (value k − 127.5)
// is output for x in [k − 128, k − 127), so
//
//	P(k) = Φ((k − 127 − μ)/σ) − Φ((k − 128 − μ)/σ), codes 0 and 255 open-ended
//	Var  = Σ P(k)·(k − 127.5)² − (Σ P(k)·(k − 127.5))²
//
// For σ of a few counts this is σ² + 1/12 (thermal plus uniform rounding
// noise, Δ²/12 per component); at low gain, with σ under a count, rounding
// is no longer uniform and the DC offset matters: an offset of half a
// count makes most of the rounding error a constant.
func (d *Dongle) adcNoise(p float64) float64 {
	sigma := math.Sqrt(p/2) * 127.5
	return (codeVariance(d.DCI, sigma) + codeVariance(d.DCQ, sigma)) / (127.5 * 127.5)
}

// codeVariance is the variance of the cu8 output value for a component
// x ~ N(mu, sigma²) in counts.
func codeVariance(mu, sigma float64) float64 {
	if sigma <= 0 {
		return 0
	}
	cdf := func(x float64) float64 { return 0.5 * math.Erfc(-(x-mu)/(sigma*math.Sqrt2)) }
	var m1, m2 float64
	lo := max(0, int(math.Floor(mu-12*sigma))+127)
	hi := min(255, int(math.Ceil(mu+12*sigma))+128)
	for k := lo; k <= hi; k++ {
		a, b := cdf(float64(k-128)), cdf(float64(k-127))
		if k == 0 {
			a = 0
		}
		if k == 255 {
			b = 1
		}
		v := float64(k) - 127.5
		m1 += (b - a) * v
		m2 += (b - a) * v * v
	}
	return m2 - m1*m1
}

// thermalPower is the thermal noise power over the band at gain g (0 for
// RefGain), linear full-scale units.
func (d *Dongle) thermalPower(g float64) float64 {
	if g == 0 {
		g = d.RefGain
	}
	return math.Pow(10, (d.NoiseFloor+g+d.gainError(g)-d.RefGain)/10)
}

// adcPower is ADCNoise in linear full-scale units.
func (d *Dongle) adcPower() float64 { return math.Pow(10, d.ADCNoise/10) }

// fullScaleDBm is the antenna power reaching 0 dBFS at gain g, dBm.
func (d *Dongle) fullScaleDBm(g float64) float64 {
	if g == 0 {
		g = d.RefGain
	}
	return d.FullScale - (g + d.gainError(g) - d.RefGain)
}

func (d *Dongle) validate(f string) error {
	switch {
	case !(d.NoiseFloor >= -80 && d.NoiseFloor <= 0):
		return sceneErr(f+".noise_floor", "%g dBFS outside −80…0 dBFS", d.NoiseFloor)
	case !(d.ADCNoise >= -100 && d.ADCNoise <= 0):
		return sceneErr(f+".adc_noise", "%g dBFS outside −100…0 dBFS", d.ADCNoise)
	case !(d.RefGain >= 0 && d.RefGain <= 60):
		return sceneErr(f+".ref_gain", "%g dB outside 0–60 dB", d.RefGain)
	case !(d.FullScale >= -150 && d.FullScale <= 30):
		return sceneErr(f+".full_scale", "%g dBm outside −150…+30 dBm", d.FullScale)
	case !(math.Abs(d.DCI) <= 64 && math.Abs(d.DCQ) <= 64):
		return sceneErr(f+".dc_i", "offset beyond ±64 counts")
	case !(d.LOLeak <= 0) && !math.IsInf(d.LOLeak, -1):
		return sceneErr(f+".lo_leak", "%g dBFS above full scale", d.LOLeak)
	case !(math.Abs(d.IQGain) <= 6):
		return sceneErr(f+".iq_gain", "%g dB outside ±6 dB", d.IQGain)
	case !(math.Abs(d.IQPhase) <= 30):
		return sceneErr(f+".iq_phase", "%g° outside ±30°", d.IQPhase)
	case !(math.Abs(d.PPM) <= 500):
		return sceneErr(f+".ppm", "%g ppm outside ±500 ppm", d.PPM)
	case d.Stale < 0 || d.Stale > time.Second:
		return sceneErr(f+".stale", "%v outside 0–1 s", d.Stale)
	case d.Transient < 0 || d.Transient > time.Second:
		return sceneErr(f+".transient", "%v outside 0–1 s", d.Transient)
	case !(d.DropRate >= 0 && d.DropRate <= 1000):
		return sceneErr(f+".drop_rate", "%g per second outside 0–1000", d.DropRate)
	case d.DropRate > 0 && (d.DropLen < 1 || d.DropLen > 1<<24):
		return sceneErr(f+".drop_len", "%d samples outside 1–16777216", d.DropLen)
	}
	for i, e := range d.GainErrors {
		if !(e.Gain >= 0 && e.Gain <= 60) || !(math.Abs(e.Error) <= 10) {
			return sceneErr(fmt.Sprintf("%s.gain_errors[%d]", f, i), "gain %g dB, error %g dB: want a gain 0–60 dB and an error within ±10 dB", e.Gain, e.Error)
		}
	}
	for i, s := range d.Spurs {
		if !(s.Level <= 0) || math.IsNaN(s.Offset) || math.Abs(s.Offset) > 1e7 {
			return sceneErr(fmt.Sprintf("%s.spurs[%d]", f, i), "offset %s, level %g dBFS out of range", fmtHz(s.Offset), s.Level)
		}
	}
	return nil
}
