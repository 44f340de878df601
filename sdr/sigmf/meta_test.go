package sigmf

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// metaOK are metadata files that must parse, with what they must give.
var metaOK = []struct {
	name  string
	json  string
	check func(t *testing.T, m Meta)
}{
	{
		name: "minimal",
		json: `{"global":{"core:datatype":"cu8","core:sample_rate":2400000,"core:version":"1.0.0"},"captures":[{"core:sample_start":0}],"annotations":[]}`,
		check: func(t *testing.T, m Meta) {
			if m.Datatype != sdr.CU8 || m.SampleRate != 2.4e6 || m.Version != "1.0.0" {
				t.Errorf("got datatype %v rate %v version %q", m.Datatype, m.SampleRate, m.Version)
			}
			if len(m.Captures) != 1 || m.Captures[0].Frequency != 0 || !m.Captures[0].Datetime.IsZero() {
				t.Errorf("captures = %+v, want one untuned capture without datetime", m.Captures)
			}
			if m.Extra != nil || m.Extensions != nil {
				t.Errorf("Extra %v Extensions %v, want none", m.Extra, m.Extensions)
			}
		},
	},
	{
		name: "full",
		json: `{
  "global": {
    "core:datatype": "ci16_le", "core:sample_rate": 2.048e6, "core:version": "v1.2.0",
    "core:num_channels": 1, "core:hw": "RTL-SDR Blog V4", "core:recorder": "cellsentry record",
    "core:author": "tech <tech@example.org>", "core:description": "B wing, night",
    "core:sha512": "abc", "ntia-sensor:id": {"x": [1, 2.50]},
    "core:extensions": [{"name": "ntia-sensor", "version": "2.0.0", "optional": false},
                        {"name": "cellsentry", "version": "1.0.0", "optional": true}],
    "cellsentry:gain_db": 37.2, "cellsentry:ppm": -12
  },
  "captures": [
    {"core:sample_start": 0, "core:frequency": 902.2e6, "core:datetime": "2026-05-01T22:10:00.123456789Z"},
    {"core:sample_start": 1000.0, "core:frequency": 1747.8e6, "core:global_index": 1500, "core:header_bytes": 16,
     "core:datetime": "2026-05-01T22:10:01+02:00", "my:note": "retune"}
  ],
  "annotations": [{"core:sample_start": 10, "core:label": "burst"}]
}`,
		check: func(t *testing.T, m Meta) {
			if m.Datatype != sdr.CI16LE || m.SampleRate != 2.048e6 || m.Hardware != "RTL-SDR Blog V4" ||
				m.Recorder != "cellsentry record" || m.Author != "tech <tech@example.org>" || m.Description != "B wing, night" {
				t.Errorf("global fields wrong: %+v", m)
			}
			if m.Gain != 37.2 || m.PPM != -12 {
				t.Errorf("gain %v ppm %v, want 37.2 and -12", m.Gain, m.PPM)
			}
			if want := []Extension{{"ntia-sensor", "2.0.0", false}}; !reflect.DeepEqual(m.Extensions, want) {
				t.Errorf("Extensions = %+v, want %+v (ours is implied)", m.Extensions, want)
			}
			if _, ok := m.Extra["core:sha512"]; !ok || len(m.Extra) != 2 {
				t.Errorf("Extra = %v, want core:sha512 and ntia-sensor:id", m.Extra)
			}
			c := m.Captures
			if len(c) != 2 {
				t.Fatalf("%d captures, want 2", len(c))
			}
			if want := time.Date(2026, 5, 1, 22, 10, 0, 123456789, time.UTC); !c[0].Datetime.Equal(want) {
				t.Errorf("capture 0 datetime %v, want %v", c[0].Datetime, want)
			}
			if want := time.Date(2026, 5, 1, 20, 10, 1, 0, time.UTC); !c[1].Datetime.Equal(want) || c[1].Datetime.Location() != time.UTC {
				t.Errorf("capture 1 datetime %v, want %v in UTC", c[1].Datetime, want)
			}
			if c[1].SampleStart != 1000 || c[1].GlobalIndex != 1500 || c[1].HeaderBytes != 16 || c[0].GlobalIndex != 0 {
				t.Errorf("capture indices %+v", c)
			}
			if c[1].Extra["my:note"] != "retune" {
				t.Errorf("capture 1 Extra = %v", c[1].Extra)
			}
			if len(m.Annotations) != 1 || m.Annotations[0]["core:label"] != "burst" {
				t.Errorf("annotations = %v", m.Annotations)
			}
		},
	},
	{
		name: "empty captures and no annotations",
		json: `{"global":{"core:datatype":"cf32_le","core:sample_rate":1e6,"core:version":"1.1.0"}}`,
		check: func(t *testing.T, m Meta) {
			if m.Datatype != sdr.CF32LE || len(m.Captures) != 0 {
				t.Errorf("got %v with %d captures", m.Datatype, len(m.Captures))
			}
		},
	},
}

