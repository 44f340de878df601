package waveform_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/cellsentry/cellsentry/sdr/sim/waveform"
)

// A GSM normal burst at 2.4 MS/s: the buffer holds the 10 µs ramps and the
// 148 useful bits; the active span is the 546.5 µs of useful bits, over
// which the mean power is 1.
func ExampleGSM_Burst() {
	g, err := waveform.NewGSM(2.4e6)
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(1, 2)) // same seed, same burst
	buf := make([]complex64, g.BurstLen(waveform.GSMNormal))
	n, active := g.Burst(buf, waveform.GSMNormal, 3, 0, rng)
	fmt.Println("BurstLen:", len(buf), "written:", n)
	fmt.Printf("active: samples %d…%d (%.1f µs)\n", active.Start, active.End()-1, float64(active.Len)/2.4e6*1e6)

	// Started 0.5 sample later, the active span covers the same instants.
	n, active = g.Burst(buf, waveform.GSMNormal, 3, 0.5, rng)
	fmt.Println("written:", n, "active:", active.Start, active.Len)
	// Output:
	// BurstLen: 1361 written: 1360
	// active: samples 24…1335 (546.7 µs)
	// written: 1361 active: 25 1312
}
