package web

import (
	"context"
	"crypto/tls"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

func TestWithoutLogin(t *testing.T) {
	e := newEnv(t, false)
	c := e.newClient()
	for _, tc := range []struct {
		method, path string
		status       int
		location     string // for redirects
	}{
		{"GET", "/", http.StatusSeeOther, "/login?next=%2F"},
		{"GET", "/live/panel", http.StatusSeeOther, "/login?next=%2Flive%2Fpanel"},
		{"GET", "/history?wing=A", http.StatusSeeOther, "/login?next=%2Fhistory%3Fwing%3DA"},
		{"GET", "/incidents/x", http.StatusSeeOther, "/login?next=%2Fincidents%2Fx"},
		{"GET", "/sensors", http.StatusSeeOther, "/login?next=%2Fsensors"},
		{"GET", "/sensors/sA", http.StatusSeeOther, "/login?next=%2Fsensors%2FsA"},
		{"GET", "/admin/users", http.StatusSeeOther, "/login?next=%2Fadmin%2Fusers"},
		{"GET", "/admin/audit", http.StatusSeeOther, "/login?next=%2Fadmin%2Faudit"},
		{"GET", "/api/incidents", http.StatusUnauthorized, ""},
		{"GET", "/api/incidents/x", http.StatusUnauthorized, ""},
		{"POST", "/api/incidents/x/ack", http.StatusUnauthorized, ""},
		{"POST", "/api/incidents/x/resolve", http.StatusUnauthorized, ""},
		{"GET", "/api/sensors", http.StatusUnauthorized, ""},
		{"POST", "/api/sensors/sA/shelve", http.StatusUnauthorized, ""},
		{"GET", "/api/sensors/sA/waterfall.png", http.StatusUnauthorized, ""},
		{"GET", "/api/export.csv", http.StatusUnauthorized, ""},
		{"GET", "/api/audit", http.StatusUnauthorized, ""},
		{"GET", "/api/events", http.StatusUnauthorized, ""},
		{"GET", "/api/me", http.StatusUnauthorized, ""},
		{"GET", "/login", http.StatusOK, ""},
		{"GET", "/healthz", http.StatusOK, ""},
		{"GET", "/static/app.js", http.StatusOK, ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := c.do(tc.method, tc.path, "", "", nil)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d (%s)", r.status, tc.status, r.body)
			}
			if got := r.header.Get("Location"); got != tc.location {
				t.Errorf("Location %q, want %q", got, tc.location)
			}
			if tc.status == http.StatusUnauthorized {
				if msg := jsonError(t, r); !strings.Contains(msg, "not logged in") {
					t.Errorf("error %q does not say what to do", msg)
				}
			}
		})
	}
	t.Run("API from a browser's address bar", func(t *testing.T) {
		r := c.do("GET", "/api/incidents", "", "", map[string]string{"Accept": "text/html,application/xhtml+xml"})
		if r.status != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", r.status)
		}
	})
	t.Run("plain form post", func(t *testing.T) {
		r := c.postForm("/api/incidents/x/ack", url.Values{"note": {"x"}})
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Your session has ended. Log in again.") {
			t.Errorf("status %d, want 401 with a page", r.status)
		}
	})
}

