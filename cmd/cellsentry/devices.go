package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/cellsentry/cellsentry/sdr/rtlsdr"
)

func init() {
	register("devices", "list attached RTL-SDR dongles: index, name, serial, tuner, gains", runDevices)
}

// dongleInfo is one attached dongle as devices reports it.
type dongleInfo struct {
	Index        int       `json:"index"`
	Name         string    `json:"name"`
	Manufacturer string    `json:"manufacturer,omitempty"`
	Product      string    `json:"product,omitempty"`
	Serial       string    `json:"serial,omitempty"`
	Tuner        string    `json:"tuner,omitempty"`
	GainsDB      []float64 `json:"gains_db,omitempty"` // supported tuner gains, dB
	// Error says why the dongle could not be opened or read (busy, no
	// permission); what was learnt without opening it is still given.
	Error string `json:"error,omitempty"`
}

// devicesReport is what devices prints with --json.
type devicesReport struct {
	Built   bool         `json:"built_with_rtlsdr"`
	Message string       `json:"message,omitempty"`
	Devices []dongleInfo `json:"devices"`
}

// devicesRebuildHint tells a pure-Go build's user how to get the driver.
const devicesRebuildHint = "install librtlsdr-dev and build with: go build -tags rtlsdr ./cmd/cellsentry (see README, \"Building with the RTL-SDR driver\")"

func runDevices(ctx context.Context, e *env, args []string) error {
	return devices(e, args, rtlsdr.Built, probeDongles)
}

// devices implements the command over a probe, so that tests can list
// dongles that are not there.
func devices(e *env, args []string, built bool, probe func() []dongleInfo) error {
	fs := newFlagSet(e, "devices", "[--json]")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: devices takes no arguments, got %q", errUsage, fs.Args())
	}
	rep := devicesReport{Built: built, Devices: []dongleInfo{}}
	switch {
	case !built:
		rep.Message = rtlsdr.ErrNotBuilt.Error() + "; " + devicesRebuildHint
	default:
		rep.Devices = append(rep.Devices, probe()...)
		if len(rep.Devices) == 0 {
			rep.Message = rtlsdr.ErrNoDevice.Error()
		}
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("devices: write JSON: %w", err)
		}
		return nil
	}
	return writeDevices(e.stdout, rep)
}

// probeDongles asks librtlsdr about every attached dongle. Each is opened
// briefly for its tuner and gains; one that cannot be opened (in use, no
// permission) is listed with the error.
func probeDongles() []dongleInfo {
	n := rtlsdr.GetDeviceCount()
	out := make([]dongleInfo, 0, n)
	for i := range n {
		d := dongleInfo{Index: i, Name: rtlsdr.GetDeviceName(i)}
		var err error
		d.Manufacturer, d.Product, d.Serial, err = rtlsdr.GetDeviceUsbStrings(i)
		if err != nil {
			d.Error = err.Error()
			out = append(out, d)
			continue
		}
		c, err := rtlsdr.Open(i)
		if err != nil {
			d.Error = err.Error()
			out = append(out, d)
			continue
		}
		d.Tuner = c.GetTunerType().String()
		gains, err := c.GetTunerGains()
		if err != nil {
			d.Error = err.Error()
		}
		for _, g := range gains {
			d.GainsDB = append(d.GainsDB, float64(g)/10)
		}
		if err := c.Close(); err != nil && d.Error == "" {
			d.Error = err.Error()
		}
		out = append(out, d)
	}
	return out
}

// writeDevices prints the report as text, one block per dongle.
func writeDevices(w io.Writer, rep devicesReport) error {
	var b strings.Builder
	if rep.Message != "" {
		fmt.Fprintln(&b, rep.Message)
	}
	for _, d := range rep.Devices {
		fmt.Fprintf(&b, "%d: %s\n", d.Index, d.Name)
		fmt.Fprintf(&b, "   manufacturer %q, product %q, serial %q\n", d.Manufacturer, d.Product, d.Serial)
		if d.Tuner != "" {
			fmt.Fprintf(&b, "   tuner %s", d.Tuner)
			if len(d.GainsDB) > 0 {
				g := make([]string, len(d.GainsDB))
				for i, v := range d.GainsDB {
					g[i] = fmt.Sprintf("%.1f", v)
				}
				fmt.Fprintf(&b, ", %d gains (dB): %s", len(g), strings.Join(g, " "))
			}
			fmt.Fprintln(&b)
		}
		if d.Error != "" {
			fmt.Fprintf(&b, "   error: %s\n", d.Error)
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("devices: write: %w", err)
	}
	return nil
}
