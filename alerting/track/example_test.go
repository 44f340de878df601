package track_test

import (
	"fmt"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/track"
	"github.com/cellsentry/cellsentry/dsp"
)

// A GSM call on ARFCN 62 (902.4 MHz): one burst per 4.615 ms TDMA frame
// for 2 s. It is raised by its sixth burst (27 ms in), has the kind "call"
// once eight frames in a row were heard, and is cleared when the stream
// ends.
func Example() {
	tr, err := track.New(track.Config{}, alerting.Origin{Site: "hmp-lyon", Sensor: "a1", Wing: "A"})
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)
	var events []alerting.Alert
	for n := range 433 {
		b := dsp.Burst{
			Start: start.Add(time.Duration(float64(n) * 120e6 / 26)), Duration: 546 * time.Microsecond,
			Freq: 902.4e6, FreqLow: 902.31e6, FreqHigh: 902.49e6, Center: 902.4e6,
			PowerDBFS: -40, PowerDBm: -94, SNR: 20, Class: dsp.ClassGSM, Kind: "normal", Score: 0.9,
		}
		events = tr.Add(events, &b)
		events = tr.Advance(events, b.Start.Add(b.Duration))
	}
	events = tr.Flush(events, start.Add(3*time.Second))
	for _, a := range events {
		fmt.Printf("%s rev %d %s: %s %q on %.1f MHz, %d bursts, %v dBm, confidence %.2f\n",
			a.State, a.Rev, a.ID, a.Class, a.Kind, a.FreqHz/1e6, a.Bursts, a.PowerDBm, a.Confidence)
	}
	// Output:
	// raised rev 0 hmp-lyon.a1-gsm-20260301T220000.000Z-902400: gsm "" on 902.4 MHz, 6 bursts, -94 dBm, confidence 0.81
	// cleared rev 1 hmp-lyon.a1-gsm-20260301T220000.000Z-902400: gsm "call" on 902.4 MHz, 433 bursts, -94 dBm, confidence 1.00
}
