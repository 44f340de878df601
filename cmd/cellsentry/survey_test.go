package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cellsentry/cellsentry/configs"
	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/survey"
	"github.com/cellsentry/cellsentry/sdr"
)

// The planted content of testdata/survey/site.yaml, heard through the
// three hop centres of testdata/survey/sensor.yaml.
var (
	surveyCentresHz = []float64{901.96e6, 903.88e6, 905.8e6}
	surveySpursHz   = []float64{412.5e3, -687.5e3, 862.5e3}
	surveyFixed     = []struct {
		name     string
		freq, bw float64
	}{
		{"BCCH leak", 902.8e6, 200e3},
		{"staff radio (CW)", 904.5e6, 0},
		{"wideband emitter", 905.45e6, 400e3},
	}
	surveyPhones = []struct {
		name string
		freq float64
	}{
		{"GSM call", 903.6e6},
		{"GSM signalling", 901.4e6},
	}
)

const surveyBinHz = 2.4e6 / 256

// TestSurvey surveys the test site once (it takes a while) and checks
// what the command writes.
func TestSurvey(t *testing.T) {
	dir := t.TempDir()
	cfg, err := loadRunConfig(&runFlags{config: "testdata/survey/sensor.yaml", broker: "none", metrics: "none"})
	if err != nil {
		t.Fatal(err)
	}
	f := &surveyFlags{minutes: 0.4, target: 2000, progress: "never"}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	res, st, err := surveyRun(context.Background(), cfg, f, io.Discard, log)
	if err != nil {
		t.Fatal(err)
	}
	st.started = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	sg := res.Suggest(f.target)
	plots, err := writeSurveyFiles(dir, cfg, res, &sg, st)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("emitters", func(t *testing.T) { surveyFindsPlantedEmitters(t, dir, res) })
	t.Run("valid", func(t *testing.T) { surveySuggestionIsValid(t, dir) })
	t.Run("golden", func(t *testing.T) { surveyGolden(t, dir) })
	t.Run("plots", func(t *testing.T) { surveyPlotsRead(t, dir, plots) })
}

// suggested is suggested.yaml as decoded.
type suggested struct {
	Detection struct {
		BandThresholdDB map[string]string `yaml:"band_threshold_db"`
		SpursHz         []string          `yaml:"spurs_hz"`
		Exclusions      []struct {
			Name      string
			Low, High string
		} `yaml:"exclusions"`
	} `yaml:"detection"`
}

func readSuggested(t *testing.T, dir string) (suggested, []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "suggested.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var s suggested
	if err := yaml.Unmarshal(b, &s); err != nil {
		t.Fatalf("suggested.yaml: %v", err)
	}
	return s, b
}

func hz(t *testing.T, s string) float64 {
	t.Helper()
	f, err := configs.ParseFrequency(s)
	if err != nil {
		t.Fatal(err)
	}
	return f.Hz()
}

