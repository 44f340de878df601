package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/cellsentry/cellsentry/sdr/rtlsdr"
)

func devicesEnv() (*env, *bytes.Buffer) {
	var out bytes.Buffer
	return &env{stdout: &out, stderr: io.Discard, log: slog.New(slog.NewTextHandler(io.Discard, nil))}, &out
}

// TestDevicesThisBuild runs the real command on this machine, which has
// no dongle: the pure-Go build says how to rebuild, the cgo build says no
// dongle was found, and both exit 0.
func TestDevicesThisBuild(t *testing.T) {
	if rtlsdr.GetDeviceCount() > 0 {
		t.Skip("a dongle is attached")
	}
	for _, args := range [][]string{nil, {"--json"}} {
		t.Run(strings.Join(append([]string{"devices"}, args...), " "), func(t *testing.T) {
			e, out := devicesEnv()
			if err := run(context.Background(), e, append([]string{"devices"}, args...)); err != nil {
				t.Fatalf("devices: %v", err)
			}
			want := "no RTL-SDR dongle found"
			if !rtlsdr.Built {
				want = "cellsentry was built without RTL-SDR support: rebuild with -tags rtlsdr"
			}
			if !strings.Contains(out.String(), want) {
				t.Errorf("output %q does not say %q", out, want)
			}
			if len(args) > 0 {
				var rep devicesReport
				if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
					t.Fatalf("invalid JSON: %v\n%s", err, out)
				}
				if rep.Built != rtlsdr.Built || rep.Devices == nil || len(rep.Devices) != 0 {
					t.Errorf("report %+v: want built=%v and an empty device list", rep, rtlsdr.Built)
				}
			}
		})
	}
}

func twoDongles() []dongleInfo {
	return []dongleInfo{
		{Index: 0, Name: "Generic RTL2832U OEM", Manufacturer: "Realtek", Product: "RTL2838UHIDIR", Serial: "00000001",
			Tuner: "Rafael Micro R820T", GainsDB: []float64{0, 0.9, 49.6}},
		{Index: 1, Name: "Generic RTL2832U OEM", Manufacturer: "Realtek", Product: "RTL2838UHIDIR", Serial: "wing-b",
			Error: "rtlsdr: open device 1: rtlsdr_open returned -6 (LIBUSB_ERROR_BUSY)"},
	}
}

func TestDevicesOutput(t *testing.T) {
	cases := []struct {
		name  string
		built bool
		probe func() []dongleInfo
		want  string
	}{
		{"two dongles, one busy", true, twoDongles,
			"0: Generic RTL2832U OEM\n" +
				"   manufacturer \"Realtek\", product \"RTL2838UHIDIR\", serial \"00000001\"\n" +
				"   tuner Rafael Micro R820T, 3 gains (dB): 0.0 0.9 49.6\n" +
				"1: Generic RTL2832U OEM\n" +
				"   manufacturer \"Realtek\", product \"RTL2838UHIDIR\", serial \"wing-b\"\n" +
				"   error: rtlsdr: open device 1: rtlsdr_open returned -6 (LIBUSB_ERROR_BUSY)\n"},
		{"none attached", true, func() []dongleInfo { return nil }, "no RTL-SDR dongle found\n"},
		{"pure-Go build never probes", false, func() []dongleInfo { panic("probed") },
			"cellsentry was built without RTL-SDR support: rebuild with -tags rtlsdr; " + devicesRebuildHint + "\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, out := devicesEnv()
			if err := devices(e, nil, tc.built, tc.probe); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Errorf("output:\n%s\nwant:\n%s", out, tc.want)
			}
		})
	}
}

func TestDevicesJSON(t *testing.T) {
	e, out := devicesEnv()
	if err := devices(e, []string{"--json"}, true, twoDongles); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Built   bool `json:"built_with_rtlsdr"`
		Devices []struct {
			Index   int       `json:"index"`
			Serial  string    `json:"serial"`
			Tuner   string    `json:"tuner"`
			GainsDB []float64 `json:"gains_db"`
			Error   string    `json:"error"`
		} `json:"devices"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, out)
	}
	if !rep.Built || len(rep.Devices) != 2 {
		t.Fatalf("report %+v: want built and two devices", rep)
	}
	d0, d1 := rep.Devices[0], rep.Devices[1]
	if d0.Serial != "00000001" || d0.Tuner != "Rafael Micro R820T" || len(d0.GainsDB) != 3 || d0.GainsDB[2] != 49.6 || d0.Error != "" {
		t.Errorf("device 0 = %+v", d0)
	}
	if d1.Index != 1 || d1.Serial != "wing-b" || d1.Tuner != "" || !strings.Contains(d1.Error, "LIBUSB_ERROR_BUSY") {
		t.Errorf("device 1 = %+v", d1)
	}
}

func TestDevicesUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"argument", []string{"0"}, `usage: devices takes no arguments, got ["0"]`},
		{"unknown flag", []string{"--serial", "x"}, "usage: devices: flag provided but not defined: -serial"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := devicesEnv()
			err := devices(e, tc.args, true, twoDongles)
			if !errors.Is(err, errUsage) || err.Error() != tc.msg {
				t.Errorf("error %v, want usage error %q", err, tc.msg)
			}
		})
	}
}
