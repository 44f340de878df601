package eval

import (
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/pipeline"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// Truth is one emission and how the sensor received it.
type Truth struct {
	sim.Emission
	Rx sim.Reception
}

// Outcome is what one render produced.
type Outcome struct {
	Bursts  []dsp.Burst
	Truth   []Truth
	Rate    float64
	Seconds float64
}

// Run renders sc as sensor hears it and runs the pipeline over it.
func Run(sc *sim.Scene, sensor string, cfg pipeline.Config) (*Outcome, error) {
	src, err := sc.Open(sensor)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Rate: src.Rate()}
	src.OnEmission = func(e sim.Emission, r sim.Reception) {
		out.Truth = append(out.Truth, Truth{e, r})
	}
	p, err := pipeline.New(cfg)
	if err != nil {
		return nil, err
	}
	buf := make([]complex64, 1<<16)
	blk := sdr.Block{Samples: buf}
	var n int64
	for {
		blk.Samples = buf
		err := src.ReadBlock(&blk)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		n += int64(len(blk.Samples)) + blk.Dropped
		if out.Bursts, err = p.Process(out.Bursts, &blk); err != nil {
			return nil, err
		}
	}
	out.Bursts = p.Flush(out.Bursts)
	if err := src.Close(); err != nil {
		return nil, err
	}
	out.Seconds = float64(n) / out.Rate
	return out, nil
}

// span is a burst's time extent in seconds from the stream start.
func span(b *dsp.Burst, rate float64) (float64, float64) {
	s := float64(b.Offset) / rate
	return s, s + b.Duration.Seconds()
}

// Slack for matching: the detector reports edges to a frame or so, and the
// dongle's ppm error moves frequencies by tens of kHz.
const (
	timeSlack = 0.3e-3
	freqSlack = 60e3
)

// Matches reports whether burst b covers emission e.
func Matches(b *dsp.Burst, e *sim.Emission, rate float64) bool {
	s, t := span(b, rate)
	if t < e.Start-timeSlack || s > e.Start+e.Duration+timeSlack {
		return false
	}
	if e.Freq == 0 { // broadband (impulse, floor step)
		return true
	}
	lo, hi := e.Freq-e.Bandwidth/2, e.Freq+e.Bandwidth/2
	return b.FreqHigh >= lo-freqSlack && b.FreqLow <= hi+freqSlack
}

// Score summarises an outcome for the emissions of one class.
type Score struct {
	Emissions int // visible emissions
	Detected  int // covered by at least one single-burst detection
	ClassOK   int // … whose class is the emission's
	// False counts detections that cover no emission at all; Phone counts
	// detections classified as a phone (gsm, lte, umts).
	False, Phone int
	FalsePhone   int               // false detections classified as a phone
	ByClass      map[dsp.Class]int // classes of the detections
}

// Pd is the fraction of emissions detected.
func (s Score) Pd() float64 {
	if s.Emissions == 0 {
		return math.NaN()
	}
	return float64(s.Detected) / float64(s.Emissions)
}

// ClassAccuracy is the fraction of detected emissions classified right.
func (s Score) ClassAccuracy() float64 {
	if s.Detected == 0 {
		return math.NaN()
	}
	return float64(s.ClassOK) / float64(s.Detected)
}

// Evaluate matches single-burst detections (not rhythm trains) with the
// visible emissions the keep function selects.
func (o *Outcome) Evaluate(keep func(*Truth) bool) Score {
	s := Score{ByClass: map[dsp.Class]int{}}
	for i := range o.Bursts {
		b := &o.Bursts[i]
		if b.Rhythm {
			continue
		}
		s.ByClass[b.Class]++
		if b.Class.IsPhone() {
			s.Phone++
		}
		hit := false
		for j := range o.Truth {
			if Matches(b, &o.Truth[j].Emission, o.Rate) {
				hit = true
				break
			}
		}
		if !hit {
			s.False++
			if b.Class.IsPhone() {
				s.FalsePhone++
			}
		}
	}
	for j := range o.Truth {
		t := &o.Truth[j]
		if !t.Rx.Visible || (keep != nil && !keep(t)) {
			continue
		}
		s.Emissions++
		found, ok := false, false
		for i := range o.Bursts {
			b := &o.Bursts[i]
			if b.Rhythm || !Matches(b, &t.Emission, o.Rate) {
				continue
			}
			found = true
			if b.Class.String() == t.Class.String() {
				ok = true
			}
		}
		if found {
			s.Detected++
		}
		if ok {
			s.ClassOK++
		}
	}
	return s
}

// BurstScene is a scene of isolated test bursts of one kind at one SNR:
// count of them, about 20 ms apart, on random channels across the window
// of a sensor tuned to 900 MHz with the given dongle (nil: the default
// dongle with all its artifacts).
func BurstScene(kind sim.Kind, nprb int, snr float64, count int, seed uint64, d *sim.Dongle) *sim.Scene {
	if d == nil {
		d = sim.DefaultDongle()
	}
	interval := 20 * time.Millisecond
	dur := time.Duration(count)*interval + 1500*time.Millisecond
	return &sim.Scene{
		Name: fmt.Sprintf("%v-%gdB", kind, snr), Seed: seed, Duration: dur,
		Sensors: []sim.Sensor{{ID: "s", Center: 900e6, Dongle: d}},
		Emitters: []sim.Emitter{{
			ID: "test", Level: sim.SNR(snr),
			// Start after the noise floor has been learnt.
			Start:     time.Second,
			Behaviour: &sim.Bursts{Kind: kind, Count: count, Interval: interval, SNR: snr, NPRB: nprb},
		}},
	}
}
