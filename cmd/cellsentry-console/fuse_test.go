package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/fusion"
	"github.com/cellsentry/cellsentry/configs"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

var updateGolden = flag.Bool("update", false, "rewrite testdata/fuse.golden from the current output")

// runFuseCmd runs the fuse subcommand and returns stdout, stderr and the
// error.
func runFuseCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := runFuse(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

// TestFuseGolden fuses testdata/fuse-messages.jsonl on the plan
// testdata/fuse-site.yaml: a call in wing A heard by three sensors (one of
// them through a replay line, one redelivered), a phone beyond the
// perimeter heard evenly by wing B, a test phone, a foreign site's alert,
// an unreadable line, a sensor's last will, a blind sensor, and the call
// back the next day. The golden file was checked by hand against what
// each message should do; the test also asserts the essentials itself.
func TestFuseGolden(t *testing.T) {
	out, stderr, err := runFuseCmd(t, "--site", "testdata/fuse-site.yaml", "--floor-dbm", "-110", "testdata/fuse-messages.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if want := "cellsentry-console fuse: testdata/fuse-messages.jsonl:11: not a JSON object: invalid character 'h' in literal true (expecting 'r')\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
	golden := filepath.Join("testdata", "fuse.golden")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("output differs from %s (go test -run TestFuseGolden -update rewrites it):\n%s", golden, out)
	}

	var incs []incidentOut
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var x incidentOut
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		incs = append(incs, x)
	}
	byKind := map[string][]incidentOut{}
	for _, x := range incs {
		byKind[x.Kind] = append(byKind[x.Kind], x)
	}
	phones := byKind[alerting.IncidentPhone]
	if len(phones) != 4 {
		t.Fatalf("%d phone incidents, want 4 (call, outside, test phone, call again): %s", len(phones), out)
	}
	call, outside, test, again := phones[0], phones[1], phones[2], phones[3]
	if call.Wing != "A" || call.Method != "ml" || len(call.Sensors) != 3 || call.Sensors[0].Sensor != "a1" || call.FirstS != 1 {
		t.Errorf("call: %+v", call)
	}
	if !outside.Outside || outside.Wing != "" || len(outside.Sensors) != 2 {
		t.Errorf("outside phone: %+v", outside)
	}
	if test.Mode != alerting.ModeTest || test.Wing != "B" {
		t.Errorf("test phone: %+v", test)
	}
	if again.LinkedTo != call.ID || again.Wing != "A" {
		t.Errorf("the call back the next day: %+v, want linked to %s", again, call.ID)
	}
	if n := len(byKind[alerting.IncidentSensorOffline]); n != 2 {
		t.Errorf("%d sensor-offline incidents, want a2's last will and b2's silence", n)
	}
	if n := len(byKind[alerting.IncidentSourceLost]); n != 1 {
		t.Errorf("%d source-lost incidents, want b2's", n)
	}
}

// TestFuseStats: --stats counts what was read.
func TestFuseStats(t *testing.T) {
	_, stderr, err := runFuseCmd(t, "--site", "testdata/fuse-site.yaml", "--stats", "testdata/fuse-messages.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"lines: 24 messages (18 alerts, 3 statuses, 3 healths), 2 skipped, 1 unreadable\n",
		// a2's first alert is never cleared: its sensor went offline.
		"alerts: 16 taken, 1 duplicates, 1 of another site, 0 invalid, 1 timed out\n",
		"incidents: 7,",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
}

func TestFuseErrors(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no site", []string{"x.jsonl"}, true, "usage: fuse needs --site SITE.yaml"},
		{"no file", []string{"--site", "testdata/fuse-site.yaml"}, true, "usage: fuse needs exactly one messages file (or - for stdin), got 0"},
		{"two files", []string{"--site", "testdata/fuse-site.yaml", "a", "b"}, true, "usage: fuse needs exactly one messages file (or - for stdin), got 2"},
		{"bad flag", []string{"--nope"}, true, "usage: fuse: flag provided but not defined: -nope"},
		{"bad floor", []string{"--site", "s.yaml", "--floor-dbm", "-10", "x"}, true, "usage: fuse: --floor-dbm -10: must be from -200 to -30 dBm"},
		{"missing site", []string{"--site", "testdata/nope.yaml", "x"}, false, "fuse: site plan: open testdata/nope.yaml: no such file or directory"},
		{"missing messages", []string{"--site", "testdata/fuse-site.yaml", "testdata/nope.jsonl"}, false, "fuse: open testdata/nope.jsonl: no such file or directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := runFuseCmd(t, c.args...)
			if err == nil || err.Error() != c.want {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if errors.Is(err, errUsage) != c.usage {
				t.Errorf("usage error %v, want %v", errors.Is(err, errUsage), c.usage)
			}
		})
	}
}

