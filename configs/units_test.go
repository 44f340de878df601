package configs

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

var frequencyCases = []struct {
	name, in string
	want     Frequency
	str      string // String of the result
	err      string // substring of the error; "" for success
}{
	{"MHz", "902.4MHz", 902.4e6, "902.4MHz", ""},
	{"MHz exact", "1766MHz", 1766e6, "1766MHz", ""},
	{"GHz below ten prints MHz", "1.8GHz", 1.8e9, "1800MHz", ""},
	{"GHz", "12.5GHz", 12.5e9, "12.5GHz", ""},
	{"kHz", "200kHz", 200e3, "200kHz", ""},
	{"lower case", "902.4mhz", 902.4e6, "902.4MHz", ""},
	{"bare prefix", "2.4M", 2.4e6, "2.4MHz", ""},
	{"space before unit", "2.048 MHz", 2.048e6, "2.048MHz", ""},
	{"plain Hz", "880000000", 880e6, "880MHz", ""},
	{"scientific", "120e3", 120e3, "120kHz", ""},
	{"scientific with prefix", "1.2e2kHz", 120e3, "120kHz", ""},
	{"negative offset", "-600kHz", -600e3, "-600kHz", ""},
	{"explicit plus", "+300kHz", 300e3, "300kHz", ""},
	{"Hz", "50Hz", 50, "50Hz", ""},
	{"fraction of Hz", "0.5Hz", 0.5, "0.5Hz", ""},
	{"zero", "0", 0, "0Hz", ""},
	{"odd digits", "902.400001MHz", 902400001, "902.400001MHz", ""},
	{"empty", "", 0, "", "is not a frequency"},
	{"unit only", "MHz", 0, "", "is not a frequency"},
	{"words", "fast", 0, "", "is not a frequency"},
	{"sps is a rate", "2.4 Msps", 0, "", "is not a frequency"},
	{"NaN", "NaN", 0, "", "is not a frequency"},
	{"infinity", "infMHz", 0, "", "is not a frequency"},
	{"hex", "0x10MHz", 0, "", "is not a frequency"},
	{"underscore", "1_000kHz", 0, "", "is not a frequency"},
	{"overflow", "1e400", 0, "", "is not a frequency"},
}

func TestParseFrequency(t *testing.T) {
	for _, c := range frequencyCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseFrequency(c.in)
			checkParse(t, c.in, got, err, c.want, c.str, c.err)
		})
	}
}

// checkParse checks a parse result against its case and, on success, that
// String reads back to the same value.
func checkParse[T interface {
	comparable
	String() string
}](t *testing.T, in string, got T, err error, want T, str, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("%q: got %v, err %v; want an error with %q", in, got, err, wantErr)
		}
		if !strings.Contains(err.Error(), strconv.Quote(in)) {
			t.Errorf("%q: error %q does not quote the input", in, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("%q: %v", in, err)
	}
	if got != want {
		t.Errorf("%q: got %v, want %v", in, got, want)
	}
	if got.String() != str {
		t.Errorf("%q: String %q, want %q", in, got.String(), str)
	}
}

var durationCases = []struct {
	name, in string
	want     Duration
	str, err string
}{
	{"ms", "250ms", Duration(250 * time.Millisecond), "250ms", ""},
	{"us", "200us", Duration(200 * time.Microsecond), "200us", ""},
	{"micro sign", "200µs", Duration(200 * time.Microsecond), "200us", ""},
	{"seconds", "30s", Duration(30 * time.Second), "30s", ""},
	{"minutes print without 0s", "2m", Duration(2 * time.Minute), "2m", ""},
	{"hours print without 0m", "1h", Duration(time.Hour), "1h", ""},
	{"mixed", "1m30s", Duration(90 * time.Second), "1m30s", ""},
	{"hour and seconds", "1h0m30s", Duration(time.Hour + 30*time.Second), "1h0m30s", ""},
	{"fraction", "1.5s", Duration(1500 * time.Millisecond), "1.5s", ""},
	{"zero", "0", 0, "0s", ""},
	{"negative", "-5s", Duration(-5 * time.Second), "-5s", ""},
	{"no unit", "250", 0, "", "has no unit: write e.g. 250ms"},
	{"no unit fraction", "0.5", 0, "", "has no unit"},
	{"bad unit", "5 minutes", 0, "", "is not a duration"},
	{"days", "1d", 0, "", "is not a duration"},
	{"empty", "", 0, "", "is not a duration"},
}

