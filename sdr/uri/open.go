package uri

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/resilient"
	"github.com/cellsentry/cellsentry/sdr/rtlsdr"
	"github.com/cellsentry/cellsentry/sdr/rtltcp"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// Source is what Open returns for every kind of URI: blocks, and the tuning
// a recorder or a server needs to know and change. *rtlsdr.Source,
// *rtltcp.Client and *sim.Source satisfy it as they are; recordings are
// wrapped so that Tune fails with ErrNotTunable.
type Source interface {
	sdr.Source
	// Tune retunes to hz (Hz). Blocks after it carry the new Center and
	// may be Settling.
	Tune(hz float64) error
	// Rate is the sample rate, samples/s.
	Rate() float64
	// Center is the current center frequency, Hz (0 when unknown, as for
	// a raw recording whose name does not say it).
	Center() float64
}

// ErrNotTunable is wrapped by the Tune of a recording: its samples were
// taken at one frequency and no call can change that.
var ErrNotTunable = errors.New("a recording cannot be retuned")

// Open opens the source s names and applies its radio settings where the
// kind allows them:
//
//   - rtlsdr: freq (required), rate, gain (tenths of dB to librtlsdr,
//     nearest step), ppm (rounded to whole ppm) go to rtlsdr.SourceConfig.
//     Without the rtlsdr build tag the error wraps rtlsdr.ErrNotBuilt.
//   - rtltcp: freq, rate, gain, ppm go to rtltcp.Options, sent on connect;
//     the client reconnects on its own when the server drops. gain=0 means
//     automatic gain there, as rtl_tcp's -g 0. ctx bounds the first dial.
//   - sim: seed replaces the scene's seed, sensor picks the sensor (default
//     the first), rate replaces the scene's rate, gain the sensor's gain,
//     ppm is a correction applied to the simulated crystal (its residual
//     error is the dongle's PPM minus ppm), and freq retunes after opening,
//     like a dongle: the first blocks then are Settling.
//   - file: a raw file (.cu8 .cs8 .cs16 .cf32 .bin .raw .cfile) takes rate
//     and freq when its name does not give them (and they override the
//     name); a SigMF recording's metadata says everything, so any radio
//     setting is an error, as gain and ppm are for every recording.
//
// Every error names the URI.
func Open(ctx context.Context, s Spec) (Source, error) {
	return OpenWith(ctx, s, Options{})
}

// Event is something that happened to a live source after it opened: a
// dongle or an rtl_tcp connection lost, an attempt to get it back failed,
// and it back. A daemon reports these at once (a blind sensor is a
// security event) rather than waiting for samples to be missed.
type Event struct {
	Kind string        // "lost", "retrying", "back"
	Err  error         // why it was lost, or why the attempt failed
	Gap  time.Duration // back: the time without samples, when known
}

// Options are the hooks of OpenWith.
type Options struct {
	// OnEvent, if set, is called from the source's own goroutine for
	// every Event of a dongle or an rtl_tcp connection; it must not block.
	OnEvent func(Event)
}

// OpenWith is Open with hooks.
func OpenWith(ctx context.Context, s Spec, opt Options) (Source, error) {
	src, err := open(ctx, s, opt)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s, err)
	}
	return src, nil
}

func open(ctx context.Context, s Spec, opt Options) (Source, error) {
	switch s.Kind {
	case RTLSDR:
		return openRTLSDR(ctx, s, opt)
	case RTLTCP:
		return openRTLTCP(ctx, s, opt)
	case Sim:
		return openSim(s)
	case File:
		return openFile(s)
	}
	return nil, fmt.Errorf("unknown kind %q (known: rtlsdr, rtltcp, file, sim)", s.Kind)
}

// tenths converts a gain in dB to the tenths of dB librtlsdr and rtl_tcp
// count in.
func tenths(db float64) int { return int(math.Round(db * 10)) }

func openRTLSDR(ctx context.Context, s Spec, opt Options) (Source, error) {
	if !rtlsdr.Built {
		// Say how to rebuild before complaining about parameters the
		// binary could not use anyway.
		return nil, rtlsdr.ErrNotBuilt
	}
	if s.Freq == 0 {
		return nil, errors.New("a dongle needs a frequency (freq=902.4M)")
	}
	cfg := rtlsdr.SourceConfig{
		Device: strconv.Itoa(s.Index),
		Rate:   int(math.Round(s.Rate)),
		Freq:   int(math.Round(s.Freq)),
		PPM:    int(math.Round(s.PPM)),
	}
	if s.Serial != "" {
		cfg.Device = "serial=" + s.Serial
	}
	if s.GainSet && !s.GainAuto {
		cfg.ManualGain, cfg.Gain = true, tenths(s.Gain)
	}
	// Open once now, so that a wrong serial or a missing dongle is said at
	// once; after that the dongle may come and go: the resilient reader
	// reopens it (at the frequency last tuned) whenever it is lost.
	first, err := rtlsdr.OpenSource(cfg)
	if err != nil {
		return nil, err
	}
	opened := false
	r := resilient.New(ctx, func(context.Context) (resilient.Source, error) {
		if !opened {
			opened = true
			return first, nil
		}
		return rtlsdr.OpenSource(cfg)
	}, resilient.Options{OnEvent: resilientEvents(opt.OnEvent)})
	r.Tune(s.Freq)
	return dongle{r, first.Rate()}, nil
}

