package pipeline

import (
	"fmt"
	"math"
	"time"

	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/channelize"
	"github.com/cellsentry/cellsentry/dsp/classify"
	"github.com/cellsentry/cellsentry/dsp/detect"
	"github.com/cellsentry/cellsentry/dsp/noise"
	"github.com/cellsentry/cellsentry/sdr"
)

// Config gathers the stages' settings. Zero values take each stage's
// defaults.
type Config struct {
	Channelizer channelize.Config
	// FalsePerHour and ThresholdDB go to the detector (see detect.Config).
	FalsePerHour float64
	ThresholdDB  float64
	// SpurHz are known tuner spur offsets from the centre, masked.
	SpurHz []float64
	// CalOffsetDB converts dBFS to dBm at the antenna for the gain in use:
	// dBm = dBFS + CalOffsetDB. NaN means uncalibrated: bursts then carry
	// PowerDBm NaN.
	CalOffsetDB float64
	// Rhythm enables the TDMA comb integrator (default on; set
	// DisableRhythm to turn it off).
	DisableRhythm bool
	// OnClassify, if set, sees every burst with the features it was
	// classified on (for the survey, the evaluation and debugging).
	OnClassify func(*dsp.Burst, classify.Features)
}

// ringSize is the raw-sample history kept for the classifier: 2^17
// samples, 55 ms at 2.4 MS/s — longer than the detector's reporting delay.
const ringSize = 1 << 17

// Pipeline runs the stages. Not safe for concurrent use.
type Pipeline struct {
	cfg   Config
	ch    *channelize.Channelizer
	floor *noise.Floor
	det   *detect.Detector
	comb  *detect.Comb
	cls   *classify.Classifier
	rate  float64

	ring    []complex64
	ringEnd int64 // stream index one past the newest sample in ring

	out      []dsp.Burst // bursts of the current call
	pending  []dsp.Burst // found in this frame, to classify
	hold     []dsp.Burst // classified, waiting for the image check
	recent   [32]dsp.Burst
	nrecent  int
	now      int64 // stream offset of the latest frame
	lastClip int64 // stream offset of the latest frame with clipped samples
	lastStep int64 // stream offset where the latest floor step ended
	strong   map[float64]*strongBins
	err      error
	stats    Stats
}

// Stats counts what the pipeline has seen.
type Stats struct {
	Samples int64
	Frames  int64
	Dropped int64
	Bursts  [8]int64 // by dsp.Class
	// TrainsExplained counts rhythm trains not reported because strong
	// single bursts already account for them.
	TrainsExplained int64
}

// New checks cfg. The stages that depend on the sample rate are built on
// the first block.
func New(cfg Config) (*Pipeline, error) {
	ch, err := channelize.New(cfg.Channelizer)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{cfg: cfg, ch: ch, ring: make([]complex64, ringSize), strong: map[float64]*strongBins{}, lastStep: -1 << 62}
	p.floor, err = noise.New(noise.Config{Bins: ch.Size(), SpurHz: cfg.SpurHz})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Pipeline) setup(rate float64) error {
	win, err := channelize.Window(p.cfg.Channelizer.Window, p.ch.Size())
	if err != nil {
		win, _ = channelize.Window(channelize.DefaultWindow, p.ch.Size())
	}
	p.det, err = detect.New(detect.Config{
		Bins: p.ch.Size(), Hop: p.ch.Hop(), Rate: rate, Window: win,
		FalsePerHour: p.cfg.FalsePerHour, ThresholdDB: p.cfg.ThresholdDB,
	})
	if err != nil {
		return fmt.Errorf("pipeline: %w", err)
	}
	if !p.cfg.DisableRhythm {
		p.comb, err = detect.NewComb(detect.CombConfig{Bins: p.ch.Size(), Hop: p.ch.Hop(), Rate: rate, Window: win, FalsePerHour: p.cfg.FalsePerHour})
		if err != nil {
			return fmt.Errorf("pipeline: %w", err)
		}
	}
	p.cls = classify.New(rate)
	p.rate = rate
	return nil
}

