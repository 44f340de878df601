package rtltcp

import (
	"bytes"
	"errors"
	"testing"
)

var headerCases = []struct {
	name string
	in   []byte
	want Header
	err  error
	msg  string
}{
	{name: "r820t", in: []byte("RTL0\x00\x00\x00\x05\x00\x00\x00\x1d"), want: Header{TunerR820T, 29}},
	{name: "e4000", in: []byte("RTL0\x00\x00\x00\x01\x00\x00\x00\x0e"), want: Header{TunerE4000, 14}},
	{name: "trailing samples ignored", in: []byte("RTL0\x00\x00\x00\x06\x00\x00\x00\x1d\x7f\x80"), want: Header{TunerR828D, 29}},
	{name: "big values", in: []byte("RTL0\x01\x02\x03\x04\xff\xff\xff\xff"), want: Header{0x01020304, 0xffffffff}},
	{name: "empty", in: nil, err: ErrShort, msg: "rtltcp: header: message too short: 0 of 12 bytes"},
	{name: "short", in: []byte("RTL0\x00\x00\x00\x05\x00\x00\x00"), err: ErrShort, msg: "rtltcp: header: message too short: 11 of 12 bytes"},
	{name: "bad magic", in: []byte("RTL1\x00\x00\x00\x05\x00\x00\x00\x1d"), err: ErrBadMagic, msg: `rtltcp: header byte 0: not an rtl_tcp stream (bad magic): "RTL1", want "RTL0"`},
	{name: "samples not header", in: bytes.Repeat([]byte{0x7f}, 12), err: ErrBadMagic, msg: `rtltcp: header byte 0: not an rtl_tcp stream (bad magic): "\x7f\x7f\x7f\x7f", want "RTL0"`},
}

func TestParseHeader(t *testing.T) {
	for _, tc := range headerCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseHeader(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || err.Error() != tc.msg {
					t.Fatalf("err = %v, want %q (wrapping %v)", err, tc.msg, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if enc := got.Append(nil); !bytes.Equal(enc, tc.in[:HeaderSize]) {
				t.Fatalf("Append = % x, want % x", enc, tc.in[:HeaderSize])
			}
		})
	}
}

var commandCases = []struct {
	name string
	in   []byte
	want Command
	str  string
	err  error
	msg  string
}{
	{name: "freq 900 MHz", in: []byte{0x01, 0x35, 0xa4, 0xe9, 0x00}, want: Command{OpSetFreq, 900000000}, str: "freq=900000000"},
	{name: "rate 2.4 MS/s", in: []byte{0x02, 0x00, 0x24, 0x9f, 0x00}, want: Command{OpSetSampleRate, 2400000}, str: "sample_rate=2400000"},
	{name: "gain mode manual", in: []byte{0x03, 0, 0, 0, 1}, want: Command{OpSetGainMode, 1}, str: "gain_mode=1"},
	{name: "gain 40.2 dB", in: []byte{0x04, 0, 0, 0x01, 0x92}, want: Command{OpSetGain, 402}, str: "gain=402"},
	{name: "ppm -25", in: []byte{0x05, 0xff, 0xff, 0xff, 0xe7}, want: Command{OpSetFreqCorr, 0xffffffe7}, str: "freq_correction=-25"},
	{name: "if gain stage 2 -3 dB", in: []byte{0x06, 0, 2, 0xff, 0xe2}, want: Command{OpSetIFGain, 0x0002ffe2}, str: "if_gain=stage 2, -30"},
	{name: "test mode", in: []byte{0x07, 0, 0, 0, 1}, want: Command{OpSetTestMode, 1}, str: "test_mode=1"},
	{name: "agc", in: []byte{0x08, 0, 0, 0, 1}, want: Command{OpSetAGC, 1}, str: "agc=1"},
	{name: "direct sampling Q", in: []byte{0x09, 0, 0, 0, 2}, want: Command{OpSetDirectSamp, 2}, str: "direct_sampling=2"},
	{name: "offset tuning", in: []byte{0x0a, 0, 0, 0, 1}, want: Command{OpSetOffsetTuning, 1}, str: "offset_tuning=1"},
	{name: "rtl xtal", in: []byte{0x0b, 0x01, 0xb7, 0x74, 0x00}, want: Command{OpSetRTLXtal, 28800000}, str: "rtl_xtal=28800000"},
	{name: "tuner xtal", in: []byte{0x0c, 0x01, 0xb7, 0x74, 0x00}, want: Command{OpSetTunerXtal, 28800000}, str: "tuner_xtal=28800000"},
	{name: "gain index", in: []byte{0x0d, 0, 0, 0, 28}, want: Command{OpSetGainIndex, 28}, str: "gain_index=28"},
	{name: "bias tee", in: []byte{0x0e, 0, 0, 0, 1}, want: Command{OpSetBiasTee, 1}, str: "bias_tee=1"},
	{name: "empty", in: nil, err: ErrShort, msg: "rtltcp: command: message too short: 0 of 5 bytes"},
	{name: "short", in: []byte{0x01, 0, 0, 0}, err: ErrShort, msg: "rtltcp: command: message too short: 4 of 5 bytes"},
	{name: "op zero", in: []byte{0x00, 0, 0, 0, 1}, want: Command{0, 1}, err: ErrUnknownOp, msg: "rtltcp: command byte 0: unknown command 0x00"},
	{name: "op 0x0f", in: []byte{0x0f, 0, 0, 0, 1}, want: Command{0x0f, 1}, err: ErrUnknownOp, msg: "rtltcp: command byte 0: unknown command 0x0f"},
	{name: "rtl_tcp idle marker", in: []byte{0xff, 0, 0, 0, 0}, want: Command{0xff, 0}, err: ErrUnknownOp, msg: "rtltcp: command byte 0: unknown command 0xff"},
}

