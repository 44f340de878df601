package rtlsdr

import (
	"errors"
	"strings"
	"testing"
)

// r820tGains is the R820T's gain table as librtlsdr 0.6.0 reports it
// (tenths of a dB).
var r820tGains = []int{0, 9, 14, 27, 37, 77, 87, 125, 144, 157, 166, 197, 207, 229, 254,
	280, 297, 328, 338, 364, 372, 386, 402, 421, 434, 439, 445, 480, 496}

// e4000Gains is the E4000's, which starts below 0 dB.
var e4000Gains = []int{-10, 15, 40, 65, 90, 115, 140, 165, 190, 215, 240, 290, 340, 420}

var nearestGainCases = []struct {
	name  string
	gains []int
	want  int
	got   int
}{
	{"exact", r820tGains, 197, 197},
	{"between, nearer the upper", r820tGains, 400, 402},
	{"between, nearer the lower", r820tGains, 130, 125},
	{"tie takes the lower", r820tGains, 32, 27},
	{"below the lowest", r820tGains, -50, 0},
	{"above the highest", r820tGains, 600, 496},
	{"negative gain table", e4000Gains, -3, -10},
	{"unsorted table", []int{496, 0, 254, 87}, 100, 87},
	{"unsorted tie", []int{30, 10}, 20, 10},
	{"single gain", []int{77}, 0, 77},
	{"empty table keeps want", nil, 123, 123},
}

func TestNearestGain(t *testing.T) {
	for _, tc := range nearestGainCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := NearestGain(tc.gains, tc.want); got != tc.got {
				t.Errorf("NearestGain(%v, %d) = %d, want %d", tc.gains, tc.want, got, tc.got)
			}
		})
	}
}

func FuzzNearestGain(f *testing.F) {
	for _, tc := range nearestGainCases {
		var a, b, c int
		if len(tc.gains) > 0 {
			a = tc.gains[0]
			b = tc.gains[len(tc.gains)/2]
			c = tc.gains[len(tc.gains)-1]
		}
		f.Add(a, b, c, tc.want)
	}
	f.Fuzz(func(t *testing.T, a, b, c, want int) {
		const lim = 1 << 40 // keep differences from overflowing
		if absInt(a) > lim || absInt(b) > lim || absInt(c) > lim || absInt(want) > lim {
			t.Skip()
		}
		gains := []int{a, b, c}
		got := NearestGain(gains, want)
		found := false
		for _, g := range gains {
			if g == got {
				found = true
			}
			if absInt(g-want) < absInt(got-want) {
				t.Fatalf("NearestGain(%v, %d) = %d but %d is nearer", gains, want, got, g)
			}
		}
		if !found {
			t.Fatalf("NearestGain(%v, %d) = %d, not in the table", gains, want, got)
		}
	})
}

func TestTunerTypeString(t *testing.T) {
	cases := []struct {
		t    TunerType
		want string
	}{
		{TunerUnknown, "unknown"},
		{TunerE4000, "Elonics E4000"},
		{TunerR820T, "Rafael Micro R820T"},
		{TunerR828D, "Rafael Micro R828D"},
		{TunerType(42), "unknown"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.t.String(); got != tc.want {
				t.Errorf("TunerType(%d).String() = %q, want %q", int(tc.t), got, tc.want)
			}
		})
	}
	// The constants follow librtlsdr's enum rtlsdr_tuner.
	if TunerR820T != 5 || TunerR828D != 6 {
		t.Errorf("TunerR820T = %d, TunerR828D = %d: want 5 and 6 as in rtl-sdr.h", TunerR820T, TunerR828D)
	}
}

func TestError(t *testing.T) {
	cases := []struct {
		name     string
		err      *Error
		msg      string
		noDevice bool
	}{
		{"libusb code named", &Error{"rtlsdr_read_sync", -4}, "rtlsdr_read_sync returned -4 (LIBUSB_ERROR_NO_DEVICE)", true},
		{"busy", &Error{"rtlsdr_open", -6}, "rtlsdr_open returned -6 (LIBUSB_ERROR_BUSY)", false},
		{"other code bare", &Error{"rtlsdr_set_sample_rate", -22}, "rtlsdr_set_sample_rate returned -22", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.msg {
				t.Errorf("Error() = %q, want %q", got, tc.msg)
			}
			if got := errors.Is(tc.err, ErrNoDevice); got != tc.noDevice {
				t.Errorf("errors.Is(ErrNoDevice) = %v, want %v", got, tc.noDevice)
			}
		})
	}
}

var parseDeviceCases = []struct {
	in     string
	index  int
	serial string
	err    string
}{
	{"", 0, "", ""},
	{"0", 0, "", ""},
	{"3", 3, "", ""},
	{"serial=00000001", -1, "00000001", ""},
	{"serial=wing-b", -1, "wing-b", ""},
	{"serial=", -1, "", `rtlsdr: device "serial=": empty serial`},
	{"-1", -1, "", `rtlsdr: device "-1": want an index (0, 1, …) or serial=SERIAL`},
	{"abc", -1, "", `rtlsdr: device "abc": want an index (0, 1, …) or serial=SERIAL`},
	{"rtlsdr://0", -1, "", `rtlsdr: device "rtlsdr://0": want an index (0, 1, …) or serial=SERIAL`},
}

func TestParseDevice(t *testing.T) {
	for _, tc := range parseDeviceCases {
		t.Run(tc.in, func(t *testing.T) {
			index, serial, err := ParseDevice(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("ParseDevice(%q) error = %v, want %q", tc.in, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDevice(%q): %v", tc.in, err)
			}
			if index != tc.index || serial != tc.serial {
				t.Errorf("ParseDevice(%q) = %d, %q; want %d, %q", tc.in, index, serial, tc.index, tc.serial)
			}
		})
	}
}

func FuzzParseDevice(f *testing.F) {
	for _, tc := range parseDeviceCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		index, serial, err := ParseDevice(s)
		if err != nil {
			if !strings.Contains(err.Error(), "rtlsdr: device") {
				t.Fatalf("error %q does not name the device", err)
			}
			return
		}
		if (index >= 0) == (serial != "") {
			t.Fatalf("ParseDevice(%q) = %d, %q: want exactly one of index and serial", s, index, serial)
		}
	})
}

func TestOpenSourceConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  SourceConfig
		err  string
	}{
		{"no frequency", SourceConfig{}, "rtlsdr: source: freq 0 Hz: want a center frequency > 0"},
		{"negative rate", SourceConfig{Freq: 900e6, Rate: -1}, "rtlsdr: source: rate -1 Hz: want > 0"},
		{"negative settle", SourceConfig{Freq: 900e6, Settle: -1}, "rtlsdr: source: settle -1ns: want ≥ 0"},
		{"read size not a multiple of 512", SourceConfig{Freq: 900e6, ReadBytes: 1000}, "rtlsdr: source: read size 1000 bytes: want a positive multiple of 512"},
		{"bad device", SourceConfig{Freq: 900e6, Device: "x"}, `rtlsdr: device "x": want an index (0, 1, …) or serial=SERIAL`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := OpenSource(tc.cfg)
			if err == nil {
				s.Close()
				t.Fatal("OpenSource succeeded")
			}
			if err.Error() != tc.err {
				t.Errorf("error = %q, want %q", err, tc.err)
			}
		})
	}
}