// resilientEvents translates the resilient reader's events.
func resilientEvents(on func(Event)) func(resilient.Event) {
	if on == nil {
		return nil
	}
	return func(e resilient.Event) {
		switch e.Kind {
		case resilient.Lost:
			on(Event{Kind: "lost", Err: e.Err})
		case resilient.Retrying:
			on(Event{Kind: "retrying", Err: e.Err})
		case resilient.Reopened:
			on(Event{Kind: "back", Gap: e.Gap})
		}
	}
}

// dongle is a resilient reader over a USB dongle, with the rate it was
// opened at.
type dongle struct {
	*resilient.Reader
	rate float64
}

func (d dongle) Rate() float64 { return d.rate }

func openRTLTCP(ctx context.Context, s Spec, opt Options) (Source, error) {
	o := rtltcp.Options{
		Center:     s.Freq,
		SampleRate: s.Rate,
		PPM:        int(math.Round(s.PPM)),
		Reconnect:  true,
	}
	if on := opt.OnEvent; on != nil {
		rate := s.Rate
		if rate == 0 {
			rate = 2.4e6
		}
		o.OnEvent = func(e rtltcp.Event) {
			switch e.Kind {
			case rtltcp.Disconnected:
				on(Event{Kind: "lost", Err: e.Err})
			case rtltcp.Reconnected:
				on(Event{Kind: "back", Gap: time.Duration(float64(e.Gap) / rate * float64(time.Second))})
			}
		}
	}
	if s.GainSet && !s.GainAuto {
		// rtl_tcp reads a gain of 0 as "automatic"; 0.1 dB asks for the
		// lowest manual step instead.
		o.Gain = max(tenths(s.Gain), 1)
	}
	c, err := rtltcp.Dial(ctx, s.Addr, o)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func openSim(s Spec) (Source, error) {
	var sc *sim.Scene
	var err error
	if strings.HasSuffix(s.Path, ".yaml") || strings.HasSuffix(s.Path, ".yml") {
		sc, err = sim.Load(s.Path)
	} else {
		sc, err = sim.Builtin(s.Path)
	}
	if err != nil {
		return nil, err
	}
	if s.SeedSet {
		sc.Seed = s.Seed
	}
	if s.Rate != 0 {
		sc.Rate = s.Rate
	}
	if len(sc.Sensors) == 0 {
		return nil, fmt.Errorf("scene %s has no sensor", sc.Name)
	}
	i := 0
	if s.Sensor != "" {
		i = -1
		ids := make([]string, len(sc.Sensors))
		for k, sn := range sc.Sensors {
			ids[k] = sn.ID
			if sn.ID == s.Sensor {
				i = k
			}
		}
		if i < 0 {
			return nil, fmt.Errorf("sensor=%s: scene %s has no such sensor (it has %s)", s.Sensor, sc.Name, strings.Join(ids, ", "))
		}
	}
	sn := &sc.Sensors[i]
	if s.GainSet {
		if s.GainAuto {
			return nil, errors.New("gain=auto: a simulated dongle has no automatic gain; give dB")
		}
		sn.Gain = s.Gain
	}
	if s.PPM != 0 {
		d := sim.DefaultDongle()
		if sn.Dongle != nil {
			c := *sn.Dongle // the scene is a fresh copy, but keep its dongle unshared
			d = &c
		}
		// A correction of ppm moves the LO by −ppm·1e-6·fc, so what is
		// left of the crystal's error is PPM − ppm.
		d.PPM -= s.PPM
		sn.Dongle = d
	}
	src, err := sc.Open(sn.ID)
	if err != nil {
		return nil, err
	}
	if s.Freq != 0 {
		if err := src.Tune(s.Freq); err != nil {
			src.Close()
			return nil, err
		}
	}
	return src, nil
}

func openFile(s Spec) (Source, error) {
	if s.GainSet || s.PPM != 0 {
		return nil, errors.New("gain and ppm cannot be changed in a recording")
	}
	var r *sigmf.Reader
	var err error
	if _, raw := sdr.FormatFromExt(filepath.Ext(s.Path)); raw {
		r, err = sigmf.OpenRaw(s.Path, sigmf.RawOptions{SampleRate: s.Rate, Frequency: s.Freq})
	} else {
		if s.Rate != 0 || s.Freq != 0 {
			return nil, errors.New("freq and rate are for raw files; a SigMF recording's metadata gives them")
		}
		r, err = sigmf.Open(s.Path)
	}
	if err != nil {
		return nil, err
	}
	m := r.Meta()
	return &recording{Reader: r, uri: s.String(), rate: m.SampleRate, center: m.Captures[0].Frequency}, nil
}

// recording adapts a sigmf.Reader to Source.
type recording struct {
	*sigmf.Reader
	uri          string
	rate, center float64
}

// Tune refuses: the samples were taken at the recorded frequency.
func (r *recording) Tune(hz float64) error {
	return fmt.Errorf("source %s: tune to %.0f Hz: %w", r.uri, hz, ErrNotTunable)
}

// Rate is the recording's sample rate, samples/s.
func (r *recording) Rate() float64 { return r.rate }

// Center is the frequency of the recording's first capture, Hz (0 when
// the recording does not say).
func (r *recording) Center() float64 { return r.center }