func TestRoles(t *testing.T) {
	e := newEnv(t, false)
	e.phone("inc-1", "B", "sB")
	clients := map[string]*client{}
	for _, u := range testUsers {
		clients[u.role] = e.login(u.name)
	}
	const ok, no = http.StatusOK, http.StatusForbidden
	for _, tc := range []struct {
		method, path, body string
		guard, tech, admin int
	}{
		{"GET", "/", "", ok, ok, ok},
		{"GET", "/live/panel", "", ok, ok, ok},
		{"GET", "/history", "", ok, ok, ok},
		{"GET", "/incidents/inc-1", "", ok, ok, ok},
		{"GET", "/api/incidents", "", ok, ok, ok},
		{"GET", "/api/incidents/inc-1", "", ok, ok, ok},
		{"GET", "/api/export.csv", "", ok, ok, ok},
		{"GET", "/api/me", "", ok, ok, ok},
		{"GET", "/sensors", "", no, ok, ok},
		{"GET", "/sensors/sA", "", no, ok, ok},
		{"GET", "/api/sensors", "", no, ok, ok},
		{"GET", "/api/sensors/sA/waterfall.png", "", no, ok, ok},
		{"POST", "/api/sensors/sA/unshelve", "{}", no, http.StatusConflict, http.StatusConflict},
		{"POST", "/api/sensors/sA/shelve", `{"duration":"1h"}`, no, http.StatusBadRequest, http.StatusBadRequest},
		{"GET", "/admin/users", "", no, no, ok},
		{"GET", "/admin/audit", "", no, no, ok},
		{"GET", "/api/audit", "", no, no, ok},
	} {
		for _, role := range []string{RoleGuard, RoleTechnician, RoleAdmin} {
			want := map[string]int{RoleGuard: tc.guard, RoleTechnician: tc.tech, RoleAdmin: tc.admin}[role]
			t.Run(role+" "+tc.method+" "+tc.path, func(t *testing.T) {
				c := clients[role]
				var r response
				if tc.method == "POST" {
					r = c.postJSON(tc.path, tc.body)
				} else {
					r = c.get(tc.path)
				}
				if r.status != want {
					t.Fatalf("status %d, want %d: %.300s", r.status, want, r.body)
				}
				if r.status == no && strings.HasPrefix(tc.path, "/api/") {
					if msg := jsonError(t, r); !strings.Contains(msg, "needs the") {
						t.Errorf("403 message %q does not name the role needed", msg)
					}
				}
			})
		}
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, false)
	guard := e.login("alice")
	for _, tc := range []struct {
		name   string
		ctype  string
		body   string
		header map[string]string
		status int
	}{
		{"JSON without token", "application/json", "{}", nil, http.StatusForbidden},
		{"JSON with another session's token", "application/json", "{}", map[string]string{csrfHeader: e.login("ada").csrf}, http.StatusForbidden},
		{"forged form without token", "application/x-www-form-urlencoded", "note=x", map[string]string{"Accept": "text/html"}, http.StatusForbidden},
		{"form with a wrong token", "application/x-www-form-urlencoded", "note=x&csrf_token=AAAA", nil, http.StatusForbidden},
		{"cross-site with the right token", "application/json", "{}",
			map[string]string{csrfHeader: guard.csrf, "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"other origin with the right token", "application/json", "{}",
			map[string]string{csrfHeader: guard.csrf, "Origin": "http://evil.example"}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := "inc-" + strings.ReplaceAll(tc.name, " ", "-")
			e.phone(id, "A", "sA")
			r := guard.do("POST", "/api/incidents/"+id+"/ack", tc.ctype, tc.body, tc.header)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			inc, err := e.st.Incident(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if inc.AckedBy != "" || inc.Alarm != alerting.AlarmUnacknowledged {
				t.Errorf("refused request acknowledged the incident: %s by %q", inc.Alarm, inc.AckedBy)
			}
		})
	}
	t.Run("form with the token", func(t *testing.T) {
		e.phone("inc-form", "A", "sA")
		r := guard.postForm("/api/incidents/inc-form/ack", url.Values{csrfField: {guard.csrf}, "return": {"/incidents/inc-form"}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/incidents/inc-form" {
			t.Fatalf("status %d Location %q, want 303 back to the page", r.status, r.header.Get("Location"))
		}
		inc, err := e.st.Incident(context.Background(), "inc-form")
		if err != nil {
			t.Fatal(err)
		}
		if inc.AckedBy != "alice" {
			t.Errorf("acked by %q, want alice", inc.AckedBy)
		}
	})
	t.Run("form return elsewhere goes home", func(t *testing.T) {
		e.phone("inc-redirect", "A", "sA")
		r := guard.postForm("/api/incidents/inc-redirect/ack", url.Values{csrfField: {guard.csrf}, "return": {"//evil.example/x"}})
		if r.header.Get("Location") != "/" {
			t.Errorf("Location %q, want /", r.header.Get("Location"))
		}
	})
}

func TestLoginForm(t *testing.T) {
	e := newEnv(t, false)
	c := e.newClient()
	page := c.get("/login")
	token := between(page.body, `name="login_token" value="`, `"`)
	if token == "" {
		t.Fatal("no login token in the form")
	}
	t.Run("forged form without the login cookie's token", func(t *testing.T) {
		other := e.newClient()
		r := other.postForm("/login", url.Values{"user": {"alice"}, "password": {"alice-pw"}, "login_token": {token}})
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "The login form had expired") {
			t.Errorf("status %d, want 403 with a message", r.status)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		r := c.postForm("/login", url.Values{"user": {"alice"}, "password": {"nope"}, "login_token": {token}})
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "Wrong user name or password.") {
			t.Errorf("status %d, want 401 with the message", r.status)
		}
		if a, ok := e.auditHas("login-failed", "alice", "alice"); !ok || a.Remote != "127.0.0.1" {
			t.Errorf("audit of the failed login: %+v %v", a, ok)
		}
	})
	t.Run("right password goes to next", func(t *testing.T) {
		token := between(c.get("/login").body, `name="login_token" value="`, `"`)
		r := c.postForm("/login", url.Values{"user": {"alice"}, "password": {"alice-pw"}, "login_token": {token}, "next": {"/history"}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/history" {
			t.Fatalf("status %d Location %q, want 303 to /history", r.status, r.header.Get("Location"))
		}
		if r := c.get("/history"); r.status != http.StatusOK {
			t.Errorf("history after login: %d", r.status)
		}
		if a, ok := e.auditHas("login", "alice", "alice"); !ok || a.Remote != "127.0.0.1" {
			t.Errorf("audit of the login: %+v %v", a, ok)
		}
	})
}

// between returns the text of s between before and after.
func between(s, before, after string) string {
	_, rest, ok := strings.Cut(s, before)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, after)
	return v
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, true, func(c *Config) { c.LoginFailures = 3; c.LoginWindow = 10 * time.Minute })
	c := e.newClient()
	login := func(user, pw string) response {
		return c.do("POST", "/api/login", "application/json", `{"user":"`+user+`","password":"`+pw+`"}`, nil)
	}
	for i := 0; i < 3; i++ {
		if r := login("alice", "wrong"); r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d", i+1, r.status)
		}
		e.clock.Add(time.Minute)
	}
	t.Run("right password refused while limited", func(t *testing.T) {
		r := login("alice", "alice-pw")
		if r.status != http.StatusTooManyRequests {
			t.Fatalf("status %d, want 429", r.status)
		}
		if msg := jsonError(t, r); msg != "Too many failed logins for this user or from this address. Try again in 7 min." {
			t.Errorf("message %q", msg)
		}
		if _, ok := e.auditHas("login-refused", "alice", ""); !ok {
			t.Error("refused login not audited")
		}
	})
	t.Run("same address, other user", func(t *testing.T) {
		if r := login("tom", "tom-pw"); r.status != http.StatusTooManyRequests {
			t.Errorf("status %d, want 429 (limit per address)", r.status)
		}
	})
	t.Run("after the window", func(t *testing.T) {
		e.clock.Add(8 * time.Minute)
		if r := login("alice", "alice-pw"); r.status != http.StatusOK {
			t.Errorf("status %d, want 200", r.status)
		}
	})
}