// Process runs one block through the stages and appends the bursts that
// ended in it to dst.
func (p *Pipeline) Process(dst []dsp.Burst, b *sdr.Block) ([]dsp.Burst, error) {
	if p.det == nil || b.Rate != p.rate {
		if err := p.setup(b.Rate); err != nil {
			return dst, err
		}
	}
	p.stats.Samples += int64(len(b.Samples))
	p.stats.Dropped += b.Dropped
	// Raw history: stream index continues across drops.
	p.ringEnd += b.Dropped
	s := b.Samples
	if len(s) > ringSize {
		// Only the newest ringSize samples can be kept.
		p.ringEnd += int64(len(s) - ringSize)
		s = s[len(s)-ringSize:]
	}
	for len(s) > 0 {
		n := copy(p.ring[p.ringEnd&(ringSize-1):], s)
		s = s[n:]
		p.ringEnd += int64(n)
	}
	p.out = dst
	p.ch.Process(b, p)
	return p.out, p.err
}

// Frame is the channelizer's sink.
func (p *Pipeline) Frame(f *channelize.Frame) {
	p.stats.Frames++
	if f.Clipped > 0 {
		p.lastClip = f.Offset
	}
	fl := p.floor.Floor(f.Center)
	inv, one, masked := p.floor.Normalizers(f.Center)
	start := len(p.pending)
	p.pending = p.det.Process(p.pending, f, detect.Normalizer{Floor: fl, Inv: inv, One: one, Masked: masked, BaseInv: p.floor.BaselineInv(f.Center)})
	if p.comb != nil && fl != nil {
		p.pending = p.comb.Process(p.pending, f, p.det.Cells(), fl, p.det.Overloaded())
	}
	p.floor.Update(f.Center, f.Rate, f.Power)
	if len(p.pending) > start {
		p.finish()
	}
	p.now = f.Offset
	if len(p.hold) > 0 {
		p.release(false)
	}
}

// finish classifies pending bursts (while their samples are still in the
// ring) and holds them for the image check.
func (p *Pipeline) finish() {
	for i := range p.pending {
		b := &p.pending[i]
		p.classify(b)
		if p.duplicate(b) {
			continue
		}
		if b.Rhythm && p.lastClip >= b.Offset {
			// The ADC clipped while this train was integrated: its level
			// is a lower bound, and weaker trains beside it may be
			// distortion products.
			b.Clipped = true
		}
		p.hold = append(p.hold, *b)
	}
	p.pending = p.pending[:0]
}

// footprintScore is the classifier's confidence when only a burst's size
// spoke for its class (the waveform checks need 3 dB or more).
const footprintScore = 0.5

// stepShadow is how long after a floor step footprint-only phone classes
// are withheld: about the noise floor's window.
const stepShadow = 1.0 // s

// strongSNR: single bursts this strong are remembered per bin, so that a
// rhythm train they explain is not reported again (on their own channel,
// its neighbours, which their skirts reach, or its IQ mirror).
const strongSNR = 6

// strongBins remembers, per bin of one centre, when the last strong single
// burst there ended and how strong it was.
type strongBins struct {
	end []int64
	pow []float32
}

func (p *Pipeline) markStrong(b *dsp.Burst) {
	sb := p.strong[b.Center]
	if sb == nil {
		n := p.ch.Size()
		sb = &strongBins{end: make([]int64, n), pow: make([]float32, n)}
		p.strong[b.Center] = sb
	}
	end := b.Offset + int64(b.Duration.Seconds()*p.rate)
	lo, hi := p.binOf(b.Center, b.FreqLow), p.binOf(b.Center, b.FreqHigh)
	for k := max(lo, 0); k <= min(hi, len(sb.end)-1); k++ {
		sb.end[k] = max(sb.end[k], end)
		sb.pow[k] = float32(b.PowerDBFS)
	}
}

func (p *Pipeline) binOf(center, f float64) int {
	n := p.ch.Size()
	return int(math.Round((f-center)/(p.rate/float64(n)))) + n/2
}

// explainRange is how far from a train (or its mirror) a strong burst
// explains it: its own channel and the next ones, which a strong burst's
// spectral skirts reach.
const explainRange = 300e3

// explained reports whether a rhythm train is accounted for by strong
// single bursts heard during its window near its frequency or its mirror.
func (p *Pipeline) explained(b *dsp.Burst) bool {
	sb := p.strong[b.Center]
	if sb == nil {
		return false
	}
	for _, f := range [2]float64{b.Freq, 2*b.Center - b.Freq} {
		lo, hi := p.binOf(b.Center, f-explainRange), p.binOf(b.Center, f+explainRange)
		for k := max(lo, 0); k <= min(hi, len(sb.end)-1); k++ {
			if sb.end[k] >= b.Offset && float64(sb.pow[k]) >= b.PowerDBFS+3 {
				return true
			}
		}
	}
	return false
}

