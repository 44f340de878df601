package alerting

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

var kinds = []string{KindStatus, KindHealth, KindAlert, KindBurst}

// probes are values put in every property in turn: every JSON type, the
// schemas' bounds and just beyond them, numbers that are integers by value
// but not by spelling, strings at the length limits and near-valid times.
func probes() []any {
	n := func(s string) json.Number { return json.Number(s) }
	long := func(k int) string { return strings.Repeat("a", k) }
	arr := func(k int, v any) []any {
		a := make([]any, k)
		for i := range a {
			a[i] = v
		}
		return a
	}
	return []any{
		nil, true, false, "", "x", "gsm", "online", "ok", "streaming", "actual", "raised",
		"a/b", "a b", "é", long(64), long(65), long(128), long(129),
		n("0"), n("-0"), n("-1"), n("1"), n("1.0"), n("1.5"), n("1e2"), n("1E-1"), n("-1e-400"), n("1e400"),
		n("0.5"), n("1.0000000000000000001"), n("0.99999999999999999999"), n("-250"), n("-250.0000000000000001"),
		n("100"), n("100.00000000000000001"), n("7000000000"), n("7000000000.000000001"), n("7e9"), n("-0.0"),
		n("12345678901234567890123"),
		"2026-11-26T03:00:00Z", "2026-11-26t03:00:00z", "2026-11-26T03:00:00.123456+05:30", "2026-02-30T03:00:00Z",
		"2026-11-26T23:59:60Z", "2026-11-26T03:59:60Z", "2026-11-26T00:59:60+01:00", "2026-11-26T03:00:00.Z",
		"2026-11-26T+3:00:00Z", "2026-11-26T03:00:00+24:00", "2026-11-26 03:00:00Z", "2026-11-26T03:00:00",
		"2026-11-26T03:00:00+0100", "2026-11-26T03:00:00-00:60", "2026-1-26T03:00:00Z", "2026-11-26T03:00:00.1é",
		[]any{}, []any{1}, []any{"a"}, []any{nil}, arr(16, "a"), arr(17, "a"), arr(32, "a"), arr(33, "a"),
		arr(128, 9e8), arr(129, 9e8), []any{9e8, -1}, []any{map[string]any{}},
		map[string]any{}, map[string]any{"a": 1}, map[string]any{"gsm": -1}, map[string]any{"gsm": 1.5},
		map[string]any{"x_m": 1, "y_m": 2, "floor": 0}, map[string]any{"x_m": 1, "y_m": 2, "floor": 0.5},
		map[string]any{"x_m": 1, "y_m": 2}, map[string]any{"depth": 0, "bytes": 0, "dropped": 0},
		map[string]any{"depth": 0, "bytes": 0, "dropped": 0, "x": 1},
		[]any{map[string]any{"name": "d", "state": "lost", "samples": 0, "dropped": 0}},
		[]any{map[string]any{"name": "d", "state": "gone", "samples": 0, "dropped": 0}},
		[]any{map[string]any{"band": "b", "center_hz": 1e6, "floor_dbfs": nil}},
		[]any{map[string]any{"band": "b", "center_hz": 1e6}},
	}
}

// asMap is m (a message struct) as a generic JSON object.
func asMap(t testing.TB, m any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out map[string]any
	if err := d.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var out map[string]any
	_ = d.Decode(&out)
	return out
}