func TestSessionIdleExpiry(t *testing.T) {
	e := newEnv(t, true, func(c *Config) { c.SessionTTL = 10 * time.Minute })
	c := e.login("alice")
	for i := 0; i < 3; i++ { // each use restarts the idle time
		e.clock.Add(9 * time.Minute)
		if r := c.get("/api/me"); r.status != http.StatusOK {
			t.Fatalf("use %d within the idle time: %d", i, r.status)
		}
	}
	e.clock.Add(10*time.Minute + time.Second)
	if r := c.get("/api/me"); r.status != http.StatusUnauthorized {
		t.Errorf("after the idle time: %d, want 401", r.status)
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t, false)
	c := e.login("alice")
	if r := c.postJSON("/api/logout", ""); r.status != http.StatusOK {
		t.Fatalf("logout: %d %s", r.status, r.body)
	}
	if r := c.get("/api/me"); r.status != http.StatusUnauthorized {
		t.Errorf("after logout: %d, want 401", r.status)
	}
	if _, ok := e.auditHas("logout", "alice", "alice"); !ok {
		t.Error("logout not audited")
	}
}

func TestHeaders(t *testing.T) {
	for _, tc := range []struct {
		name       string
		secure     bool
		wantSecure bool
	}{
		{"plain", false, false},
		{"behind a TLS proxy", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, false, func(c *Config) { c.SecureCookies = tc.secure })
			c := e.newClient()
			r := c.do("POST", "/api/login", "application/json", `{"user":"alice","password":"alice-pw"}`, nil)
			cookies := (&http.Response{Header: r.header}).Cookies()
			if len(cookies) != 1 || cookies[0].Name != sessionCookie {
				t.Fatalf("cookies %v", cookies)
			}
			ck := cookies[0]
			if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure != tc.wantSecure || len(ck.Value) < 40 {
				t.Errorf("cookie HttpOnly=%v SameSite=%v Secure=%v len=%d", ck.HttpOnly, ck.SameSite, ck.Secure, len(ck.Value))
			}
			// A request that came over TLS always gets a Secure cookie.
			req := httptest.NewRequest("POST", "/api/login", strings.NewReader(`{"user":"alice","password":"alice-pw"}`))
			req.Header.Set("Content-Type", "application/json")
			req.TLS = &tls.ConnectionState{}
			rec := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(rec, req)
			if cks := rec.Result().Cookies(); len(cks) != 1 || !cks[0].Secure {
				t.Errorf("over TLS: cookies %v, want one Secure", cks)
			}
			for _, path := range []string{"/login", "/api/incidents"} {
				h := c.get(path).header
				if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe-inline") {
					t.Errorf("%s: CSP %q", path, csp)
				}
				if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("%s: framing/sniffing headers %v", path, h)
				}
				if h.Get("Cache-Control") != "no-store" {
					t.Errorf("%s: Cache-Control %q, want no-store", path, h.Get("Cache-Control"))
				}
			}
		})
	}
}

