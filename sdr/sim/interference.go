package sim

import (
	"math"
	"time"
)

// CW is an unmodulated carrier at Freq for the emitter's whole activity
// (a spurious oscillator, an intermodulation product).
type CW struct {
	Freq float64
}

// Name implements Behaviour.
func (*CW) Name() string       { return "cw" }
func (*CW) interference() bool { return true }

func (w *CW) validate(f string, _ *Scene) error { return checkFreq(f+".freq", w.Freq) }

func (w *CW) schedule(c *schedContext) schedule {
	return &onceSched{fill: func(em *emission) {
		em.Kind = KindCW
		em.Start = c.start
		em.Duration = c.stop - c.start
		em.Freq = w.Freq
		em.Bandwidth = toneBW
		em.synth = synthTone
	}}
}

// SweptCW is a carrier sweeping linearly from From to To every Period
// (sawtooth), for the emitter's whole activity: a sweeping test set, a
// radar-like interferer. Its truth Freq is the middle of the range and
// Bandwidth the swept range; its SNR is that of the tone in 1 kHz.
type SweptCW struct {
	From, To float64
	Period   time.Duration
}

// Name implements Behaviour.
func (*SweptCW) Name() string       { return "swept_cw" }
func (*SweptCW) interference() bool { return true }

func (w *SweptCW) validate(f string, _ *Scene) error {
	if err := checkFreq(f+".from", w.From); err != nil {
		return err
	}
	if err := checkFreq(f+".to", w.To); err != nil {
		return err
	}
	if w.From == w.To {
		return sceneErr(f+".to", "equals from")
	}
	if w.Period < 10*time.Microsecond || w.Period > time.Hour {
		return sceneErr(f+".period", "%v outside 10 µs – 1 h", w.Period)
	}
	return nil
}

func (w *SweptCW) schedule(c *schedContext) schedule {
	return &onceSched{fill: func(em *emission) {
		em.Kind = KindSweptCW
		em.Start = c.start
		em.Duration = c.stop - c.start
		em.Freq = (w.From + w.To) / 2
		em.Bandwidth = math.Abs(w.To - w.From)
		em.synth = synthSwept
		em.from, em.to = w.From, w.To
		em.period = w.Period.Seconds()
	}}
}

// NBFM is a narrowband FM radio (a guard's or a neighbour's walkie-talkie)
// at Freq: key-on periods (exponential, mean On) separated by silences
// (mean Off), each key-on one emission.
type NBFM struct {
	Freq float64
	// Deviation is the peak FM deviation (0: 2.5 kHz, 12.5 kHz channels).
	Deviation float64
	// On and Off are the mean key-on and key-off lengths (0: 5 s, 20 s).
	On, Off time.Duration
}

// Name implements Behaviour.
func (*NBFM) Name() string       { return "nbfm" }
func (*NBFM) interference() bool { return true }

func (w *NBFM) validate(f string, _ *Scene) error {
	if err := checkFreq(f+".freq", w.Freq); err != nil {
		return err
	}
	if !(w.Deviation >= 0 && w.Deviation <= 100e3) {
		return sceneErr(f+".deviation", "%s outside 0–100 kHz", fmtHz(w.Deviation))
	}
	if w.On < 0 || w.Off < 0 {
		return sceneErr(f+".on", "negative mean")
	}
	return nil
}

func (w *NBFM) dev() float64 {
	if w.Deviation == 0 {
		return 2.5e3
	}
	return w.Deviation
}

func (w *NBFM) schedule(c *schedContext) schedule {
	on, off := 5.0, 20.0
	if w.On > 0 {
		on = w.On.Seconds()
	}
	if w.Off > 0 {
		off = w.Off.Seconds()
	}
	s := &nbfmSched{w: w, c: c, on: on, off: off}
	s.t = c.start + c.rng.ExpFloat64()*off*0.25
	return s
}

type nbfmSched struct {
	w       *NBFM
	c       *schedContext
	on, off float64
	t       float64
}

func (s *nbfmSched) next(em *emission) bool {
	d := math.Max(s.c.rng.ExpFloat64()*s.on, 0.2)
	em.Kind = KindNBFM
	em.Start = s.t
	em.Duration = d
	em.Freq = s.w.Freq
	em.dev = s.w.dev()
	em.Bandwidth = 2 * (em.dev + nbfmAudio)
	em.synth = synthNBFM
	s.t += d + math.Max(s.c.rng.ExpFloat64()*s.off, 0.1)
	return true
}

// Impulses are broadband impulses (ignition, relays, welding, a faulty
// fluorescent tube) at random times, Rate per second on average (Poisson),
// each Width long. They cover the whole sampled band: their truth Freq is 0
// and Bandwidth the sample rate.
type Impulses struct {
	Rate  float64
	Width time.Duration
}