// corpus is every good message, each of its properties (and those of its
// nested objects) removed, replaced by every probe, and an extra key
// added, plus hand-written texts for what a map cannot express:
// duplicate keys, escapes, invalid UTF-8, not an object, not JSON.
func corpus(t testing.TB) [][]byte {
	var out [][]byte
	add := func(m map[string]any) {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	good := goodMessages()
	for _, kind := range kinds {
		base := asMap(t, good[kind])
		add(base)
		// Paths to mutate: the top level and the nested objects.
		type target struct {
			get func(m map[string]any) map[string]any
		}
		targets := []target{{func(m map[string]any) map[string]any { return m }}}
		if _, ok := base["position"]; ok {
			targets = append(targets, target{func(m map[string]any) map[string]any { return m["position"].(map[string]any) }})
		}
		if kind == KindHealth {
			targets = append(targets,
				target{func(m map[string]any) map[string]any { return m["queue"].(map[string]any) }},
				target{func(m map[string]any) map[string]any { return m["bursts"].(map[string]any) }},
				target{func(m map[string]any) map[string]any { return m["sources"].([]any)[0].(map[string]any) }},
				target{func(m map[string]any) map[string]any { return m["bands"].([]any)[0].(map[string]any) }})
		}
		// Optional properties absent from the good message are probed too.
		props := schemaProperties(t, kind)
		for _, tg := range targets {
			keys := map[string]bool{}
			for k := range tg.get(base) {
				keys[k] = true
			}
			if len(keys) > 0 && tg.get(base)["schema"] != nil {
				for _, p := range props {
					keys[p] = true
				}
			}
			sorted := make([]string, 0, len(keys))
			for k := range keys {
				sorted = append(sorted, k)
			}
			slices.Sort(sorted)
			for _, k := range sorted {
				m := clone(base)
				delete(tg.get(m), k)
				add(m)
				for _, p := range probes() {
					m := clone(base)
					tg.get(m)[k] = p
					add(m)
				}
			}
			m := clone(base)
			tg.get(m)["extra"] = 1
			add(m)
		}
	}
	alert, _ := json.Marshal(good[KindAlert])
	status, _ := json.Marshal(good[KindStatus])
	health, _ := json.Marshal(good[KindHealth])
	body := func(b []byte) string { return string(b[1 : len(b)-1]) }
	for _, s := range []string{
		`{"rev":-1,` + body(alert) + `}`, // duplicate: the last counts
		`{` + body(alert) + `,"rev":-1}`,
		`{` + body(alert) + `,"r\u0065v":-1}`,
		`{` + body(alert) + `,"rev":-1,"rev":2}`,
		strings.Replace(string(alert), `"schema":"cellsentry/v1/alert"`, `"schema":"cellsentry\/v1\/alert"`, 1),
		strings.Replace(string(alert), `"schema":"cellsentry/v1/alert"`, `"sch\u0065ma":"cellsentry/v1/alert"`, 1),
		strings.Replace(string(alert), `"schema":"cellsentry/v1/alert"`, `"Schema":"cellsentry/v1/alert"`, 1),
		strings.Replace(string(alert), `"sensor":"b-wing-2"`, "\"sensor\":\"b-wing-\xff\"", 1),
		strings.Replace(string(alert), `"building":"B"`, "\"building\":\"B\xff\xfe\"", 1),
		strings.Replace(string(alert), `"id":"`, "\"id\":\"\xff", 1),
		strings.Replace(string(alert), `"state":"raised"`, `"state":"r\u0061ised"`, 1),
		strings.Replace(string(alert), `"time":"2026-11-26T03:00:00Z"`, `"time":"2026-11-26T03:00:00\u005a"`, 1),
		strings.Replace(string(alert), `"id":"`, `"id":"\ud800`, 1),
		`{"id":"","id":"x",` + body(alert) + `}`,
		"  \n" + string(alert) + "\t\r\n ",
		strings.Replace(string(health), `"bursts":{"gsm":12,"lte":0}`, `"bursts":{"gsm":-1,"gsm":12}`, 1),
		strings.Replace(string(health), `"bursts":{"gsm":12,"lte":0}`, `"bursts":{"gsm":12,"gsm":-1}`, 1),
		strings.Replace(string(health), `"bursts":{"gsm":12,"lte":0}`, `"bursts":{"g\u0073m":-1,"gsm":12}`, 1),
		strings.Replace(string(health), `"bursts":{"gsm":12,"lte":0}`, "\"bursts\":{\"\xff\":-1,\"\xfe\":12}", 1),
		strings.Replace(string(health), `"bursts":{"gsm":12,"lte":0}`, `"bursts":{ "gsm" : 12 , "lte" : [ ] }`, 1),
		strings.Replace(string(health), `"bursts":{"gsm":12,"lte":0}`, `"bursts":null`, 1),
		string(status) + " {}", string(status) + "x", `{"schema":`, ``, `null`, `[]`, `"x"`, `1`, `{}`,
		`[` + string(status) + `]`, `{"schema":"cellsentry/v1/status","site":"a","sensor":"b","state":"online","time":"2026-11-26T03:00:00Z"}`,
	} {
		out = append(out, []byte(s))
	}
	return out
}

// schemaProperties are the top-level properties of schema/<kind>.json.
func schemaProperties(t testing.TB, kind string) []string {
	data, err := Schemas.ReadFile("schema/" + kind + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var ps []string
	for p := range doc.Properties {
		ps = append(ps, p)
	}
	slices.Sort(ps)
	return ps
}

// referenceLocations are the instance locations of the reference's
// failures ("/" for the document, "/sources/0/state" …).
func referenceLocations(kind string, msg []byte) []string {
	compileOnce.Do(compileSchemas)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(msg))
	if err != nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(compiled[kind].Validate(inst), &ve) {
		return nil
	}
	var locs []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			locs = append(locs, "/"+strings.Join(e.InstanceLocation, "/"))
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	return locs
}

// agree fails unless Validate and the reference accept or refuse msg
// alike, both with ErrInvalid, Validate's error naming a location where
// the reference also found a failure.
func agree(t *testing.T, kind string, msg []byte) {
	t.Helper()
	fast, ref := Validate(kind, msg), validateReference(kind, msg)
	if (fast == nil) != (ref == nil) {
		t.Fatalf("%s: Validate: %v; reference: %v\n%s", kind, fast, ref, msg)
	}
	if fast == nil {
		return
	}
	if !errors.Is(fast, ErrInvalid) || !errors.Is(ref, ErrInvalid) {
		t.Fatalf("%s: not ErrInvalid: %v / %v", kind, fast, ref)
	}
	if strings.Contains(ref.Error(), "not JSON") {
		if !strings.Contains(fast.Error(), "not JSON") {
			t.Fatalf("%s: Validate: %v; reference: %v\n%s", kind, fast, ref, msg)
		}
		return
	}
	var pe *pathError
	if !errors.As(fast, &pe) {
		t.Fatalf("%s: error without a location: %v", kind, fast)
	}
	if locs := referenceLocations(kind, msg); !slices.Contains(locs, pe.at) {
		t.Fatalf("%s: Validate names %s (%v), the reference %v (%v)\n%s", kind, pe.at, fast, locs, ref, msg)
	}
}

// Validate (hand-written) and the JSON Schema library with schema/*.json
// accept and refuse the same messages: every good message and thousands of
// mutations, each checked as every kind.
func TestValidateAgrees(t *testing.T) {
	docs := corpus(t)
	accepted := 0
	for _, msg := range docs {
		for _, kind := range kinds {
			agree(t, kind, msg)
			if Validate(kind, msg) == nil {
				accepted++
			}
		}
	}
	// Both outcomes must be well represented for the comparison to mean
	// something.
	if accepted < 200 || len(docs)*len(kinds)-accepted < 1000 {
		t.Fatalf("%d documents: %d accepted as some kind, %d refused", len(docs), accepted, len(docs)*len(kinds)-accepted)
	}
	t.Logf("%d documents × %d kinds: %d accepted", len(docs), len(kinds), accepted)
}

func FuzzValidateAgrees(f *testing.F) {
	// A third of the mutations (TestValidateAgrees runs them all) and
	// every hand-written text (the last ones).
	docs := corpus(f)
	for i, msg := range docs {
		if i%3 == 0 || i >= len(docs)-40 {
			f.Add(msg)
		}
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		for _, kind := range kinds {
			agree(t, kind, msg)
		}
	})
}