func TestAPIIncidentActions(t *testing.T) {
	e := newEnv(t, false)
	e.online("sA", "sB", "sC")
	e.phone("inc-1", "B", "sB", "sA")
	guard := e.login("alice")

	t.Run("list", func(t *testing.T) {
		r := guard.get("/api/incidents?wing=B&open=1")
		var got struct {
			Incidents []alerting.Incident `json:"incidents"`
			Limit     int                 `json:"limit"`
		}
		if err := json.Unmarshal([]byte(r.body), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Incidents) != 1 || got.Incidents[0].ID != "inc-1" || got.Limit != 100 {
			t.Errorf("got %+v", got)
		}
		r = guard.get("/api/incidents?wing=A")
		if !strings.Contains(r.body, `"incidents":[]`) {
			t.Errorf("wing A: %s, want an empty list", r.body)
		}
	})
	t.Run("bad filter", func(t *testing.T) {
		r := guard.get("/api/incidents?kind=radio")
		if r.status != http.StatusBadRequest || jsonError(t, r) != `query parameter "kind": "radio" is not one of phone, overload, sensor-offline, source-lost, tamper` {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
	t.Run("detail with alerts", func(t *testing.T) {
		r := guard.get("/api/incidents/inc-1")
		var got struct {
			Incident alerting.Incident `json:"incident"`
			Alerts   []alerting.Alert  `json:"alerts"`
		}
		if err := json.Unmarshal([]byte(r.body), &got); err != nil {
			t.Fatal(err)
		}
		if got.Incident.ID != "inc-1" || len(got.Alerts) != 2 {
			t.Errorf("incident %q with %d alerts, want inc-1 with 2", got.Incident.ID, len(got.Alerts))
		}
	})
	for _, tc := range []struct {
		name   string
		path   string
		body   string
		status int
		msg    string // exact error, or a prefix ending in "…"
	}{
		{"unknown incident", "/api/incidents/nope/ack", `{}`, http.StatusNotFound, "ack nope: incident nope…"},
		{"unknown field", "/api/incidents/inc-1/ack", `{"notes":"x"}`, http.StatusBadRequest, `request body: json: unknown field "notes"`},
		{"not JSON", "/api/incidents/inc-1/ack", `{`, http.StatusBadRequest, "request body: unexpected EOF"},
		{"bad resolution", "/api/incidents/inc-1/resolve", `{"resolution":"gone"}`, http.StatusBadRequest,
			`resolution: "gone" is not one of found-phone, false-alarm, unknown`},
		{"note too long", "/api/incidents/inc-1/ack", `{"note":"` + strings.Repeat("x", 2001) + `"}`, http.StatusBadRequest,
			"note: 2001 characters, at most 2000"},
		{"ack", "/api/incidents/inc-1/ack", `{"note":"on my way"}`, http.StatusOK, ""},
		{"ack twice", "/api/incidents/inc-1/ack", `{}`, http.StatusConflict, "ack inc-1: incident inc-1 is already acknowledged by alice at …"},
		{"resolve", "/api/incidents/inc-1/resolve", `{"resolution":"found-phone","note":"under the mattress, cell 12"}`, http.StatusOK, ""},
		{"resolve twice", "/api/incidents/inc-1/resolve", `{"resolution":"false-alarm"}`, http.StatusConflict, "resolve inc-1: incident inc-1 is already resolved…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := guard.postJSON(tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.msg == "" {
				return
			}
			msg := jsonError(t, r)
			if p, ok := strings.CutSuffix(tc.msg, "…"); ok {
				if !strings.HasPrefix(msg, p) {
					t.Errorf("error %q, want it to start with %q", msg, p)
				}
			} else if msg != tc.msg {
				t.Errorf("error %q, want %q", msg, tc.msg)
			}
		})
	}
	inc, err := e.st.Incident(context.Background(), "inc-1")
	if err != nil {
		t.Fatal(err)
	}
	if inc.AckedBy != "alice" || inc.Resolution != alerting.ResolutionFoundPhone || inc.Note != "under the mattress, cell 12" ||
		inc.Alarm != alerting.AlarmClosed {
		t.Errorf("stored: acked by %q, resolution %q, note %q, alarm %q", inc.AckedBy, inc.Resolution, inc.Note, inc.Alarm)
	}
	for _, action := range []string{"ack", "resolve"} {
		if a, ok := e.auditHas(action, "alice", "inc-1"); !ok || a.Remote != "127.0.0.1" {
			t.Errorf("audit of %s: %+v %v (want the remote address)", action, a, ok)
		}
	}
}

func TestAPISensorActions(t *testing.T) {
	e := newEnv(t, false)
	e.online("sA", "sB", "sC")
	e.phone("inc-a", "A", "sA")
	e.phone("inc-ab", "A", "sA", "sB")
	tech := e.login("tom")
	for _, tc := range []struct {
		name   string
		path   string
		body   string
		status int
		msg    string
	}{
		{"unknown sensor", "/api/sensors/zz/shelve", `{"duration":"1h","note":"x"}`, http.StatusNotFound, `no sensor "zz" on this site`},
		{"no duration", "/api/sensors/sA/shelve", `{"note":"x"}`, http.StatusBadRequest, "duration: required (how long to shelve, like 4h)"},
		{"bad duration", "/api/sensors/sA/shelve", `{"duration":"soon","note":"x"}`, http.StatusBadRequest, `duration: "soon" is not a duration like 30m or 4h`},
		{"too long", "/api/sensors/sA/shelve", `{"duration":"200h","note":"x"}`, http.StatusBadRequest,
			"shelving must last between 1m0s and 168h0m0s, not 200h0m0s"},
		{"both", "/api/sensors/sA/shelve", `{"duration":"1h","until":"2030-01-01T00:00:00Z","note":"x"}`, http.StatusBadRequest,
			"give duration or until, not both"},
		{"no note", "/api/sensors/sA/shelve", `{"duration":"1h"}`, http.StatusBadRequest, "note: required (why shelve it, for the next shift)"},
		{"shelve", "/api/sensors/sA/shelve", `{"duration":"4h","note":"antenna work in A"}`, http.StatusOK, ""},
		{"out of service without on", "/api/sensors/sC/out-of-service", `{"note":"x"}`, http.StatusBadRequest,
			"on: required (true takes the sensor out of service, false returns it)"},
		{"out of service without note", "/api/sensors/sC/out-of-service", `{"on":true}`, http.StatusBadRequest,
			"note: required (why it is out of service, for the next shift)"},
		{"out of service", "/api/sensors/sC/out-of-service", `{"on":true,"note":"dongle replaced"}`, http.StatusOK, ""},
		{"out of service twice", "/api/sensors/sC/out-of-service", `{"on":true,"note":"again"}`, http.StatusConflict,
			"out of service " + testSite + "/sC: sensor " + testSite + "/sC is already out of service (by tom)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tech.postJSON(tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.msg != "" {
				if msg := jsonError(t, r); msg != tc.msg {
					t.Errorf("error %q, want %q", msg, tc.msg)
				}
			}
		})
	}
	t.Run("suppression", func(t *testing.T) {
		for id, want := range map[string]string{"inc-a": alerting.AlarmShelved, "inc-ab": alerting.AlarmUnacknowledged} {
			var got struct {
				Incident alerting.Incident `json:"incident"`
			}
			if err := json.Unmarshal([]byte(tech.get("/api/incidents/"+id).body), &got); err != nil {
				t.Fatal(err)
			}
			if got.Incident.Alarm != want {
				t.Errorf("%s: alarm %q, want %q", id, got.Incident.Alarm, want)
			}
		}
	})
	t.Run("sensors", func(t *testing.T) {
		var got struct {
			Sensors []sensorJSON `json:"sensors"`
		}
		if err := json.Unmarshal([]byte(tech.get("/api/sensors").body), &got); err != nil {
			t.Fatal(err)
		}
		status := map[string]string{}
		for _, s := range got.Sensors {
			status[s.ID] = s.Status
			if len(s.NotHeard) != 1 || s.NotHeard[0].Band != "B1 2100 MHz" {
				t.Errorf("%s: not heard %v", s.ID, s.NotHeard)
			}
		}
		want := map[string]string{"sA": statusShelved, "sB": statusOK, "sC": statusOutOfService}
		for id, w := range want {
			if status[id] != w {
				t.Errorf("%s: status %q, want %q", id, status[id], w)
			}
		}
	})
	for _, action := range []struct{ action, target string }{{"shelve", testSite + "/sA"}, {"out-of-service", testSite + "/sC"}} {
		if a, ok := e.auditHas(action.action, "tom", action.target); !ok || a.Remote != "127.0.0.1" {
			t.Errorf("audit of %s: %+v %v", action.action, a, ok)
		}
	}
}

