package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

var update = flag.Bool("update", false, "rewrite testdata/replay-gsm-call.jsonl from the current replay")

// runReplayCmd runs "cellsentry replay ARGS" without progress output.
func runReplayCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runCmd(t, "replay", append([]string{"--progress", "never"}, args...)...)
}

// renderedScene is a scene rendered to a cu8 SigMF recording, with the
// emissions its sensor received.
type renderedScene struct {
	meta  string // path of the .sigmf-meta
	data  string // path of the .sigmf-data (raw cu8)
	rate  float64
	truth []sim.Emission // visible emissions
}

// renderScene renders seconds of the built-in scene name, heard by its
// first sensor, into dir (seed 0: the scene's own).
func renderScene(t *testing.T, dir, name string, seconds float64, seed uint64) renderedScene {
	t.Helper()
	sc, err := sim.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	sc.Duration = time.Duration(seconds * float64(time.Second))
	if seed != 0 {
		sc.Seed = seed
	}
	src, err := sc.Open(sc.Sensors[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var rs renderedScene
	src.OnEmission = func(em sim.Emission, rx sim.Reception) {
		if rx.Visible {
			rs.truth = append(rs.truth, em)
		}
	}
	prefix := filepath.Join(dir, name)
	w, err := sigmf.Create(prefix, sigmf.Meta{Datatype: sdr.CU8, SampleRate: src.Rate(), Gain: src.Gain(), Description: "replay test: " + name})
	if err != nil {
		t.Fatal(err)
	}
	b := &sdr.Block{Samples: make([]complex64, 1<<16)}
	for {
		err := src.ReadBlock(b)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rs.meta, rs.data, rs.rate = prefix+".sigmf-meta", w.Meta().Path, src.Rate()
	return rs
}

// The replay contract: every stdout line is one JSON object whose first
// keys are exactly these, in this order, with these types; the other keys
// a line may carry are listed in contractExtra.
var contractKeys = []string{"type", "offset_s", "duration_s", "freq_hz", "bandwidth_hz", "power_dbfs", "power_dbm", "snr_db", "class"}

var contractExtra = map[string]bool{"kind": true, "center_hz": true, "score": true, "clipped": true, "rhythm": true, "periods": true, "time": true}

var contractClasses = map[string]bool{"gsm": true, "lte": true, "umts": true, "unknown": true, "interference": true, "overload": true}

// burstLine is one parsed burst line of replay output.
type burstLine struct {
	raw                                   string
	line                                  int // 1-based line number in stdout
	offset, duration, freq, bw, dbfs, snr float64
	dbm                                   *float64 // nil: null (no calibration)
	class, kind                           string
}

// The alert lines' contract: these first keys in this order, then any of
// alertExtra.
var alertKeys = []string{"type", "id", "state", "class", "freq_hz", "first_s", "last_s", "bursts", "power_dbm"}

var alertExtra = map[string]bool{"rev": true, "mode": true, "kind": true, "confidence": true, "freqs_hz": true, "bandwidth_hz": true,
	"recent_dbm": true, "power_dbfs": true, "snr_db": true, "clipped": true, "time_s": true, "time": true}

// alertLine is one parsed alert line of replay output.
type alertLine struct {
	raw                               string
	line                              int
	id, state, class, kind, mode      string
	freq, first, last, at, confidence float64 // at: time_s
	bursts, rev                       int
	dbm                               *float64
	freqs                             []float64
}

// parseAlertLine parses one alert line and checks it against the contract.
func parseAlertLine(raw string) (alertLine, error) {
	a := alertLine{raw: raw}
	keys, vals, err := decodeLine(raw)
	if err != nil {
		return a, err
	}
	if len(keys) < len(alertKeys) || strings.Join(keys[:len(alertKeys)], ",") != strings.Join(alertKeys, ",") {
		return a, fmt.Errorf("keys %v, want %v first", keys, alertKeys)
	}
	for _, k := range keys[len(alertKeys):] {
		if !alertExtra[k] {
			return a, fmt.Errorf("key %q is not in the alert contract", k)
		}
	}
	num := func(k string) (float64, error) {
		n, ok := vals[k].(json.Number)
		if !ok {
			return 0, fmt.Errorf("%s = %v (%T), want a number", k, vals[k], vals[k])
		}
		return n.Float64()
	}
	str := func(k string) string { s, _ := vals[k].(string); return s }
	a.id, a.state, a.class, a.kind, a.mode = str("id"), str("state"), str("class"), str("kind"), str("mode")
	switch {
	case a.id == "":
		return a, fmt.Errorf("id %v: want a non-empty string", vals["id"])
	case a.state != "raised" && a.state != "updated" && a.state != "cleared":
		return a, fmt.Errorf("state %v: want raised, updated or cleared", vals["state"])
	case !contractClasses[a.class] || a.class == "interference":
		return a, fmt.Errorf("class %v: want gsm, lte, umts, unknown or overload", vals["class"])
	}
	for _, f := range []struct {
		key string
		dst *float64
	}{{"freq_hz", &a.freq}, {"first_s", &a.first}, {"last_s", &a.last}} {
		if *f.dst, err = num(f.key); err != nil {
			return a, err
		}
	}
	n, err := num("bursts")
	if err != nil || n < 1 || n != math.Trunc(n) {
		return a, fmt.Errorf("bursts %v: want a positive integer", vals["bursts"])
	}
	a.bursts = int(n)
	if vals["power_dbm"] != nil {
		v, err := num("power_dbm")
		if err != nil {
			return a, err
		}
		a.dbm = &v
	}
	if a.first < 0 || a.last < a.first {
		return a, fmt.Errorf("first_s %g, last_s %g: want 0 ≤ first ≤ last", a.first, a.last)
	}
	if _, ok := vals["rev"]; ok {
		r, err := num("rev")
		if err != nil || r < 0 || r != math.Trunc(r) {
			return a, fmt.Errorf("rev %v: want an integer ≥ 0", vals["rev"])
		}
		a.rev = int(r)
	}
	if _, ok := vals["mode"]; ok && a.mode != "actual" && a.mode != "test" && a.mode != "exercise" {
		return a, fmt.Errorf("mode %v: want actual, test or exercise", vals["mode"])
	}
	if _, ok := vals["confidence"]; ok {
		if a.confidence, err = num("confidence"); err != nil || a.confidence < 0 || a.confidence > 1 {
			return a, fmt.Errorf("confidence %v: want a number in [0, 1]", vals["confidence"])
		}
	}
	if v, ok := vals["freqs_hz"]; ok {
		fs, ok := v.([]any)
		if !ok {
			return a, fmt.Errorf("freqs_hz %v: want an array", v)
		}
		for _, f := range fs {
			n, ok := f.(json.Number)
			x, err := n.Float64()
			if !ok || err != nil {
				return a, fmt.Errorf("freqs_hz %v: want numbers", v)
			}
			a.freqs = append(a.freqs, x)
		}
	}
	for _, k := range []string{"bandwidth_hz", "time_s"} {
		if _, ok := vals[k]; ok {
			if _, err := num(k); err != nil {
				return a, err
			}
		}
	}
	if _, ok := vals["time_s"]; ok {
		a.at, _ = num("time_s")
	}
	for _, k := range []string{"recent_dbm", "power_dbfs", "snr_db"} {
		if v, ok := vals[k]; ok && v != nil {
			if _, err := num(k); err != nil {
				return a, err
			}
		}
	}
	if v, ok := vals["clipped"]; ok && v != true {
		return a, fmt.Errorf("clipped %v: want true when present", v)
	}
	if v, ok := vals["time"]; ok {
		s, _ := v.(string)
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return a, fmt.Errorf("time %v: %w", v, err)
		}
	}
	return a, nil
}

// parseReplay checks that out holds only contract lines and returns the
// burst lines (alert lines are checked and skipped).
func parseReplay(t *testing.T, out string) []burstLine {
	t.Helper()
	bursts, _ := parseReplayAll(t, out)
	return bursts
}

// parseReplayAll checks that out holds only contract lines and returns the
// burst lines and the alert lines; each knows its line number.
func parseReplayAll(t *testing.T, out string) ([]burstLine, []alertLine) {
	t.Helper()
	if out == "" {
		return nil, nil
	}
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("stdout does not end with a newline: %q", out[max(0, len(out)-80):])
	}
	var bursts []burstLine
	var alerts []alertLine
	for i, raw := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if strings.HasPrefix(raw, `{"type":"alert"`) {
			a, err := parseAlertLine(raw)
			if err != nil {
				t.Fatalf("stdout line %d: %v\n%s", i+1, err, raw)
			}
			a.line = i + 1
			alerts = append(alerts, a)
			continue
		}
		l, err := parseBurstLine(raw)
		if err != nil {
			t.Fatalf("stdout line %d: %v\n%s", i+1, err, raw)
		}
		l.line = i + 1
		bursts = append(bursts, l)
	}
	return bursts, alerts
}

