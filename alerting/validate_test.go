package alerting

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

func origin() Origin {
	return Origin{Site: "fresnes", Sensor: "b-wing-2", Building: "B", Wing: "B2", Position: &Position{X: 12.5, Y: -3, Floor: 2}}
}

func goodMessages() map[string]any {
	temp := 51.2
	disk := int64(12 << 30)
	return map[string]any{
		KindStatus: Status{Schema: SchemaStatus, Origin: origin(), State: "online", Time: t0, Version: "0.1.0"},
		KindAlert: Alert{Schema: SchemaAlert, Origin: origin(), ID: "b-wing-2-20261126T030000.123-gsm-902400", Rev: 0,
			State: StateRaised, Mode: ModeActual, Time: t0, Class: "gsm", Kind: "call", FreqHz: 902.4e6,
			FreqsHz: []float64{902.4e6, 903.2e6}, BandwidthHz: 200e3, FirstSeen: t0, LastSeen: t0.Add(3 * time.Second),
			Bursts: 210, PowerDBm: -61.3, RecentDBm: -63, PowerDBFS: -22.1, SNR: 24.5, Confidence: 0.97},
		KindHealth: Health{Schema: SchemaHealth, Origin: origin(), Time: t0, Version: "0.1.0", UptimeS: 3600,
			ConfigHash: "3f2a9c", Mode: ModeActual, State: "ok",
			Sources: []SourceHealth{{Name: "dongle0", State: "streaming", Samples: 8_640_000_000, Dropped: 4096}},
			Bands:   []BandHealth{{Band: "gsm900-ul", CenterHz: 881.2e6, FloorDBFS: -48.2}, {Band: "b20-ul", CenterHz: 840e6, FloorDBFS: Unknown}},
			Queue:   QueueHealth{Depth: 3, Bytes: 2048}, Bursts: map[string]int64{"gsm": 12, "lte": 0}, TempC: &temp,
			Throttled: []string{"under_voltage_occurred"}, DiskFreeBytes: &disk, Degraded: []string{"under-voltage since boot"}, Tampered: true,
			Events: []string{"config rejected: sensor.yaml:3:5: unknown field"}},
		KindBurst: Burst{Schema: SchemaBurst, Origin: origin(), Time: t0, DurationS: 577e-6, FreqHz: 902.4e6,
			BandwidthHz: 200e3, PowerDBFS: -30, PowerDBm: Unknown, SNR: 12, Class: "gsm", Kind: "normal"},
	}
}

// Every message the Go types produce validates: the structs and the JSON
// Schema documents describe the same thing.
func TestValidateGood(t *testing.T) {
	for kind, m := range goodMessages() {
		t.Run(kind, func(t *testing.T) {
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if err := Validate(kind, b); err != nil {
				t.Fatalf("%s\n%s", err, b)
			}
		})
	}
}