func TestParseMeta(t *testing.T) {
	for _, c := range metaOK {
		t.Run(c.name, func(t *testing.T) {
			m, err := ParseMeta([]byte(c.json))
			if err != nil {
				t.Fatalf("ParseMeta: %v", err)
			}
			c.check(t, m)
		})
	}
}

// metaBad are metadata that must fail, with the message they must give.
var metaBad = []struct {
	name, json, want string
	is               error
}{
	{"empty", ``, "file is empty", ErrBadMeta},
	{"syntax on line 2", "{\"global\": {\n  \"core:datatype\": cu8}}", "line 2, column 20: bad SigMF metadata: invalid JSON: invalid character 'c'", ErrBadMeta},
	{"unterminated", `{"global": {"core:datatype": "cu8"`, "line 1, column 35: bad SigMF metadata: invalid JSON: unexpected end of JSON input", ErrBadMeta},
	{"trailing garbage", `{"global": {}} x`, "line 1, column 16", ErrBadMeta},
	{"no global", `{"captures": []}`, "global object is missing", ErrBadMeta},
	{"global not object", `{"global": 3}`, "global is a number, want an object", ErrBadMeta},
	{"datatype number", `{"global": {"core:datatype": 8}}`, "global: core:datatype is a number, want a string", ErrBadMeta},
	{"datatype cf64", `{"global": {"core:datatype": "cf64_le", "core:sample_rate": 1}}`, `core:datatype "cf64_le": not a type cellsentry reads`, ErrUnsupported},
	{"rate huge", `{"global": {"core:datatype": "cu8", "core:sample_rate": 1e999}}`, "core:sample_rate 1e999 is not a finite 64-bit number", ErrBadMeta},
	{"version 2", `{"global": {"core:datatype": "cu8", "core:sample_rate": 1, "core:version": "2.0.0"}}`, `core:version "2.0.0": cellsentry reads SigMF 1.x`, ErrUnsupported},
	{"num_channels string", `{"global": {"core:datatype": "cu8", "core:sample_rate": 1, "core:num_channels": "1"}}`, `core:num_channels is a string ("1"), want a non-negative integer`, ErrBadMeta},
	{"dataset with path", `{"global": {"core:datatype": "cu8", "core:sample_rate": 1, "core:dataset": "../etc/x"}}`, `core:dataset "../etc/x" must be a file name`, ErrBadMeta},
	{"gain not number", `{"global": {"core:datatype": "cu8", "core:sample_rate": 1, "cellsentry:gain_db": "high"}}`, `cellsentry:gain_db is a string ("high"), want a number`, ErrBadMeta},
	{"extensions not array", `{"global": {"core:datatype": "cu8", "core:sample_rate": 1, "core:extensions": {}}}`, "core:extensions is an object", ErrBadMeta},
	{"extension optional string", `{"global": {"core:datatype": "cu8", "core:sample_rate": 1, "core:extensions": [{"name": "a", "version": "1", "optional": "yes"}]}}`, "core:extensions[0]: optional is a string", ErrBadMeta},
	{"negative start", `{"global": {"core:datatype": "cu8", "core:sample_rate": 1}, "captures": [{"core:sample_start": -4}]}`, "capture 0: core:sample_start -4 must not be negative", ErrBadMeta},
	{"fractional start", `{"global": {"core:datatype": "cu8", "core:sample_rate": 1}, "captures": [{"core:sample_start": 2.5}]}`, "capture 0: core:sample_start 2.5 is not a non-negative 64-bit integer", ErrBadMeta},
	{"capture not object", `{"global": {"core:datatype": "cu8", "core:sample_rate": 1}, "captures": [0]}`, "capture 0 is a number, want an object", ErrBadMeta},
	{"annotations object", `{"global": {"core:datatype": "cu8", "core:sample_rate": 1}, "annotations": {}}`, "annotations is an object, want an array", ErrBadMeta},
}

