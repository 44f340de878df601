package main

import (
	"encoding/json"
	"errors"
	"math"
	"math/cmplx"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
)

func infoJSON(t *testing.T, args ...string) infoReport {
	t.Helper()
	out, _, err := runCmd(t, "info", append(args, "--json")...)
	if err != nil {
		t.Fatalf("info %v: %v", args, err)
	}
	var rep infoReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("info --json printed invalid JSON: %v\n%s", err, out)
	}
	return rep
}

// infoSegment is a run of samples written with one tuning.
type infoSegment struct {
	center float64
	s      []complex64
}

// writeInfoRecording writes segments as consecutive captures at 2.4 MS/s.
func writeInfoRecording(t *testing.T, prefix string, f sdr.Format, m sigmf.Meta, segs ...infoSegment) string {
	t.Helper()
	m.Datatype, m.SampleRate = f, 2.4e6
	w, err := sigmf.Create(prefix, m)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 5, 1, 22, 0, 0, 0, time.UTC)
	var n int64
	for _, sg := range segs {
		b := sdr.Block{Samples: sg.s, Center: sg.center, Rate: 2.4e6, Time: t0.Add(time.Duration(float64(n) / 2.4e6 * 1e9))}
		if err := w.WriteBlock(&b); err != nil {
			t.Fatal(err)
		}
		n += int64(len(sg.s))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return prefix + ".sigmf-meta"
}

// tone is n samples of a complex exponential of amplitude a at f Hz
// (sampled at 2.4 MS/s): constant power a².
func tone(n int, a, f float64) []complex64 {
	s := make([]complex64, n)
	for i := range s {
		s[i] = complex64(cmplx.Rect(a, 2*math.Pi*f*float64(i)/2.4e6))
	}
	return s
}

func TestInfoToneLevel(t *testing.T) {
	const amp = 0.5 // 20·log10(0.5) = -6.02 dBFS
	want := 20 * math.Log10(amp)
	for _, f := range []sdr.Format{sdr.CU8, sdr.CI8, sdr.CI16LE, sdr.CF32LE} {
		t.Run(f.String(), func(t *testing.T) {
			path := writeInfoRecording(t, filepath.Join(t.TempDir(), "tone"), f, sigmf.Meta{}, infoSegment{902e6, tone(240000, amp, 100e3)})
			rep := infoJSON(t, path)
			if math.Abs(rep.Power.MeanDBFS-want) > 0.1 {
				t.Errorf("mean power %.3f dBFS, want %.3f ± 0.1", rep.Power.MeanDBFS, want)
			}
			if math.Abs(rep.Power.PeakDBFS-want) > 0.1 {
				t.Errorf("peak %.3f dBFS, want %.3f ± 0.1 for a constant envelope", rep.Power.PeakDBFS, want)
			}
			if rep.Power.ClippedFraction != 0 {
				t.Errorf("clipped fraction %v for a tone at half scale", rep.Power.ClippedFraction)
			}
			// A tone over a whole number of cycles (240000/24) has no DC; cu8's
			// half-code offset rounds symmetrically.
			if math.Abs(rep.Power.DCI) > 2e-3 || math.Abs(rep.Power.DCQ) > 2e-3 {
				t.Errorf("DC offset %v, %v, want ~0", rep.Power.DCI, rep.Power.DCQ)
			}
			if rep.Samples != 240000 || math.Abs(rep.DurationS-0.1) > 1e-12 || rep.Datatype != f.String() {
				t.Errorf("samples %d duration %v datatype %s", rep.Samples, rep.DurationS, rep.Datatype)
			}
		})
	}
}

