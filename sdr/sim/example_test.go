package sim_test

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// A detector test scene built in Go: 200 isolated GSM bursts at 6 dB SNR
// around one sensor's tuning, rendered block by block with the truth
// reported as it goes.
func Example() {
	sc := &sim.Scene{
		Seed:     1,
		Duration: 5 * time.Second,
		Sensors:  []sim.Sensor{{ID: "s1", Center: 902.4e6}},
		Emitters: []sim.Emitter{{ID: "bursts",
			Behaviour: &sim.Bursts{Kind: sim.KindGSMNormal, Count: 200, Interval: 20 * time.Millisecond, SNR: 6}}},
	}
	src, err := sc.Open("s1")
	if err != nil {
		panic(err)
	}
	defer src.Close()
	var n, visible int
	src.OnEmission = func(e sim.Emission, rx sim.Reception) {
		n++
		if rx.Visible && rx.SNR == 6 {
			visible++
		}
	}
	b := &sdr.Block{Samples: make([]complex64, 65536)}
	var samples int
	for {
		if err := src.ReadBlock(b); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			panic(err)
		}
		samples += len(b.Samples)
	}
	fmt.Printf("%d samples, %d emissions, %d visible at 6 dB\n", samples, n, visible)
	// Output: 12000000 samples, 200 emissions, 200 visible at 6 dB
}

// The built-in scenes, one line each.
func ExampleBuiltins() {
	for _, b := range sim.Builtins() {
		fmt.Println(b.Name)
	}
	// Output:
	// busy-wing
	// gsm-call
	// interference
	// jammer
	// lte-data
	// quiet-night
	// three-wings
}
