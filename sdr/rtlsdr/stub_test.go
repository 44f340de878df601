//go:build !rtlsdr || !cgo

package rtlsdr

import (
	"errors"
	"testing"
)

func TestStubReportsNotBuilt(t *testing.T) {
	if Built {
		t.Fatal("Built is true in the pure-Go build")
	}
	if n := GetDeviceCount(); n != 0 {
		t.Errorf("GetDeviceCount() = %d, want 0", n)
	}
	if name := GetDeviceName(0); name != "" {
		t.Errorf("GetDeviceName(0) = %q, want \"\"", name)
	}
	c := &Context{}
	cases := []struct {
		name string
		err  error
	}{
		{"Open", func() error { _, err := Open(0); return err }()},
		{"OpenSource", func() error { _, err := OpenSource(SourceConfig{Freq: 902e6}); return err }()},
		{"OpenSource by serial", func() error { _, err := OpenSource(SourceConfig{Freq: 902e6, Device: "serial=1"}); return err }()},
		{"GetDeviceUsbStrings", func() error { _, _, _, err := GetDeviceUsbStrings(0); return err }()},
		{"GetIndexBySerial", func() error { _, err := GetIndexBySerial("00000001"); return err }()},
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
			if !errors.Is(tc.err, ErrNotBuilt) {
				t.Errorf("%s: error %v, want ErrNotBuilt", tc.name, tc.err)
			}
		})
	}
	const msg = "cellsentry was built without RTL-SDR support: rebuild with -tags rtlsdr"
	if ErrNotBuilt.Error() != msg {
		t.Errorf("ErrNotBuilt = %q, want %q", ErrNotBuilt, msg)
	}
	if c.GetTunerType() != TunerUnknown || c.GetCenterFreq() != 0 || c.GetSampleRate() != 0 {
		t.Error("getters of the stub Context return values other than zero")
	}
}