// decodeLine decodes one JSON object line, keeping its keys in order and
// numbers as json.Number.
func decodeLine(raw string) (keys []string, vals map[string]any, err error) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, fmt.Errorf("not a JSON object")
	}
	vals = map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k := tok.(string)
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, nil, fmt.Errorf("value of %q: %w", k, err)
		}
		if _, dup := vals[k]; dup {
			return nil, nil, fmt.Errorf("key %q twice", k)
		}
		keys = append(keys, k)
		vals[k] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, fmt.Errorf("more than one JSON value on the line")
	}
	return keys, vals, nil
}

// parseBurstLine parses one burst line and checks it against the contract.
func parseBurstLine(raw string) (burstLine, error) {
	l := burstLine{raw: raw}
	keys, vals, err := decodeLine(raw)
	if err != nil {
		return l, err
	}
	if len(keys) < len(contractKeys) || strings.Join(keys[:len(contractKeys)], ",") != strings.Join(contractKeys, ",") {
		return l, fmt.Errorf("keys %v, want %v first", keys, contractKeys)
	}
	for _, k := range keys[len(contractKeys):] {
		if !contractExtra[k] {
			return l, fmt.Errorf("key %q is not in the contract", k)
		}
	}
	num := func(k string) (float64, error) {
		n, ok := vals[k].(json.Number)
		if !ok {
			return 0, fmt.Errorf("%s = %v (%T), want a number", k, vals[k], vals[k])
		}
		return n.Float64()
	}
	for _, f := range []struct {
		key string
		dst *float64
	}{{"offset_s", &l.offset}, {"duration_s", &l.duration}, {"freq_hz", &l.freq}, {"bandwidth_hz", &l.bw}, {"power_dbfs", &l.dbfs}, {"snr_db", &l.snr}} {
		if *f.dst, err = num(f.key); err != nil {
			return l, err
		}
	}
	if vals["power_dbm"] != nil {
		v, err := num("power_dbm")
		if err != nil {
			return l, err
		}
		l.dbm = &v
	}
	if vals["type"] != "burst" {
		return l, fmt.Errorf("type %v, want \"burst\"", vals["type"])
	}
	class, _ := vals["class"].(string)
	if !contractClasses[class] {
		return l, fmt.Errorf("class %v, want one of gsm lte umts unknown interference overload", vals["class"])
	}
	l.class = class
	if l.offset < 0 || l.duration <= 0 || l.bw < 0 {
		return l, fmt.Errorf("offset_s %g, duration_s %g, bandwidth_hz %g: want ≥ 0, > 0, ≥ 0", l.offset, l.duration, l.bw)
	}
	if v, ok := vals["kind"]; ok {
		if l.kind, ok = v.(string); !ok || l.kind == "" {
			return l, fmt.Errorf("kind %v: want a non-empty string", v)
		}
	}
	if v, ok := vals["score"]; ok {
		if s, err := num("score"); err != nil || s < 0 || s > 1 {
			return l, fmt.Errorf("score %v: want a number in [0, 1]", v)
		}
	}
	if _, ok := vals["center_hz"]; ok {
		if _, err := num("center_hz"); err != nil {
			return l, err
		}
	}
	if _, ok := vals["periods"]; ok {
		if _, err := num("periods"); err != nil {
			return l, err
		}
	}
	for _, k := range []string{"clipped", "rhythm"} {
		if v, ok := vals[k]; ok && v != true {
			return l, fmt.Errorf("%s %v: want true when present", k, v)
		}
	}
	if v, ok := vals["time"]; ok {
		s, _ := v.(string)
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return l, fmt.Errorf("time %v: %w", v, err)
		}
	}
	return l, nil
}

