package channelize

import (
	"fmt"
	"math"
	"time"

	"github.com/cellsentry/cellsentry/dsp/fft"
	"github.com/cellsentry/cellsentry/sdr"
)

// Config sets the frame geometry. Zero fields take defaults.
type Config struct {
	Size   int    // FFT size, a power of two in [16, 8192]; default 256
	Hop    int    // samples from one frame start to the next, 1..Size; default Size
	Window string // "tukey" (α=0.5, default), "hann", "blackman-harris", "rect"
}

// Default frame geometry; see the package doc for why.
const (
	DefaultSize   = 256
	DefaultWindow = "tukey"
)

// ClipLevel is the magnitude of I or Q at or beyond which a sample counts as
// clipped: the cu8 codes 0 and 255 decode to ±1, 1 and 254 to ±0.992.
const ClipLevel = 0.99

// Frame is one row of the time × frequency grid. The channelizer owns Power
// and reuses it for the next frame: consumers copy what they keep.
type Frame struct {
	Power  []float32 // per bin, frequency order, bin Size/2 at Center
	Index  int64     // frame number since the stream began
	Offset int64     // stream sample index of the frame's first sample (drops included)
	Center float64   // tuned centre, Hz
	Rate   float64   // sample rate, Hz
	Time   time.Time // time of the frame's first sample
	// Clipped counts samples of the frame whose I or Q reached ClipLevel.
	Clipped int
	// Reset marks the first frame after a discontinuity (retune, dropped
	// samples, a settling block): state built on earlier frames does not apply.
	Reset bool
}

// BinHz is the width of one bin.
func (f *Frame) BinHz() float64 { return f.Rate / float64(len(f.Power)) }

// FreqOf returns the absolute centre frequency of bin k.
func (f *Frame) FreqOf(k int) float64 {
	return f.Center + (float64(k)-float64(len(f.Power)/2))*f.BinHz()
}

// Sink receives frames. The frame is only valid during the call.
type Sink interface {
	Frame(*Frame)
}

// Channelizer cuts blocks into windowed FFT frames. It is not safe for
// concurrent use.
type Channelizer struct {
	size, hop int
	win       []float32
	norm      float32 // 1/(N·Σw²)
	fft       *fft.FFT

	buf   []complex64 // samples of the frame being filled
	fill  int         // samples in buf
	work  []complex64 // windowed input
	spec  []complex64 // FFT output (out of place: in place costs a reordering pass)
	frame Frame

	// stream position
	next    int64 // stream sample index of the next sample to arrive
	started bool
	center  float64
	rate    float64
	// buf[0] was taken bufPos samples after bufBase, the time of the block
	// in which buf was last empty: a sample count, so that sliding by Hop
	// adds no rounding error per frame (adding Hop/Rate as a Duration lost
	// up to 1 ns a frame: 6 µs per second at Hop 128).
	bufBase time.Time
	bufPos  int64
	reset   bool
}

// New validates cfg, fills defaults and allocates everything the channelizer
// will ever need.
func New(cfg Config) (*Channelizer, error) {
	if cfg.Size == 0 {
		cfg.Size = DefaultSize
	}
	if cfg.Size < 16 || cfg.Size > 8192 || cfg.Size&(cfg.Size-1) != 0 {
		return nil, fmt.Errorf("channelize: size %d: must be a power of two from 16 to 8192", cfg.Size)
	}
	if cfg.Hop == 0 {
		cfg.Hop = cfg.Size
	}
	if cfg.Hop < 1 || cfg.Hop > cfg.Size {
		return nil, fmt.Errorf("channelize: hop %d: must be from 1 to the size %d", cfg.Hop, cfg.Size)
	}
	if cfg.Window == "" {
		cfg.Window = DefaultWindow
	}
	win, err := Window(cfg.Window, cfg.Size)
	if err != nil {
		return nil, fmt.Errorf("channelize: %w", err)
	}
	f, err := fft.New(cfg.Size)
	if err != nil {
		return nil, fmt.Errorf("channelize: %w", err)
	}
	var sw float64
	for _, w := range win {
		sw += float64(w) * float64(w)
	}
	c := &Channelizer{
		size: cfg.Size,
		hop:  cfg.Hop,
		win:  win,
		norm: float32(1 / (float64(cfg.Size) * sw)),
		fft:  f,
		buf:  make([]complex64, cfg.Size),
		work: make([]complex64, cfg.Size),
		spec: make([]complex64, cfg.Size),
	}
	c.frame.Power = make([]float32, cfg.Size)
	return c, nil
}

// Size is the FFT size (bins per frame).
func (c *Channelizer) Size() int { return c.size }

