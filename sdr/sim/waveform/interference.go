package waveform

import (
	"math"
	"math/rand/v2"
)

// Interference that is not a phone: unmodulated and swept carriers, a
// narrowband FM voice radio, and microsecond impulses. The streams keep
// their phase across Read calls and have unit power (|s| = 1).

// CW is an unmodulated carrier at a fixed offset from the window centre.
type CW struct {
	phase, step float64 // cycles, cycles per sample
}

// NewCW returns a carrier at offsetHz for sample rate rate. offsetHz
// should lie inside (−rate/2, rate/2); a tone outside the sampled band
// would appear at its alias, which a real receiver's filters prevent, so
// leaving it out is the caller's job.
func NewCW(rate, offsetHz float64) *CW { return &CW{step: offsetHz / rate} }

// Read fills dst with the next samples exp(j2π·offset·n/rate).
func (c *CW) Read(dst []complex64) {
	for i := range dst {
		dst[i] = cis(c.phase)
		c.phase += c.step
		c.phase -= math.Floor(c.phase)
	}
}

// SweptCW is a carrier whose frequency sweeps linearly from fromHz to toHz
// in periodSeconds, then jumps back and repeats (a sawtooth), with a
// continuous phase — like a swept jammer or a sweeping test set.
type SweptCW struct {
	rate, from, slope, period float64
	t, phase                  float64 // seconds into the period; cycles
}

// NewSweptCW returns a swept carrier for sample rate rate. The sweep
// frequencies should lie inside (−rate/2, rate/2) (see NewCW).
func NewSweptCW(rate, fromHz, toHz, periodSeconds float64) *SweptCW {
	return &SweptCW{rate: rate, from: fromHz, slope: (toHz - fromHz) / periodSeconds, period: periodSeconds}
}

// Read fills dst with the next samples. The frequency at time t into the
// period is from + (to − from)·t/period; the phase advances by the
// frequency at the middle of each sample interval, which integrates the
// linear sweep exactly.
func (s *SweptCW) Read(dst []complex64) {
	dt := 1 / s.rate
	for i := range dst {
		dst[i] = cis(s.phase)
		f := s.from + s.slope*(s.t+dt/2)
		s.phase += f * dt
		s.phase -= math.Floor(s.phase)
		if s.t += dt; s.t >= s.period {
			s.t -= s.period
		}
	}
}

// NBFM is a narrowband FM transmitter (a 12.5 kHz-channel voice radio or
// walkie-talkie) modulated by voice-like audio: Gaussian noise band-limited
// to 300–3000 Hz (2nd-order Butterworth high-pass, 4th-order Butterworth
// low-pass), with an RMS of a third of full scale and hard-limited at full
// scale, the way a radio's deviation limiter clips speech peaks. Full scale
// is the peak deviation deviationHz (2.5 kHz for 12.5 kHz channels, 5 kHz
// for 25 kHz): Carson's rule gives 2·(deviation + 3 kHz) of occupied
// bandwidth, an upper bound here since speech rarely stays at the peak.
type NBFM struct {
	rate, dev float64
	decim     int // output samples per audio sample
	audio     [3]biquad
	gain      float64 // scales filtered noise to RMS 1/3
	prev, cur float64 // audio samples being interpolated, full scale ±1
	j         int     // position within the current audio sample
	phase     float64 // cycles
	rng       *rand.Rand
}

// nbfmAudioRate is the rate the audio is synthesised at before it is
// interpolated to the sample rate.
const nbfmAudioRate = 16e3

// NewNBFM returns an NBFM stream for sample rate rate with peak deviation
// deviationHz, taking its audio noise from rng.
func NewNBFM(rate, deviationHz float64, rng *rand.Rand) *NBFM {
	d := max(1, int(math.Round(rate/nbfmAudioRate)))
	fa := rate / float64(d)
	n := &NBFM{rate: rate, dev: deviationHz, decim: d, rng: rng}
	n.audio[0] = butterworth2(fa, 300, true)
	// 4th-order Butterworth low-pass: two sections with Q = 0.5412, 1.3066.
	n.audio[1] = lowpass2(fa, 3000, 0.5411961)
	n.audio[2] = lowpass2(fa, 3000, 1.3065630)
	// Noise gain of the chain, from its impulse response: RMS out = √Σh².
	var e float64
	for k := range 1 << 16 {
		x := 0.0
		if k == 0 {
			x = 1
		}
		for i := range n.audio {
			x = n.audio[i].step(x)
		}
		e += x * x
	}
	for i := range n.audio {
		n.audio[i].reset()
	}
	n.gain = 1 / (3 * math.Sqrt(e))
	n.cur = n.nextAudio()
	return n
}

