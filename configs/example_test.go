package configs_test

import (
	"fmt"

	"github.com/cellsentry/cellsentry/configs"
)

// Parse reports every mistake of a file at once, each with its line,
// column and what is allowed.
func ExampleParse() {
	_, err := configs.Parse("sensor.yaml", []byte(`sensor:
  id: wing-b-2
  site: example
scan:
  dwel: 100ms
  settle: 20
alerting:
  evidence: {pre: 1.5s, post: 1s}
`))
	fmt.Println(err)
	// Output:
	// sensor.yaml:5:3: unknown field "dwel" in scan (did you mean "dwell"?)
	// sensor.yaml:6:11: scan.settle: "20" has no unit: write e.g. 20ms or 20s
	// sensor.yaml:8:31: alerting.evidence.pre 1.5s + post 1s = 2.5s: longer than a recording may be (2s); shorten pre or post
}

// A loaded config gives the daemon what it builds from.
func ExampleConfig_Pipeline() {
	c, err := configs.Parse("sensor.yaml", []byte(`sensor: {id: wing-b-2, site: example}
detection:
  band_threshold_db: {b3: 9dB}
calibration:
  offset_db: {"40.2": -71.5dB, default: -72dB}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	gain := c.Radio.Dongles[0].Gain
	p := c.Pipeline("dcs1800-ul", gain)
	fmt.Println("gain", gain, "threshold", p.ThresholdDB, "dB, dBm = dBFS +", p.CalOffsetDB)
	p = c.Pipeline("gsm900-ul", configs.Gain{DB: 40.2})
	fmt.Println("gain 40.2dB threshold", p.ThresholdDB, "(from false_per_hour), dBm = dBFS +", p.CalOffsetDB)
	fmt.Println("topic", c.Topic("alert"))
	// Output:
	// gain 40dB threshold 9 dB, dBm = dBFS + -72
	// gain 40.2dB threshold 0 (from false_per_hour), dBm = dBFS + -71.5
	// topic cellsentry/v1/example/wing-b-2/alert
}

func ExampleParseFrequency() {
	for _, s := range []string{"902.4MHz", "1.8GHz", "200kHz", "880e6"} {
		f, err := configs.ParseFrequency(s)
		fmt.Println(f.Hz(), f, err)
	}
	// Output:
	// 9.024e+08 902.4MHz <nil>
	// 1.8e+09 1800MHz <nil>
	// 200000 200kHz <nil>
	// 8.8e+08 880MHz <nil>
}
