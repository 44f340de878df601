package classify

import (
	"math"
	"time"

	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/fft"
)

// Features are the measurements a decision rests on.
type Features struct {
	Bandwidth float64 // Hz
	Duration  float64 // s
	Offset    float64 // centre frequency minus the tuned centre, Hz
	Window    float64 // the receiver's bandwidth (its sample rate), Hz
	SNR       float64 // dB
	HasIQ     bool
	Kappa     float64 // noise-corrected normalised 4th moment (1 = constant envelope)
	CP        float64 // cyclic-prefix correlation on the 15 kHz numerology, 0..1
	CPLooks   int     // products behind CP: on noise CP is about 1/√CPLooks
	// GMSK is the best normalised correlation with the GSM known bits
	// (training sequence or access sync), 0..1; 0 when not tried.
	GMSK float64
	// Peak is the share of the burst's energy in its loudest 10 µs: near
	// 1 for an impulse, small for anything a phone sends.
	Peak float64
	// Refined is set when Duration and Start come from the burst's
	// envelope; Start is then its first sample relative to the detector's
	// reported start (samples, negative = earlier).
	Refined bool
	Start   int
}

// Classifier holds scratch buffers and FFTs for the raw-sample checks.
type Classifier struct {
	rate    float64
	ffts    map[int]*fft.FFT
	buf     []complex64
	fwd     []complex64 // bandLimit's input, transformed out of place into buf
	scratch []complex64
	cpC     []complex128
	cpE     []float64
	gsm     *gmskRefs
	gsmDec  int
	pow     []float64    // envelope scratch
	rot     []complex128 // bandLimit's phasor over one group of dec samples
}

// MaxSamples is the most samples of a burst the classifier looks at
// (13.7 ms at 2.4 MS/s); Scratch holds that many.
const MaxSamples = 1 << 15

const maxIQ = MaxSamples

// maxRot is the longest decimation group bandLimit keeps a phasor table
// for without growing it: 2.4 MS/s down to a 4 kHz band.
const maxRot = 256

// New returns a classifier for sample rate rate.
func New(rate float64) *Classifier {
	slot := int(math.Round(rate * 0.5e-3))
	dec := max(1, int(rate/1.08e6))
	return &Classifier{
		gsm:     newGMSKRefs(rate / float64(dec)),
		pow:     make([]float64, maxIQ),
		gsmDec:  dec,
		rate:    rate,
		ffts:    map[int]*fft.FFT{},
		buf:     make([]complex64, maxIQ),
		fwd:     make([]complex64, maxIQ),
		scratch: make([]complex64, 0, maxIQ),
		cpC:     make([]complex128, slot),
		cpE:     make([]float64, slot),
		rot:     make([]complex128, maxRot),
	}
}

// Scratch returns a buffer of n samples the caller may fill with a burst's
// samples (used when they wrap around a ring).
func (c *Classifier) Scratch(n int) []complex64 {
	if n > cap(c.scratch) {
		n = cap(c.scratch)
	}
	return c.scratch[:n]
}

// Classify sets b.Class, b.Kind and b.Score, and refines its start and
// duration from the envelope when it can. iq, if not nil, holds the burst's
// raw samples at the receiver's tuning with pad samples on either side.
func (c *Classifier) Classify(b *dsp.Burst, iq []complex64, pad int) Features {
	f := c.Features(b, iq, pad)
	b.Class, b.Kind, b.Score = Decide(f)
	if f.Refined {
		b.Offset += int64(f.Start)
		b.Start = b.Start.Add(time.Duration(float64(f.Start) / c.rate * float64(time.Second)))
		b.Duration = time.Duration(f.Duration * float64(time.Second))
	}
	return f
}