// TestFuseBadSite: a plan with a mistake is refused with its line.
func TestFuseBadSite(t *testing.T) {
	dir := t.TempDir()
	site := filepath.Join(dir, "site.yaml")
	data, err := os.ReadFile("testdata/fuse-site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), "wing: B, position: {x: 23", "wing: C, position: {x: 23", 1)
	if err := os.WriteFile(site, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = runFuseCmd(t, "--site", site, "testdata/fuse-messages.jsonl")
	if err == nil || !strings.Contains(err.Error(), site+":29:") || !strings.Contains(err.Error(), `"C"`) {
		t.Errorf("error %v: want the file, line 29 and the unknown wing", err)
	}
}

func TestParseMessage(t *testing.T) {
	cases := []struct {
		name string
		line string
		kind string
		want string // error
	}{
		{"alert", `{"schema":"cellsentry/v1/alert","site":"unit","sensor":"a1","id":"i","rev":0,"state":"raised","mode":"actual","time":"2026-03-02T01:00:00Z","class":"gsm","freq_hz":902400000,"bandwidth_hz":200000,"first_seen":"2026-03-02T01:00:00Z","last_seen":"2026-03-02T01:00:00Z","bursts":5,"power_dbm":-60,"recent_dbm":-60,"power_dbfs":-6,"snr_db":50,"confidence":0.9}`, alerting.KindAlert, ""},
		{"status", `{"schema":"cellsentry/v1/status","site":"unit","sensor":"a1","state":"offline","time":"2026-03-02T01:00:00Z"}`, alerting.KindStatus, ""},
		{"burst", `{"schema":"cellsentry/v1/burst"}`, "", ""},
		{"replay burst", `{"type":"burst","offset_s":1}`, "", ""},
		{"replay alert", `{"type":"alert","id":"s.a1-gsm-x-902400","state":"raised","class":"gsm","freq_hz":902400000,"first_s":1,"last_s":2,"bursts":4,"power_dbm":null,"time_s":2,"time":"2026-03-02T01:00:02Z"}`, alerting.KindAlert, ""},
		{"not json", `{"schema":`, "", "not a JSON object: unexpected end of JSON input"},
		{"list", `[1]`, "", "not a JSON object: json: cannot unmarshal array into Go value of type struct { Schema *string \"json:\\\"schema\\\"\"; Type *string \"json:\\\"type\\\"\" }"},
		{"neither", `{"id":"x"}`, "", `neither a schema-v1 message (no "schema") nor a replay line (no "type")`},
		{"unknown schema", `{"schema":"cellsentry/v2/alert"}`, "", `unknown schema "cellsentry/v2/alert"`},
		{"invalid alert", `{"schema":"cellsentry/v1/alert","site":"unit"}`, "", "invalid message alert: at /: missing properties 'sensor', 'id', 'rev', 'state', 'mode', 'time', 'class', 'freq_hz', 'bandwidth_hz', 'first_seen', 'last_seen', 'bursts', 'power_dbm', 'recent_dbm', 'power_dbfs', 'snr_db', 'confidence'"},
		{"unknown type", `{"type":"spectrum"}`, "", `unknown line type "spectrum" (want alert or burst lines of cellsentry replay)`},
		{"replay without time", `{"type":"alert","id":"s.a1-gsm-x","class":"gsm","first_s":1,"last_s":2,"time_s":2}`, "", "replay alert line: time missing"},
		{"replay unknown field", `{"type":"alert","id":"s.a1-gsm-x","colour":"red"}`, "", `replay alert line: json: unknown field "colour"`},
		{"replay id without sensor", `{"type":"alert","id":"0123456789abcdef-gsm-x","class":"gsm","first_s":1,"last_s":2,"time_s":2,"time":"2026-03-02T01:00:02Z"}`, "", `replay alert id "0123456789abcdef-gsm-x" does not name its sensor (<site>.<sensor>-gsm-…)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := parseMessage([]byte(c.line), "unit")
			if c.want != "" {
				if err == nil || err.Error() != c.want {
					t.Fatalf("error %v, want %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.kind != c.kind {
				t.Errorf("kind %q, want %q", m.kind, c.kind)
			}
			if c.name == "replay alert" {
				a := m.alert
				if a.Site != "unit" || a.Sensor != "a1" || a.FirstSeen.Format("15:04:05") != "01:00:01" || a.PowerDBm.Known() {
					t.Errorf("replay alert read as %+v", a)
				}
			}
		})
	}
}

// FuzzParseMessage: any line gives a message or an error, never a panic;
// an alert read has a sensor and an id.
func FuzzParseMessage(f *testing.F) {
	data, err := os.ReadFile("testdata/fuse-messages.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		f.Add([]byte(l))
	}
	f.Add([]byte(`{"type":"alert","id":"s.a1-gsm-x","class":"gsm","first_s":1e300,"last_s":2,"time_s":2,"time":"2026-03-02T01:00:02Z"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		m, err := parseMessage(line, "unit")
		if err != nil {
			return
		}
		if m.alert != nil && (m.alert.ID == "" || m.alert.Sensor == "") {
			t.Fatalf("alert without id or sensor: %+v", m.alert)
		}
	})
}

// TestThreeWingsPlan: testdata/three-wings-site.yaml is the plan of the
// built-in scene three-wings (the one docs/localization.md fuses its
// replays on): same wings, walls, sensors, and the scene's perimeter walls
// as its boundary.
func TestThreeWingsPlan(t *testing.T) {
	plan, err := configs.LoadSite("testdata/three-wings-site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	site := plan.Fusion()
	sc, err := sim.Builtin("three-wings")
	if err != nil {
		t.Fatal(err)
	}
	if len(site.Wings) != len(sc.Site.Wings) {
		t.Fatalf("%d wings, scene has %d", len(site.Wings), len(sc.Site.Wings))
	}
	for i, w := range sc.Site.Wings {
		fw := site.Wings[i]
		if fw.Name != w.Name || len(fw.Polygon) != len(w.Polygon) {
			t.Fatalf("wing %d: %+v, scene %+v", i, fw, w)
		}
		for j, p := range w.Polygon {
			if fw.Polygon[j].X != p.X || fw.Polygon[j].Y != p.Y {
				t.Errorf("wing %s point %d: %v, scene %v", w.Name, j, fw.Polygon[j], p)
			}
		}
	}
	var walls []sim.Wall
	var corners []fusion.Point
	for _, w := range sc.Site.Walls {
		if strings.HasPrefix(w.Name, "perimeter-") {
			corners = append(corners, fusion.Point{X: w.A.X, Y: w.A.Y})
			if w.Loss != site.PerimeterLossDB {
				t.Errorf("perimeter loss %g, scene %g", site.PerimeterLossDB, w.Loss)
			}
			continue
		}
		walls = append(walls, w)
	}
	if len(site.Walls) != len(walls) {
		t.Fatalf("%d walls, scene has %d", len(site.Walls), len(walls))
	}
	for i, w := range walls {
		fw := site.Walls[i]
		if fw.Name != w.Name || fw.A.X != w.A.X || fw.A.Y != w.A.Y || fw.B.X != w.B.X || fw.B.Y != w.B.Y || fw.LossDB != w.Loss {
			t.Errorf("wall %d: %+v, scene %+v", i, fw, w)
		}
	}
	if !slices.Equal(site.Perimeter, corners) {
		t.Errorf("boundary %v, scene's perimeter %v", site.Perimeter, corners)
	}
	for i, s := range sc.Sensors {
		fs := site.Sensors[i]
		if fs.ID != s.ID || fs.Wing != s.Wing || fs.X != s.Pos.X || fs.Y != s.Pos.Y || fs.HeightM != s.Pos.Z {
			t.Errorf("sensor %d: %+v, scene %+v", i, fs, s)
		}
		if !slices.ContainsFunc(fs.Bands, func(b fusion.Band) bool { return b.LowHz <= s.Center && s.Center <= b.HighHz }) {
			t.Errorf("sensor %s does not listen at its scene centre %g Hz: %+v", s.ID, s.Center, fs.Bands)
		}
	}
	if site.PathLoss.Exponent != sc.Propagation.Exponent || site.PathLoss.ShadowSigmaDB != sc.Propagation.ShadowSigma {
		t.Errorf("path loss %+v, scene %+v", site.PathLoss, sc.Propagation)
	}
}