// The messages name the field and say what is wrong, in the library's
// words.
func TestValidateFastMessages(t *testing.T) {
	alert := string(mustJSON(goodMessages()[KindAlert]))
	health := string(mustJSON(goodMessages()[KindHealth]))
	cases := []struct {
		name, kind, msg, want string
	}{
		{"minimum", KindAlert, strings.Replace(alert, `"rev":0`, `"rev":-3`, 1), "at /rev: minimum: got -3, want 0"},
		{"maximum", KindAlert, strings.Replace(alert, `"confidence":0.97`, `"confidence":1.5`, 1), "at /confidence: maximum: got 3/2, want 1"},
		{"type", KindAlert, strings.Replace(alert, `"power_dbm":-61.3`, `"power_dbm":"-61.3"`, 1), "at /power_dbm: got string, want null or number"},
		{"integer", KindAlert, strings.Replace(alert, `"bursts":210`, `"bursts":2.5`, 1), "at /bursts: got number, want integer"},
		{"enum", KindAlert, strings.Replace(alert, `"state":"raised"`, `"state":"latched"`, 1), "at /state: value must be one of 'raised', 'updated', 'cleared'"},
		{"const", KindAlert, strings.Replace(alert, `cellsentry/v1/alert`, `cellsentry/v2/alert`, 1), "at /schema: value must be 'cellsentry/v1/alert'"},
		{"pattern", KindAlert, strings.Replace(alert, `"sensor":"b-wing-2"`, `"sensor":"a/+"`, 1), "at /sensor: 'a/+' does not match pattern '^[A-Za-z0-9._-]{1,64}$'"},
		{"date-time", KindAlert, strings.Replace(alert, `"time":"2026-11-26T03:00:00Z"`, `"time":"yesterday"`, 1), "at /time: 'yesterday' is not valid date-time: less than 20 characters long"},
		{"missing", KindAlert, strings.Replace(alert, `"id":"b-wing-2-20261126T030000.123-gsm-902400",`, ``, 1), "at /: missing property 'id'"},
		{"additional", KindAlert, strings.Replace(alert, `{`, `{"latched":true,`, 1), "at /: additional properties 'latched' not allowed"},
		{"nested", KindHealth, strings.Replace(health, `"state":"streaming"`, `"state":"gone"`, 1), "at /sources/0/state: value must be one of 'streaming', 'settling', 'reopening', 'lost', 'stopped'"},
		{"map value", KindHealth, strings.Replace(health, `"gsm":12`, `"gsm":-12`, 1), "at /bursts/gsm: minimum: got -12, want 0"},
		{"maxLength", KindAlert, strings.Replace(alert, `"id":"`, `"id":"`+strings.Repeat("é", 120), 1), "at /id: maxLength: got 159, want 128"},
		{"not an object", KindHealth, `[]`, "at /: got array, want object"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.kind, []byte(c.msg))
			want := "invalid message " + c.kind + ": " + c.want
			if err == nil || err.Error() != want {
				t.Fatalf("got %v\nwant %s", err, want)
			}
		})
	}
}

// A valid message costs no allocation.
func TestValidateFastAllocs(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind, func(t *testing.T) {
			msg := mustJSON(goodMessages()[kind])
			if n := testing.AllocsPerRun(100, func() {
				if err := Validate(kind, msg); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Fatalf("%v allocations per valid %s message, want 0", n, kind)
			}
		})
	}
}

func BenchmarkValidate(b *testing.B) {
	for _, kind := range kinds {
		msg := mustJSON(goodMessages()[kind])
		for _, impl := range []struct {
			name string
			f    func(string, []byte) error
		}{{"fast", Validate}, {"reference", validateReference}} {
			b.Run(kind+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(msg)))
				for b.Loop() {
					if err := impl.f(kind, msg); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/msg")
			})
		}
	}
}