// Features measures a burst. iq holds its raw samples with pad extra
// samples before and after the span the detector reported (fewer at the
// edges of what is kept; pad is then the samples actually before it).
func (c *Classifier) Features(b *dsp.Burst, iq []complex64, pad int) Features {
	f := Features{Bandwidth: b.Bandwidth(), Duration: b.Duration.Seconds(), SNR: b.SNR, Offset: b.Freq - b.Center, Window: c.rate}
	// The waveform checks need the burst to stand above the noise, and a
	// meaningful number of samples.
	if pad < 0 || len(iq) < 16+2*pad || b.SNR < 3 {
		return f
	}
	if len(iq) > maxIQ {
		iq = iq[:maxIQ]
	}
	nominal := min(len(iq)-pad, pad+int(f.Duration*c.rate+0.5))
	if nominal-pad < 64 {
		f.Peak = peakShare(iq[pad:nominal], max(1, int(10e-6*c.rate)), c.pow)
		f.HasIQ = true
		return f
	}
	// A narrow burst is decimated first (mixed down and summed over dec
	// samples: a boxcar whose first null lies at rate/dec, beyond the
	// band) so that the band-limiting FFT is short; the decimated rate
	// stays above 2.2× the bandwidth.
	dec := max(1, int(c.rate/(2.2*f.Bandwidth)))
	x := c.bandLimit(iq, f.Offset, f.Bandwidth, dec)
	snr := math.Pow(10, b.SNR/10)
	// The time grid of the spectrogram (a frame, 107 µs) is too coarse
	// for the standard lengths (GSM 546.5 µs, an LTE slot 500 µs, an SRS
	// symbol 71 µs): find the edges on the band-limited envelope.
	s0, s1 := pad/dec, nominal/dec
	if b.SNR >= edgeSNR {
		if e0, e1, ok := envelopeEdges(x, c.rate/float64(dec), s0, s1, snr, c.pow); ok {
			s0, s1 = e0, e1
			f.Duration = float64(s1-s0) * float64(dec) / c.rate
			f.Start = (s0*dec - pad)
			f.Refined = true
		}
	}
	f.Peak = peakShare(iq[s0*dec:min(len(iq), s1*dec)], max(1, int(10e-6*c.rate)), c.pow)
	// Leave out the ramps at the ends.
	seg := x[s0:s1]
	trim := len(seg) / 10
	core := seg[trim : len(seg)-trim]
	var m2, m4 float64
	for _, v := range core {
		p := float64(real(v))*float64(real(v)) + float64(imag(v))*float64(imag(v))
		m2 += p
		m4 += p * p
	}
	if len(core) > 0 {
		m2 /= float64(len(core))
		m4 /= float64(len(core))
	}
	n := m2 / (1 + snr)
	sg := m2 - n
	if sg > 0 {
		f.Kappa = (m4 - 4*sg*n - 2*n*n) / (sg * sg)
	}
	// The prefix check needs the full rate (the lag must be a whole number
	// of samples) and only tells anything for wide bursts, where the
	// prefix holds several independent samples.
	if dec == 1 {
		f.CP, f.CPLooks = c.cpCorrelation(seg)
		// Band-limited to bw, samples are correlated over rate/bw of
		// them: only that fraction of the products is independent.
		f.CPLooks = int(float64(f.CPLooks) * math.Min(1, f.Bandwidth/c.rate))
	}
	if gsmFootprint(f.Bandwidth, f.Duration) {
		// Known-bit check at ≥ 4 samples per bit, over the GSM channel,
		// from the (refined) start of the burst.
		y := c.bandLimit(iq[s0*dec:], f.Offset, 240e3, c.gsmDec)
		access := f.Duration < accessMax
		f.GMSK = c.gsm.match(y, access)
		if !access && f.Duration < 0.5e-3 {
			f.GMSK = math.Max(f.GMSK, c.gsm.match(y, true))
		}
	}
	f.HasIQ = true
	return f
}

// edgeSNR: below this the envelope is too noisy to place edges better than
// the spectrogram does.
const edgeSNR = 3

