package pipeline

import (
	"fmt"
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
	// dBm = dBFS + CalOffsetDB.
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

	out     []dsp.Burst // bursts of the current call
	pending []dsp.Burst
	err     error
	stats   Stats
}

// Stats counts what the pipeline has seen.
type Stats struct {
	Samples int64
	Frames  int64
	Dropped int64
	Bursts  [8]int64 // by dsp.Class
}

// New checks cfg. The stages that depend on the sample rate are built on
// the first block.
func New(cfg Config) (*Pipeline, error) {
	ch, err := channelize.New(cfg.Channelizer)
	if err != nil {
		return nil, err
	}
	p := &Pipeline{cfg: cfg, ch: ch, ring: make([]complex64, ringSize)}
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
	for _, s := range b.Samples {
		p.ring[p.ringEnd&(ringSize-1)] = s
		p.ringEnd++
	}
	p.out = dst
	p.ch.Process(b, p)
	return p.out, p.err
}

// Frame is the channelizer's sink.
func (p *Pipeline) Frame(f *channelize.Frame) {
	p.stats.Frames++
	fl := p.floor.Floor(f.Center)
	inv, one, masked := p.floor.Normalizers(f.Center)
	start := len(p.pending)
	p.pending = p.det.Process(p.pending, f, detect.Normalizer{Floor: fl, Inv: inv, One: one, Masked: masked})
	if p.comb != nil && fl != nil {
		p.pending = p.comb.Process(p.pending, f, p.det.Cells(), fl, p.det.Overloaded())
	}
	p.floor.Update(f.Center, f.Rate, f.Power)
	if len(p.pending) > start {
		p.finish()
	}
}

// finish classifies pending bursts and moves them to the output.
func (p *Pipeline) finish() {
	for i := range p.pending {
		b := &p.pending[i]
		p.classify(b)
		p.out = append(p.out, *b)
		p.stats.Bursts[b.Class]++
	}
	p.pending = p.pending[:0]
}

func (p *Pipeline) classify(b *dsp.Burst) {
	b.PowerDBm = b.PowerDBFS + p.cfg.CalOffsetDB
	if b.Class == dsp.ClassOverload || b.Rhythm {
		return
	}
	// Raw samples of the burst, if still in the ring; of a long burst
	// (continuous emitters) the first classify.MaxSamples are enough.
	n := min(int64(b.Duration.Seconds()*p.rate+0.5), classify.MaxSamples)
	var iq []complex64
	if n > 0 && b.Offset >= p.ringEnd-ringSize && b.Offset+n <= p.ringEnd {
		lo := b.Offset & (ringSize - 1)
		hi := (b.Offset + n) & (ringSize - 1)
		if lo < hi {
			iq = p.ring[lo:hi]
		} else {
			iq = p.cls.Scratch(int(n))
			k := copy(iq, p.ring[lo:])
			copy(iq[k:], p.ring[:hi])
		}
	}
	f := p.cls.Features(b, iq)
	b.Class, b.Kind, b.Score = classify.Decide(f)
	if p.cfg.OnClassify != nil {
		p.cfg.OnClassify(b, f)
	}
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
