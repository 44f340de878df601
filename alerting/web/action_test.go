package web

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// actionCases are bodies of the action endpoints; the fuzz test starts
// from them.
var actionCases = []struct {
	name, ctype, body string
	want              actionBody // when err is ""
	on                string     // "", "true", "false"
	err               string
}{
	{"empty", "", "", actionBody{}, "", ""},
	{"JSON note", "application/json", `{"note":"  on my way "}`, actionBody{Note: "on my way"}, "", ""},
	{"JSON resolve", "application/json", `{"resolution":"found-phone","note":"cell 12"}`,
		actionBody{Resolution: "found-phone", Note: "cell 12"}, "", ""},
	{"JSON shelve", "application/json; charset=utf-8", `{"duration":"4h","note":"works"}`, actionBody{Duration: "4h", Note: "works"}, "", ""},
	{"JSON out of service", "application/json", `{"on":false}`, actionBody{}, "false", ""},
	{"form", "application/x-www-form-urlencoded", "note=x&on=true&until=2030-01-01T00%3A00%3A00Z",
		actionBody{Note: "x", Until: "2030-01-01T00:00:00Z"}, "true", ""},
	{"unknown JSON field", "application/json", `{"nope":1}`, actionBody{}, "", `request body: json: unknown field "nope"`},
	{"JSON of the wrong type", "application/json", `{"on":"yes"}`, actionBody{}, "",
		"request body: json: cannot unmarshal string into Go struct field actionBody.on of type bool"},
	{"form on", "application/x-www-form-urlencoded", "on=perhaps", actionBody{}, "", `form field "on": "perhaps" is not true or false`},
	{"text body", "text/plain", "ack", actionBody{}, "", "send the body as application/json or as a form"},
	{"long note", "application/json", `{"note":"` + strings.Repeat("é", 2001) + `"}`, actionBody{}, "", "note: 2001 characters, at most 2000"},
}

func TestReadAction(t *testing.T) {
	for _, tc := range actionCases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/x", strings.NewReader(tc.body))
			if tc.ctype != "" {
				r.Header.Set("Content-Type", tc.ctype)
			}
			got, err := readAction(r)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			on := ""
			if got.On != nil {
				on = map[bool]string{true: "true", false: "false"}[*got.On]
			}
			got.On = nil
			if got != tc.want || on != tc.on {
				t.Errorf("got %+v on=%q, want %+v on=%q", got, on, tc.want, tc.on)
			}
		})
	}
}

// FuzzReadAction: any body gives a bounded, valid note or an error with a
// status, never a panic.
func FuzzReadAction(f *testing.F) {
	for _, tc := range actionCases {
		f.Add(tc.ctype, tc.body)
	}
	f.Fuzz(func(t *testing.T, ctype, body string) {
		r := httptest.NewRequest("POST", "/api/x", strings.NewReader(body))
		r.Header.Set("Content-Type", ctype)
		got, err := readAction(r)
		if err != nil {
			var he *httpError
			if !errors.As(err, &he) || he.status < 400 || he.status > 499 {
				t.Errorf("error %v is not a 4xx for the client", err)
			}
			return
		}
		if utf8.RuneCountInString(got.Note) > maxNote || !utf8.ValidString(got.Note) || got.Note != strings.TrimSpace(got.Note) {
			t.Errorf("note %q accepted", got.Note)
		}
	})
}