// countByClass counts lines per class.
func countByClass(lines []burstLine) map[string]int {
	n := map[string]int{}
	for _, l := range lines {
		n[l.class]++
	}
	return n
}

var (
	statsSpeed  = regexp.MustCompile(`(?m)^samples (\d+) \(([\d.]+) s of signal\) in [\d.]+ s: [\d.]+× real time, [\d.]+ Msamples/s$`)
	statsMemory = regexp.MustCompile(`(?m)^memory: ([\d.]+) MiB resident at most$`)
	statsBursts = regexp.MustCompile(`(?m)^bursts: unknown (\d+) gsm (\d+) lte (\d+) umts (\d+) interference (\d+) overload (\d+)$`)
	statsThr    = regexp.MustCompile(`(?m)^threshold (\S+) +\d+ bins × +\d+ frames: (-?[\d.]+) dB over the floor$`)
)

// thresholds reads the --stats threshold lines: template name → dB.
func thresholds(t *testing.T, stderr string) map[string]float64 {
	t.Helper()
	m := map[string]float64{}
	for _, s := range statsThr.FindAllStringSubmatch(stderr, -1) {
		v, err := strconv.ParseFloat(s[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		m[s[1]] = v
	}
	if len(m) == 0 {
		t.Fatalf("no threshold lines in --stats output:\n%s", stderr)
	}
	return m
}

// TestReplay replays 3 s of the gsm-call scene (a GSM call from 1.5 s on)
// and checks the output contract, the summary, the calibration from a
// config and the raw-file path against it.
func TestReplay(t *testing.T) {
	dir := t.TempDir()
	rs := renderScene(t, dir, "gsm-call", 3, 0)
	out, stderr, err := runReplayCmd(t, "--stats", rs.meta)
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr)
	}
	lines, alerts := parseReplayAll(t, out)

	t.Run("contract", func(t *testing.T) {
		if len(lines) == 0 {
			t.Fatal("no bursts")
		}
		for i, l := range lines {
			// The recording carries no calibration and none was given.
			if l.dbm != nil {
				t.Errorf("line %d: power_dbm %g without a calibration, want null", i+1, *l.dbm)
			}
		}
	})

	t.Run("gsm call found", func(t *testing.T) {
		// The GSM bursts the sensor received (about 50 dB over the noise)
		// must come out as gsm lines starting within 0.2 ms of them and
		// within half a channel (100 kHz) of their frequency (the
		// simulated dongle is off by tens of ppm: ~20 kHz here). The call
		// sits on the tuned centre, across the DC mask; when this test
		// was written 54 of 65 were found (bursts at 2.16–2.19 s missed
		// outright, one taken for the DC spike), so the bar is two thirds.
		var calls, found int
		for _, em := range rs.truth {
			if em.Class != sim.ClassGSM {
				continue
			}
			calls++
			for _, l := range lines {
				if l.class == "gsm" && math.Abs(l.offset-em.Start) < 0.2e-3 && math.Abs(l.freq-em.Freq) < 100e3 {
					found++
					break
				}
			}
		}
		if calls < 50 {
			t.Fatalf("only %d GSM emissions in the truth: the scene changed", calls)
		}
		if found < calls*2/3 {
			t.Errorf("%d of %d GSM bursts found as gsm at the call's frequency, want two thirds", found, calls)
		}
		// No single gsm burst anywhere else: the call is the only GSM
		// emitter. Rhythm trains found away from it are logged: when this
		// test was written the comb reported three at −10 dB SNR, 0.6–1.1
		// MHz from the call (its leakage keeps its rhythm).
		for _, l := range lines {
			if l.class != "gsm" {
				continue
			}
			near := false
			for _, em := range rs.truth {
				near = near || (em.Class == sim.ClassGSM && math.Abs(l.freq-em.Freq) < 200e3)
			}
			switch {
			case near:
			case l.kind == "train":
				t.Logf("gsm train away from the call: %s", l.raw)
			default:
				t.Errorf("gsm burst away from the call: %s", l.raw)
			}
		}
		t.Logf("%d GSM bursts in the truth, %d found; %d lines: %v", calls, found, len(lines), countByClass(lines))
	})

	t.Run("stats", func(t *testing.T) {
		m := statsSpeed.FindStringSubmatch(stderr)
		if m == nil {
			t.Fatalf("no speed line in --stats output:\n%s", stderr)
		}
		if n, _ := strconv.ParseInt(m[1], 10, 64); n != int64(3*rs.rate) {
			t.Errorf("summary counts %d samples, want %d", n, int64(3*rs.rate))
		}
		b := statsBursts.FindStringSubmatch(stderr)
		if b == nil {
			t.Fatalf("no bursts line in --stats output:\n%s", stderr)
		}
		got := countByClass(lines)
		for i, c := range []string{"unknown", "gsm", "lte", "umts", "interference", "overload"} {
			if n, _ := strconv.Atoi(b[i+1]); n != got[c] {
				t.Errorf("summary says %d %s bursts, stdout has %d", n, c, got[c])
			}
		}
		thresholds(t, stderr)
	})

	t.Run("config", func(t *testing.T) {
		cfg := filepath.Join(dir, "sensor.yaml")
		yaml := "# replay test\nsite: {name: test}\ndetection: {false_per_hour: 2}\ncalibration: {offset_db: {default: -74}}\n"
		if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		out2, stderr2, err := runReplayCmd(t, "--stats", "--config", cfg, rs.meta)
		if err != nil {
			t.Fatalf("replay --config: %v\n%s", err, stderr2)
		}
		lines2 := parseReplay(t, out2)
		if len(lines2) == 0 {
			t.Fatal("no bursts")
		}
		for i, l := range lines2 {
			// Both printed to 0.01 dB.
			if l.dbm == nil || math.Abs(*l.dbm-(l.dbfs-74)) > 0.0101 {
				t.Fatalf("line %d: power_dbm %v, want power_dbfs − 74 = %.2f\n%s", i+1, l.dbm, l.dbfs-74, l.raw)
			}
		}
		// 2 false bursts per hour instead of 0.5: every threshold lower.
		def, cfgd := thresholds(t, stderr), thresholds(t, stderr2)
		for name, v := range def {
			if w, ok := cfgd[name]; !ok || !(w < v) {
				t.Errorf("threshold %s: %.2f dB with false_per_hour 2, %.2f dB by default; want lower", name, w, v)
			}
		}
	})

	t.Run("alerts", func(t *testing.T) {
		// The call (ARFCN 62, from 1.5 s) is one alert: raised within a
		// second of its first burst, cleared at the end of the recording
		// (3 s), and each alert line comes after the burst line that
		// caused it.
		callStart := math.Inf(1)
		for _, em := range rs.truth {
			if em.Class == sim.ClassGSM {
				callStart = math.Min(callStart, em.Start)
			}
		}
		if len(alerts) != 2 {
			t.Fatalf("%d alert lines, want raised and cleared:\n%v", len(alerts), alerts)
		}
		r, c := alerts[0], alerts[1]
		if r.state != "raised" || r.rev != 0 || c.state != "cleared" || c.rev != 1 || r.id != c.id {
			t.Errorf("events %s rev %d (%s), %s rev %d (%s); want raised rev 0, cleared rev 1, one id", r.state, r.rev, r.id, c.state, c.rev, c.id)
		}
		if r.class != "gsm" || r.freq != 902.4e6 || r.mode != "actual" || !strings.HasPrefix(r.id, "replay.replay-gsm-20260301T2210") {
			t.Errorf("raised %s on %g Hz in mode %s, id %s; want gsm on 902.4 MHz, actual, an id from the sensor, class and time", r.class, r.freq, r.mode, r.id)
		}
		if d := r.at - callStart; d < 0 || d > 1 || math.Abs(r.first-callStart) > 0.01 {
			t.Errorf("raised at %.3f s with first_s %.6f; the call starts at %.6f s: want raised within 1 s, first_s at its start", r.at, r.first, callStart)
		}
		if c.at != 3 || c.last > 3 || c.bursts < r.bursts || c.first != r.first {
			t.Errorf("cleared at %g s: first %g last %g, %d bursts (raised with %d); want at the end (3 s), the same first, more bursts", c.at, c.first, c.last, c.bursts, r.bursts)
		}
		var near, cause int
		for _, l := range lines {
			if l.class == "gsm" && math.Abs(l.freq-902.4e6) < 100e3 {
				near++
			}
			if math.Abs(l.offset+l.duration-r.last) < 2e-6 {
				cause = l.line
			}
		}
		if c.bursts > near+countByClass(lines)["lte"] || c.bursts < near*8/10 {
			t.Errorf("the alert counts %d bursts, the output has %d gsm lines on its channel", c.bursts, near)
		}
		if cause == 0 || cause > r.line {
			t.Errorf("raised on line %d; the burst that raised it (ending at %.6f s) on line %d", r.line, r.last, cause)
		}
		if !strings.Contains(stderr, "\nalerts: gsm 1 lte 0 umts 0 unknown 0 overload 0 (mode actual;") {
			t.Errorf("no alerts line (gsm 1) in --stats output:\n%s", stderr)
		}
	})

	t.Run("mode and no-alerts", func(t *testing.T) {
		outTest, stderrTest, err := runReplayCmd(t, "--mode", "test", rs.meta)
		if err != nil {
			t.Fatalf("replay --mode test: %v\n%s", err, stderrTest)
		}
		_, at := parseReplayAll(t, outTest)
		if len(at) != len(alerts) {
			t.Fatalf("%d alert lines in test mode, %d in actual", len(at), len(alerts))
		}
		for _, a := range at {
			if a.mode != "test" {
				t.Errorf("mode %q in test mode: %s", a.mode, a.raw)
			}
		}
		outNo, stderrNo, err := runReplayCmd(t, "--no-alerts", rs.meta)
		if err != nil {
			t.Fatalf("replay --no-alerts: %v\n%s", err, stderrNo)
		}
		bn, an := parseReplayAll(t, outNo)
		if len(an) != 0 || len(bn) != len(lines) {
			t.Errorf("--no-alerts: %d alert lines and %d burst lines, want 0 and the %d of the default", len(an), len(bn), len(lines))
		}
	})

	t.Run("raw cu8", func(t *testing.T) {
		// The SigMF data file is raw cu8: replayed with --rate and --freq
		// it gives the same bursts and alerts; only the time (no start
		// time in a raw file: the Unix epoch) differs, and with it the
		// alert ids.
		raw := filepath.Join(dir, "call.cu8")
		if err := os.Link(rs.data, raw); err != nil {
			t.Fatal(err)
		}
		out3, stderr3, err := runReplayCmd(t, "--rate", "2.4M", "--freq", "902.4M", raw)
		if err != nil {
			t.Fatalf("replay raw: %v\n%s", err, stderr3)
		}
		want := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		got := strings.Split(strings.TrimSuffix(out3, "\n"), "\n")
		parseReplayAll(t, out3)
		if len(got) != len(want) {
			t.Fatalf("%d lines from the raw file, %d from the SigMF recording", len(got), len(want))
		}
		noTime := regexp.MustCompile(`,"time":"[^"]*"|"id":"[^"]*",`)
		for i := range want {
			a, b := noTime.ReplaceAllString(got[i], ""), noTime.ReplaceAllString(want[i], "")
			if a != b {
				t.Fatalf("line %d differs:\nraw   %s\nsigmf %s", i+1, a, b)
			}
		}
		if _, a3 := parseReplayAll(t, out3); len(a3) == 0 || !strings.HasPrefix(a3[0].id, "replay.replay-gsm-19700101T0000") {
			t.Errorf("alert ids from a raw file %v: want them from the Unix epoch", a3)
		}
	})
}

