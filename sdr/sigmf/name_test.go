package sigmf

import (
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

var nameCases = []struct {
	name string
	want NameInfo
	ok   bool
}{
	{"g001_902M_2400k.cu8", NameInfo{Frequency: 902e6, SampleRate: 2.4e6, Format: sdr.CU8}, true},
	{"g005_433.92M_250k.cs16", NameInfo{Frequency: 433.92e6, SampleRate: 250e3, Format: sdr.CI16LE}, true},
	{"foo_868.3M_1024k.cf32", NameInfo{Frequency: 868.3e6, SampleRate: 1.024e6, Format: sdr.CF32LE}, true},
	{"/data/wing-b/lte_b20_847M_2.4M.cs8", NameInfo{Frequency: 847e6, SampleRate: 2.4e6, Format: sdr.CI8}, true},
	{"cap_1.7475G_2.56Msps.cu8", NameInfo{Frequency: 1.7475e9, SampleRate: 2.56e6, Format: sdr.CU8}, true},
	{"x 902MHz 2400ksps.bin", NameInfo{Frequency: 902e6, SampleRate: 2.4e6, Format: sdr.CU8}, true},
	{"only_902M.cu8", NameInfo{Frequency: 902e6, Format: sdr.CU8}, true},
	{"only_2400k.cu8", NameInfo{SampleRate: 2.4e6, Format: sdr.CU8}, true},
	{"gqrx_20260501_221000_902200000_2400000_fc.raw", NameInfo{Frequency: 902.2e6, SampleRate: 2.4e6, Format: sdr.CF32LE,
		Start: time.Date(2026, 5, 1, 22, 10, 0, 0, time.UTC)}, true},
	{"capture_20260501_2.cu8", NameInfo{Format: sdr.CU8}, false},
	{"rec_902M_fast.cu8", NameInfo{Frequency: 902e6, Format: sdr.CU8}, true},
	{"rec_1e9M_0x10k.cu8", NameInfo{Format: sdr.CU8}, false},
	{"noext_902M_2400k", NameInfo{Frequency: 902e6, SampleRate: 2.4e6}, true},
	{"ünïcode_902M_Ⅿ.cu8", NameInfo{Frequency: 902e6, Format: sdr.CU8}, true},
	{"", NameInfo{}, false},
}

func TestParseName(t *testing.T) {
	for _, c := range nameCases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := ParseName(c.name)
			if ok != c.ok || got != c.want {
				t.Errorf("ParseName(%q) = %+v, %v; want %+v, %v", c.name, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestParseHz(t *testing.T) {
	cases := []struct {
		in   string
		want float64
		err  bool
	}{
		{"2.4M", 2.4e6, false},
		{"2400k", 2.4e6, false},
		{"902MHz", 902e6, false},
		{"1.7G", 1.7e9, false},
		{"2400000", 2.4e6, false},
		{"2.4e6", 2.4e6, false},
		{" 250k ", 250e3, false},
		{"0", 0, true},
		{"-2.4M", 0, true},
		{"fast", 0, true},
		{"NaN", 0, true},
		{"", 0, true},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseHz(c.in)
			if (err != nil) != c.err || got != c.want {
				t.Errorf("ParseHz(%q) = %v, %v; want %v, error %v", c.in, got, err, c.want, c.err)
			}
		})
	}
}
