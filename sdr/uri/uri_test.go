package uri

import (
	"reflect"
	"strings"
	"testing"
)

var good = []struct {
	in   string
	want Spec
}{
	{"rtlsdr://0", Spec{Kind: RTLSDR}},
	{"rtlsdr://", Spec{Kind: RTLSDR}},
	{"rtlsdr://2?gain=40.2&ppm=-3.5&freq=902.4M&rate=2.4M", Spec{Kind: RTLSDR, Index: 2, Gain: 40.2, GainSet: true, PPM: -3.5, Freq: 902.4e6, Rate: 2.4e6}},
	{"rtlsdr://serial=00000001?gain=auto", Spec{Kind: RTLSDR, Serial: "00000001", GainSet: true, GainAuto: true}},
	{"rtltcp://192.168.1.20:1234", Spec{Kind: RTLTCP, Addr: "192.168.1.20:1234"}},
	{"rtltcp://[::1]:1234?freq=1750MHz", Spec{Kind: RTLTCP, Addr: "[::1]:1234", Freq: 1750e6}},
	{"file:///var/lib/cellsentry/rec.sigmf-meta", Spec{Kind: File, Path: "/var/lib/cellsentry/rec.sigmf-meta"}},
	{"file:///tmp/g001_902.4M_2400k.cu8?rate=2.4M", Spec{Kind: File, Path: "/tmp/g001_902.4M_2400k.cu8", Rate: 2.4e6}},
	{"/tmp/rec.sigmf-meta", Spec{Kind: File, Path: "/tmp/rec.sigmf-meta"}},
	{"rec.cu8", Spec{Kind: File, Path: "rec.cu8"}},
	{"sim://busy-wing?seed=7&sensor=a2", Spec{Kind: Sim, Path: "busy-wing", Seed: 7, SeedSet: true, Sensor: "a2"}},
	{"sim://scenes/wing.yaml", Spec{Kind: Sim, Path: "scenes/wing.yaml"}},
}

func TestParse(t *testing.T) {
	for _, c := range good {
		t.Run(c.in, func(t *testing.T) {
			got, err := Parse(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Parse = %+v, want %+v", got, c.want)
			}
			// String round-trips.
			again, err := Parse(got.String())
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Errorf("round trip via %q: %+v, %v", got.String(), again, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "empty"},
		{"rtlsdr://x", `"x" is neither a device index`},
		{"rtlsdr://serial=", "empty serial"},
		{"rtltcp://host", "want host:port"},
		{"rtltcp://:1234", "no host"},
		{"rtltcp://h:99999", `port "99999"`},
		{"file://server/x", "three slashes"},
		{"sim://", "no scene"},
		{"usb://0", `unknown scheme "usb"`},
		{"rtltcp:host:1234", `no "//" after the scheme`},
		{"rtlsdr://0?gain=loud", "gain=loud"},
		{"rtlsdr://0?freq=abc", "freq=abc"},
		{"rtlsdr://0?ppm=9000", "ppm=9000"},
		{"rtlsdr://0?seed=3", "seed is for sim"},
		{"rtlsdr://0?bandwidth=1M", `unknown parameter "bandwidth"`},
	} {
		t.Run(c.in, func(t *testing.T) {
			_, err := Parse(c.in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
			if c.in != "" && !strings.Contains(err.Error(), c.in) {
				t.Errorf("error %q does not name the URI", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range good {
		f.Add(c.in)
	}
	f.Add("rtltcp://[::1]:1234?gain=auto&gain=3")
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(spec.String())
		if err != nil {
			t.Fatalf("%q parsed to %+v, whose String %q does not parse: %v", s, spec, spec.String(), err)
		}
		if again.Kind != spec.Kind {
			t.Fatalf("%q: kind %v became %v", s, spec.Kind, again.Kind)
		}
	})
}