func TestParseMetaErrors(t *testing.T) {
	for _, c := range metaBad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseMeta([]byte(c.json))
			if err == nil {
				t.Fatalf("ParseMeta succeeded, want error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\n does not contain %q", err, c.want)
			}
			if !errors.Is(err, c.is) {
				t.Errorf("error %q is not %v", err, c.is)
			}
		})
	}
}

func TestEncodeMetaNamespace(t *testing.T) {
	base := Meta{Datatype: sdr.CU8, SampleRate: 2.4e6, Captures: []Capture{{SampleStart: 0, Frequency: 902e6}}}
	cases := []struct {
		name     string
		gain     float64
		ppm      float64
		declared bool
	}{
		{"gain and ppm", 40.2, 3, true},
		{"ppm only", 0, -7, true},
		{"unknown gain not written", 0, 0, false},
		{"NaN gain not written", math.NaN(), 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := base
			m.Gain, m.PPM = c.gain, c.ppm
			out, err := EncodeMeta(m)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Global      map[string]any `json:"global"`
				Annotations []any          `json:"annotations"`
			}
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatalf("EncodeMeta wrote invalid JSON: %v\n%s", err, out)
			}
			exts, _ := doc.Global["core:extensions"].([]any)
			found := false
			for _, e := range exts {
				o := e.(map[string]any)
				if o["name"] == Namespace {
					found = true
					if o["optional"] != true || o["version"] != ExtensionVersion {
						t.Errorf("cellsentry extension entry %v, want optional true, version %s", o, ExtensionVersion)
					}
				}
			}
			if found != c.declared {
				t.Errorf("cellsentry declared = %v, want %v:\n%s", found, c.declared, out)
			}
			_, hasGain := doc.Global["cellsentry:gain_db"]
			if hasGain != (c.gain == 40.2) {
				t.Errorf("cellsentry:gain_db present = %v for gain %v", hasGain, c.gain)
			}
			if doc.Annotations == nil || len(doc.Annotations) != 0 {
				t.Errorf("annotations = %v, want []", doc.Annotations)
			}
			if doc.Global["core:version"] != SpecVersion || doc.Global["core:num_channels"] != 1.0 {
				t.Errorf("version %v num_channels %v", doc.Global["core:version"], doc.Global["core:num_channels"])
			}
		})
	}
}

func TestLineCol(t *testing.T) {
	data := []byte("ab\ncde\n\nf")
	cases := []struct {
		off             int64
		wantLn, wantCol int
	}{{0, 1, 1}, {2, 1, 2}, {3, 2, 1}, {5, 2, 2}, {8, 4, 1}, {9, 4, 1}, {99, 4, 1}}
	for _, c := range cases {
		if l, col := lineCol(data, c.off); l != c.wantLn || col != c.wantCol {
			t.Errorf("lineCol(%d) = %d:%d, want %d:%d", c.off, l, col, c.wantLn, c.wantCol)
		}
	}
}