// envelopeEdges finds the span of the burst around the middle of the
// nominal span [s0, s1) of x (sampled at rate) whose power, lightly
// smoothed (~4 µs), stands above the level halfway between the noise and
// the burst's plateau. p is scratch of at least len(x).
func envelopeEdges(x []complex64, rate float64, s0, s1 int, snr float64, p []float64) (int, int, bool) {
	n := len(x)
	if s1-s0 < 8 || s1 > n || cap(p) < n {
		return 0, 0, false
	}
	p = p[:n]
	half := max(1, int(2e-6*rate))
	// Centred moving average of |x|² via a running sum.
	var run float64
	pw := func(i int) float64 {
		v := x[i]
		return float64(real(v))*float64(real(v)) + float64(imag(v))*float64(imag(v))
	}
	for i := 0; i < min(half, n); i++ {
		run += pw(i)
	}
	for i := 0; i < n; i++ {
		if j := i + half; j < n {
			run += pw(j)
		}
		if j := i - half - 1; j >= 0 {
			run -= pw(j)
		}
		lo, hi := max(0, i-half), min(n-1, i+half)
		p[i] = run / float64(hi-lo+1)
	}
	// Plateau: the mean over the middle 60 % of the nominal span.
	m0, m1 := s0+(s1-s0)/5, s1-(s1-s0)/5
	var plateau float64
	for i := m0; i < m1; i++ {
		plateau += p[i]
	}
	plateau /= float64(m1 - m0)
	noise := plateau / (1 + snr)
	thr := noise + (plateau-noise)/2
	// The edges maximise the excess over that level: from the middle, go
	// out as far as the running sum of p − thr keeps its maximum, so a
	// dip inside the burst (noise, an SC-FDMA envelope) is bridged when
	// more burst follows, and the noise outside is not taken.
	mid := (s0 + s1) / 2
	e0, e1 := mid, mid+1
	var acc, best float64
	for i := mid - 1; i >= 0; i-- {
		acc += p[i] - thr
		if acc > best {
			best, e0 = acc, i
		}
	}
	acc, best = 0, 0
	for i := mid + 1; i < n; i++ {
		acc += p[i] - thr
		if acc > best {
			best, e1 = acc, i+1
		}
	}
	if e1-e0 < 4 {
		return 0, 0, false
	}
	return e0, e1, true
}

// gsmFootprint: a burst that could be GSM by its size.
func gsmFootprint(bw, dur float64) bool {
	return bw >= 80e3 && bw <= 420e3 && dur >= 0.2e-3 && dur <= 0.8e-3
}

// bandLimit mixes iq down by off Hz, sums groups of dec samples, and keeps
// only |f| ≤ bw/2 (plus one bin) through one FFT/IFFT pair of the next
// power of two. The result is in c.buf. (The forward transform runs out of
// place, from c.fwd, which spares the in-place bit-reversal pass and gives
// the same values.)
func (c *Classifier) bandLimit(iq []complex64, off, bw float64, dec int) []complex64 {
	m := len(iq) / dec
	n := 64
	for n < m {
		n *= 2
	}
	t := c.ffts[n]
	if t == nil {
		t, _ = fft.New(n)
		c.ffts[n] = t
	}
	buf, in := c.buf[:n], c.fwd[:n]
	// Mix down: within a group of dec samples by a table of step^k, so
	// that the products are independent of each other (a phasor updated
	// every sample would chain a complex multiply's latency through the
	// loop), then the group's sum by the phasor at its start, which
	// advances by step^dec and is renormalised every 1024 groups so that
	// rounding does not let its magnitude drift.
	s, co := math.Sincos(-2 * math.Pi * off / c.rate)
	step := complex(co, s)
	if dec > len(c.rot) {
		c.rot = make([]complex128, dec) // only beyond maxRot: narrower than any band we detect
	}
	rot := c.rot[:dec]
	ph := complex(1, 0)
	for k := range rot {
		rot[k] = ph
		ph *= step
	}
	stepDec := ph
	pg := complex(1, 0)
	invDec := 1 / float64(dec)
	for j := 0; j < m; j++ {
		var ar, ai float64
		g := iq[j*dec : (j+1)*dec]
		for k, r := range rot[:len(g)] {
			vr, vi := float64(real(g[k])), float64(imag(g[k]))
			ar += vr*real(r) - vi*imag(r)
			ai += vr*imag(r) + vi*real(r)
		}
		acc := complex(ar, ai) * pg
		// acc/dec, as complex(invDec, 0) would scale it (the product with
		// an exact 0 adds nothing), without a complex multiply.
		in[j] = complex64(complex(real(acc)*invDec, imag(acc)*invDec))
		pg *= stepDec
		if j&1023 == 1023 {
			pg /= complex(math.Hypot(real(pg), imag(pg)), 0)
		}
	}
	clear(in[m:])
	t.Transform(buf, in)
	keep := int(math.Ceil(bw/2/(c.rate/float64(dec))*float64(n))) + 1
	if keep <= n-keep {
		clear(buf[keep : n-keep+1])
	}
	t.Inverse(buf, buf)
	// 1/n by real multiplies: Go's complex64 product would widen to
	// float64 and round back to the same values.
	inv := float32(1 / float64(n))
	out := buf[:m]
	for i, v := range out {
		out[i] = complex(real(v)*inv, imag(v)*inv)
	}
	return out
}