// TestReplayErrors: failures name what failed — the file, and for a bad
// config the line of the offending key.
func TestReplayErrors(t *testing.T) {
	dir := t.TempDir()
	// A small valid recording to go with the bad configs.
	w, err := sigmf.Create(filepath.Join(dir, "quiet"), sigmf.Meta{Datatype: sdr.CU8, SampleRate: 2.4e6})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteBlock(&sdr.Block{Samples: make([]complex64, 50000), Center: 902.4e6, Rate: 2.4e6}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(dir, "quiet.sigmf-meta")
	config := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	missing := filepath.Join(dir, "missing.sigmf-meta")
	missingRaw := filepath.Join(dir, "missing.cu8")
	cases := []struct {
		name  string
		args  []string
		wants []string // substrings of the error
		usage bool
	}{
		{"missing recording", []string{missing}, []string{missing, "no such file"}, false},
		{"missing raw file", []string{"--rate", "2.4M", missingRaw}, []string{missingRaw, "no such file"}, false},
		{"bad rate", []string{"--rate", "fast", missingRaw}, []string{"--rate"}, true},
		{"no recording", nil, []string{"exactly one recording"}, true},
		{"bad mode", []string{"--mode", "live", rec}, []string{`--mode "live"`, "actual, test or exercise"}, true},
		{"missing config", []string{"--config", filepath.Join(dir, "nope.yaml"), rec}, []string{"nope.yaml", "no such file"}, false},
		{"unknown key", []string{"--config", config("unknown.yaml", "site:\n  name: x\n\ndetection:\n  false_per_hour: 2\n  threshhold_db: 3\n"), rec},
			[]string{"unknown.yaml", "line 6", "threshhold_db"}, false},
		{"unknown key in flow style", []string{"--config", config("flow.yaml", "# c\ncalibration: {offset_db: {default: -74}, offset: 3}\n"), rec},
			[]string{"flow.yaml", "line 2", "offset"}, false},
		{"wrong type", []string{"--config", config("type.yaml", "detection:\n  false_per_hour: 2\ncalibration:\n  offset_db:\n    default: [1]\n"), rec},
			[]string{"type.yaml", "line 5"}, false},
		{"negative false rate", []string{"--config", config("neg.yaml", "detection: {false_per_hour: -1}\n"), rec},
			[]string{"neg.yaml", "detection.false_per_hour -1"}, false},
		{"NaN false rate", []string{"--config", config("nan.yaml", "detection: {false_per_hour: .nan}\n"), rec},
			[]string{"nan.yaml", "detection.false_per_hour NaN"}, false},
		{"bad window", []string{"--config", config("win.yaml", "detection: {window: kaiser}\n"), rec},
			[]string{"win.yaml", "detection.window", `"kaiser"`}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runReplayCmd(t, tc.args...)
			if err == nil {
				t.Fatalf("replay %v: no error", tc.args)
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if errors.Is(err, errUsage) != tc.usage {
				t.Errorf("error %q: usage error %v, want %v", err, errors.Is(err, errUsage), tc.usage)
			}
			if out != "" {
				t.Errorf("stdout not empty on error: %q", out)
			}
		})
	}
}

// configSeeds are sensor configs, good and bad, for FuzzLoadDetectionConfig.
var configSeeds = []string{
	"",
	"# nothing\n",
	"detection: {false_per_hour: 2}\ncalibration: {offset_db: {default: -74}}\n",
	"detection:\n  false_per_hour: 0.5\n  threshold_db: 3\n  fft_size: 256\n  hop: 128\n  window: hann\n  spurs_hz: [0, 120e3]\n  rhythm: false\ncalibration:\n  offset_db:\n    \"19.7\": -80\n    default: -74\n",
	"site: {name: x}\nmqtt: {broker: tcp://localhost:1883}\n",
	"detection:\n  false_per_hour: 2\n  bogus: 1\n",
	"detection: [1, 2]\n",
	"- a\n",
	"detection: {false_per_hour: .nan}\n",
	"detection: {false_per_hour: .inf}\n",
	"a: &x {false_per_hour: 1}\ndetection: *x\n",
	"detection: {false_per_hour: 1}\ndetection: {false_per_hour: 2}\n",
	"calibration: {offset_db: {default: x}}\n",
	"detection: {window: kaiser}\n",
	"\tdetection: 1\n",
}

// FuzzLoadDetectionConfig: any file either loads into a config whose
// values replay can use, or fails with an error naming the file; never a
// panic.
func FuzzLoadDetectionConfig(f *testing.F) {
	for _, s := range configSeeds {
		f.Add(s)
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "fuzz.yaml")
	f.Fuzz(func(t *testing.T, body string) {
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := loadDetectionConfig(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if v := c.Detection.FalsePerHour; !(v >= 0) || math.IsInf(v, 0) {
			t.Fatalf("loaded false_per_hour %v", v)
		}
	})
}

// TestReplayGolden pins the first 20 lines and every alert line of the
// replay of a fixed 2 s render of gsm-call (the call starts at 1.5 s: it is
// raised, then cleared at the end) byte for byte, so that the contract,
// the detector's output and the tracker's do not drift silently. After an
// intended change, regenerate with
//
//	go test ./cmd/cellsentry -run TestReplayGolden -update
//
// and review the diff. The file is written on amd64; other architectures
// may fuse multiply-adds and differ in the last digits, so they skip.
func TestReplayGolden(t *testing.T) {
	if runtime.GOARCH != "amd64" && !*update {
		t.Skipf("golden output is produced on amd64 (this is %s)", runtime.GOARCH)
	}
	const golden = "testdata/replay-gsm-call.jsonl"
	rs := renderScene(t, t.TempDir(), "gsm-call", 2, 202)
	out, stderr, err := runReplayCmd(t, rs.meta)
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr)
	}
	parseReplayAll(t, out)
	all := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(all) < 20 {
		t.Fatalf("only %d lines", len(all))
	}
	var first bytes.Buffer
	for i, l := range all {
		if i < 20 || strings.HasPrefix(l, `{"type":"alert"`) {
			first.WriteString(l + "\n")
		}
	}
	if n := strings.Count(first.String(), `{"type":"alert"`); n != 2 {
		t.Fatalf("%d alert lines, want the call raised and cleared:\n%s", n, first.String())
	}
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, first.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", golden)
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if !bytes.Equal(first.Bytes(), want) {
		g, w := strings.Split(first.String(), "\n"), strings.Split(string(want), "\n")
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Fatalf("line %d differs from %s (regenerate with -update if intended):\n got %s\nwant %s", i+1, golden, g[i], w[i])
			}
		}
		t.Fatalf("output differs from %s in length", golden)
	}
}

