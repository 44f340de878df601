//go:build rtlsdr && cgo

package rtlsdr

import (
	"errors"
	"testing"
)

// These tests run against the real librtlsdr. They expect no dongle
// (CI, a developer's machine) and skip when one is attached.
func skipIfDongle(t *testing.T) {
	t.Helper()
	if n := GetDeviceCount(); n > 0 {
		t.Skipf("%d dongle(s) attached: this test checks the no-dongle case", n)
	}
}

func TestBindingNoDongle(t *testing.T) {
	if !Built {
		t.Fatal("Built is false in the cgo build")
	}
	skipIfDongle(t)
	if name := GetDeviceName(0); name != "" {
		t.Errorf("GetDeviceName(0) = %q with no dongle", name)
	}
	cases := []struct {
		name string
		err  error
		msg  string
	}{
		{"Open(0)", func() error { _, err := Open(0); return err }(),
			"rtlsdr: open device 0: no RTL-SDR dongle found"},
		{"Open(-1)", func() error { _, err := Open(-1); return err }(),
			"rtlsdr: open device -1: no RTL-SDR dongle found"},
		{"GetDeviceUsbStrings(0)", func() error { _, _, _, err := GetDeviceUsbStrings(0); return err }(),
			"rtlsdr: usb strings of device 0: no RTL-SDR dongle found"},
		{"GetIndexBySerial", func() error { _, err := GetIndexBySerial("00000001"); return err }(),
			`rtlsdr: device with serial "00000001": no RTL-SDR dongle found`},
		{"OpenSource", func() error { _, err := OpenSource(SourceConfig{Freq: 902e6}); return err }(),
			"rtlsdr: open device 0: no RTL-SDR dongle found"},
		{"OpenSource by serial", func() error { _, err := OpenSource(SourceConfig{Freq: 902e6, Device: "serial=wing-b"}); return err }(),
			`rtlsdr: device with serial "wing-b": no RTL-SDR dongle found`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, ErrNoDevice) {
				t.Errorf("error %v, want ErrNoDevice", tc.err)
			}
			if tc.err == nil || tc.err.Error() != tc.msg {
				t.Errorf("error %v, want %q", tc.err, tc.msg)
			}
		})
	}
}

func TestBindingClosedContext(t *testing.T) {
	c := &Context{} // what Close leaves behind
	cases := []struct {
		name string
		err  error
	}{
		{"Close", c.Close()},
		{"SetCenterFreq", c.SetCenterFreq(902e6)},
		{"SetFreqCorrection", c.SetFreqCorrection(1)},
		{"GetTunerGains", func() error { _, err := c.GetTunerGains(); return err }()},
		{"SetTunerGain", c.SetTunerGain(197)},
		{"SetTunerGainMode", c.SetTunerGainMode(true)},
		{"SetAgcMode", c.SetAgcMode(false)},
		{"SetSampleRate", c.SetSampleRate(DefaultRate)},
		{"SetDirectSampling", c.SetDirectSampling(0)},
		{"SetOffsetTuning", c.SetOffsetTuning(false)},
		{"SetBiasTee", c.SetBiasTee(true)},
		{"ResetBuffer", c.ResetBuffer()},
		{"ReadSync", func() error { _, err := c.ReadSync(make([]byte, 512)); return err }()},
		{"ReadAsync", c.ReadAsync(func([]byte) {}, 0, 0)},
		{"CancelAsync", c.CancelAsync()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, ErrClosed) {
				t.Errorf("error %v, want ErrClosed", tc.err)
			}
		})
	}
	if c.GetTunerType() != TunerUnknown || c.GetCenterFreq() != 0 || c.GetSampleRate() != 0 {
		t.Error("getters of a closed Context return values other than zero")
	}
}

// TestBindingArgumentChecks covers the checks made before librtlsdr is
// called. Arguments are checked before the handle, so a closed Context
// shows them without a dongle.
func TestBindingArgumentChecks(t *testing.T) {
	c := &Context{}
	cases := []struct {
		name string
		err  error
		msg  string
	}{
		{"rate in the gap", c.SetSampleRate(500_000), "rtlsdr: sample rate 500000 Hz out of range (225001–300000 or 900001–3200000)"},
		{"rate too high", c.SetSampleRate(3_200_001), "rtlsdr: sample rate 3200001 Hz out of range (225001–300000 or 900001–3200000)"},
		{"negative frequency", c.SetCenterFreq(-1), "rtlsdr: center frequency -1 Hz out of range"},
		{"direct sampling mode", c.SetDirectSampling(3), "rtlsdr: direct sampling mode 3 (want 0 off, 1 I, 2 Q)"},
		{"empty read", func() error { _, err := c.ReadSync(nil); return err }(), "rtlsdr: read of 0 bytes: want a positive multiple of 512"},
		{"odd read", func() error { _, err := c.ReadSync(make([]byte, 1000)); return err }(), "rtlsdr: read of 1000 bytes: want a positive multiple of 512"},
		{"nil callback", c.ReadAsync(nil, 0, 0), "rtlsdr: ReadAsync: nil callback"},
		{"async length", c.ReadAsync(func([]byte) {}, 4, 1000), "rtlsdr: ReadAsync: 4 buffers of 1000 bytes: want counts ≥ 0 and a length that is a multiple of 512"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.err == nil || tc.err.Error() != tc.msg {
				t.Errorf("error %v, want %q", tc.err, tc.msg)
			}
		})
	}
}