// surveyFindsPlantedEmitters: every planted spur and fixed emitter is
// in suggested.yaml within a bin (spurs as offsets, the others as
// exclusions that cover them), and neither phone is excluded.
func surveyFindsPlantedEmitters(t *testing.T, dir string, res *survey.Result) {
	s, _ := readSuggested(t, dir)
	for _, e := range res.Emitters {
		t.Logf("%-5s %.4f MHz offset %+.1f kHz %.0f kHz wide, %.1f dB over the floor, duty %.2f, %d centres",
			e.Kind, e.Freq/1e6, e.Offset/1e3, e.Bandwidth/1e3, e.PeakDB, e.Duty, e.Centres)
	}
	for _, want := range surveySpursHz {
		t.Run("spur "+configs.Frequency(want).String(), func(t *testing.T) {
			for _, got := range s.Detection.SpursHz {
				if math.Abs(hz(t, got)-want) <= surveyBinHz {
					return
				}
			}
			t.Errorf("spurs_hz %v: %s missing (within a bin)", s.Detection.SpursHz, configs.Frequency(want))
		})
	}
	if len(s.Detection.SpursHz) != len(surveySpursHz) {
		t.Errorf("spurs_hz %v: want only the %d planted", s.Detection.SpursHz, len(surveySpursHz))
	}
	for _, want := range surveyFixed {
		t.Run(want.name, func(t *testing.T) {
			n := 0
			for _, x := range s.Detection.Exclusions {
				lo, hi := hz(t, x.Low), hz(t, x.High)
				if lo <= want.freq && hi >= want.freq {
					n++
					if c := (lo + hi) / 2; math.Abs(c-want.freq) > surveyBinHz+want.bw/4 {
						t.Errorf("exclusion %s–%s is centred %.1f kHz off", x.Low, x.High, (c-want.freq)/1e3)
					}
					if w := hi - lo; w > want.bw+300e3 {
						t.Errorf("exclusion %s–%s is %.0f kHz wide for %.0f kHz", x.Low, x.High, w/1e3, want.bw/1e3)
					}
				}
			}
			if n != 1 {
				t.Errorf("%d exclusions cover %.3f MHz, want 1: %+v", n, want.freq/1e6, s.Detection.Exclusions)
			}
		})
	}
	if len(s.Detection.Exclusions) != len(surveyFixed) {
		t.Errorf("%d exclusions, want the %d planted fixed emitters: %+v", len(s.Detection.Exclusions), len(surveyFixed), s.Detection.Exclusions)
	}
	for _, ph := range surveyPhones {
		for _, x := range s.Detection.Exclusions {
			if hz(t, x.Low) <= ph.freq+100e3 && hz(t, x.High) >= ph.freq-100e3 {
				t.Errorf("%s at %.1f MHz became an exclusion: %+v", ph.name, ph.freq/1e6, x)
			}
		}
	}
	if _, ok := s.Detection.BandThresholdDB["test-ul"]; !ok {
		t.Errorf("no threshold for band test-ul: %v", s.Detection.BandThresholdDB)
	}
}

// surveySuggestionIsValid merges suggested.yaml into the survey's
// config (its detection section replaces the config's) and checks it with
// check-config and configs.Load.
func surveySuggestionIsValid(t *testing.T, dir string) {
	_, snippet := readSuggested(t, dir)
	base, err := os.ReadFile("testdata/survey/sensor.yaml")
	if err != nil {
		t.Fatal(err)
	}
	merged := mergeSection(t, base, snippet, "detection")
	path := filepath.Join(t.TempDir(), "merged.yaml")
	if err := os.WriteFile(path, merged, 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, log: slog.New(slog.NewTextHandler(&errb, nil))}
	if err := run(context.Background(), e, []string{"check-config", path}); err != nil {
		t.Fatalf("check-config on the merged config: %v\n%s\n%s", err, errb.String(), merged)
	}
	cfg, err := configs.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Detection
	if th := d.BandThresholdDB["test-ul"]; th < 1 || th > 40 {
		t.Errorf("band_threshold_db test-ul %v", th)
	}
	if len(d.SpursHz) != len(surveySpursHz) || len(d.Exclusions) != len(surveyFixed) {
		t.Errorf("merged detection: spurs %v, exclusions %v", d.SpursHz, d.Exclusions)
	}
	if _, ok := cfg.Excluded(904.5e6); !ok {
		t.Error("the staff radio at 904.5 MHz is not excluded by the merged config")
	}
	if x, ok := cfg.Excluded(903.6e6); ok {
		t.Errorf("the phone's channel is excluded by %+v", x)
	}
}