func TestParseDuration(t *testing.T) {
	for _, c := range durationCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseDuration(c.in)
			checkParse(t, c.in, got, err, c.want, c.str, c.err)
		})
	}
}

var decibelCases = []struct {
	name, in string
	want     Decibel
	str, err string
}{
	{"dB", "8dB", 8, "8dB", ""},
	{"negative", "-74dB", -74, "-74dB", ""},
	{"plain", "9.5", 9.5, "9.5dB", ""},
	{"space and case", "-71.5 db", -71.5, "-71.5dB", ""},
	{"zero", "0dB", 0, "0dB", ""},
	{"dBm is not dB", "8dBm", 0, "", "is not a level in dB"},
	{"unit only", "dB", 0, "", "is not a level in dB"},
	{"NaN", ".nan", 0, "", "is not a level in dB"},
	{"inf", "infdB", 0, "", "is not a level in dB"},
}

func TestParseDecibel(t *testing.T) {
	for _, c := range decibelCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseDecibel(c.in)
			checkParse(t, c.in, got, err, c.want, c.str, c.err)
		})
	}
}

var gainCases = []struct {
	name, in string
	want     Gain
	str, err string
}{
	{"dB", "40dB", Gain{DB: 40}, "40dB", ""},
	{"tenths", "40.2", Gain{DB: 40.2}, "40.2dB", ""},
	{"auto", "auto", Gain{Auto: true}, "auto", ""},
	{"AUTO", " AUTO ", Gain{Auto: true}, "auto", ""},
	{"agc is not a gain", "agc", Gain{}, "", "is not a gain"},
	{"empty", "", Gain{}, "", "is not a gain"},
}

func TestParseGain(t *testing.T) {
	for _, c := range gainCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseGain(c.in)
			checkParse(t, c.in, got, err, c.want, c.str, c.err)
		})
	}
}

var sizeCases = []struct {
	name, in string
	want     Size
	str, err string
}{
	{"MiB", "64MiB", 64 << 20, "64MiB", ""},
	{"MB", "200MB", 200e6, "200MB", ""},
	{"KiB", "512KiB", 512 << 10, "512KiB", ""},
	{"kB", "1kB", 1000, "1kB", ""},
	{"GiB fraction", "1.5GiB", 3 << 29, "1536MiB", ""},
	{"TiB", "2TiB", 2 << 40, "2TiB", ""},
	{"bytes", "1000", 1000, "1kB", ""},
	{"odd bytes", "1001B", 1001, "1001B", ""},
	{"lower case", "64mib", 64 << 20, "64MiB", ""},
	{"space", "64 MiB", 64 << 20, "64MiB", ""},
	{"zero", "0", 0, "0B", ""},
	{"fraction of a byte", "0.5B", 0, "", "is not a whole number of bytes"},
	{"negative", "-1MiB", 0, "", "is not a size"},
	{"words", "64 megs", 0, "", "is not a size"},
	{"too large", "10000TB", 0, "", "is too large"},
	{"NaN", "nanMB", 0, "", "is not a size"},
}

func TestParseSize(t *testing.T) {
	for _, c := range sizeCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseSize(c.in)
			checkParse(t, c.in, got, err, c.want, c.str, c.err)
		})
	}
}

