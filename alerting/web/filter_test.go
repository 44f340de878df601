package web

import (
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}()

// filterCases are the accepted queries; the fuzz test starts from them and
// from filterErrorCases.
var filterCases = []struct {
	name  string
	query string
	want  Filter
}{
	{"empty", "", Filter{}},
	{"empty values are unset", "wing=&kind=&since=&limit=", Filter{}},
	{"every field", "site=hmp&wing=B&sensor=sB&kind=phone&class=lte&alarm=shelved&mode=test&open=1&limit=20&offset=40",
		Filter{Site: "hmp", Wing: "B", Sensor: "sB", Kind: "phone", Class: "lte", Alarm: "shelved", Mode: "test",
			OpenOnly: true, Limit: 20, Offset: 40}},
	{"open words", "open=off", Filter{}},
	{"days are local midnights, until includes its day", "since=2026-03-01&until=2026-03-02",
		Filter{Since: time.Date(2026, 3, 1, 0, 0, 0, 0, paris), Until: time.Date(2026, 3, 3, 0, 0, 0, 0, paris)}},
	{"datetime-local input", "since=2026-03-01T22:15",
		Filter{Since: time.Date(2026, 3, 1, 22, 15, 0, 0, paris)}},
	{"RFC 3339 keeps its zone", "until=2026-03-01T22:15:00Z",
		Filter{Until: time.Date(2026, 3, 1, 22, 15, 0, 0, time.UTC)}},
	{"values are trimmed", "wing=+B+", Filter{Wing: "B"}},
	{"alarm with a dash", "alarm=cleared-unacknowledged", Filter{Alarm: "cleared-unacknowledged"}},
}

func TestParseFilter(t *testing.T) {
	for _, tc := range filterCases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseFilter(q, paris, 1000)
			if err != nil {
				t.Fatalf("parseFilter(%q): %v", tc.query, err)
			}
			if !got.Since.Equal(tc.want.Since) || !got.Until.Equal(tc.want.Until) {
				t.Errorf("since/until = %v/%v, want %v/%v", got.Since, got.Until, tc.want.Since, tc.want.Until)
			}
			got.Since, got.Until, tc.want.Since, tc.want.Until = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			if got != tc.want {
				t.Errorf("parseFilter(%q) = %+v, want %+v", tc.query, got, tc.want)
			}
		})
	}
}

var filterErrorCases = []struct {
	name  string
	query string
	want  string
}{
	{"unknown parameter", "colour=red",
		`unknown query parameter "colour" (known: site, wing, sensor, kind, class, alarm, mode, since, until, open, limit, offset)`},
	{"repeated", "wing=A&wing=B", `query parameter "wing" given 2 times, give it once`},
	{"kind", "kind=radio", `query parameter "kind": "radio" is not one of phone, overload, sensor-offline, source-lost, tamper`},
	{"alarm", "alarm=red", `query parameter "alarm": "red" is not one of unacknowledged, acknowledged, cleared-unacknowledged, closed, shelved, out-of-service`},
	{"mode", "mode=drill", `query parameter "mode": "drill" is not one of actual, test, exercise`},
	{"class", "class=5g", `query parameter "class": "5g" is not one of gsm, lte, umts, unknown, overload`},
	{"date", "since=yesterday", `query parameter "since": "yesterday" is not a date (2006-01-02), a local time (2006-01-02T15:04) or an RFC 3339 time`},
	{"order", "since=2026-03-02&until=2026-03-01",
		`query parameters "since" and "until": since (2026-03-02T00:00:00+01:00) is not before until (2026-03-02T00:00:00+01:00)`},
	{"limit zero", "limit=0", `query parameter "limit": "0" is not a whole number in 1..1000`},
	{"limit too big", "limit=1001", `query parameter "limit": "1001" is not a whole number in 1..1000`},
	{"offset negative", "offset=-1", `query parameter "offset": "-1" is not a whole number in 0..1073741824`},
	{"open", "open=maybe", `query parameter "open": "maybe" is not true or false`},
	{"control character", "wing=A%07", `query parameter "wing": control character U+0007 not allowed`},
	{"too long", "sensor=" + strings.Repeat("x", 129), `query parameter "sensor": 129 bytes, at most 128`},
	{"long value clipped in the message", "kind=" + strings.Repeat("é", 30),
		`query parameter "kind": "` + strings.Repeat("é", 20) + `…" is not one of phone, overload, sensor-offline, source-lost, tamper`},
	{"first error in name order", "zzz=1&kind=radio", `query parameter "kind": "radio" is not one of phone, overload, sensor-offline, source-lost, tamper`},
}

func TestParseFilterErrors(t *testing.T) {
	for _, tc := range filterErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			_, err = parseFilter(q, paris, 1000)
			if err == nil {
				t.Fatalf("parseFilter(%q) succeeded, want %q", tc.query, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("parseFilter(%q)\n got %q\nwant %q", tc.query, err, tc.want)
			}
		})
	}
}

// FuzzParseFilter: any query string gives a filter whose values are the
// allowed ones, or an error; never a panic, never a value the store would
// refuse.
func FuzzParseFilter(f *testing.F) {
	for _, tc := range filterCases {
		f.Add(tc.query)
	}
	for _, tc := range filterErrorCases {
		f.Add(tc.query)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		got, err := parseFilter(q, paris, 1000)
		if err != nil {
			if !utf8.ValidString(err.Error()) && utf8.ValidString(raw) {
				t.Errorf("error message is not UTF-8: %q", err)
			}
			return
		}
		check := func(name, v string, allowed []string) {
			if v != "" && !contains(allowed, v) {
				t.Errorf("%s = %q accepted", name, v)
			}
		}
		check("kind", got.Kind, kinds)
		check("alarm", got.Alarm, alarms)
		check("mode", got.Mode, modes)
		check("class", got.Class, classes)
		for _, v := range []string{got.Site, got.Wing, got.Sensor} {
			if len(v) > maxText || !utf8.ValidString(v) {
				t.Errorf("text value %q accepted", v)
			}
		}
		if got.Limit < 0 || got.Limit > 1000 || got.Offset < 0 {
			t.Errorf("limit %d offset %d accepted", got.Limit, got.Offset)
		}
		if !got.Since.IsZero() && !got.Until.IsZero() && !got.Since.Before(got.Until) {
			t.Errorf("since %v not before until %v accepted", got.Since, got.Until)
		}
	})
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