// The schemas and the structs list the same fields, so that a field added
// to one and not the other fails here rather than at a consumer.
func TestSchemaFieldsMatchStructs(t *testing.T) {
	for kind, m := range goodMessages() {
		t.Run(kind, func(t *testing.T) {
			data, _ := Schemas.ReadFile("schema/" + kind + ".json")
			var doc struct {
				Properties map[string]any `json:"properties"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			fields := jsonFields(reflect.TypeOf(m))
			for f := range fields {
				if _, ok := doc.Properties[f]; !ok {
					t.Errorf("struct field %q is not in schema/%s.json", f, kind)
				}
			}
			for p := range doc.Properties {
				if !fields[p] {
					t.Errorf("schema/%s.json property %q is not in the Go struct", kind, p)
				}
			}
		})
	}
}

func jsonFields(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			for k := range jsonFields(f.Type) {
				out[k] = true
			}
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

func TestValidateBad(t *testing.T) {
	alert := func(edit func(m map[string]any)) []byte {
		b, _ := json.Marshal(goodMessages()[KindAlert])
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		edit(m)
		b, _ = json.Marshal(m)
		return b
	}
	cases := []struct {
		name, kind string
		msg        []byte
		want       string
	}{
		{"not json", KindAlert, []byte(`{"schema":`), "not JSON"},
		{"wrong schema", KindAlert, alert(func(m map[string]any) { m["schema"] = "cellsentry/v2/alert" }), "at /schema"},
		{"status as alert", KindAlert, mustJSON(goodMessages()[KindStatus]), "at /schema"},
		{"negative rev", KindAlert, alert(func(m map[string]any) { m["rev"] = -1 }), "at /rev"},
		{"bad state", KindAlert, alert(func(m map[string]any) { m["state"] = "latched" }), "at /state"},
		{"bad mode", KindAlert, alert(func(m map[string]any) { m["mode"] = "real" }), "at /mode"},
		{"missing id", KindAlert, alert(func(m map[string]any) { delete(m, "id") }), "id"},
		{"bad time", KindAlert, alert(func(m map[string]any) { m["time"] = "yesterday" }), "at /time"},
		{"confidence above 1", KindAlert, alert(func(m map[string]any) { m["confidence"] = 1.5 }), "at /confidence"},
		{"unknown field", KindAlert, alert(func(m map[string]any) { m["latched"] = true }), "latched"},
		{"wildcard in sensor", KindAlert, alert(func(m map[string]any) { m["sensor"] = "a/+" }), "at /sensor"},
		{"power as string", KindAlert, alert(func(m map[string]any) { m["power_dbm"] = "-60" }), "at /power_dbm"},
		{"array", KindHealth, []byte(`[]`), "at /"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.kind, c.msg)
			if err == nil {
				t.Fatalf("accepted %s", c.msg)
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q, want ErrInvalid mentioning %q", err, c.want)
			}
		})
	}
	if err := Validate("incident", []byte(`{}`)); err == nil || errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown kind: %v", err)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestLevelJSON(t *testing.T) {
	cases := []struct {
		in   Level
		want string
	}{{-61.234, "-61.23"}, {0, "0"}, {Unknown, "null"}, {Level(math.Inf(1)), "null"}}
	for _, c := range cases {
		b, err := json.Marshal(c.in)
		if err != nil || string(b) != c.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", c.in, b, err, c.want)
		}
		var back Level
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if c.in.Known() != back.Known() || (back.Known() && math.Abs(float64(back-c.in)) > 0.005) {
			t.Errorf("round trip %v → %s → %v", c.in, b, back)
		}
	}
	var l Level
	if err := json.Unmarshal([]byte(`"x"`), &l); err == nil {
		t.Error("a string decoded as a level")
	}
}

func TestTopics(t *testing.T) {
	tp := Topic("", "fresnes", "b-wing-2", KindAlert)
	if tp != "cellsentry/v1/fresnes/b-wing-2/alert" {
		t.Fatal(tp)
	}
	site, sensor, kind, err := ParseTopic("", tp)
	if err != nil || site != "fresnes" || sensor != "b-wing-2" || kind != KindAlert {
		t.Fatalf("ParseTopic: %q %q %q %v", site, sensor, kind, err)
	}
	for _, bad := range []string{"other/fresnes/s/alert", "cellsentry/v1/fresnes/alert", "cellsentry/v1/a/b/c/d", "cellsentry/v1//s/alert"} {
		if _, _, _, err := ParseTopic("", bad); err == nil {
			t.Errorf("ParseTopic(%q) accepted", bad)
		}
	}
	for _, c := range []struct {
		name string
		ok   bool
	}{{"b-wing-2", true}, {"Site_1.x", true}, {"", false}, {"a/b", false}, {"a+", false}, {"#", false}, {"é", false}, {strings.Repeat("a", 65), false}} {
		if err := CheckName(c.name); (err == nil) != c.ok {
			t.Errorf("CheckName(%q) = %v", c.name, err)
		}
	}
}

func FuzzValidate(f *testing.F) {
	for _, m := range goodMessages() {
		f.Add(mustJSON(m))
	}
	f.Add([]byte(`{"schema":null}`))
	f.Add([]byte(`[1,2,{"a":"b"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, k := range []string{KindStatus, KindHealth, KindAlert, KindBurst} {
			if err := Validate(k, b); err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("%s: error outside ErrInvalid: %v", k, err)
			}
		}
	})
}

func TestValidateMessageText(t *testing.T) {
	b, _ := json.Marshal(goodMessages()[KindAlert])
	b = []byte(strings.Replace(string(b), `"rev":0`, `"rev":-3`, 1))
	err := Validate(KindAlert, b)
	if err == nil || err.Error() != "invalid message alert: at /rev: minimum: got -3, want 0" {
		t.Fatalf("got %v", err)
	}
}