// TestReplayMemory: replaying a long file keeps memory flat. The file is
// a 1.5 GB sparse cu8 file: it reads as zeros, i.e. −1−1j, a constant that
// clips every sample (5.5 minutes at 2.4 MS/s). The replay runs as its
// own process so that its peak resident set can be read.
func TestReplayMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("replays 5.5 minutes of samples (about 25 s)")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to build the binary: %v", err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "cellsentry")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	if msg, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, msg)
	}
	data := filepath.Join(dir, "saturated.cu8")
	const size = 1500 << 20
	f, err := os.Create(data)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Truncate(data, size); err != nil {
		t.Fatal(err)
	}
	var out lineCounter
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "replay", "--stats", "--progress", "never", "--rate", "2.4M", data)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("replay: %v\n%s", err, stderr.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Skipf("no rusage on %s", runtime.GOOS)
	}
	// The replay's own VmHWM from its summary: ru_maxrss of a child also
	// holds the test process's high-water mark (inherited through
	// fork/exec), which the parallel tests of this package drive up.
	maxRSS := float64(ru.Maxrss) / 1024 // KiB on Linux
	if m := statsMemory.FindStringSubmatch(stderr.String()); m != nil {
		maxRSS, _ = strconv.ParseFloat(m[1], 64)
	} else if runtime.GOOS == "linux" {
		t.Errorf("the summary gives no peak memory:\n%s", stderr.String())
	}
	t.Logf("%d MB replayed in %v: max RSS %.1f MiB (ru_maxrss %.1f MiB); %d lines (%v); %s",
		size>>20, time.Since(start).Round(time.Millisecond), maxRSS, float64(ru.Maxrss)/1024, out.lines, out.byClass, strings.SplitN(stderr.String(), "\n", 2)[0])
	if maxRSS >= 40 {
		t.Errorf("max RSS %.1f MiB, want < 40 MiB", maxRSS)
	}
	m := statsSpeed.FindStringSubmatch(stderr.String())
	if m == nil || m[1] != strconv.Itoa(size/2) {
		t.Errorf("summary does not count the file's %d samples:\n%s", size/2, stderr.String())
	}
	for _, c := range []string{"gsm", "lte", "umts"} {
		if out.byClass[c] > 0 {
			t.Errorf("%d %s bursts on a saturated constant: never a phone", out.byClass[c], c)
		}
	}
	// A receiver saturated for 5.5 minutes is one overload alert (raised,
	// updated every 10 s, cleared at the end), never a phone alert.
	ids := map[string]bool{}
	for _, a := range out.alerts {
		ids[a.id] = true
		if a.class != "overload" {
			t.Errorf("%s alert on a saturated constant: %s", a.class, a.raw)
		}
	}
	if len(ids) != 1 || len(out.alerts) < 30 {
		t.Errorf("%d alert ids in %d alert lines, want one overload alert updated every 10 s", len(ids), len(out.alerts))
	}
	if out.bad != "" {
		t.Errorf("output line breaks the contract: %s", out.bad)
	}
}

// lineCounter checks and counts replay output lines without keeping them
// (but for the alert lines, which are few).
type lineCounter struct {
	partial []byte
	lines   int
	byClass map[string]int // burst lines
	alerts  []alertLine
	bad     string
}

func (c *lineCounter) Write(p []byte) (int, error) {
	if c.byClass == nil {
		c.byClass = map[string]int{}
	}
	c.partial = append(c.partial, p...)
	for {
		i := bytes.IndexByte(c.partial, '\n')
		if i < 0 {
			break
		}
		raw := string(c.partial[:i])
		c.partial = c.partial[i+1:]
		c.lines++
		if strings.HasPrefix(raw, `{"type":"alert"`) {
			a, err := parseAlertLine(raw)
			if err != nil && c.bad == "" {
				c.bad = fmt.Sprintf("%v: %s", err, raw)
			}
			c.alerts = append(c.alerts, a)
			continue
		}
		l, err := parseBurstLine(raw)
		if err != nil && c.bad == "" {
			c.bad = fmt.Sprintf("%v: %s", err, raw)
		}
		c.byClass[l.class]++
	}
	return len(p), nil
}
