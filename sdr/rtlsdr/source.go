package rtlsdr

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// Source defaults.
const (
	// DefaultRate is 2.4 MS/s: the highest rate an RTL-SDR delivers
	// without drops on every host.
	DefaultRate = 2_400_000
	// DefaultSettle is how long after a retune blocks are marked Settling.
	// The R820T's PLL locks in about 1 ms; after SetCenterFreq, Tune also
	// flushes the dongle's FIFO (ResetBuffer), so what remains is the PLL
	// lock and the samples in flight in the USB transfer: 5 ms (12000
	// samples at 2.4 MS/s) covers both with margin.
	DefaultSettle = 5 * time.Millisecond
	// DefaultReadBytes is the size of one USB read: 256 KiB, 131072
	// samples, 55 ms at 2.4 MS/s (librtlsdr's default transfer size).
	DefaultReadBytes = 16 * 32 * 512
)

// SourceConfig says which dongle to open and how to set it up. Zero
// fields take the defaults given.
type SourceConfig struct {
	// Device names the dongle: "" or a decimal index ("0") opens by
	// index, "serial=XXXX" by USB serial string.
	Device string
	// Rate is the sample rate in Hz (default DefaultRate).
	Rate int
	// Freq is the initial center frequency in Hz (required).
	Freq int
	// ManualGain selects a fixed tuner gain, Gain, instead of the tuner's
	// automatic gain (the zero value). A detector measuring power needs a
	// fixed gain.
	ManualGain bool
	// Gain is the tuner gain in tenths of a dB when ManualGain is set;
	// the nearest gain the tuner supports is used (see NearestGain).
	Gain int
	// PPM is the crystal's frequency error in parts per million.
	PPM int
	// BiasTee powers an LNA through the coax.
	BiasTee bool
	// Settle is how long after each retune blocks are marked Settling
	// (default DefaultSettle).
	Settle time.Duration
	// ReadBytes is the size of one USB read in bytes, a multiple of 512
	// (default DefaultReadBytes).
	ReadBytes int
}

// device is what Source needs from a *Context, declared here so that the
// tests drive Source with a fake dongle.
type device interface {
	ReadSync(buf []byte) (int, error)
	SetCenterFreq(hz int) error
	ResetBuffer() error
	Close() error
}

// Source is an sdr.Source reading one dongle with sync reads. It is not
// safe for concurrent use.
type Source struct {
	dev    device
	name   string // how the dongle was named, for errors
	rate   float64
	center float64
	gain   float64 // dB, NaN with automatic gain
	settle int64   // samples marked Settling after a retune

	buf      []byte // one USB read, reused
	pos, end int    // undecoded bytes are buf[pos:end]

	anchor      bool      // set t0 from the clock at the next read
	t0          time.Time // time of sample 0
	samples     int64     // samples delivered since t0 (time base)
	settleUntil int64     // blocks starting before this sample are Settling
	seq         uint64
	closed      bool
}

// ParseDevice splits a SourceConfig.Device string into an index or a
// serial: "" and "0" are index 0, "3" index 3, "serial=00000001" the dongle
// with that USB serial.
func ParseDevice(s string) (index int, serial string, err error) {
	if v, ok := strings.CutPrefix(s, "serial="); ok {
		if v == "" {
			return -1, "", errors.New(`rtlsdr: device "serial=": empty serial`)
		}
		return -1, v, nil
	}
	if s == "" {
		return 0, "", nil
	}
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 {
		return -1, "", fmt.Errorf("rtlsdr: device %q: want an index (0, 1, …) or serial=SERIAL", s)
	}
	return i, "", nil
}

// OpenSource opens and configures the dongle cfg names: sample rate,
// frequency correction, gain, direct sampling off, center frequency, and a
// flushed FIFO. Blocks start when ReadBlock is first called. Without the
// rtlsdr build tag it returns ErrNotBuilt.
func OpenSource(cfg SourceConfig) (*Source, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	index, serial, err := ParseDevice(cfg.Device)
	if err != nil {
		return nil, err
	}
	if serial != "" {
		if index, err = GetIndexBySerial(serial); err != nil {
			return nil, err
		}
	}
	c, err := Open(index)
	if err != nil {
		return nil, err
	}
	gain, err := configure(c, &cfg)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("rtlsdr: set up device %q: %w", cfg.Device, err)
	}
	return newSource(c, cfg, float64(c.GetSampleRate()), gain), nil
}

// fill checks cfg and sets defaults.
func (cfg *SourceConfig) fill() error {
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.Settle == 0 {
		cfg.Settle = DefaultSettle
	}
	if cfg.ReadBytes == 0 {
		cfg.ReadBytes = DefaultReadBytes
	}
	switch {
	case cfg.Freq <= 0:
		return fmt.Errorf("rtlsdr: source: freq %d Hz: want a center frequency > 0", cfg.Freq)
	case cfg.Rate < 0:
		return fmt.Errorf("rtlsdr: source: rate %d Hz: want > 0", cfg.Rate)
	case cfg.Settle < 0:
		return fmt.Errorf("rtlsdr: source: settle %v: want ≥ 0", cfg.Settle)
	case cfg.ReadBytes < 0 || cfg.ReadBytes%512 != 0:
		return fmt.Errorf("rtlsdr: source: read size %d bytes: want a positive multiple of 512", cfg.ReadBytes)
	}
	return nil
}