// Hop is the number of samples between frame starts.
func (c *Channelizer) Hop() int { return c.hop }

// Window names the supported windows.
var windowNames = []string{"tukey", "hann", "blackman-harris", "rect"}

// Window returns the named window of length n (periodic form, as used for
// spectral analysis).
func Window(name string, n int) ([]float32, error) {
	w := make([]float32, n)
	for i := range w {
		x := float64(i) / float64(n) // periodic: the next frame's first sample is x=1
		var v float64
		switch name {
		case "rect":
			v = 1
		case "hann":
			v = 0.5 - 0.5*math.Cos(2*math.Pi*x)
		case "blackman-harris":
			v = 0.35875 - 0.48829*math.Cos(2*math.Pi*x) + 0.14128*math.Cos(4*math.Pi*x) - 0.01168*math.Cos(6*math.Pi*x)
		case "tukey":
			// α = 0.5: cosine tapers over the first and last quarter, flat
			// between. Keeps 74 % of the samples' statistical weight where
			// Hann keeps 51 % (see TestWindowChoice), with sidelobes
			// falling as fast as Hann's far from the main lobe.
			const alpha = 0.5
			switch {
			case x < alpha/2:
				v = 0.5 - 0.5*math.Cos(2*math.Pi*x/alpha)
			case x > 1-alpha/2:
				v = 0.5 - 0.5*math.Cos(2*math.Pi*(1-x)/alpha)
			default:
				v = 1
			}
		default:
			return nil, fmt.Errorf("unknown window %q (known: %v)", name, windowNames)
		}
		w[i] = float32(v)
	}
	return w, nil
}

// Process cuts b into frames and hands each to sink. Samples left over at
// the end of b are kept for the next block when that block continues the
// same tuning without a gap; a retune, a drop or a settling block starts the
// framing afresh. Process never allocates.
func (c *Channelizer) Process(b *sdr.Block, sink Sink) {
	if b.Settling {
		// Stale samples from before a retune: skip them, but keep the stream
		// position honest.
		c.next += int64(len(b.Samples)) + b.Dropped
		c.fill = 0
		c.reset = true
		return
	}
	if !c.started || b.Center != c.center || b.Rate != c.rate || b.Dropped > 0 {
		c.next += b.Dropped
		c.fill = 0
		c.reset = true
		c.started = true
		c.center, c.rate = b.Center, b.Rate
	}
	s := b.Samples
	pos := 0 // index in s of the next sample to take
	for pos < len(s) {
		if c.fill == 0 && c.hop == c.size && pos+c.size <= len(s) {
			// Whole frames inside the block: window them straight from
			// the caller's samples, no copy.
			c.bufBase, c.bufPos = b.Time, int64(pos)
			pos += c.size
			c.emit(sink, s[pos-c.size:pos], c.next+int64(pos)-int64(c.size))
			continue
		}
		if c.fill == 0 {
			// buf[0] is s[pos]
			c.bufBase, c.bufPos = b.Time, int64(pos)
		}
		n := copy(c.buf[c.fill:], s[pos:])
		c.fill += n
		pos += n
		if c.fill < c.size {
			break
		}
		c.emit(sink, c.buf[:c.size], c.next+int64(pos)-int64(c.size))
		// Slide by hop.
		if c.hop == c.size {
			c.fill = 0
		} else {
			copy(c.buf, c.buf[c.hop:])
			c.fill = c.size - c.hop
			c.bufPos += int64(c.hop)
		}
	}
	c.next += int64(len(s))
}

// emit windows one frame's samples (len Size), transforms them and hands
// the powers to sink; it also counts the clipped samples.
func (c *Channelizer) emit(sink Sink, in []complex64, offset int64) {
	in = in[:c.size]
	work := c.work[:c.size]
	// Window the samples, noting the largest |I| or |Q|: only a frame that
	// reaches the clip level needs its clipped samples counted one by one.
	clipped := 0
	if windowMax(work, in, c.win[:c.size]) >= ClipLevel {
		clipped = countClipped(in)
	}
	spec := c.spec[:c.size]
	c.fft.Transform(spec, work)
	// FFT-shift while taking power: output bin k is frequency bin k−N/2.
	powerShift(c.frame.Power[:c.size], spec, c.norm)
	f := &c.frame
	f.Offset = offset
	f.Center = c.center
	f.Rate = c.rate
	f.Time = c.bufBase.Add(time.Duration(float64(c.bufPos) / c.rate * float64(time.Second)))
	f.Clipped = clipped
	f.Reset = c.reset
	c.reset = false
	sink.Frame(f)
	f.Index++
}