// TestInfoBurstInSketch: a 5 ms loud burst in a quiet tone shows in the
// one sketch row that holds it, at its own level.
func TestInfoBurstInSketch(t *testing.T) {
	const quiet, loud = 0.05, 0.9
	s := tone(240000, quiet, 50e3)
	copy(s[120000:], tone(12000, loud, 50e3)) // row 5 of 10 covers samples 120000..143999
	path := writeInfoRecording(t, filepath.Join(t.TempDir(), "burst"), sdr.CF32LE, sigmf.Meta{}, infoSegment{1747.8e6, s})
	rep := infoJSON(t, path)
	rows := rep.Power.Rows
	if len(rows) != 10 {
		t.Fatalf("%d rows, want 10", len(rows))
	}
	for i, r := range rows {
		wantMax, wantMean := 20*math.Log10(quiet), 20*math.Log10(quiet)
		if i == 5 {
			wantMax = 20 * math.Log10(loud)
			wantMean = 10 * math.Log10((12000*loud*loud+12000*quiet*quiet)/24000)
		}
		if math.Abs(r.MaxDBFS-wantMax) > 0.1 || math.Abs(r.MeanDBFS-wantMean) > 0.1 {
			t.Errorf("row %d: mean %.2f max %.2f dBFS, want %.2f and %.2f", i, r.MeanDBFS, r.MaxDBFS, wantMean, wantMax)
		}
		if r.Samples != 24000 || math.Abs(r.StartS-float64(i)*0.01) > 1e-12 {
			t.Errorf("row %d: starts at %v s with %d samples, want %v s and 24000", i, r.StartS, r.Samples, float64(i)*0.01)
		}
	}
	out, _, err := runCmd(t, "info", path)
	if err != nil {
		t.Fatal(err)
	}
	// The burst row has the longest bar.
	var longest, at int
	for i, l := range strings.Split(out[strings.Index(out, "power vs time"):], "\n")[1:11] {
		if n := strings.Count(l, "█") + strings.Count(l, "░"); n > longest {
			longest, at = n, i
		}
	}
	if at != 5 {
		t.Errorf("longest sketch bar in row %d, want 5:\n%s", at, out)
	}
}

func TestInfoClipping(t *testing.T) {
	// 250 of 10000 samples driven past full scale in I: cu8 saturates them
	// at code 255 = +1.0.
	s := tone(10000, 0.3, 240e3)
	for i := 4000; i < 4250; i++ {
		s[i] = complex(1.2, 0)
	}
	path := writeInfoRecording(t, filepath.Join(t.TempDir(), "clip"), sdr.CU8, sigmf.Meta{}, infoSegment{902e6, s})
	rep := infoJSON(t, path)
	if rep.Power.ClippedFraction != 0.025 {
		t.Errorf("clipped fraction %v, want 0.025", rep.Power.ClippedFraction)
	}
	// Saturated I = 1; Q = 0 lands on code 128, (128-127.5)/127.5.
	if want := math.Hypot(1, 0.5/127.5); math.Abs(rep.Power.PeakAbs-want) > 1e-6 {
		t.Errorf("peak |sample| %v, want %v", rep.Power.PeakAbs, want)
	}
	// The saturated run adds 250·1.0/10000 to the mean of I.
	if math.Abs(rep.Power.DCI-0.025) > 2e-3 {
		t.Errorf("DC I %v, want 0.025 ± 0.002", rep.Power.DCI)
	}
	out, _, err := runCmd(t, "info", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "clipping: 2.500 % of samples") {
		t.Errorf("text output lacks the clipping line:\n%s", out)
	}
}