// configure applies cfg to an open dongle and returns the tuner gain in
// force (dB, NaN for automatic gain).
func configure(c *Context, cfg *SourceConfig) (float64, error) {
	if err := c.SetSampleRate(cfg.Rate); err != nil {
		return 0, err
	}
	if err := c.SetFreqCorrection(cfg.PPM); err != nil {
		return 0, err
	}
	if err := c.SetDirectSampling(0); err != nil {
		return 0, err
	}
	if err := c.SetAgcMode(false); err != nil {
		return 0, err
	}
	gain := math.NaN()
	if cfg.ManualGain {
		gains, err := c.GetTunerGains()
		if err != nil {
			return 0, err
		}
		g := NearestGain(gains, cfg.Gain)
		if err := c.SetTunerGainMode(true); err != nil {
			return 0, err
		}
		if err := c.SetTunerGain(g); err != nil {
			return 0, err
		}
		gain = float64(g) / 10
	} else if err := c.SetTunerGainMode(false); err != nil {
		return 0, err
	}
	if cfg.BiasTee {
		if err := c.SetBiasTee(true); err != nil {
			return 0, err
		}
	}
	if err := c.SetCenterFreq(cfg.Freq); err != nil {
		return 0, err
	}
	return gain, c.ResetBuffer()
}

// newSource wraps an open, configured device. rate is the rate the device
// really runs at.
func newSource(dev device, cfg SourceConfig, rate, gain float64) *Source {
	if rate <= 0 {
		rate = float64(cfg.Rate)
	}
	return &Source{
		dev:    dev,
		name:   cfg.Device,
		rate:   rate,
		center: float64(cfg.Freq),
		gain:   gain,
		settle: int64(math.Ceil(cfg.Settle.Seconds() * rate)),
		buf:    make([]byte, cfg.ReadBytes),
		anchor: true,
		// The first blocks after opening are as stale as after a retune.
		settleUntil: int64(math.Ceil(cfg.Settle.Seconds() * rate)),
	}
}

// Rate is the sample rate in Hz.
func (s *Source) Rate() float64 { return s.rate }

// Center is the tuned center frequency in Hz.
func (s *Source) Center() float64 { return s.center }

// Gain is the fixed tuner gain in dB, NaN with automatic gain.
func (s *Source) Gain() float64 { return s.gain }

// Tune retunes to centerHz and flushes the dongle's FIFO. Blocks whose
// first sample is less than the settle time (SourceConfig.Settle) after
// the retune are marked Settling: the PLL is still locking and a USB
// transfer may still hold samples from the old frequency.
func (s *Source) Tune(centerHz float64) error {
	if s.closed {
		return ErrClosed
	}
	if err := s.dev.SetCenterFreq(int(math.Round(centerHz))); err != nil {
		return fmt.Errorf("rtlsdr: tune device %q to %.0f Hz: %w", s.name, centerHz, err)
	}
	if err := s.dev.ResetBuffer(); err != nil {
		return fmt.Errorf("rtlsdr: tune device %q: %w", s.name, err)
	}
	s.center = centerHz
	s.pos, s.end = 0, 0 // bytes read before the retune
	s.settleUntil = s.samples + s.settle
	// Samples are lost while the FIFO is flushed: take the time base
	// from the clock again.
	s.anchor = true
	return nil
}

// maxEmptyReads bounds how many reads in a row may return no sample before
// ReadBlock gives up (a real dongle blocks until it has data).
const maxEmptyReads = 16

// ReadBlock fills b.Samples[:cap(b.Samples)] from the dongle, reading USB
// transfers of SourceConfig.ReadBytes as needed, and sets the block's
// fields. Time is counted from a sample counter: at the first read after
// opening or retuning, the clock gives the time of that read's first
// sample (now − samples read / rate); later blocks add samples/rate, so
// times stay exact relative to each other however the reads are
// scheduled. Samples the dongle drops between sync reads are not seen
// (Dropped stays 0). It allocates nothing.
func (s *Source) ReadBlock(b *sdr.Block) error {
	if s.closed {
		return ErrClosed
	}
	want := cap(b.Samples)
	if want == 0 {
		return sdr.ErrNoBuffer
	}
	out := b.Samples[:want]
	n, empty := 0, 0
	for n < want {
		if s.end-s.pos < 2 {
			m, err := s.dev.ReadSync(s.buf)
			if err != nil {
				return fmt.Errorf("rtlsdr: read device %q: %w", s.name, err)
			}
			m &^= 1 // whole samples only; a real read is a multiple of 512
			if m == 0 {
				if empty++; empty >= maxEmptyReads {
					return fmt.Errorf("rtlsdr: read device %q: %d reads in a row returned no sample", s.name, empty)
				}
				continue
			}
			empty = 0
			if s.anchor {
				// The read's first sample was taken m/2 samples
				// before now; it is sample s.samples+n.
				// Time never runs backwards: a read that returns
				// faster than real time (a fake, a backlog) cannot put
				// it before the end of the previous block.
				first := s.samples + int64(n)
				t0 := time.Now().Add(-s.dur(first + int64(m/2)))
				if s.seq > 0 && t0.Before(s.t0) {
					t0 = s.t0
				}
				s.t0, s.anchor = t0, false
			}
			s.pos, s.end = 0, m
		}
		k := sdr.CU8.Decode(out[n:], s.buf[s.pos:s.end])
		s.pos += 2 * k
		n += k
	}
	b.Samples = out[:n]
	b.Center = s.center
	b.Rate = s.rate
	b.Time = s.t0.Add(s.dur(s.samples))
	b.Seq = s.seq
	b.Dropped = 0
	b.Settling = s.samples < s.settleUntil
	s.samples += int64(n)
	s.seq++
	return nil
}

// dur is the time n samples span.
func (s *Source) dur(n int64) time.Duration {
	return time.Duration(float64(n) / s.rate * float64(time.Second))
}

// Close releases the dongle.
func (s *Source) Close() error {
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	return s.dev.Close()
}