// duplicate reports whether a burst with the same start and band is
// already held: two detections that grew into the same region (compared
// after classification, which refines the start).
func (p *Pipeline) duplicate(b *dsp.Burst) bool {
	bin := p.rate / float64(p.ch.Size())
	same := func(a *dsp.Burst) bool {
		return a.Offset == b.Offset && a.Rhythm == b.Rhythm && math.Abs(a.FreqLow-b.FreqLow) < bin && math.Abs(a.FreqHigh-b.FreqHigh) < bin
	}
	for i := range p.hold {
		if same(&p.hold[i]) {
			return true
		}
	}
	for i := range min(p.nrecent, len(p.recent)) {
		if same(&p.recent[i]) {
			return true
		}
	}
	return false
}

// imageHold is how long a burst waits for a stronger twin at its mirror
// frequency to be reported: the detector reports a burst a few frames after
// it ends, and a weaker twin can end a little earlier.
const imageHold = 2e-3 // s

// imageMarginDB: a burst this much weaker than a simultaneous burst at its
// mirror frequency is that burst's image. Dongles reject images by 25–35 dB;
// an ADC clipping on a near phone leaves them 15–20 dB down.
const imageMarginDB = 10

// release moves held bursts that have waited long enough (all, at the end
// of the stream) to the output, marking IQ images on the way.
func (p *Pipeline) release(all bool) {
	limit := p.now - int64(imageHold*p.rate)
	keep := p.hold[:0]
	for i := range p.hold {
		b := &p.hold[i]
		if !all && b.Offset+int64(b.Duration.Seconds()*p.rate) > limit {
			keep = append(keep, *b)
			continue
		}
		if b.Rhythm && p.explained(b) {
			p.stats.TrainsExplained++
			continue
		}
		if b.Class != dsp.ClassOverload {
			if kind := p.ghost(b); kind != "" {
				b.Class, b.Kind, b.Score = dsp.ClassInterference, kind, 0.8
			}
		}
		if !b.Rhythm && b.SNR >= strongSNR {
			p.markStrong(b)
		}
		p.out = append(p.out, *b)
		p.stats.Bursts[b.Class]++
		p.recent[p.nrecent%len(p.recent)] = *b
		p.nrecent++
	}
	p.hold = keep
}

// ghost reports whether b is made by a stronger burst it coincides with
// (held or recently released) rather than by a transmitter of its own:
// "image" when it mirrors that burst about the tuned centre (IQ
// imbalance), "clipping" when that burst clipped the ADC and b starts and
// ends with it (the 8-bit ADC's distortion products of a near phone land,
// aliased, anywhere in the window) and lies within its time span.
// Otherwise "".
func (p *Pipeline) ghost(b *dsp.Burst) string {
	mirror := 2*b.Center - b.Freq
	tol := math.Max(3*p.rate/float64(p.ch.Size()), b.Bandwidth()/4)
	s0 := b.Offset
	s1 := s0 + int64(b.Duration.Seconds()*p.rate)
	edge := int64(120e-6 * p.rate) // a frame or so of edge error
	kind := func(a *dsp.Burst) string {
		if a == b || a.Rhythm != b.Rhythm || a.Center != b.Center || a.PowerDBFS-b.PowerDBFS < imageMarginDB {
			return ""
		}
		a1 := a.Offset + int64(a.Duration.Seconds()*p.rate)
		if a.Offset >= s1 || a1 <= s0 {
			return ""
		}
		if math.Abs(a.Freq-mirror) <= tol {
			return "image"
		}
		if a.Clipped && s0 >= a.Offset-edge && s1 <= a1+edge {
			return "clipping"
		}
		return ""
	}
	for i := range p.hold {
		if k := kind(&p.hold[i]); k != "" {
			return k
		}
	}
	for i := range min(p.nrecent, len(p.recent)) {
		if k := kind(&p.recent[i]); k != "" {
			return k
		}
	}
	return ""
}

