package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// readRecording reads every sample and the metadata of a SigMF recording.
func readRecording(t *testing.T, metaPath string) ([]complex64, sigmf.Meta) {
	t.Helper()
	r, err := sigmf.Open(metaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var all []complex64
	b := &sdr.Block{Samples: make([]complex64, 1<<16)}
	for {
		err := r.ReadBlock(b)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b.Samples...)
	}
	return all, r.Meta()
}

// renderDirect renders the same scene through the sim package.
func renderDirect(t *testing.T, sc *sim.Scene, id string) []complex64 {
	t.Helper()
	src, err := sc.Open(id)
	if err != nil {
		t.Fatal(err)
	}
	var all []complex64
	b := &sdr.Block{Samples: make([]complex64, 12345)}
	for {
		err := src.ReadBlock(b)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b.Samples...)
	}
	return all
}

func TestSynthList(t *testing.T) {
	out, stderr, err := runCmd(t, "synth", "--list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(sim.Builtins()) || stderr != "" {
		t.Fatalf("--list printed %d lines (stderr %q):\n%s", len(lines), stderr, out)
	}
	for i, b := range sim.Builtins() {
		if f := strings.Fields(lines[i]); len(f) < 2 || f[0] != b.Name || !strings.Contains(lines[i], b.Description) {
			t.Errorf("line %d %q does not name %s with its description", i, lines[i], b.Name)
		}
	}
}

// TestSynthRecording: the recording holds exactly the samples the scene
// renders, with its metadata, and the truth file describes it.
func TestSynthRecording(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "call")
	out, stderr, err := runCmd(t, "synth", "--scene", "gsm-call", "--seconds", "2.5", "--out", prefix, "--sensor", "a2")
	if err != nil {
		t.Fatal(err)
	}
	if stderr != "" {
		t.Errorf("progress on a non-terminal stderr: %q", stderr)
	}
	if !strings.Contains(out, prefix+".sigmf-data") || !strings.Contains(out, prefix+".truth.json") {
		t.Errorf("summary does not name the files:\n%s", out)
	}
	got, meta := readRecording(t, prefix+".sigmf-meta")
	sc, err := sim.Builtin("gsm-call")
	if err != nil {
		t.Fatal(err)
	}
	sc.Duration = 2500 * time.Millisecond
	want := renderDirect(t, sc, "a2")
	if len(got) != 6000000 || len(got) != len(want) {
		t.Fatalf("recording has %d samples, direct render %d, want 6000000", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("sample %d: recording %v, scene %v", i, got[i], want[i])
		}
	}
	if meta.Datatype != sdr.CU8 || meta.SampleRate != 2.4e6 || meta.Gain != 19.7 || len(meta.Captures) != 1 ||
		meta.Captures[0].Frequency != 902.4e6 || !meta.Captures[0].Datetime.Equal(sc.Start) ||
		meta.Extra["cellsentry:sensor"] != "a2" || meta.Extra["cellsentry:truth"] != "call.truth.json" {
		t.Errorf("metadata %+v", meta)
	}
	f, err := os.Open(prefix + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := sim.ReadTruth(f)
	if err != nil {
		t.Fatal(err)
	}
	if h := tr.Header(); h.Scene != "gsm-call" || len(h.Sensors) != 1 || h.Sensors[0].ID != "a2" || h.Duration != 2.5 {
		t.Errorf("truth header %+v", h)
	}
	bursts := 0
	for {
		r, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if r.Kind == sim.KindGSMNormal && r.Rx[0].Visible {
			bursts++
		}
	}
	// The call starts at 1.5 s: about 1 s of bursts, fewer in DTX silence.
	if bursts < 24 || bursts > 220 {
		t.Errorf("%d visible GSM bursts in the truth", bursts)
	}
}

func TestSynthAllSensors(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "wing")
	if _, _, err := runCmd(t, "synth", "--scene", "busy-wing", "--seconds", "0.5", "--out", prefix, "--sensor", "all", "--datatype", "ci16_le"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a1", "a2", "b1"} {
		st, err := os.Stat(prefix + "." + id + ".sigmf-data")
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() != 4*1200000 {
			t.Errorf("%s: %d bytes, want %d (ci16_le)", id, st.Size(), 4*1200000)
		}
	}
	if _, err := os.Stat(prefix + ".sigmf-data"); err == nil {
		t.Error("wrote PREFIX.sigmf-data besides the per-sensor files")
	}
	f, err := os.Open(prefix + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := sim.ReadTruth(f)
	if err != nil {
		t.Fatal(err)
	}
	gsm := 0
	for {
		r, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Rx) != 3 || r.Rx[0].Sensor != "a1" || r.Rx[2].Sensor != "b1" {
			t.Fatalf("%s #%d has receptions %+v, want a1, a2, b1", r.Emitter, r.Seq, r.Rx)
		}
		if r.Class == sim.ClassGSM {
			gsm++
		}
	}
	// gsm-a02 calls from 0.3 s: one burst per 4.6 ms.
	if gsm < 30 {
		t.Errorf("%d GSM bursts in 0.5 s of busy-wing", gsm)
	}
}