var ppmCases = []struct {
	name, in string
	want     PPM
	str, err string
}{
	{"plain", "12", 12, "12ppm", ""},
	{"unit", "-3.5ppm", -3.5, "-3.5ppm", ""},
	{"space", "12 PPM", 12, "12ppm", ""},
	{"percent is not ppm", "1%", 0, "", "is not a correction in ppm"},
	{"empty", "", 0, "", "is not a correction in ppm"},
}

func TestParsePPM(t *testing.T) {
	for _, c := range ppmCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParsePPM(c.in)
			checkParse(t, c.in, got, err, c.want, c.str, c.err)
		})
	}
}

var pinCases = []struct {
	name, in string
	want     Pin
	str, err string
}{
	{"name", "GPIO17", "GPIO17", "GPIO17", ""},
	{"lower case", "gpio4", "GPIO4", "GPIO4", ""},
	{"lowest", "GPIO2", "GPIO2", "GPIO2", ""},
	{"highest", "GPIO27", "GPIO27", "GPIO27", ""},
	{"none", "", "", "", ""},
	{"HAT EEPROM pin", "GPIO1", "", "", "is not a GPIO pin"},
	{"beyond the header", "GPIO28", "", "", "is not a GPIO pin"},
	{"leading zero", "GPIO04", "", "", "is not a GPIO pin"},
	{"physical pin number", "11", "", "", "is not a GPIO pin"},
	{"sign", "GPIO+4", "", "", "is not a GPIO pin"},
}

func TestParsePin(t *testing.T) {
	for _, c := range pinCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParsePin(c.in)
			checkParse(t, c.in, got, err, c.want, c.str, c.err)
		})
	}
}

// The unit types refuse YAML lists and mappings with a message that says
// what was wanted, and their MarshalYAML writes what UnmarshalYAML reads.
func TestUnitsYAML(t *testing.T) {
	type all struct {
		F Frequency `yaml:"f"`
		D Duration  `yaml:"d"`
		B Decibel   `yaml:"b"`
		G Gain      `yaml:"g"`
		S Size      `yaml:"s"`
		P PPM       `yaml:"p"`
		N Pin       `yaml:"pin"`
	}
	var v all
	if err := yaml.Unmarshal([]byte("f: 902.4MHz\nd: 250ms\nb: 8dB\ng: auto\ns: 64MiB\np: 12\npin: gpio17\n"), &v); err != nil {
		t.Fatal(err)
	}
	want := all{902.4e6, Duration(250 * time.Millisecond), 8, Gain{Auto: true}, 64 << 20, 12, "GPIO17"}
	if v != want {
		t.Fatalf("decoded %+v, want %+v", v, want)
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out); got != "f: 902.4MHz\nd: 250ms\nb: 8dB\ng: auto\ns: 64MiB\np: 12ppm\npin: GPIO17\n" {
		t.Errorf("encoded:\n%s", got)
	}
	var back all
	if err := yaml.Unmarshal(out, &back); err != nil || back != v {
		t.Errorf("read back %+v, %v; want %+v", back, err, v)
	}
	for _, c := range []struct{ name, in, want string }{
		{"list", "f: [1, 2]", "want a frequency such as 902.4MHz, not a list"},
		{"mapping", "d: {a: 1}", "want a duration such as 250ms, not a mapping"},
		{"bad text", "s: lots", `"lots" is not a size`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var v all
			err := yaml.Unmarshal([]byte(c.in), &v)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err %v, want %q", err, c.want)
			}
		})
	}
}

func TestShiftDecimal(t *testing.T) {
	for _, c := range []struct {
		in   string
		k    int
		want string
	}{
		{"902400000", 6, "902.4"},
		{"1766000000", 6, "1766"},
		{"50", 3, "0.05"},
		{"0.5", 3, "0.0005"},
		{"123.456", 1, "12.3456"},
		{"1000", 3, "1"},
	} {
		t.Run(c.in, func(t *testing.T) {
			if got := shiftDecimal(c.in, c.k); got != c.want {
				t.Errorf("shiftDecimal(%q, %d) = %q, want %q", c.in, c.k, got, c.want)
			}
		})
	}
}

