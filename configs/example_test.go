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

// A site plan says where each sensor hangs and what it hears; the console
// shows what it cannot hear, computed from the band table.
func ExampleParseSite() {
	s, err := configs.ParseSite("site.yaml", []byte(`name: example-site
wings:
  - {name: A, polygon: [[0, 0], [30, 0], [30, 14], [0, 14]]}
sensors:
  - {id: a-1, wing: A, position: {x: 7.5, y: 7}, bands: [b8, b3]}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	p := s.Plan().Sensors[0]
	fmt.Println(p.ID, "hears:")
	for _, b := range p.Bands {
		fmt.Println("  ", b)
	}
	fmt.Println("and cannot hear:")
	for _, g := range p.NotHeard {
		fmt.Println("  ", g.Band+":", g.Why)
	}
	// Output:
	// a-1 hears:
	//    GSM900 / B8 900 MHz uplink 880–915 MHz: GSM, UMTS and LTE (band 8)
	//    DCS1800 / B3 1800 MHz uplink 1710–1766 MHz: GSM and LTE (band 3)
	// and cannot hear:
	//    B28 700 MHz (703–748 MHz): not in this sensor's scan
	//    B20 800 MHz (832–862 MHz): not in this sensor's scan
	//    DCS1800 / B3 1800 MHz, 1766–1785 MHz: beyond the dongle's 1766 MHz
	//    B1 2100 MHz (1920–1980 MHz): beyond the dongle's 1766 MHz
	//    B7 2600 MHz (2500–2570 MHz): beyond the dongle's 1766 MHz
	//    n78 3500 MHz (3300–3800 MHz): beyond the dongle's 1766 MHz
}

// ParseConsole never echoes what stands where a password hash belongs.
func ExampleParseConsole() {
	_, err := configs.ParseConsole("console.yaml", []byte(`console: {sites: [site.yaml]}
mqtt: {broker: "ssl://broker.site:8883", username: console, password_file: mqtt-password}
users:
  - {name: chief, role: admin, password_hash: "s3cret!"}
  - {name: night, role: gaurd, password: "s3cret!"}
`))
	fmt.Println(err)
	// Output:
	// console.yaml:4:47: users[0].password_hash: not a bcrypt hash; if it is a plain password, delete it now (never write one here) and make one with: cellsentry-console hash-password
	// console.yaml:5:5: users[1].password_hash is required: the bcrypt hash of the user's password (make one with: cellsentry-console hash-password)
	// console.yaml:5:25: users[1].role "gaurd": must be guard (sees, acknowledges, resolves), technician (also sensor views, shelving) or admin (also users) (did you mean "guard"?)
	// console.yaml:5:32: unknown field "password" in users[1]: a password is never written in the config: write its bcrypt hash as password_hash (make one with: cellsentry-console hash-password)
}
