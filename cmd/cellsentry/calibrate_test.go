package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cellsentry/cellsentry/configs"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// downlinkScene writes a scene with a sensor whose dongle (default
// imperfections) has crystal error ppm, and the given interference.
func downlinkScene(t *testing.T, ppm float64, items string, dongle ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "scene.yaml")
	yml := fmt.Sprintf(`name: cal
seed: 3
sample_rate: 2.4MHz
sensors:
  - id: s1
    position: [0, 0, 2]
    center: 945MHz
    dongle: {ppm: %g%s}
interference:
%s`, ppm, strings.Join(dongle, ""), items)
	if err := os.WriteFile(p, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var consensusRE = regexp.MustCompile(`consensus: (-?[0-9.]+) ppm`)

func consensusOf(t *testing.T, out string) float64 {
	t.Helper()
	m := consensusRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no consensus in\n%s", out)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// TestCalibratePPM plants crystal errors on a dongle with every default
// imperfection and finds them from two carriers' FCCH within ±0.5 ppm
// (in practice ±0.02).
func TestCalibratePPM(t *testing.T) {
	for _, c := range []struct {
		name    string
		ppm     float64
		snrA    float64
		snrB    float64
		carrier string // a third carrier, or ""
		dongle  string // more dongle settings
	}{
		{"-40 ppm", -40, 20, 12, "", ""},
		{"-7.3 ppm", -7.3, 15, 25, "", ""},
		{"0 ppm", 0, 30, 10, "", ""},
		{"+12 ppm", 12, 25, 18, "", ""},
		{"+63 ppm", 63, 14, 22, "", ""},
		{"+9 ppm, a carrier 50 kHz off the raster", 9, 18, 18, "  - {id: off, kind: gsm_downlink, freq: 945.45MHz, snr: 30dB}\n", ""},
		{"-22 ppm, USB drops", -22, 20, 20, "", ", drop_rate: 10/s, drop_len: 7000"},
	} {
		t.Run(c.name, func(t *testing.T) {
			scene := downlinkScene(t, c.ppm, fmt.Sprintf(
				"  - {id: a, kind: gsm_downlink, arfcn: 49, snr: %gdB}\n  - {id: b, kind: gsm_downlink, arfcn: 55, snr: %gdB, bcc: 2}\n%s",
				c.snrA, c.snrB, c.carrier), c.dongle)
			out, _, err := runCmd(t, "calibrate", "--source", "sim://"+scene, "--band", "944.6MHz-947MHz",
				"--seconds", "0.5", "--scan-seconds", "0.05", "--channels", "3")
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			got := consensusOf(t, out)
			if math.Abs(got-c.ppm) > 0.5 {
				t.Errorf("consensus %.2f ppm, planted %g ppm\n%s", got, c.ppm, out)
			}
			if c.dongle != "" && (strings.Contains(out, "off the TDMA") || strings.Contains(out, "only ")) {
				t.Errorf("bursts lost their TDMA alignment across USB drops:\n%s", out)
			}
			if c.carrier != "" && !strings.Contains(out, "disagrees") {
				t.Errorf("the carrier off the raster was not set aside:\n%s", out)
			}
			t.Logf("planted %g ppm, measured %.2f ppm", c.ppm, got)
		})
	}
}

// TestCalibrateWrite measures the test scene over the whole GSM 900
// downlink and writes calibration.ppm into a copy of the shipped
// sensor.yaml: the result is the golden file, every other byte kept.
func TestCalibrateWrite(t *testing.T) {
	in, err := os.ReadFile("../../configs/sensor.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "sensor.yaml")
	if err := os.WriteFile(cfg, in, 0o640); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runCmd(t, "calibrate", "--config", cfg, "--source", "sim://testdata/calibrate/downlink.yaml",
		"--seconds", "0.5", "--channels", "3", "--write")
	if err != nil {
		t.Fatalf("%v\n%s%s", err, out, stderr)
	}
	if got := consensusOf(t, out); math.Abs(got-20) > 0.5 {
		t.Errorf("consensus %.2f ppm, the scene's dongle is 20 ppm fast", got)
	}
	if !strings.Contains(out, "3 carrier(s) 10 dB or more above it") {
		t.Errorf("want the scene's three base stations found:\n%s", out)
	}
	got, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/calibrate/sensor-ppm.golden.yaml"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("written config differs from %s", golden)
	}
	if st, err := os.Stat(cfg); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("mode after writing: %v %v, want 0640 kept", st.Mode(), err)
	}
	c, err := configs.Load(cfg)
	if err != nil || math.Abs(float64(c.Calibration.PPM)-20) > 0.5 {
		t.Errorf("written config: %v, ppm %v", err, c.Calibration.PPM)
	}
}

// TestCalibrateRefuses: nothing is written when the measurement cannot be
// trusted.
func TestCalibrateRefuses(t *testing.T) {
	for _, c := range []struct {
		name, items, want string
	}{
		{"only a carrier 100 kHz off the raster", "  - {id: off, kind: gsm_downlink, freq: 945.1MHz, snr: 30dB}\n", "no carrier gave FCCH bursts"},
		{"a steady carrier, no base station", "  - {id: cw, kind: cw, freq: 945.0677MHz, snr: 50dB}\n", "no carrier gave FCCH bursts"},
		{"nothing in the band", "  - {id: cw, kind: cw, freq: 930MHz, snr: 30dB}\n", "no carrier stands out"},
	} {
		t.Run(c.name, func(t *testing.T) {
			scene := downlinkScene(t, 5, c.items)
			in, err := os.ReadFile("../../configs/sensor.yaml")
			if err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(t.TempDir(), "sensor.yaml")
			if err := os.WriteFile(cfg, in, 0o644); err != nil {
				t.Fatal(err)
			}
			out, _, err := runCmd(t, "calibrate", "--config", cfg, "--source", "sim://"+scene, "--band", "944.6MHz-946MHz",
				"--seconds", "0.3", "--scan-seconds", "0.05", "--write")
			if !errors.Is(err, errInconsistent) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want %q\n%s", err, c.want, out)
			}
			if got, _ := os.ReadFile(cfg); !bytes.Equal(got, in) {
				t.Error("the config was changed")
			}
		})
	}
}

