// Package selftest checks, when a sensor starts, that its receiver can do
// the job: the sample rate it delivers (counted against the clock), the
// ADC not clipping at the configured gain, a noise floor in the range an
// 8-bit dongle gives when it works, and samples that move at all. Each
// check says pass, warn or fail, with the figure measured; the sensor
// refuses to start only when nothing useful could run.
package selftest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/cellsentry/cellsentry/dsp/channelize"
	"github.com/cellsentry/cellsentry/dsp/noise"
	"github.com/cellsentry/cellsentry/sdr"
)

// Status is a check's verdict.
type Status string

// The verdicts.
const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Check is one line of the report.
type Check struct {
	Name   string  `json:"name"`
	Status Status  `json:"status"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Detail string  `json:"detail"`
}

// Report is the outcome.
type Report struct {
	Checks  []Check `json:"checks"`
	Samples int64   `json:"samples"`
	Seconds float64 `json:"seconds"`
}

// OK reports whether nothing failed: the sensor can start.
func (r Report) OK() bool {
	for _, c := range r.Checks {
		if c.Status == Fail {
			return false
		}
	}
	return true
}

// Options set the test. Zero fields take defaults.
type Options struct {
	Duration time.Duration // default 2 s of samples
	// Realtime says the source delivers at the pace of the air (a dongle,
	// rtl_tcp), so the delivered rate can be checked against the clock.
	Realtime bool
	Now      func() time.Time
}

// Limits the checks use.
const (
	rateTolerance = 0.02  // delivered rate within 2 % of the nominal
	clipWarn      = 1e-4  // fraction of samples at full scale
	clipFail      = 0.5   // most samples clipped: the receiver hears nothing
	floorLow      = -75.0 // dBFS over the window: below, the signal chain is dead or the gain far too low
	floorHigh     = -12.0 // dBFS: above, the window is swamped
)

// Run reads opt.Duration of samples from src (Rate is its nominal rate)
// and checks them.
func Run(ctx context.Context, src sdr.Source, rate float64, opt Options) (Report, error) {
	if opt.Duration == 0 {
		opt.Duration = 2 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	ch, err := channelize.New(channelize.Config{})
	if err != nil {
		return Report{}, err
	}
	fl, err := noise.New(noise.Config{Bins: ch.Size()})
	if err != nil {
		return Report{}, err
	}
	var rep Report
	want := int64(opt.Duration.Seconds() * rate)
	buf := make([]complex64, 1<<15)
	blk := sdr.Block{Samples: buf}
	var clipped, n int64
	var sum, sumSq complex128
	var center float64
	sink := floorSink{fl}
	start := opt.Now()
	var first time.Time
	var firstSamples int64
	for rep.Samples < want {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		blk.Samples = buf
		err := src.ReadBlock(&blk)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return rep, fmt.Errorf("selftest: read: %w", err)
		}
		rep.Samples += int64(len(blk.Samples)) + blk.Dropped
		if first.IsZero() {
			// The clock starts once the first block is in: its samples
			// came before, so they are left out of the count too.
			first = opt.Now()
			firstSamples = rep.Samples
		}
		if blk.Settling {
			continue
		}
		center = blk.Center
		for _, v := range blk.Samples {
			re, im := real(v), imag(v)
			if re >= channelize.ClipLevel || re <= -channelize.ClipLevel || im >= channelize.ClipLevel || im <= -channelize.ClipLevel {
				clipped++
			}
			c := complex128(v)
			sum += c
			sumSq += complex(real(c)*real(c)+imag(c)*imag(c), 0)
		}
		n += int64(len(blk.Samples))
		ch.Process(&blk, sink)
	}
	rep.Seconds = opt.Now().Sub(start).Seconds()

	// Samples delivered at all, and the rate.
	switch {
	case rep.Samples == 0:
		rep.Checks = append(rep.Checks, Check{"samples", Fail, 0, "samples", "the source delivered nothing"})
		return rep, nil
	case !opt.Realtime:
		rep.Checks = append(rep.Checks, Check{"sample rate", Skip, rate, "S/s", "not a live source: delivered as fast as read"})
	default:
		el := opt.Now().Sub(first).Seconds()
		got := float64(rep.Samples-firstSamples) / math.Max(el, 1e-9)
		st := Pass
		if math.Abs(got/rate-1) > rateTolerance {
			st = Fail
		}
		rep.Checks = append(rep.Checks, Check{"sample rate", st, got, "S/s", fmt.Sprintf("nominal %.0f S/s, delivered %.0f S/s", rate, got)})
	}
	// Samples that move: an unplugged tuner or a stuck ADC gives a constant.
	if n > 0 {
		mean := sum / complex(float64(n), 0)
		variance := real(sumSq)/float64(n) - (real(mean)*real(mean) + imag(mean)*imag(mean))
		st, det := Pass, "samples vary"
		if variance < 1e-7 {
			st, det = Fail, "samples are constant: the tuner or the ADC is stuck"
		}
		rep.Checks = append(rep.Checks, Check{"signal", st, variance, "FS²", det})
	}
	// Clipping at this gain.
	frac := float64(clipped) / math.Max(float64(n), 1)
	st := Pass
	det := "no clipping at this gain"
	switch {
	case frac >= clipFail:
		st, det = Fail, "most samples at full scale: lower the gain, or a jammer is on"
	case frac >= clipWarn:
		st, det = Warn, "the ADC clips: lower the gain a step"
	}
	rep.Checks = append(rep.Checks, Check{"clipping", st, frac, "of samples", det})
	// Noise floor.
	level := fl.LevelDBFS(center)
	switch {
	case math.IsNaN(level):
		rep.Checks = append(rep.Checks, Check{"noise floor", Warn, 0, "dBFS", "too few samples to learn a floor"})
	case level < floorLow:
		rep.Checks = append(rep.Checks, Check{"noise floor", Fail, level, "dBFS", "below what a working dongle gives: no antenna signal chain, or gain far too low"})
	case level > floorHigh:
		rep.Checks = append(rep.Checks, Check{"noise floor", Warn, level, "dBFS", "the whole window is lifted: gain too high or strong interference"})
	default:
		rep.Checks = append(rep.Checks, Check{"noise floor", Pass, level, "dBFS", "in the range of a working dongle"})
	}
	return rep, nil
}

type floorSink struct{ fl *noise.Floor }

func (s floorSink) Frame(f *channelize.Frame) { s.fl.Update(f.Center, f.Rate, f.Power) }