// mergeSection replaces section key of the YAML document base with the
// same section of snippet.
func mergeSection(t *testing.T, base, snippet []byte, key string) []byte {
	t.Helper()
	var b, s yaml.Node
	if err := yaml.Unmarshal(base, &b); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(snippet, &s); err != nil {
		t.Fatal(err)
	}
	val := func(doc *yaml.Node) (*yaml.Node, int) {
		m := doc.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				return m, i + 1
			}
		}
		return m, -1
	}
	sm, si := val(&s)
	if si < 0 {
		t.Fatalf("snippet has no %s section", key)
	}
	bm, bi := val(&b)
	if bi < 0 {
		bm.Content = append(bm.Content, sm.Content[si-1], sm.Content[si])
	} else {
		bm.Content[bi] = sm.Content[si]
	}
	out, err := yaml.Marshal(&b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// surveyGolden compares the structure of suggested.yaml (digits masked:
// levels and rates move with the CPU's float rounding and the scene's
// noise) with testdata/survey/suggested.golden; go test -update rewrites it.
func surveyGolden(t *testing.T, dir string) {
	_, got := readSuggested(t, dir)
	mask := regexp.MustCompile(`[0-9]+(\.[0-9]+)?(e[+-][0-9]+)?`)
	lines := strings.Split(string(got), "\n")
	for i, l := range lines {
		lines[i] = mask.ReplaceAllString(l, "#")
	}
	masked := []byte(strings.Join(lines, "\n"))
	golden := "testdata/survey/suggested.golden"
	if *update {
		if err := os.WriteFile(golden, masked, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(masked, want) {
		t.Errorf("suggested.yaml's structure changed (go test -run TestSurvey/golden -update to accept):\n got:\n%s\nwant:\n%s", masked, want)
	}
}

// near reports whether colour c is within tol of want (antialiased lines
// blend with the white background).
func near(c color.Color, want color.RGBA, tol int) bool {
	r, g, b, _ := c.RGBA()
	d := func(x uint32, y uint8) int { return int(x>>8) - int(y) }
	iabs := func(x int) int { return max(x, -x) }
	return iabs(d(r, want.R)) <= tol && iabs(d(g, want.G)) <= tol && iabs(d(b, want.B)) <= tol
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// topOf is, per pixel column of the data area, the highest row holding a
// pixel of colour col (−1 where none).
func topOf(img image.Image, g plotGeom, col color.RGBA) []int {
	out := make([]int, img.Bounds().Dx())
	for x := range out {
		out[x] = -1
		if float64(x) < g.X0 || float64(x) > g.X1 {
			continue
		}
		for y := int(g.Y0); y <= int(g.Y1); y++ {
			if near(img.At(x, y), col, 8) {
				out[x] = y
				break
			}
		}
	}
	return out
}

// surveyPlotsRead reads the PNGs back: the spectrum's floor line peaks at
// the planted spur and radio, the waterfall is bright in their columns,
// the occupancy of the radio's bins is near 100 %, the burst chart has the
// GSM bar; report.html shows every PNG.
func surveyPlotsRead(t *testing.T, dir string, plots []surveyPlots) {
	if len(plots) != 1 || plots[0].Band != "test-ul" {
		t.Fatalf("plots %+v", plots)
	}
	p := plots[0]
	// Columns where the floor (median) line must stand out: the
	// strongest spur at every centre, and the staff radio.
	peaks := []float64{904.5e6}
	for _, c := range surveyCentresHz {
		peaks = append(peaks, c+surveySpursHz[0])
	}
	t.Run("spectrum", func(t *testing.T) {
		img := readPNG(t, filepath.Join(dir, p.Spectrum.File))
		top := topOf(img, p.Spectrum, colFloor)
		var ys []int
		for _, y := range top {
			if y >= 0 {
				ys = append(ys, y)
			}
		}
		if len(ys) < img.Bounds().Dx()/2 {
			t.Fatalf("the floor line covers %d of %d columns", len(ys), img.Bounds().Dx())
		}
		slices.Sort(ys)
		typical := ys[len(ys)/2]
		for _, f := range peaks {
			x := p.Spectrum.px(f / 1e6)
			best := math.MaxInt
			for dx := -2; dx <= 2; dx++ {
				if y := top[min(max(x+dx, 0), len(top)-1)]; y >= 0 {
					best = min(best, y)
				}
			}
			// +7 dB or more over the floor: the y scale is tens of pixels per 10 dB.
			if px10 := p.Spectrum.py(0) - p.Spectrum.py(10); best > typical-px10/2 {
				t.Errorf("%.4f MHz (column %d): the floor line tops at row %d, typical %d (10 dB = %d px): no peak", f/1e6, x, best, typical, px10)
			}
		}
	})
	t.Run("waterfall", func(t *testing.T) {
		img := readPNG(t, filepath.Join(dir, p.Waterfall.File))
		g := p.Waterfall
		lum := func(x int) float64 {
			var s float64
			n := 0
			for y := int(g.Y0) + 2; y < int(g.Y1)-2; y++ {
				r, gg, b, _ := img.At(x, y).RGBA()
				s += float64(r+gg+b) / 3 / 257
				n++
			}
			return s / float64(n)
		}
		var all []float64
		for x := int(g.X0) + 2; x < int(g.X1)-2; x++ {
			all = append(all, lum(x))
		}
		slices.Sort(all)
		typical := all[len(all)/2]
		x := g.px(904.5)
		best := math.Max(lum(x-1), math.Max(lum(x), lum(x+1)))
		if best < typical+20 || best < 2*typical {
			t.Errorf("the staff radio's column is not brighter: %.0f against %.0f typical (0–255)", best, typical)
		}
	})
	t.Run("occupancy", func(t *testing.T) {
		img := readPNG(t, filepath.Join(dir, p.Occupancy.File))
		top := topOf(img, p.Occupancy, colFloor)
		x := p.Occupancy.px(904.5)
		best := math.MaxInt
		for dx := -2; dx <= 2; dx++ {
			if y := top[x+dx]; y >= 0 {
				best = min(best, y)
			}
		}
		if y90 := p.Occupancy.py(90); best > y90 {
			t.Errorf("occupancy at the staff radio tops at row %d, 90 %% is row %d", best, y90)
		}
	})
	t.Run("bursts", func(t *testing.T) {
		img := readPNG(t, filepath.Join(dir, "bursts.png"))
		n := 0
		b := img.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				if near(img.At(x, y), colFloor, 4) { // the GSM bars' colour
					n++
				}
			}
		}
		if n < 50 {
			t.Errorf("%d pixels of the GSM bar: the phone's bursts are not plotted", n)
		}
	})
	t.Run("report", func(t *testing.T) {
		html, err := os.ReadFile(filepath.Join(dir, "report.html"))
		if err != nil {
			t.Fatal(err)
		}
		if !p.HasFalseAlarms {
			t.Error("no false-alarm curve")
		}
		for _, f := range []string{p.Spectrum.File, p.Waterfall.File, p.Occupancy.File, p.FalseAlarms.File, "bursts.png"} {
			if !bytes.Contains(html, []byte(`src="`+f+`"`)) {
				t.Errorf("report.html does not show %s", f)
			}
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Error(err)
			}
		}
		if bytes.Contains(html, []byte("http://")) || bytes.Contains(html, []byte("https://")) {
			t.Error("report.html refers to something outside its directory")
		}
	})
}

// TestSurveyCommand runs the command: usage errors, and an interrupted
// survey that still writes its report.
func TestSurveyCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{"no config", []string{"--out", "x"}, "survey needs --config FILE and --out DIR"},
		{"no out", []string{"--config", "testdata/survey/sensor.yaml"}, "survey needs --config FILE and --out DIR"},
		{"bad minutes", []string{"--config", "testdata/survey/sensor.yaml", "--out", "x", "--minutes", "0"}, "--minutes 0: must be more than 0"},
		{"bad progress", []string{"--config", "testdata/survey/sensor.yaml", "--out", "x", "--progress", "often"}, `--progress "often"`},
		{"missing config", []string{"--config", "testdata/survey/none.yaml", "--out", "x"}, "none.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var errb bytes.Buffer
			e := &env{stdout: io.Discard, stderr: &errb, log: slog.New(slog.NewTextHandler(&errb, nil))}
			err := run(context.Background(), e, append([]string{"survey"}, tc.args...))
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("err %v, want one containing %q", err, tc.err)
			}
		})
	}
	t.Run("interrupted", func(t *testing.T) {
		dir := t.TempDir()
		var errb bytes.Buffer
		e := &env{stdout: io.Discard, stderr: &errb, log: slog.New(slog.NewTextHandler(&errb, nil))}
		ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
		defer cancel()
		err := run(ctx, e, []string{"survey", "--config", "testdata/survey/sensor.yaml", "--out", dir, "--minutes", "60", "--progress", "always"})
		if err != nil {
			t.Fatalf("%v\n%s", err, errb.String())
		}
		html, err := os.ReadFile(filepath.Join(dir, "report.html"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(html, []byte("ended early (interrupted)")) {
			t.Error("report.html does not say the survey was interrupted")
		}
		yml, err := os.ReadFile(filepath.Join(dir, "suggested.yaml"))
		if err != nil || !bytes.Contains(yml, []byte("ended early (interrupted)")) {
			t.Errorf("suggested.yaml does not say the survey ended early (%v)", err)
		}
		if !strings.Contains(errb.String(), "\rsurvey: test-ul") || !strings.Contains(errb.String(), "survey ended early") {
			t.Errorf("stderr lacks the progress line or the early end:\n%s", errb.String())
		}
	})
}

// TestSurveyFalseAlarms is the survey's promise end to end: survey the
// test dongle's noise (its spurs and artifacts, nothing transmitting),
// merge suggested.yaml into the config, and count the false bursts of the
// sensor's pipelines on a fresh seed of the same scene, hopping as the
// sensor does. The target (3000 per hour of listening) is high so that
// 1.5 minutes of signal expect about 70: the Poisson error of that count
// is ±12 % (1σ), well inside the factor of two the test allows.
func TestSurveyFalseAlarms(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, err := runCmd(t, "survey", "--config", "testdata/survey/sensor.yaml", "--source", "sim://testdata/survey/noise.yaml?seed=21",
		"--minutes", "0.75", "--false-per-hour", "3000", "--out", dir, "--progress", "never"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	_, snippet := readSuggested(t, dir)
	m := regexp.MustCompile(`# predicted ([0-9.e+]+) false bursts per hour of listening \(counted[^\n]*\n\s+test-ul: ([0-9.]+)dB`).FindSubmatch(snippet)
	if m == nil {
		t.Fatalf("no counted prediction for test-ul in\n%s", snippet)
	}
	var predicted float64
	if _, err := fmt.Sscan(string(m[1]), &predicted); err != nil {
		t.Fatal(err)
	}
	base, err := os.ReadFile("testdata/survey/sensor.yaml")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "merged.yaml")
	if err := os.WriteFile(path, mergeSection(t, base, snippet, "detection"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadRunConfig(&runFlags{config: path, source: "sim://testdata/survey/noise.yaml?seed=22", broker: "none", metrics: "none"})
	if err != nil {
		t.Fatal(err)
	}
	dr, err := openDongle(context.Background(), cfg, 0, &runFlags{fast: true}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer dr.src.Close()
	buf := make([]complex64, dr.block)
	blk := sdr.Block{Samples: buf}
	var bursts []dsp.Burst
	var heard, n int64
	found, rhythm := 0, 0
	const seconds = 90
	for float64(n)/2.4e6 < seconds {
		blk.Samples = buf[:cap(buf)]
		if err := dr.src.ReadBlock(&blk); err != nil {
			t.Fatal(err)
		}
		n += int64(len(blk.Samples))
		if !blk.Settling {
			heard += int64(len(blk.Samples))
		}
		bursts, err = dr.pipes[dr.band(blk.Center)].Process(bursts[:0], &blk)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bursts {
			if _, ok := cfg.Excluded(b.Freq); ok {
				continue
			}
			found++
			if b.Rhythm {
				rhythm++
			}
		}
	}
	want := predicted * float64(heard) / 2.4e6 / 3600
	t.Logf("threshold %s dB, predicted %.0f/h: %d false bursts (%d by the rhythm integrator) in %.0f s heard, expected %.1f ± %.1f",
		m[2], predicted, found, rhythm, float64(heard)/2.4e6, want, math.Sqrt(want))
	if float64(found) < want/2 || float64(found) > 2*want {
		t.Errorf("%d false bursts, predicted %.1f: not within a factor of two", found, want)
	}
}
