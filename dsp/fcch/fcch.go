package fcch

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"

	"github.com/cellsentry/cellsentry/dsp/fft"
)

// GSM constants (TS 45.004, TS 45.002).
const (
	// BitRate is the GSM modulation rate, 1625/6 kbit/s.
	BitRate = 13e6 / 48
	// ToneOffset is the FCCH tone's offset above its carrier, Hz:
	// BitRate/4 = 1625/24 kHz.
	ToneOffset = BitRate / 4
	// BurstBits is the FCCH burst's length in bits (3 + 142 + 3).
	BurstBits = 148
	// FrameDuration is a TDMA frame, 8 × 156.25 bits = 4.615 ms, in s.
	FrameDuration = 8 * 156.25 / BitRate
)

// regionHalf is the half-width of the band around a peak its purity is
// computed over, Hz: the upper half of the carrier's own 200 kHz and a
// little beyond, not the next carrier's center 200 kHz away.
const regionHalf = 80e3

// decimRate is the rate the span is summed down to for the fine estimate.
const decimRate = 160e3

// edgeBits is how many bits of the measured span are dropped at each end.
const edgeBits = 14

// Config sets up a Detector.
type Config struct {
	// Rate is the sample rate, samples/s (0.5–20 MS/s).
	Rate float64
	// Low and High bound where the tone is looked for, Hz relative to
	// the tuned center: the carrier's offset + ToneOffset ± the largest
	// crystal error expected (SearchRange computes them). They must lie
	// within ±Rate/2 less 80 kHz.
	Low, High float64
	// Size is the FFT length, a power of two (0: the one nearest to 40 %
	// of a burst, 512 at 2.4 MS/s).
	Size int
	// Threshold is the purity a window needs to be part of a burst,
	// 0.2–0.95 (0: 0.65).
	Threshold float64
}

// SearchRange is where the tone of a carrier offset Hz from a center of
// center Hz lies when the crystal's error is within ±maxPPM.
func SearchRange(offset, center, maxPPM float64) (low, high float64) {
	d := math.Abs(maxPPM) * 1e-6 * center
	return offset + ToneOffset - d, offset + ToneOffset + d
}

// Burst is one FCCH burst found.
type Burst struct {
	// Sample is the index of the first sample of the span measured,
	// counted from the first sample given to Process since New or Reset;
	// Len is the span's length in samples.
	Sample int64
	Len    int
	// Freq is the tone's frequency relative to the tuned center, Hz.
	Freq float64
	// Purity is the best window's purity (see the package doc), 0–1.
	Purity float64
	// SNR estimates the carrier's SNR in 200 kHz, dB: the tone's power
	// over the noise per bin around it, scaled to 200 kHz.
	SNR float64
}

// Detector finds FCCH bursts in a stream of IQ blocks. It is not safe for
// concurrent use.
type Detector struct {
	cfg       Config
	n, hop    int
	fft       *fft.FFT
	win       []float32
	buf, spec []complex64
	pow       []float64
	kLo, kHi  int // search bins, may be negative (frequencies below 0)
	regBins   int // region half-width in bins
	burstLen  float64
	maxRun    int
	d         int // decimation factor

	hist      []complex64 // hist[i] is sample histStart + i
	histStart int64
	nextW     int64 // next window start

	run    []runWin
	open   bool
	steady bool // in a tone longer than a burst: ignore it until it stops
	y      []complex128
}

type runWin struct {
	w      int64
	purity float64
	freq   float64 // interpolated peak, Hz
	tone   float64 // tone power (3 bins), window-normalised
	noise  float64 // mean power per bin of the rest of the region
}