// nextAudio returns the next audio sample, full scale ±1.
func (n *NBFM) nextAudio() float64 {
	x := n.rng.NormFloat64()
	for i := range n.audio {
		x = n.audio[i].step(x)
	}
	return math.Max(-1, math.Min(1, x*n.gain))
}

// Read fills dst with the next samples. The instantaneous frequency is
// deviation × audio, the audio linearly interpolated between its samples.
func (n *NBFM) Read(dst []complex64) {
	inv := 1 / float64(n.decim)
	for i := range dst {
		if n.j == 0 {
			n.prev, n.cur = n.cur, n.nextAudio()
		}
		m := n.prev + (n.cur-n.prev)*(float64(n.j)+0.5)*inv
		dst[i] = cis(n.phase)
		n.phase += n.dev * m / n.rate
		n.phase -= math.Floor(n.phase)
		if n.j++; n.j == n.decim {
			n.j = 0
		}
	}
}

// biquad is a second-order IIR section (direct form I).
type biquad struct {
	b0, b1, b2, a1, a2 float64
	x1, x2, y1, y2     float64
}

func (q *biquad) step(x float64) float64 {
	y := q.b0*x + q.b1*q.x1 + q.b2*q.x2 - q.a1*q.y1 - q.a2*q.y2
	q.x2, q.x1, q.y2, q.y1 = q.x1, x, q.y1, y
	return y
}

func (q *biquad) reset() { q.x1, q.x2, q.y1, q.y2 = 0, 0, 0, 0 }

// butterworth2 is a 2nd-order Butterworth low- or high-pass at fc for
// sample rate fs (bilinear transform, RBJ cookbook).
func butterworth2(fs, fc float64, high bool) biquad {
	if high {
		return highpass2(fs, fc, math.Sqrt2/2)
	}
	return lowpass2(fs, fc, math.Sqrt2/2)
}

func lowpass2(fs, fc, q float64) biquad {
	w := 2 * math.Pi * fc / fs
	alpha := math.Sin(w) / (2 * q)
	c := math.Cos(w)
	a0 := 1 + alpha
	return biquad{b0: (1 - c) / 2 / a0, b1: (1 - c) / a0, b2: (1 - c) / 2 / a0, a1: -2 * c / a0, a2: (1 - alpha) / a0}
}

func highpass2(fs, fc, q float64) biquad {
	w := 2 * math.Pi * fc / fs
	alpha := math.Sin(w) / (2 * q)
	c := math.Cos(w)
	a0 := 1 + alpha
	return biquad{b0: (1 + c) / 2 / a0, b1: -(1 + c) / a0, b2: (1 + c) / 2 / a0, a1: -2 * c / a0, a2: (1 - alpha) / a0}
}

// Impulse generates microsecond-scale broadband pulses, like ignition or
// switching noise seen through the receiver: every sample within the pulse
// has unit magnitude and an independent random phase, so its spectrum is
// flat across the whole sampled band and its duration is exact.
type Impulse struct{ rate float64 }

// NewImpulse returns an impulse generator for sample rate rate.
func NewImpulse(rate float64) *Impulse { return &Impulse{rate: rate} }

// Len returns the largest number of samples Burst writes for a pulse of
// widthSeconds.
func (p *Impulse) Len(widthSeconds float64) int { return ceilEps(widthSeconds*p.rate+1) + 1 }

// Burst writes one pulse lasting widthSeconds (e.g. 1–5 µs), starting frac
// (0 ≤ frac < 1) of a sample after dst[0], and returns the samples written
// and the active span: the samples taken during the pulse (at least one,
// for pulses shorter than a sample), mean power 1. dst[0] is zero when
// frac > 0. Burst panics if len(dst) < Len(widthSeconds), if widthSeconds
// is not positive or if frac is not in [0, 1).
func (p *Impulse) Burst(dst []complex64, widthSeconds, frac float64, rng *rand.Rand) (n int, active Span) {
	checkFrac(frac)
	if !(widthSeconds > 0) {
		panic("waveform: Impulse.Burst: width must be positive")
	}
	if len(dst) < p.Len(widthSeconds) {
		panic("waveform: Impulse.Burst: dst shorter than Len(width)")
	}
	start := ceilEps(frac)
	n = max(start+1, firstSampleAt(widthSeconds, frac, p.rate))
	for i := range start {
		dst[i] = 0
	}
	for i := start; i < n; i++ {
		dst[i] = cis(rng.Float64())
	}
	return n, Span{Start: start, Len: n - start}
}
