package survey_test

import (
	"fmt"
	"time"

	"github.com/cellsentry/cellsentry/dsp/survey"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// A survey of two seconds of one tuning with a carrier 300 kHz above the
// centre: the carrier is a fixed emitter (one centre cannot tell a spur
// from a transmitter; a hop plan can), and the suggestion excludes it.
func Example() {
	sc := &sim.Scene{
		Name: "example", Seed: 1, Duration: 2 * time.Second,
		Sensors:      []sim.Sensor{{ID: "s", Center: 902.4e6, Dongle: sim.CleanDongle()}},
		Interference: []sim.Emitter{{ID: "radio", Level: sim.SNR(30), Behaviour: &sim.CW{Freq: 902.7e6}}},
	}
	src, err := sc.Open("s")
	if err != nil {
		panic(err)
	}
	defer src.Close()
	s, err := survey.New(survey.Config{})
	if err != nil {
		panic(err)
	}
	b := sdr.Block{Samples: make([]complex64, 1<<16)}
	for src.ReadBlock(&b) == nil {
		s.Process("gsm900-ul", &b)
	}
	r := s.Result()
	for _, e := range r.Emitters {
		fmt.Printf("%s emitter at %.3f MHz, %.0f dB over the floor\n", e.Kind, e.Freq/1e6, e.PeakDB)
	}
	for _, x := range r.Suggest(0.5).Exclusions {
		fmt.Printf("exclude %.3f–%.3f MHz\n", x.Low/1e6, x.High/1e6)
	}
	// Output:
	// fixed emitter at 902.700 MHz, 21 dB over the floor
	// exclude 902.657–902.743 MHz
}
