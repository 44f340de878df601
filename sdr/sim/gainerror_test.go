package sim

import (
	"fmt"
	"math"
	"testing"

	"github.com/cellsentry/cellsentry/sdr"
)

// TestGainErrors: a tuner gain off its nominal step moves a carrier's
// level at the ADC, and its truth, by the error; other gains are as
// before.
func TestGainErrors(t *testing.T) {
	level := func(t *testing.T, gain, power float64, errs string) (iqDBFS, truthDBFS float64) {
		yml := fmt.Sprintf(`name: g
seed: 1
sample_rate: 2.4MHz
duration: 0.05s
sensors:
  - id: s1
    position: [0, 0, 1]
    center: 902MHz
    gain: %gdB
    dongle: {ppm: 0, spurs: [], lo_leak: off, dc_i: 0, dc_q: 0, iq_gain: 0dB, iq_phase: 0%s}
interference:
  - {id: gen, kind: cw, freq: 902.3MHz, power: %gdBm, position: [3, 0, 1]}
`, gain, errs, power)
		sc, err := Parse([]byte(yml), "g.yaml")
		if err != nil {
			t.Fatal(err)
		}
		src, err := sc.Open("s1")
		if err != nil {
			t.Fatal(err)
		}
		src.OnEmission = func(_ Emission, rx Reception) { truthDBFS = rx.DBFS }
		b := &sdr.Block{Samples: make([]complex64, 1<<16)}
		if err := src.ReadBlock(b); err != nil {
			t.Fatal(err)
		}
		src.Close()
		// Power of the tone: |mean of x·e^{−j2πf n/rate}|², the noise
		// averaging out.
		var sum complex128
		for i, v := range b.Samples {
			s, c := math.Sincos(-2 * math.Pi * 300e3 * float64(i) / 2.4e6)
			sum += complex128(v) * complex(c, s)
		}
		a := sum / complex(float64(len(b.Samples)), 0)
		return 10 * math.Log10(real(a)*real(a)+imag(a)*imag(a)), truthDBFS
	}
	const errs = ", gain_errors: [{gain: 29.7dB, error: 1.5dB}, {gain: 14.4dB, error: -2dB}]"
	// Levels some 10 dB under full scale: at low gain the noise is under
	// a count and a weak tone's rounding error would bias its level.
	for _, c := range []struct {
		gain, power, want float64
	}{{29.7, -25, 1.5}, {14.4, -12, -2}, {20.7, -18, 0}} {
		t.Run(fmt.Sprint(c.gain), func(t *testing.T) {
			iq0, tr0 := level(t, c.gain, c.power, "")
			iq1, tr1 := level(t, c.gain, c.power, errs)
			if math.Abs(iq1-iq0-c.want) > 0.1 || math.Abs(tr1-tr0-c.want) > 0.01 {
				t.Errorf("gain %g dB: level moved by %.2f dB on the IQ, %.2f dB in the truth; want %g dB", c.gain, iq1-iq0, tr1-tr0, c.want)
			}
		})
	}
}