// New returns a Detector for cfg.
func New(cfg Config) (*Detector, error) {
	if !(cfg.Rate >= 0.5e6 && cfg.Rate <= 20e6) {
		return nil, fmt.Errorf("fcch: rate %g S/s outside 0.5–20 MS/s", cfg.Rate)
	}
	edge := cfg.Rate/2 - regionHalf
	if !(cfg.Low < cfg.High) || cfg.Low < -edge || cfg.High > edge {
		return nil, fmt.Errorf("fcch: search range %.0f…%.0f Hz: want low < high within ±%.0f Hz (±rate/2 less 80 kHz)", cfg.Low, cfg.High, edge)
	}
	if cfg.Threshold == 0 {
		cfg.Threshold = 0.65
	}
	if !(cfg.Threshold >= 0.2 && cfg.Threshold <= 0.95) {
		return nil, fmt.Errorf("fcch: threshold %g outside 0.2–0.95", cfg.Threshold)
	}
	burst := BurstBits / BitRate * cfg.Rate
	if cfg.Size == 0 {
		cfg.Size = 1 << int(math.Round(math.Log2(0.4*burst)))
	}
	if cfg.Size < 64 || cfg.Size&(cfg.Size-1) != 0 || float64(cfg.Size) > 0.8*burst {
		return nil, fmt.Errorf("fcch: size %d: want a power of two from 64 to 80 %% of a burst (%.0f samples)", cfg.Size, burst)
	}
	f, err := fft.New(cfg.Size)
	if err != nil {
		return nil, fmt.Errorf("fcch: %w", err)
	}
	d := &Detector{cfg: cfg, n: cfg.Size, hop: cfg.Size / 4, fft: f, burstLen: burst}
	d.win = make([]float32, d.n)
	for i := range d.win {
		d.win[i] = float32(0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(d.n)))
	}
	d.buf = make([]complex64, d.n)
	d.spec = make([]complex64, d.n)
	d.pow = make([]float64, d.n)
	binHz := cfg.Rate / float64(d.n)
	d.kLo = int(math.Floor(cfg.Low / binHz))
	d.kHi = int(math.Ceil(cfg.High / binHz))
	d.regBins = int(math.Round(regionHalf / binHz))
	d.maxRun = int(math.Ceil(burst)) + 2*d.n + 2*d.hop
	d.hist = make([]complex64, 0, 2*(d.maxRun+d.n))
	d.run = make([]runWin, 0, d.maxRun/d.hop+2)
	d.d = max(1, int(math.Round(cfg.Rate/decimRate)))
	d.y = make([]complex128, d.maxRun/d.d+1)
	return d, nil
}

// Config returns the configuration with defaults filled in.
func (d *Detector) Config() Config { return d.cfg }

// Reset forgets the samples seen: the next Process starts a new stream at
// sample 0.
func (d *Detector) Reset() {
	d.hist = d.hist[:0]
	d.histStart, d.nextW = 0, 0
	d.run = d.run[:0]
	d.open = false
}

// Process takes the next samples of the stream and appends to dst the
// bursts that ended in them; it returns the extended slice. It does not
// allocate when dst has room for the bursts found (a few per 46 ms).
func (d *Detector) Process(dst []Burst, iq []complex64) []Burst {
	for len(iq) > 0 {
		room := cap(d.hist) - len(d.hist)
		if room == 0 {
			d.drop()
			room = cap(d.hist) - len(d.hist)
		}
		m := min(room, len(iq))
		d.hist = append(d.hist, iq[:m]...)
		iq = iq[m:]
		end := d.histStart + int64(len(d.hist))
		for d.nextW+int64(d.n) <= end {
			dst = d.window(dst, d.nextW)
			d.nextW += int64(d.hop)
		}
	}
	return dst
}

// drop discards the samples no window and no open run needs.
func (d *Detector) drop() {
	keep := d.nextW
	if d.open && d.run[0].w < keep {
		keep = d.run[0].w
	}
	if keep-d.histStart < int64(len(d.hist))/2 {
		// An open run holds more than half the history: it is longer
		// than any burst, a steady carrier. Abandon it.
		d.open, d.steady = false, true
		d.run = d.run[:0]
		keep = d.nextW
	}
	k := int(keep - d.histStart)
	n := copy(d.hist, d.hist[k:])
	d.hist = d.hist[:n]
	d.histStart = keep
}