// cpCorrelation folds x[n]·conj(x[n+L]) (L = one 15 kHz symbol) on the
// symbol period (a slot holds 7 symbols) over prefix-long windows, and
// returns the largest normalised magnitude and the number of products per
// window (which sets how large it gets on noise alone: about 1/√K).
func (c *Classifier) cpCorrelation(x []complex64) (float64, int) {
	lag := int(math.Round(c.rate / 15e3))
	win := max(2, int(math.Round(c.rate*4.69e-6)))
	period := c.rate * 0.5e-3 / 7
	bins := int(math.Ceil(period))
	if len(x) < lag+win+1 || bins > len(c.cpC) {
		return 0, 0
	}
	cc, ce := c.cpC[:bins], c.cpE[:bins]
	clear(cc)
	clear(ce)
	ph := 0.0 // i modulo the symbol period
	for i := 0; i+lag < len(x); i++ {
		a, b := x[i], x[i+lag]
		p := complex128(a) * complex(float64(real(b)), -float64(imag(b)))
		e := (float64(real(a))*float64(real(a)) + float64(imag(a))*float64(imag(a)) +
			float64(real(b))*float64(real(b)) + float64(imag(b))*float64(imag(b))) / 2
		cc[int(ph)] += p
		ce[int(ph)] += e
		if ph++; ph >= period {
			ph -= period
		}
	}
	var best float64
	var sc complex128
	var se float64
	for j := 0; j < win; j++ {
		sc += cc[j%bins]
		se += ce[j%bins]
	}
	for i := 0; i < bins; i++ {
		if se > 0 {
			if v := cmplxAbs(sc) / se; v > best {
				best = v
			}
		}
		sc += cc[(i+win)%bins] - cc[i]
		se += ce[(i+win)%bins] - ce[i]
	}
	return best, win * (len(x) - lag) / bins
}

func cmplxAbs(v complex128) float64 { return math.Hypot(real(v), imag(v)) }

// Decision limits.
const (
	kappaConstant = 1.35 // κ below: constant envelope (GMSK)
	cpLTE         = 0.45 // CP correlation above (and well above noise): OFDM-family numerology
	prbHz         = 180e3
	// GSM normal bursts last 546.5 µs, LTE slots 500 µs: the detector's
	// edges are good to about ±20 µs, so the midpoint splits them.
	normalVsSlot = 523e-6
	accessMax    = 0.45e-3 // shorter: an access burst (324.9 µs)
	gmskMatch    = 0.65    // coherent known-bit correlation: GSM at 6 dB SNR mostly 0.8–0.93, an LTE slot mostly below 0.6
	gmskNone     = 0.45    // below: no GSM known bits at all
	impulseConc  = 0.6     // share of a burst's energy in its loudest 10 µs
)

// Decide maps features to a class, a kind and a confidence.
func Decide(f Features) (dsp.Class, string, float64) {
	bw, dur := f.Bandwidth, f.Duration
	switch {
	case f.HasIQ && f.Peak >= impulseConc && dur < 0.2e-3:
		return dsp.ClassInterference, "impulse", 0.9
	case bw < 60e3:
		// Narrower than any handset channel: a carrier, an FM voice
		// channel, or a sweep seen a frame at a time.
		if dur > 20e-3 {
			return dsp.ClassInterference, "carrier", 0.9
		}
		return dsp.ClassInterference, "narrowband", 0.7
	case dur < 40e-6 && bw > 1.5e6:
		return dsp.ClassInterference, "impulse", 0.7
	case bw < 100e3 && math.Abs(f.Offset) < bw:
		// Narrow energy straddling the tuned centre: the DC spike and the
		// LO leakage wandering past its mask.
		return dsp.ClassInterference, "dc", 0.7
	}
	if f.HasIQ {
		switch {
		case f.CP >= math.Max(cpLTE, 3.5/math.Sqrt(float64(max(f.CPLooks, 1)))):
			return dsp.ClassLTE, lteKind(bw, dur), 0.9
		case gsmFootprint(bw, dur) && dur < accessMax:
			if f.GMSK >= gmskMatch {
				return dsp.ClassGSM, "access", 0.9
			}
			if f.GMSK < gmskNone && lteFootprint(bw, dur) {
				return dsp.ClassLTE, lteKind(bw, dur), 0.6
			}
			return dsp.ClassUnknown, "", 0.4
		case gsmFootprint(bw, dur):
			// Known bits and length together: each alone is borderline
			// at 6 dB between a GSM burst and a 1-PRB LTE slot (whose
			// PUCCH sequence is nearly constant-envelope too).
			d := (f.GMSK-gmskMatch)/0.1 + (dur-normalVsSlot)/20e-6
			if d > 0 && f.GMSK >= gmskNone {
				return dsp.ClassGSM, "normal", math.Min(0.95, 0.6+0.05*d)
			}
			if lteFootprint(bw, dur) {
				return dsp.ClassLTE, lteKind(bw, dur), math.Min(0.9, 0.6-0.05*d)
			}
			return dsp.ClassUnknown, "", 0.4
		case bw >= 0.9*f.Window && dur >= 5e-3:
			// The whole window lifted alike: a floor step (an AGC, a
			// wideband interferer); a UMTS carrier centred on the window
			// looks the same and is not claimed.
			return dsp.ClassInterference, "step", 0.6
		case umtsFootprint(f) && f.Kappa > kappaConstant:
			return dsp.ClassUMTS, "dpch", 0.8
		case umtsFootprint(f):
			// Wide and long with a constant envelope: a sweep seen whole.
			return dsp.ClassInterference, "sweep", 0.6
		case lteFootprint(bw, dur):
			return dsp.ClassLTE, lteKind(bw, dur), 0.6
		}
		return dsp.ClassUnknown, "", 0.3
	}
	// Footprint alone (weak bursts, or samples no longer at hand).
	switch {
	case gsmFootprint(bw, dur) && dur < accessMax && dur >= 0.25e-3:
		return dsp.ClassGSM, "access", 0.5
	case gsmFootprint(bw, dur) && dur >= normalVsSlot:
		return dsp.ClassGSM, "normal", 0.5
	case lteFootprint(bw, dur):
		return dsp.ClassLTE, lteKind(bw, dur), 0.5
	case bw >= 0.9*f.Window && dur >= 5e-3:
		return dsp.ClassInterference, "step", 0.5
	}
	// Wide, long and weak (a sweep smeared over its path, UMTS far away):
	// not enough to claim a phone.
	return dsp.ClassUnknown, "", 0.3
}