func TestSynthSeedAndCenter(t *testing.T) {
	dir := t.TempDir()
	render := func(name string, args ...string) ([]complex64, sigmf.Meta) {
		p := filepath.Join(dir, name)
		if _, _, err := runCmd(t, "synth", append([]string{"--scene", "quiet-night", "--seconds", "0.2", "--out", p}, args...)...); err != nil {
			t.Fatal(err)
		}
		return readRecording(t, p+".sigmf-meta")
	}
	a, _ := render("a")
	b, _ := render("b", "--seed", "101") // the scene's own seed
	c, _ := render("c", "--seed", "5")
	d, md := render("d", "--center", "903.2MHz")
	if !equal(a, b) {
		t.Error("--seed equal to the scene's changed the samples")
	}
	if equal(a, c) {
		t.Error("--seed 5 did not change the samples")
	}
	if equal(a, d) || md.Captures[0].Frequency != 903.2e6 {
		t.Errorf("--center: capture frequency %g", md.Captures[0].Frequency)
	}
}

func equal(a, b []complex64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSynthSceneFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "mine.yaml")
	src := "name: mine\nduration: 100ms\nsensors:\n  - id: s\n    center: 902.4MHz\nemitters:\n  - id: b\n    behaviour: bursts\n    kind: gsm_access\n    count: 3\n    snr: 10dB\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, "synth", "--scene", file, "--out", filepath.Join(dir, "mine")); err != nil {
		t.Fatal(err)
	}
	got, _ := readRecording(t, filepath.Join(dir, "mine.sigmf-meta"))
	if len(got) != 240000 {
		t.Errorf("%d samples, want the scene's 100 ms", len(got))
	}
}

func TestSynthErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nsensors:\n  - id: s\n    centre: 902.4MHz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "x")
	cases := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no scene", []string{"--out", out}, true, "synth: --scene and --out are required"},
		{"unknown builtin", []string{"--scene", "busy-wnig", "--out", out}, true, `no built-in scene "busy-wnig" (did you mean busy-wing?)`},
		{"bad file", []string{"--scene", bad, "--out", out}, false, bad + `:4: sensors[0].centre: unknown field (did you mean center?)`},
		{"bad datatype", []string{"--scene", "gsm-call", "--out", out, "--datatype", "cs12"}, true, `unsupported datatype "cs12"`},
		{"bad sensor", []string{"--scene", "gsm-call", "--out", out, "--sensor", "z9"}, true, `scene "gsm-call" has no sensor "z9" (have a1, a2, or all)`},
		{"negative seconds", []string{"--scene", "gsm-call", "--out", out, "--seconds", "-1"}, true, "--seconds -1"},
		{"bad center", []string{"--scene", "gsm-call", "--out", out, "--center", "902.4"}, true, `missing unit (e.g. 902.4MHz)`},
		{"center out of range", []string{"--scene", "gsm-call", "--out", out, "--center", "3GHz", "--seconds", "0.1"}, false, "sensors[0].center: 3 GHz outside the R820T tuning range"},
		{"missing directory", []string{"--scene", "gsm-call", "--out", filepath.Join(dir, "no", "such"), "--seconds", "0.1"}, false, "no such file or directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := runCmd(t, "synth", c.args...)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, errUsage) != c.usage || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q (usage %v), want one containing %q (usage %v)", err, errors.Is(err, errUsage), c.want, c.usage)
			}
		})
	}
}

func TestSynthInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	prefix := filepath.Join(t.TempDir(), "x")
	err := run(ctx, e, []string{"synth", "--scene", "gsm-call", "--seconds", "5", "--out", prefix})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "interrupted after 0.0 s of 5.0 s") {
		t.Fatalf("error %v", err)
	}
	// What was written is still a valid recording.
	if _, err := sigmf.Open(prefix + ".sigmf-meta"); err != nil {
		t.Errorf("interrupted recording: %v", err)
	}
}