// window analyses the window starting at absolute sample w.
func (d *Detector) window(dst []Burst, w int64) []Burst {
	x := d.hist[w-d.histStart : w-d.histStart+int64(d.n)]
	for i, v := range x {
		d.buf[i] = v * complex(d.win[i], 0)
	}
	d.fft.Transform(d.spec, d.buf)
	n := d.n
	at := func(k int) float64 { return d.pow[((k%n)+n)%n] }
	lo, hi := d.kLo-d.regBins, d.kHi+d.regBins
	for k := lo; k <= hi; k++ {
		c := d.spec[((k%n)+n)%n]
		d.pow[((k%n)+n)%n] = float64(real(c))*float64(real(c)) + float64(imag(c))*float64(imag(c))
	}
	best := d.kLo
	for k := d.kLo + 1; k <= d.kHi; k++ {
		if at(k) > at(best) {
			best = k
		}
	}
	tone := at(best-1) + at(best) + at(best+1)
	var region float64
	for k := best - d.regBins; k <= best+d.regBins; k++ {
		region += at(k)
	}
	purity := 0.0
	if region > 0 {
		purity = tone / region
	}
	if purity < d.cfg.Threshold {
		d.steady = false
		if d.open {
			dst = d.finish(dst)
		}
		return dst
	}
	if d.steady {
		return dst
	}
	// Parabolic interpolation of the peak on the log power.
	a, b, c := math.Log(at(best-1)+1e-30), math.Log(at(best)+1e-30), math.Log(at(best+1)+1e-30)
	delta := 0.0
	if den := a - 2*b + c; den < 0 {
		delta = math.Max(-0.5, math.Min(0.5, 0.5*(a-c)/den))
	}
	// For the SNR: the tone over its Hann main lobe (±2 bins), the noise
	// per bin over the rest of the region less the first side lobes.
	tone5 := tone + at(best-2) + at(best+2)
	core := tone5 + at(best-3) + at(best+3)
	rw := runWin{
		w: w, purity: purity,
		freq:  (float64(best) + delta) * d.cfg.Rate / float64(n),
		tone:  tone5,
		noise: (region - core) / float64(2*d.regBins-6),
	}
	if !d.open {
		d.open = true
		d.run = d.run[:0]
	}
	if len(d.run) == cap(d.run) {
		// Longer than a burst: a steady tone. Drop it until it stops.
		d.run = d.run[:0]
		d.open, d.steady = false, true
		return dst
	}
	d.run = append(d.run, rw)
	return dst
}

