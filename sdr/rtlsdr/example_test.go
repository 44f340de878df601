package rtlsdr_test

import (
	"errors"
	"fmt"

	"github.com/cellsentry/cellsentry/sdr/rtlsdr"
)

// The R820T offers 29 gains; asking for 40 dB gets the nearest, 40.2 dB.
func ExampleNearestGain() {
	r820t := []int{0, 9, 14, 27, 37, 77, 87, 125, 144, 157, 166, 197, 207, 229, 254,
		280, 297, 328, 338, 364, 372, 386, 402, 421, 434, 439, 445, 480, 496}
	fmt.Println(rtlsdr.NearestGain(r820t, 400))
	// Output: 402
}

// Opening a dongle fails cleanly when there is none, or when the binary was
// built without the binding.
func ExampleOpenSource() {
	src, err := rtlsdr.OpenSource(rtlsdr.SourceConfig{Device: "serial=wing-b", Freq: 902_400_000, ManualGain: true, Gain: 197})
	switch {
	case errors.Is(err, rtlsdr.ErrNotBuilt), errors.Is(err, rtlsdr.ErrNoDevice):
		fmt.Println("no dongle to read")
		return
	case err != nil:
		fmt.Println(err)
		return
	}
	defer src.Close()
}