func TestExportCSV(t *testing.T) {
	e := newEnv(t, false)
	e.phone("inc-a", "A", "sA")
	e.phone("inc-b", "B", "sB")
	guard := e.login("alice")
	r := guard.get("/api/export.csv?wing=B")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("status %d type %q", r.status, r.header.Get("Content-Type"))
	}
	if d := r.header.Get("Content-Disposition"); !strings.HasPrefix(d, `attachment; filename="cellsentry-`+testSite+`-`) {
		t.Errorf("disposition %q", d)
	}
	rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || !strings.Contains(strings.Join(rows[1], ","), "inc-b") {
		t.Errorf("rows %v, want a header and inc-b", rows)
	}
	if a, ok := e.auditHas("export", "alice", "incidents"); !ok || a.Detail != "wing=B" || a.Remote != "127.0.0.1" {
		t.Errorf("audit of the export: %+v %v", a, ok)
	}
	if r := guard.get("/api/export.csv?alarm=red"); r.status != http.StatusBadRequest {
		t.Errorf("bad filter: %d", r.status)
	}
}

func TestAuditAPI(t *testing.T) {
	e := newEnv(t, false)
	admin := e.login("ada")
	var got struct {
		Entries []struct {
			User, Action, Remote string
		} `json:"entries"`
	}
	if err := json.Unmarshal([]byte(admin.get("/api/audit?limit=10").body), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Entries) == 0 || got.Entries[0].User != "ada" || got.Entries[0].Action != "login" || got.Entries[0].Remote != "127.0.0.1" {
		t.Errorf("entries %+v, want ada's login first", got.Entries)
	}
	if r := admin.get("/api/audit?since=later"); r.status != http.StatusBadRequest {
		t.Errorf("bad since: %d", r.status)
	}
}