func TestCalibrateUsage(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"nothing", nil, "--config (or --source) is required"},
		{"write without config", []string{"--source", "sim://x.yaml", "--write"}, "--write needs --config"},
		{"power without level", []string{"--source", "sim://x.yaml", "--power"}, "--power needs --reference-dbm"},
		{"freq without power", []string{"--source", "sim://x.yaml", "--freq", "900MHz"}, "--freq, --gains and --reference-dbm go with --power"},
		{"bad band", []string{"--source", "sim://testdata/calibrate/downlink.yaml", "--band", "gsm900"}, `--band "gsm900": want gsm900-dl, egsm900-dl, dcs1800-dl or LOW-HIGH`},
		{"empty band", []string{"--source", "sim://testdata/calibrate/downlink.yaml", "--band", "100MHz-200MHz"}, "no GSM downlink channel between"},
		{"recording", []string{"--source", "file:///tmp/x_900M_2400k.cu8"}, "a recording cannot be retuned"},
		{"max ppm", []string{"--source", "sim://x.yaml", "--max-ppm", "300"}, "--max-ppm 300 outside 1–100"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := runCmd(t, "calibrate", c.args...)
			if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want a usage error with %q", err, c.want)
			}
		})
	}
}

// TestCalibratePower fits the offset table from a CW reference of known
// level at the antenna, on a dongle whose gain steps are off nominal by
// known errors: each gain's offset must be the simulated dongle's dBm −
// dBFS, FullScale − (G + error − RefGain), within 0.5 dB; the gain that
// clips is left out; --write replaces the 40.2 dB entry and adds the
// others.
func TestCalibratePower(t *testing.T) {
	scene := "testdata/calibrate/reference.yaml"
	// The reference's level at the antenna port, from the scene's truth:
	// what a calibrated signal generator's display would say.
	sc, err := sim.Load(scene)
	if err != nil {
		t.Fatal(err)
	}
	src, err := sc.Open("s1")
	if err != nil {
		t.Fatal(err)
	}
	ref := math.NaN()
	src.OnEmission = func(_ sim.Emission, rx sim.Reception) { ref = rx.DBm }
	if err := src.ReadBlock(&sdr.Block{Samples: make([]complex64, 1024)}); err != nil {
		t.Fatal(err)
	}
	src.Close()
	if math.IsNaN(ref) {
		t.Fatal("no truth for the reference")
	}
	in, err := os.ReadFile("../../configs/sensor.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "sensor.yaml")
	if err := os.WriteFile(cfg, in, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, "calibrate", "--power", "--config", cfg, "--source", "sim://"+scene,
		"--reference-dbm", strconv.FormatFloat(ref, 'f', 2, 64), "--freq", "902.4MHz",
		"--gains", "14.4,29.7,40.2,49.6", "--seconds", "0.1", "--write")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("reference %.2f dBm\n%s", ref, out)
	if !strings.Contains(out, "clipped") {
		t.Errorf("49.6 dB puts the reference above full scale: want it flagged clipped\n%s", out)
	}
	c, err := configs.Load(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := sim.DefaultDongle()
	gainErr := map[float64]float64{14.4: -2.1, 29.7: 1.6, 40.2: 0.7}
	for _, g := range []float64{14.4, 29.7, 40.2} {
		want := d.FullScale - (g + gainErr[g] - d.RefGain)
		got := c.Calibration.OffsetFor(configs.Gain{DB: g})
		if math.Abs(got-want) > 0.5 {
			t.Errorf("gain %g dB: offset %.2f dB, the dongle's is %.2f dB", g, got, want)
		}
	}
	if _, ok := c.Calibration.OffsetDB["49.6"]; ok {
		t.Error("the clipped gain was written")
	}
	if c.Calibration.OffsetDB["default"] != -72 {
		t.Errorf("default entry changed: %v", c.Calibration.OffsetDB)
	}
}

func TestDownlinkBand(t *testing.T) {
	for _, c := range []struct {
		spec        string
		n           int
		first, last float64
	}{
		{"gsm900-dl", 125, 935e6, 959.8e6},
		{"egsm900-dl", 174, 925.2e6, 959.8e6},
		{"dcs1800-dl", 374, 1805.2e6, 1879.8e6},
		{"944.6MHz-947MHz", 13, 944.6e6, 947e6},
		{"925M-925.4M", 2, 925.2e6, 925.4e6},
	} {
		t.Run(c.spec, func(t *testing.T) {
			ch, err := downlinkBand(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			if len(ch) != c.n || ch[0].Freq != c.first || math.Abs(ch[len(ch)-1].Freq-c.last) > 1 {
				t.Errorf("%d channels %v…%v, want %d %v…%v", len(ch), ch[0].Freq, ch[len(ch)-1].Freq, c.n, c.first, c.last)
			}
		})
	}
}

// FuzzDownlinkBand: any --band either fails or gives raster channels in
// increasing order inside the range asked for.
func FuzzDownlinkBand(f *testing.F) {
	for _, s := range []string{"gsm900-dl", "944.6MHz-947MHz", "925M-925.4M", "x-y", "-", "1e9-2e9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ch, err := downlinkBand(s)
		if err != nil {
			return
		}
		for i := range ch {
			if i > 0 && !(ch[i].Freq > ch[i-1].Freq) && !strings.HasSuffix(s, "-dl") {
				t.Fatalf("%q: channels out of order at %d", s, i)
			}
			if f, _ := sim.GSMDownlinkFreq(ch[i].ARFCN); f != ch[i].Freq {
				t.Fatalf("%q: ARFCN %d at %v", s, ch[i].ARFCN, ch[i].Freq)
			}
		}
	})
}

// TestCalibrateFromConfig measures the dongle the config names (here a
// scene) and warns that the dongle's own ppm wins over what it writes.
func TestCalibrateFromConfig(t *testing.T) {
	in, err := os.ReadFile("../../configs/sensor.yaml")
	if err != nil {
		t.Fatal(err)
	}
	scene, err := filepath.Abs("testdata/calibrate/downlink.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(in), "      source: rtlsdr://0\n", "      source: sim://"+scene+"\n", 1)
	s = strings.Replace(s, "      # ppm: 0\n", "      ppm: 3\n", 1)
	if s == string(in) {
		t.Fatal("sensor.yaml no longer has the lines this test edits")
	}
	cfg := filepath.Join(t.TempDir(), "sensor.yaml")
	if err := os.WriteFile(cfg, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runCmd(t, "calibrate", "--config", cfg, "--band", "938MHz-947MHz", "--seconds", "0.3", "--channels", "2", "--write")
	if err != nil {
		t.Fatalf("%v\n%s%s", err, out, stderr)
	}
	if got := consensusOf(t, out); math.Abs(got-20) > 0.5 {
		t.Errorf("consensus %.2f ppm, the scene's dongle is 20 ppm fast\n%s", got, out)
	}
	if !strings.Contains(stderr, "radio.dongles[0].ppm: 3") || !strings.Contains(stderr, "wins over calibration.ppm") {
		t.Errorf("no warning about the dongle's own ppm:\n%s", stderr)
	}
	c, err := configs.Load(cfg)
	if err != nil || math.Abs(float64(c.Calibration.PPM)-20) > 0.5 {
		t.Errorf("written config: %v, calibration.ppm %v", err, c.Calibration.PPM)
	}
}