func (p *Pipeline) classify(b *dsp.Burst) {
	b.PowerDBm = b.PowerDBFS + p.cfg.CalOffsetDB
	if b.Class == dsp.ClassOverload || b.Rhythm {
		return
	}
	during := b.Kind == detect.KindDuringOverload
	// Raw samples of the burst with a frame on either side, if still in
	// the ring; of a long burst (continuous emitters) the first
	// classify.MaxSamples are enough.
	pad := int64(p.ch.Size())
	from := max(b.Offset-pad, p.ringEnd-ringSize)
	end := b.Offset + int64(b.Duration.Seconds()*p.rate+0.5)
	var f classify.Features
	if from <= b.Offset {
		n := min(min(end+pad, p.ringEnd)-from, classify.MaxSamples)
		f = p.cls.Classify(b, p.fromRing(from, n), int(b.Offset-from))
	} else if tail := min(end, p.ringEnd) - (p.ringEnd - ringSize); tail >= classify.MaxSamples {
		// A burst longer than the ring (a continuous emitter): its start
		// is gone, so judge it by its last classify.MaxSamples, as if
		// they were the whole burst, and keep its own span.
		keep := *b
		n := int64(classify.MaxSamples)
		b.Offset = min(end, p.ringEnd) - n
		b.Duration = time.Duration(float64(n) / p.rate * float64(time.Second))
		f = p.cls.Classify(b, p.fromRing(b.Offset, n), 0)
		keep.Class, keep.Kind, keep.Score = b.Class, b.Kind, b.Score
		*b = keep
	} else {
		f = p.cls.Classify(b, nil, 0)
	}
	end = b.Offset + int64(b.Duration.Seconds()*p.rate)
	if b.Class == dsp.ClassInterference && b.Kind == "step" {
		p.lastStep = end
	}
	switch {
	case during && !(b.Class.IsPhone() && b.Score > footprintScore):
		// Swamped receiver, and no handset waveform in it.
		b.Class, b.Kind = dsp.ClassOverload, detect.KindDuringOverload
	case !b.Class.IsPhone() || b.Score > footprintScore:
	case b.Offset-p.lastStep < int64(stepShadow*p.rate):
		// Right after the floor stepped, it is still adapting and
		// weak energy is not evidence of a phone unless the waveform
		// says so.
		b.Class, b.Kind = dsp.ClassUnknown, "after-step"
	case b.FreqLow < b.Center && b.Center < b.FreqHigh:
		// Weak energy across the tuned centre, where the DC spike and the
		// LO leakage wander past their mask: not a phone on its size
		// alone.
		b.Class, b.Kind = dsp.ClassInterference, "dc"
	}
	if p.cfg.OnClassify != nil {
		p.cfg.OnClassify(b, f)
	}
}

// fromRing returns n raw samples from stream index from (which must be in
// the ring), copied to the classifier's scratch when they wrap around.
func (p *Pipeline) fromRing(from, n int64) []complex64 {
	lo := from & (ringSize - 1)
	hi := (from + n) & (ringSize - 1)
	if lo < hi {
		return p.ring[lo:hi]
	}
	iq := p.cls.Scratch(int(n))
	k := copy(iq, p.ring[lo:])
	copy(iq[k:], p.ring[:hi])
	return iq
}

// Flush ends the bursts still open (at the end of a recording).
func (p *Pipeline) Flush(dst []dsp.Burst) []dsp.Burst {
	if p.det == nil {
		return dst
	}
	p.out = dst
	p.pending = p.det.Flush(p.pending)
	if p.comb != nil {
		p.pending = p.comb.Flush(p.pending)
	}
	p.finish()
	p.release(true)
	return p.out
}

// Stats returns counters since New.
func (p *Pipeline) Stats() Stats { return p.stats }

// Thresholds exposes the detector's resolved thresholds (nil before the
// first block).
func (p *Pipeline) Thresholds() []detect.TemplateInfo {
	if p.det == nil {
		return nil
	}
	return p.det.Thresholds()
}

// FloorDBFS is the noise level at centre, dBFS over the window (NaN until
// known).
func (p *Pipeline) FloorDBFS(center float64) float64 { return p.floor.LevelDBFS(center) }

// FrameDuration is the time between frames (0 before the first block).
func (p *Pipeline) FrameDuration() time.Duration {
	if p.det == nil {
		return 0
	}
	return time.Duration(p.det.FrameSeconds() * float64(time.Second))
}