func TestInfoMetadataAndCaptures(t *testing.T) {
	m := sigmf.Meta{Hardware: "RTL-SDR Blog V4", Recorder: "cellsentry record", Author: "tech", Description: "B wing", Gain: 38.6, PPM: -2}
	path := writeInfoRecording(t, filepath.Join(t.TempDir(), "hops"), sdr.CU8, m,
		infoSegment{902.2e6, make([]complex64, 24000)},
		infoSegment{1747.8e6, make([]complex64, 48000)},
		infoSegment{847e6, make([]complex64, 2400)})
	out, _, err := runCmd(t, "info", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"metadata     " + path,
		"data         " + strings.TrimSuffix(path, ".sigmf-meta") + ".sigmf-data",
		"datatype     cu8",
		"sample rate  2.4 M S/s",
		"samples      74400 (31.000 ms)",
		"hardware     RTL-SDR Blog V4",
		"recorder     cellsentry record",
		"author       tech",
		"description  B wing",
		"gain         38.6 dB",
		"ppm          -2",
		"captures (3)",
		"     0             0    902.2000 MHz  2026-05-01T22:00:00Z            10.000 ms",
		"     1         24000   1747.8000 MHz  2026-05-01T22:00:00.01Z         20.000 ms",
		"     2         72000    847.0000 MHz  2026-05-01T22:00:00.03Z         1.000 ms",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	rep := infoJSON(t, path)
	if len(rep.Captures) != 3 || rep.Captures[1].FrequencyHz != 1747.8e6 || rep.Captures[2].Samples != 2400 || *rep.GainDB != 38.6 {
		t.Errorf("JSON captures %+v gain %v", rep.Captures, rep.GainDB)
	}
}

func TestInfoRawAndErrors(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "capture.cu8")
	data := make([]byte, 4800) // 2400 samples of code 0 = (-1, -1)
	if err := os.WriteFile(raw, data, 0o644); err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "t_902M_2400k.cu8")
	if err := os.WriteFile(trunc, data[:5], 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("raw with flags after the path", func(t *testing.T) {
		rep := infoJSON(t, raw, "--rate", "2.4M", "--freq", "902.2M")
		if rep.SampleRate != 2.4e6 || rep.Samples != 2400 || len(rep.Captures) != 1 || rep.Captures[0].FrequencyHz != 902.2e6 || rep.Meta != "" {
			t.Errorf("report %+v", rep)
		}
		// Code 0 is -1 in I and Q: |s|² = 2, +3.01 dBFS, all clipped.
		if math.Abs(rep.Power.MeanDBFS-10*math.Log10(2)) > 1e-6 || rep.Power.ClippedFraction != 1 {
			t.Errorf("power %+v", rep.Power)
		}
	})
	t.Run("truncated raw file warns", func(t *testing.T) {
		out, _, err := runCmd(t, "info", trunc)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "WARNING") || !strings.Contains(out, "from byte offset 4") {
			t.Errorf("no truncation warning with its byte offset:\n%s", out)
		}
	})

	errCases := []struct {
		name  string
		args  []string
		want  string
		usage bool
	}{
		{"no rate", []string{raw}, "sample rate unknown", false},
		{"hint for flags", []string{raw}, "use --rate, and --freq, for raw files", false},
		{"no recording", nil, "want one recording, got 0", true},
		{"two recordings", []string{raw, raw}, "want one recording, got 2", true},
		{"bad rate", []string{raw, "--rate", "fast"}, `--rate: "fast" is not a positive frequency`, true},
		{"bad format", []string{raw, "--format", "cs4", "--rate", "1M"}, "--format", true},
		{"bad rows", []string{"--rows", "0", raw}, "--rows 0 must be 1..1000", true},
		{"missing file", []string{filepath.Join(dir, "nope")}, "no such recording", false},
	}
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := runCmd(t, "info", c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
			if errors.Is(err, errUsage) != c.usage {
				t.Errorf("errors.Is(err, errUsage) = %v, want %v", !c.usage, c.usage)
			}
		})
	}
}

func TestPowerAccRows(t *testing.T) {
	// 10 samples in 3 rows ([0,3), [3,6), [6,10)), windows of 2, fed in
	// uneven blocks: powers 0..9 (|s|² = k).
	acc := newPowerAcc(10, 3, 2)
	var s []complex64
	for k := range 10 {
		s = append(s, complex(float32(math.Sqrt(float64(k))), 0))
	}
	for _, blk := range [][]complex64{s[:1], s[1:5], s[5:9], s[9:]} {
		acc.add(blk)
	}
	acc.closeWindow()
	wantSum := []float64{0 + 1 + 2, 3 + 4 + 5, 6 + 7 + 8 + 9}
	// Windows restart at each row: row 0 {0,1},{2}; row 1 {3,4},{5}; row 2 {6,7},{8,9}.
	wantMax := []float64{2, 5, 8.5}
	for i := range 3 {
		if math.Abs(acc.rowSum[i]-wantSum[i]) > 1e-5 || math.Abs(acc.rowMax[i]-wantMax[i]) > 1e-5 {
			t.Errorf("row %d: sum %v max %v, want %v and %v", i, acc.rowSum[i], acc.rowMax[i], wantSum[i], wantMax[i])
		}
	}
	if acc.n != 10 || math.Abs(acc.peakP-9) > 1e-5 {
		t.Errorf("n %d peak %v, want 10 and 9", acc.n, acc.peakP)
	}
}
