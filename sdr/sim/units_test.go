package sim

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestParseUnits(t *testing.T) {
	cases := []struct {
		name  string
		parse func(string) (float64, error)
		in    string
		want  float64
	}{
		{"frequency MHz", ParseFrequency, "902.4MHz", 902.4e6},
		{"frequency kHz with space", ParseFrequency, "200 kHz", 200e3},
		{"frequency GHz", ParseFrequency, "1.8GHz", 1.8e9},
		{"frequency Hz exponent", ParseFrequency, "4.3392e8Hz", 433.92e6},
		{"frequency lower case unit", ParseFrequency, "2.4mhz", 2.4e6},
		{"frequency negative offset", ParseFrequency, "-687.5kHz", -687.5e3},
		{"rate Msps", parseRate, "2.4Msps", 2.4e6},
		{"rate MS/s", parseRate, "2.048MS/s", 2.048e6},
		{"rate MHz", parseRate, "3.2MHz", 3.2e6},
		{"dBm", parseDBm, "23dBm", 23},
		{"dBm negative", parseDBm, "-40 dBm", -40},
		{"watts", parseDBm, "2W", 10 * math.Log10(2000)},
		{"milliwatts", parseDBm, "200mW", 10 * math.Log10(200)},
		{"microwatts", parseDBm, "10uW", -20},
		{"dB", parseDB, "6dB", 6},
		{"dBFS", parseDBFS, "-35dBFS", -35},
		{"distance bare metres", parseDistance, "12.5", 12.5},
		{"distance cm", parseDistance, "30cm", 0.3},
		{"ppm bare", parsePPM, "-12.5", -12.5},
		{"ppm unit", parsePPM, "20ppm", 20},
		{"per second", parsePerSecond, "5/s", 5},
		{"per minute", parsePerSecond, "30/min", 0.5},
		{"degrees", parseDegrees, "2.5deg", 2.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.parse(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-c.want) > 1e-9*math.Max(1, math.Abs(c.want)) {
				t.Errorf("%q → %v, want %v", c.in, got, c.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	cases := []struct {
		in   string
		want time.Duration
	}{
		{"577us", 577 * time.Microsecond},
		{"577µs", 577 * time.Microsecond},
		{"4.615ms", 4615 * time.Microsecond},
		{"30s", 30 * time.Second},
		{"1.5min", 90 * time.Second},
		{"2m", 2 * time.Minute},
		{"2h", 2 * time.Hour},
		{"2e-3s", 2 * time.Millisecond},
		{"250 ns", 250},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseDuration(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("%q → %v, want %v", c.in, got, c.want)
			}
		})
	}
}

func TestParseUnitErrors(t *testing.T) {
	cases := []struct {
		name  string
		parse func(string) (float64, error)
		in    string
		want  string
	}{
		{"bare frequency", ParseFrequency, "902.4", `invalid frequency "902.4": missing unit (e.g. 902.4MHz)`},
		{"wrong unit", ParseFrequency, "902.4MZ", `invalid frequency "902.4MZ": unknown unit "MZ" (want MHz, Hz, kHz, GHz)`},
		{"no number", ParseFrequency, "MHz", `invalid frequency "MHz": no number`},
		{"not a number", ParseFrequency, "1.2.3MHz", `invalid frequency "1.2.3MHz": "1.2.3" is not a number`},
		{"overflow", ParseFrequency, "1e308GHz", `invalid frequency "1e308GHz": out of range`},
		{"bare power", parseDBm, "23", `invalid power "23": missing unit (e.g. 23dBm)`},
		{"zero watts", parseDBm, "0W", `invalid power "0W": must be positive`},
		{"dB for dBFS", parseDBFS, "-35dB", `invalid level "-35dB": unknown unit "dB" (want dBFS)`},
		{"NaN", parseDB, "NaNdB", `invalid level "NaNdB": no number`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.parse(c.in)
			if err == nil || err.Error() != c.want {
				t.Errorf("%q: error %v, want %s", c.in, err, c.want)
			}
		})
	}
	if _, err := ParseDuration("300"); err == nil || err.Error() != `invalid duration "300": missing unit (e.g. 300s)` {
		t.Errorf("bare duration: %v", err)
	}
	if _, err := ParseDuration("1e12h"); err == nil || err.Error() != `invalid duration "1e12h": out of range` {
		t.Errorf("huge duration: %v", err)
	}
}

// FuzzParseFrequency checks that the unit parsers never panic, return
// finite values, and that what they accept survives a round trip through
// its canonical spelling.
func FuzzParseFrequency(f *testing.F) {
	for _, s := range []string{"902.4MHz", "200 kHz", "1.8GHz", "-687.5kHz", "2.4mhz", "1e308GHz", "902.4", "MHz", "1e", "0x1p3Hz", ".5Hz", "+3kHz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseFrequency(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid frequency ") {
				t.Fatalf("%q: error %q does not say what failed", s, err)
			}
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("%q → %v", s, v)
		}
		back, err := ParseFrequency(strconv.FormatFloat(v, 'g', -1, 64) + "Hz")
		if err != nil || back != v {
			t.Fatalf("%q → %v, round trip %v, %v", s, v, back, err)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"577us", "4.615ms", "1.5min", "2e-3s", "300", "1e12h", "-5s", "µs", "5 h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid duration ") {
				t.Fatalf("%q: error %q does not say what failed", s, err)
			}
			return
		}
		back, err := ParseDuration(strconv.FormatInt(int64(d), 10) + "ns")
		if err != nil || back != d {
			t.Fatalf("%q → %v, round trip %v, %v", s, d, back, err)
		}
	})
}

func FuzzParseLevels(f *testing.F) {
	for _, s := range []string{"23dBm", "2W", "200mW", "-35dBFS", "6dB", "0W", "-1mW", "dBm", "1e400dBm"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range []func(string) (float64, error){parseDBm, parseDB, parseDBFS, parsePPM, parseDistance, parsePerSecond} {
			v, err := p(s)
			if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
				t.Fatalf("%q → %v", s, v)
			}
		}
	})
}