// finish closes the open run and appends it to dst if it is a burst.
func (d *Detector) finish(dst []Burst) []Burst {
	d.open = false
	run := d.run
	d.run = d.run[:0]
	if len(run) == 0 {
		return dst
	}
	length := float64(run[len(run)-1].w + int64(d.n) - run[0].w)
	if length < 0.6*d.burstLen || length > d.burstLen+2*float64(d.n) {
		return dst
	}
	bi := 0
	for i := range run {
		if run[i].purity > run[bi].purity {
			bi = i
		}
	}
	first, last := -1, -1
	for i := range run {
		if run[i].purity >= 0.9*run[bi].purity {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	edge := int64(math.Round(edgeBits / BitRate * d.cfg.Rate))
	s0 := run[first].w + edge
	s1 := run[last].w + int64(d.n) - edge
	if s1-s0 < int64(4*d.d) || s0 < d.histStart {
		return dst
	}
	f0 := run[bi].freq
	f := d.refine(d.hist[s0-d.histStart:s1-d.histStart], s0, f0)
	// SNR in 200 kHz: tone power over noise per bin × bins in 200 kHz.
	snr := math.Inf(1)
	if nb := run[bi].noise; nb > 0 {
		snr = 10 * math.Log10(run[bi].tone/(nb*200e3/(d.cfg.Rate/float64(d.n))))
	}
	return append(dst, Burst{Sample: s0, Len: int(s1 - s0), Freq: f, Purity: run[bi].purity, SNR: snr})
}

// refine estimates the tone's frequency over x (absolute start s0) near
// f0 Hz: see the package doc.
func (d *Detector) refine(x []complex64, s0 int64, f0 float64) float64 {
	rate := d.cfg.Rate
	D := d.d
	M := len(x) / D
	y := d.y[:M]
	// Phasor e^{−j2π f0 i/rate} by recurrence from the span's start,
	// renormalised every block.
	ws, wc := math.Sincos(-2 * math.Pi * f0 / rate)
	pr, pi := 1.0, 0.0
	for m := range M {
		var sr, si float64
		for _, v := range x[m*D : (m+1)*D] {
			xr, xi := float64(real(v)), float64(imag(v))
			sr += xr*pr - xi*pi
			si += xr*pi + xi*pr
			pr, pi = pr*wc-pi*ws, pr*ws+pi*wc
		}
		g := 1 / math.Hypot(pr, pi)
		pr, pi = pr*g, pi*g
		y[m] = complex(sr, si)
	}
	dr := rate / float64(D)
	var c1 complex128
	for m := 1; m < M; m++ {
		c1 += y[m] * cmplx.Conj(y[m-1])
	}
	f1 := cmplx.Phase(c1) * dr / (2 * math.Pi)
	L := M / 2
	if L < 2 {
		return f0 + f1
	}
	var cl complex128
	for m := L; m < M; m++ {
		cl += y[m] * cmplx.Conj(y[m-L])
	}
	rot := cmplx.Exp(complex(0, -2*math.Pi*f1*float64(L)/dr))
	f2 := f1 + cmplx.Phase(cl*rot)*dr/(2*math.Pi*float64(L))
	return f0 + f2
}

// Flush ends the stream. A run of tone windows still open at the end is
// dropped: whether it was a burst or the start of a steady carrier cannot
// be told. dst is returned as it is; the method is there so that a caller
// states where its stream ends.
func (d *Detector) Flush(dst []Burst) []Burst {
	d.open, d.steady = false, false
	d.run = d.run[:0]
	return dst
}

// Estimate is the combination of the bursts of one carrier.
type Estimate struct {
	// Bursts is how many were given, Used how many were kept.
	Bursts, Used int
	// Freq is the mean tone frequency of the bursts used, Hz relative to
	// the tuned center; Std their standard deviation (one burst's
	// uncertainty) and StdErr Std/√Used (the mean's), Hz.
	Freq, Std, StdErr float64
	// Aligned counts the bursts used that lie a whole number (≥ 10) of
	// TDMA frames from another: real FCCH bursts do, stray tones not.
	Aligned int
	// SNR is the median of the bursts' SNR, dB in 200 kHz.
	SNR float64
}

// ErrNoBursts is returned by Combine when there is nothing to combine.
var ErrNoBursts = errors.New("fcch: no FCCH bursts")

// Combine averages the bursts of one carrier (their order does not
// matter). Bursts more than 5 robust standard deviations (1.4826 × the
// median absolute deviation), and at least 20 Hz, from the median are left
// out: a neighbour's tone, a burst cut by a USB drop. rate is the sample
// rate, for the frame check. scratch, when long enough, avoids an
// allocation.
func Combine(bursts []Burst, rate float64, scratch []float64) (Estimate, error) {
	e := Estimate{Bursts: len(bursts)}
	if len(bursts) == 0 {
		return e, ErrNoBursts
	}
	if cap(scratch) < len(bursts) {
		scratch = make([]float64, len(bursts))
	}
	v := scratch[:len(bursts)]
	for i, b := range bursts {
		v[i] = b.Freq
	}
	med := median(v)
	for i, b := range bursts {
		v[i] = math.Abs(b.Freq - med)
	}
	tol := math.Max(5*1.4826*median(v), 20)
	var sum float64
	for _, b := range bursts {
		if math.Abs(b.Freq-med) <= tol {
			e.Used++
			sum += b.Freq
		}
	}
	e.Freq = sum / float64(e.Used)
	var ss float64
	k := 0
	for _, b := range bursts {
		if math.Abs(b.Freq-med) <= tol {
			ss += (b.Freq - e.Freq) * (b.Freq - e.Freq)
			v[k] = b.SNR
			k++
		}
	}
	e.SNR = median(v[:k])
	if e.Used > 1 {
		e.Std = math.Sqrt(ss / float64(e.Used-1))
		e.StdErr = e.Std / math.Sqrt(float64(e.Used))
	}
	frame := FrameDuration * rate
	for i, a := range bursts {
		if math.Abs(a.Freq-med) > tol {
			continue
		}
		for j, b := range bursts {
			if i == j || math.Abs(b.Freq-med) > tol {
				continue
			}
			q := math.Abs(float64(b.Sample-a.Sample)) / frame
			if q >= 9.5 && math.Abs(q-math.Round(q)) < 0.05 {
				e.Aligned++
				break
			}
		}
	}
	return e, nil
}

// median sorts v in place and returns its median (NaN when empty).
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	// Insertion sort: a few dozen values.
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return (v[m-1] + v[m]) / 2
}

// PPM is the crystal error, ppm with librtlsdr's sign, of a dongle tuned
// to center Hz that sees the FCCH tone of a carrier offset Hz from center
// at tone Hz (see the package doc): −(tone − offset − ToneOffset)/center.
func PPM(tone, offset, center float64) float64 {
	return -(tone - offset - ToneOffset) / center * 1e6
}

// CRLB is the Cramér–Rao bound on the standard deviation of a tone's
// frequency estimated from n samples at rate with per-sample SNR snr
// (linear): rate·√(6/(ρ·n·(n²−1)))/(2π), Hz.
func CRLB(snr float64, n int, rate float64) float64 {
	N := float64(n)
	return rate * math.Sqrt(6/(snr*N*(N*N-1))) / (2 * math.Pi)
}