func TestHealthz(t *testing.T) {
	e := newEnv(t, false)
	r := e.newClient().get("/healthz")
	if r.status != http.StatusOK || !strings.Contains(r.body, `"status":"ok"`) {
		t.Errorf("%d %s", r.status, r.body)
	}
	e.stop()
	// A closed store: the console is not healthy.
	srv, err := New(Config{Site: testSite, Users: users()}, e.st)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rec := httptestRecorder(srv.Handler(), "GET", "/healthz")
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("closed store: %d, want 503", rec.Code)
	}
}

func TestHistoryPage(t *testing.T) {
	e := newEnv(t, false)
	e.phone("inc-a", "A", "sA")
	e.phone("inc-b", "B", "sB")
	test := e.phone("inc-t", "B", "sB")
	test.Mode = alerting.ModeTest
	if _, err := e.st.SaveIncident(context.Background(), &test); err != nil {
		t.Fatal(err)
	}
	c := e.login("alice")
	for _, tc := range []struct {
		name, query string
		status      int
		has, hasnt  []string
	}{
		{"everything", "", http.StatusOK, []string{"/incidents/inc-a", "/incidents/inc-b", "/incidents/inc-t"}, nil},
		{"one wing", "?wing=B", http.StatusOK, []string{"/incidents/inc-b", "/incidents/inc-t"}, []string{"/incidents/inc-a"}},
		{"test mode", "?mode=test", http.StatusOK, []string{"/incidents/inc-t"}, []string{"/incidents/inc-a", "/incidents/inc-b"}},
		{"export keeps the filters", "?wing=B&mode=test", http.StatusOK, []string{`href="/api/export.csv?mode=test&amp;wing=B"`}, nil},
		{"a page of one, and the next", "?limit=1", http.StatusOK, []string{`href="/history?limit=1&amp;offset=1"`}, nil},
		{"bad filter", "?since=yesterday", http.StatusBadRequest,
			[]string{`query parameter &#34;since&#34;: &#34;yesterday&#34; is not a date`}, []string{"/incidents/inc-a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.get("/history" + tc.query)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d", r.status, tc.status)
			}
			for _, s := range tc.has {
				if !strings.Contains(r.body, s) {
					t.Errorf("page lacks %s", s)
				}
			}
			for _, s := range tc.hasnt {
				if strings.Contains(r.body, s) {
					t.Errorf("page has %s", s)
				}
			}
		})
	}
}