// umtsFootprint: long, and either wider than 1.6 MHz or 0.6 MHz or more
// running off an edge of the window (a 3.84 Mcps carrier, 4.7 MHz wide,
// seen through a 2.4 MHz window off its centre).
func umtsFootprint(f Features) bool {
	if f.Duration < 5e-3 {
		return false
	}
	if f.Bandwidth >= 1.6e6 {
		return true
	}
	lo, hi := f.Offset-f.Bandwidth/2, f.Offset+f.Bandwidth/2
	edge := 0.42 * f.Window
	return f.Bandwidth >= 0.6e6 && (hi >= edge || lo <= -edge)
}

// lteFootprint: about a slot or a subframe long, or one SC-FDMA symbol
// (SRS), and 1 to 7 PRB wide.
func lteFootprint(bw, dur float64) bool {
	if bw < 140e3 || bw > 1.3e6 {
		return false
	}
	near := func(v, ref float64) bool { return math.Abs(v-ref) <= 0.15*ref }
	return near(dur, 0.5e-3) || near(dur, 1e-3) || near(dur, 0.9e-3) || (dur >= 50e-6 && dur <= 110e-6)
}

func lteKind(bw, dur float64) string {
	switch {
	case dur < 0.15e-3:
		return "srs"
	case bw > 0.9e6 && bw < 1.3e6 && dur > 0.75e-3 && dur < 1.1e-3:
		return "prach"
	case bw < 1.5*prbHz && dur < 0.7e-3:
		return "pucch"
	}
	return "pusch"
}

// peakShare is the largest share of the total energy of x found in w
// consecutive samples. scratch, if at least as long as x, keeps each
// sample's energy so that it is computed once.
func peakShare(x []complex64, w int, scratch []float64) float64 {
	if w >= len(x) {
		return 1
	}
	var tot, win, best float64
	p := func(v complex64) float64 {
		return float64(real(v))*float64(real(v)) + float64(imag(v))*float64(imag(v))
	}
	if len(scratch) >= len(x) {
		es := scratch[:len(x)]
		for i, v := range x {
			e := p(v)
			es[i] = e
			tot += e
			win += e
			if i >= w {
				win -= es[i-w]
			}
			if win > best {
				best = win
			}
		}
		if tot <= 0 {
			return 0
		}
		return best / tot
	}
	for i, v := range x {
		e := p(v)
		tot += e
		win += e
		if i >= w {
			win -= p(x[i-w])
		}
		if win > best {
			best = win
		}
	}
	if tot <= 0 {
		return 0
	}
	return best / tot
}