// fuzzRoundTrip checks a parser on any input: no panic, and a value it
// accepts prints as text that parses back to the same value.
func fuzzRoundTrip[T interface {
	comparable
	String() string
}](t *testing.T, parse func(string) (T, error), in string) {
	v, err := parse(in)
	if err != nil {
		if !strings.Contains(err.Error(), strconv.Quote(in)) {
			t.Fatalf("%q: error %q does not quote the input", in, err)
		}
		return
	}
	back, err := parse(v.String())
	if err != nil {
		t.Fatalf("%q → %v → %q: %v", in, v, v.String(), err)
	}
	if back != v {
		t.Fatalf("%q → %v → %q → %v: not the same value", in, v, v.String(), back)
	}
}

func FuzzParseFrequency(f *testing.F) {
	for _, c := range frequencyCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		fuzzRoundTrip(t, ParseFrequency, in)
		if v, err := ParseFrequency(in); err == nil && (math.IsNaN(float64(v)) || math.IsInf(float64(v), 0)) {
			t.Fatalf("%q: accepted %v", in, v)
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, c := range durationCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) { fuzzRoundTrip(t, ParseDuration, in) })
}

func FuzzParseDecibel(f *testing.F) {
	for _, c := range decibelCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) { fuzzRoundTrip(t, ParseDecibel, in) })
}

func FuzzParseGain(f *testing.F) {
	for _, c := range gainCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) { fuzzRoundTrip(t, ParseGain, in) })
}

func FuzzParseSize(f *testing.F) {
	for _, c := range sizeCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		fuzzRoundTrip(t, ParseSize, in)
		if v, err := ParseSize(in); err == nil && (v < 0 || v > maxSize) {
			t.Fatalf("%q: accepted %d", in, v)
		}
	})
}

func FuzzParsePPM(f *testing.F) {
	for _, c := range ppmCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) { fuzzRoundTrip(t, ParsePPM, in) })
}

func FuzzParsePin(f *testing.F) {
	for _, c := range pinCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) { fuzzRoundTrip(t, ParsePin, in) })
}

var periodCases = []struct {
	name, in string
	want     Period
	str, err string
}{
	{"days", "400d", Period(400 * 24 * time.Hour), "400d", ""},
	{"hours of whole days print as days", "9600h", Period(400 * 24 * time.Hour), "400d", ""},
	{"days and hours", "1d12h", Period(36 * time.Hour), "1d12h", ""},
	{"hours beyond a day", "36h", Period(36 * time.Hour), "1d12h", ""},
	{"less than a day", "90m", Period(90 * time.Minute), "1h30m", ""},
	{"zero", "0", 0, "0s", ""},
	{"zero days", "0d", 0, "0s", ""},
	{"no unit", "400", 0, "", "has no unit: write e.g. 400d (days) or 400h (hours)"},
	{"fraction of a day", "1.5d", 0, "", "is not a period"},
	{"negative", "-3d", 0, "", "is not a period"},
	{"negative hours", "-5h", 0, "", "is not a period"},
	{"days twice", "1d1d", 0, "", "is not a period"},
	{"weeks", "2w", 0, "", "is not a period"},
	{"too many days", "200000d", 0, "", "is not a period"},
	{"overflowing hours", "100000d2562047h", 0, "", "is not a period"},
	{"empty", "", 0, "", "is not a period"},
}

func TestParsePeriod(t *testing.T) {
	for _, c := range periodCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParsePeriod(c.in)
			checkParse(t, c.in, got, err, c.want, c.str, c.err)
		})
	}
}

func FuzzParsePeriod(f *testing.F) {
	for _, c := range periodCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		fuzzRoundTrip(t, ParsePeriod, in)
		if v, err := ParsePeriod(in); err == nil && v < 0 {
			t.Fatalf("%q: accepted %v", in, v)
		}
	})
}