func TestParseCommand(t *testing.T) {
	for _, tc := range commandCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCommand(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) || err.Error() != tc.msg {
					t.Fatalf("err = %v, want %q (wrapping %v)", err, tc.msg, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			if tc.str != "" && got.String() != tc.str {
				t.Fatalf("String = %q, want %q", got.String(), tc.str)
			}
			if len(tc.in) >= CommandSize {
				if enc := got.Append(nil); !bytes.Equal(enc, tc.in[:CommandSize]) {
					t.Fatalf("Append = % x, want % x", enc, tc.in[:CommandSize])
				}
			}
		})
	}
}

func TestCommandConstructors(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  Command
		want []byte
	}{
		{"freq rounds", FreqCommand(900e6 + 0.6), []byte{0x01, 0x35, 0xa4, 0xe9, 0x01}},
		{"freq negative", FreqCommand(-1), []byte{0x01, 0, 0, 0, 0}},
		{"freq saturates", FreqCommand(1e10), []byte{0x01, 0xff, 0xff, 0xff, 0xff}},
		{"rate", SampleRateCommand(2.4e6), []byte{0x02, 0x00, 0x24, 0x9f, 0x00}},
		{"gain mode auto", GainModeCommand(false), []byte{0x03, 0, 0, 0, 0}},
		{"gain", GainCommand(402), []byte{0x04, 0, 0, 0x01, 0x92}},
		{"ppm", PPMCommand(-25), []byte{0x05, 0xff, 0xff, 0xff, 0xe7}},
		{"if gain", IFGainCommand(2, -30), []byte{0x06, 0, 2, 0xff, 0xe2}},
		{"agc", AGCCommand(true), []byte{0x08, 0, 0, 0, 1}},
		{"bias tee off", BiasTeeCommand(false), []byte{0x0e, 0, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if enc := tc.got.Append(nil); !bytes.Equal(enc, tc.want) {
				t.Fatalf("% x, want % x", enc, tc.want)
			}
		})
	}
}

func FuzzParseHeader(f *testing.F) {
	for _, tc := range headerCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			if !errors.Is(err, ErrShort) && !errors.Is(err, ErrBadMagic) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if enc := h.Append(nil); !bytes.Equal(enc, b[:HeaderSize]) {
			t.Fatalf("round trip % x → %+v → % x", b[:HeaderSize], h, enc)
		}
	})
}

func FuzzParseCommand(f *testing.F) {
	for _, tc := range commandCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCommand(b)
		if errors.Is(err, ErrShort) {
			if len(b) >= CommandSize {
				t.Fatalf("ErrShort for %d bytes", len(b))
			}
			return
		}
		if (err != nil) != !c.Op.Known() {
			t.Fatalf("err = %v for op %v", err, c.Op)
		}
		if enc := c.Append(nil); !bytes.Equal(enc, b[:CommandSize]) {
			t.Fatalf("round trip % x → %+v → % x", b[:CommandSize], c, enc)
		}
		_ = c.String()
	})
}
