package configs

import (
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/write/sensor.golden.yaml")

// TestEditYAMLSensor edits the shipped sensor.yaml as cellsentry calibrate
// does and compares with a golden file; every line but the edited ones
// (and the one added) must be byte-identical, comments included.
func TestEditYAMLSensor(t *testing.T) {
	in, err := os.ReadFile("sensor.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := EditYAML("sensor.yaml", in,
		Edit{[]string{"calibration", "ppm"}, "-7.31ppm"},
		Edit{[]string{"calibration", "offset_db", "40.2"}, "-70.8dB"},
		Edit{[]string{"calibration", "offset_db", "29.7"}, "-60.2dB"})
	if err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/write/sensor.golden.yaml"
	if *updateGolden {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, want) {
		t.Errorf("output differs from %s (go test ./configs -run EditYAML -update-golden to see)", golden)
	}
	a, b := strings.Split(string(in), "\n"), strings.Split(string(out), "\n")
	if len(b) != len(a)+1 {
		t.Fatalf("%d lines, want %d (one added)", len(b), len(a)+1)
	}
	changed := 0
	for i, j := 0, 0; i < len(a); i, j = i+1, j+1 {
		if a[i] == b[j] {
			continue
		}
		if strings.TrimSpace(b[j]) == `"29.7": -60.2dB` {
			i-- // the added line
			continue
		}
		changed++
		if !strings.Contains(b[j], "-7.31ppm") && !strings.Contains(b[j], "-70.8dB") {
			t.Errorf("line %d changed: %q → %q", i+1, a[i], b[j])
		}
	}
	if changed != 2 {
		t.Errorf("%d lines changed, want 2", changed)
	}
	c, err := Parse("sensor.yaml", out)
	if err != nil {
		t.Fatalf("edited file does not load: %v", err)
	}
	if c.Calibration.PPM != -7.31 || c.Calibration.OffsetDB["40.2"] != -70.8 || c.Calibration.OffsetDB["29.7"] != -60.2 {
		t.Errorf("read back %+v", c.Calibration)
	}
}

func TestEditYAML(t *testing.T) {
	ppm := Edit{[]string{"calibration", "ppm"}, "3.5ppm"}
	off := Edit{[]string{"calibration", "offset_db", "40.2"}, "-71dB"}
	for _, c := range []struct {
		name, in string
		edit     Edit
		want     string
	}{
		{"replace keeps comment", "a: 1\ncalibration:\n  ppm: 0   # measured\nb: 2\n", ppm, "a: 1\ncalibration:\n  ppm: 3.5ppm   # measured\nb: 2\n"},
		{"quoted value", "calibration:\n  ppm: \"0\"\n", ppm, "calibration:\n  ppm: 3.5ppm\n"},
		{"add to section", "calibration:\n  offset_db:\n    default: -72dB\n# next\nalerting: {}\n", ppm,
			"calibration:\n  offset_db:\n    default: -72dB\n  ppm: 3.5ppm\n# next\nalerting: {}\n"},
		{"add nested key", "calibration:\n    ppm: 1\n", off, "calibration:\n    ppm: 1\n    offset_db:\n      \"40.2\": -71dB\n"},
		{"new section at end", "sensor:\n  id: x\n", ppm, "sensor:\n  id: x\ncalibration:\n  ppm: 3.5ppm\n"},
		{"no final newline", "sensor:\n  id: x", ppm, "sensor:\n  id: x\ncalibration:\n  ppm: 3.5ppm\n"},
		{"null section", "calibration:\nsensor: {id: x}\n", ppm, "calibration:\n  ppm: 3.5ppm\nsensor: {id: x}\n"},
		{"empty flow section", "calibration: {}\nsensor: {id: x}\n", ppm, "calibration:\n  ppm: 3.5ppm\nsensor: {id: x}\n"},
		{"null value", "calibration:\n  ppm:\n", ppm, "calibration:\n  ppm: 3.5ppm\n"},
		{"crlf", "calibration:\r\n  ppm: 0\r\n  x: 1\r\n", ppm, "calibration:\r\n  ppm: 3.5ppm\r\n  x: 1\r\n"},
		{"crlf add", "calibration:\r\n  x: 1\r\n", ppm, "calibration:\r\n  x: 1\r\n  ppm: 3.5ppm\r\n"},
		{"empty document", "", ppm, "calibration:\n  ppm: 3.5ppm\n"},
		{"unicode comment before", "# é — ü\ncalibration:  # ✓\n  ppm: 0 # ok\n", ppm, "# é — ü\ncalibration:  # ✓\n  ppm: 3.5ppm # ok\n"},
		{"existing quoted key", "calibration:\n  offset_db:\n    \"40.2\": -72dB\n", off, "calibration:\n  offset_db:\n    \"40.2\": -71dB\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := EditYAML("s.yaml", []byte(c.in), c.edit)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got\n%q\nwant\n%q", got, c.want)
			}
		})
	}
}

func TestEditYAMLErrors(t *testing.T) {
	ppm := Edit{[]string{"calibration", "ppm"}, "3.5ppm"}
	for _, c := range []struct {
		name, in string
		edit     Edit
		want     string
	}{
		{"flow section", "calibration: {ppm: 0}\n", ppm, "s.yaml:1: calibration: is written in flow style ({…}); write it as a block to let it be edited"},
		{"list value", "calibration:\n  ppm: [1, 2]\n", ppm, "s.yaml:2: calibration.ppm: is a list, not a single value"},
		{"section is a value", "calibration: 3\n", ppm, "s.yaml:1: calibration: is a single value, not a mapping"},
		{"block scalar", "calibration:\n  ppm: |\n    3\n", ppm, "s.yaml:2: calibration.ppm: a block scalar (| or >)"},
		{"alias", "x: &a 3\ncalibration:\n  ppm: *a\n", ppm, "s.yaml:3: calibration.ppm: uses an anchor or alias; edit it by hand"},
		{"bad yaml", "calibration: [\n", ppm, "s.yaml: yaml: line 1: did not find expected node content"},
		{"two-line value", "calibration:\n  ppm: a\n    b\n", ppm, "s.yaml:2: calibration.ppm: a value over several lines"},
		{"multi-line value given", "a: 1\n", Edit{[]string{"a"}, "1\n2"}, "s.yaml: a: value \"1\\n2\" is not a one-line scalar"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := EditYAML("s.yaml", []byte(c.in), c.edit)
			if err == nil || err.Error() != c.want {
				t.Errorf("error %v\nwant    %s", err, c.want)
			}
		})
	}
}

// FuzzEditYAML edits arbitrary documents: no panic, and a success reads
// back (EditYAML checks it) and changes nothing before the edited line.
func FuzzEditYAML(f *testing.F) {
	for _, s := range []string{"a: 1\ncalibration:\n  ppm: 0   # measured\nb: 2\n", "calibration: {}\n", "", "calibration:\r\n  x: 1\r\n", "x: &a 3\ncalibration:\n  ppm: *a\n", "calibration:\n  offset_db:\n    \"40.2\": -72dB\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := EditYAML("f.yaml", []byte(in), Edit{[]string{"calibration", "ppm"}, "1.25ppm"})
		if err != nil {
			return
		}
		if !bytes.Contains(out, []byte("1.25ppm")) {
			t.Fatalf("edited without the value: %q", out)
		}
	})
}