// Name implements Behaviour.
func (*Impulses) Name() string       { return "impulses" }
func (*Impulses) interference() bool { return true }

func (w *Impulses) validate(f string, _ *Scene) error {
	if !(w.Rate > 0 && w.Rate <= 10000) {
		return sceneErr(f+".rate", "%g per second outside (0, 10000]", w.Rate)
	}
	if w.Width < 0 || w.Width > 10*time.Millisecond {
		return sceneErr(f+".width", "%v outside 0–10 ms", w.Width)
	}
	return nil
}

func (w *Impulses) schedule(c *schedContext) schedule {
	width := 2e-6
	if w.Width > 0 {
		width = w.Width.Seconds()
	}
	s := &impulseSched{w: w, c: c, width: width, rate: c.scene.rate()}
	s.t = c.start + c.rng.ExpFloat64()/w.Rate
	return s
}

type impulseSched struct {
	w     *Impulses
	c     *schedContext
	width float64
	rate  float64
	t     float64
}

func (s *impulseSched) next(em *emission) bool {
	em.Kind = KindImpulse
	em.Start = s.t
	em.Duration = s.width
	em.Bandwidth = s.rate
	em.width = s.width
	em.synth = synthImpulse
	s.t += s.width + s.c.rng.ExpFloat64()/s.w.Rate
	return true
}

// FloorStep raises the noise floor of the listed sensors (all when empty)
// by Step dB for the emitter's activity, from Start to Stop: what a nearby
// switching power supply or a dongle's AGC does. Negative steps lower the
// thermal noise (never below the quantization noise). The emitter's level
// and position are not used.
type FloorStep struct {
	Step    float64
	Sensors []string
}

// Name implements Behaviour.
func (*FloorStep) Name() string       { return "floor_step" }
func (*FloorStep) interference() bool { return true }

func (w *FloorStep) validate(f string, s *Scene) error {
	if math.IsNaN(w.Step) || math.Abs(w.Step) > 40 {
		return sceneErr(f+".step", "%g dB outside ±40 dB", w.Step)
	}
	for _, id := range w.Sensors {
		found := false
		for _, sn := range s.Sensors {
			found = found || sn.ID == id
		}
		if !found {
			return sceneErr(f+".sensors", "no sensor %q", id)
		}
	}
	return nil
}

func (w *FloorStep) schedule(c *schedContext) schedule {
	return &onceSched{fill: func(em *emission) {
		em.Kind = KindFloorStep
		em.Start = c.start
		em.Duration = c.stop - c.start
		em.Bandwidth = c.scene.rate()
		em.StepDB = w.Step
		em.synth = synthNone
		em.noiseLocal = len(w.Sensors) > 0
		em.sensors = w.Sensors
	}}
}

// Jammer is a strong wideband continuous signal centred on Freq, Bandwidth
// wide: Gaussian noise (Sweep 0) or a carrier swept across the band every
// Sweep, as cheap jammers do. At a realistic distance it saturates the
// sensor's ADC.
type Jammer struct {
	Freq, Bandwidth float64
	Sweep           time.Duration
}

// Name implements Behaviour.
func (*Jammer) Name() string       { return "jammer" }
func (*Jammer) interference() bool { return true }

func (w *Jammer) validate(f string, _ *Scene) error {
	if err := checkFreq(f+".freq", w.Freq); err != nil {
		return err
	}
	if !(w.Bandwidth >= 10e3 && w.Bandwidth <= 200e6) {
		return sceneErr(f+".bandwidth", "%s outside 10 kHz – 200 MHz", fmtHz(w.Bandwidth))
	}
	if w.Sweep < 0 || w.Sweep > 0 && w.Sweep < time.Microsecond {
		return sceneErr(f+".sweep", "%v: sweep periods are at least 1 µs", w.Sweep)
	}
	return nil
}

func (w *Jammer) schedule(c *schedContext) schedule {
	return &onceSched{fill: func(em *emission) {
		em.Kind = KindJammer
		em.Start = c.start
		em.Duration = c.stop - c.start
		em.Freq = w.Freq
		em.Bandwidth = w.Bandwidth
		em.synth = synthNoise
		if w.Sweep > 0 {
			em.synth = synthSwept
			em.from, em.to = w.Freq-w.Bandwidth/2, w.Freq+w.Bandwidth/2
			em.period = w.Sweep.Seconds()
		}
	}}
}

func checkFreq(f string, v float64) error {
	if !(v >= minTune-10e6 && v <= maxTune+10e6) {
		return sceneErr(f, "%s outside what an RTL-SDR receives (24–1766 MHz)", fmtHz(v))
	}
	return nil
}

// isInterference reports whether b is an interference behaviour.
func isInterference(b Behaviour) bool { return b.interference() }
