package fcch_test

import (
	"fmt"
	"math"

	"github.com/cellsentry/cellsentry/dsp/fcch"
)

// A dongle tuned to 944.75 MHz sees the FCCH of the carrier at 945 MHz
// (250 kHz above the center) 9447 Hz low: its crystal is 10 ppm fast.
func ExamplePPM() {
	center, offset := 944.75e6, 250e3
	tone := offset + fcch.ToneOffset - 9447.5
	fmt.Printf("%.2f ppm\n", fcch.PPM(tone, offset, center))
	// Output: 10.00 ppm
}

// Bursts of a pure tone, 148 bits long every 10 TDMA frames, as a C0
// carrier's FCCH looks without its other bursts.
func ExampleDetector() {
	const rate = 2.4e6
	center := 944.75e6
	lo, hi := fcch.SearchRange(250e3, center, 80) // the carrier 250 kHz up
	d, err := fcch.New(fcch.Config{Rate: rate, Low: lo, High: hi})
	if err != nil {
		panic(err)
	}
	f := 250e3 + fcch.ToneOffset - 4000 // 4 kHz low: +4.23 ppm
	iq := make([]complex64, int(0.25*rate))
	period := 10 * fcch.FrameDuration * rate
	burst := fcch.BurstBits / fcch.BitRate * rate
	for i := range iq {
		if math.Mod(float64(i), period) < burst {
			s, c := math.Sincos(2 * math.Pi * f * float64(i) / rate)
			iq[i] = complex(float32(c), float32(s))
		}
	}
	var bursts []fcch.Burst
	for i := 0; i < len(iq); i += 65536 {
		bursts = d.Process(bursts, iq[i:min(i+65536, len(iq))])
	}
	bursts = d.Flush(bursts)
	e, err := fcch.Combine(bursts, rate, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d bursts, %d on the frame grid, %.2f ppm\n", e.Used, e.Aligned, fcch.PPM(e.Freq, 250e3, center))
	// Output: 6 bursts, 6 on the frame grid, 4.23 ppm
}
