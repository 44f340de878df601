package web

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSessionSurvivesRestart restarts the console on the same database
// file: a session (and its CSRF secret) goes on working, unless it lapsed
// meanwhile, its user left the configuration, or it logged out.
func TestSessionSurvivesRestart(t *testing.T) {
	withoutAlice := func(c *Config) {
		var keep []User
		for _, u := range c.Users {
			if u.Name != "alice" {
				keep = append(keep, u)
			}
		}
		c.Users = keep
	}
	cases := []struct {
		name    string
		idle    time.Duration // between the last use and the first after the restart
		opts    []envOption   // of the restarted console
		logout  bool          // log out before the restart
		wantMe  int
		wantAck int
	}{
		{"restart", 0, nil, false, http.StatusOK, http.StatusOK},
		{"idle within the TTL", 50 * time.Minute, nil, false, http.StatusOK, http.StatusOK},
		{"lapsed while down", 61 * time.Minute, nil, false, http.StatusUnauthorized, http.StatusUnauthorized},
		{"user removed from the configuration", 0, []envOption{withoutAlice}, false, http.StatusUnauthorized, http.StatusUnauthorized},
		{"logged out", 0, nil, true, http.StatusUnauthorized, http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, true)
			e.phone("inc-1", "A", "sA")
			cl := e.login("alice")
			if c.logout {
				if r := cl.postJSON("/api/logout", ""); r.status != http.StatusOK {
					t.Fatal(r.status, r.body)
				}
			}
			started := e.clock.Now()
			e.stop()

			e2 := openEnv(t, e.path, true, c.opts...)
			e2.clock.Add(started.Add(c.idle).Sub(e2.clock.Now()))
			cl.base = e2.ts.URL // same host, another port: the jar sends the cookie
			if r := cl.get("/api/me"); r.status != c.wantMe {
				t.Fatalf("/api/me after the restart: %d %s, want %d", r.status, r.body, c.wantMe)
			}
			// The CSRF secret from before the restart still protects actions.
			if r := cl.postJSON("/api/incidents/inc-1/ack", "{}"); r.status != c.wantAck {
				t.Errorf("ack with the old CSRF token: %d %s, want %d", r.status, r.body, c.wantAck)
			}
		})
	}
}

// TestSessionForgedCSRFAfterRestart: a restored session still refuses a
// request without its CSRF token.
func TestSessionForgedCSRFAfterRestart(t *testing.T) {
	e := newEnv(t, false)
	e.phone("inc-1", "A", "sA")
	cl := e.login("alice")
	e.stop()
	e2 := openEnv(t, e.path, false)
	cl.base = e2.ts.URL
	cl.csrf = "forged"
	if r := cl.postJSON("/api/incidents/inc-1/ack", "{}"); r.status != http.StatusForbidden {
		t.Errorf("ack with a forged CSRF token: %d %s, want 403", r.status, r.body)
	}
}

// TestSessionListAfterRestart: the admin's list shows the sessions from
// before a restart that have not been used since.
func TestSessionListAfterRestart(t *testing.T) {
	e := newEnv(t, false)
	e.login("alice")
	admin := e.login("ada")
	e.stop()
	e2 := openEnv(t, e.path, false)
	admin.base = e2.ts.URL
	r := admin.get("/admin/users")
	if r.status != http.StatusOK {
		t.Fatal(r.status, r.body)
	}
	i := strings.Index(r.body, "<tbody>")
	rows := r.body[i:]
	if strings.Count(rows, "<td>alice</td>") != 2 { // the users table and the sessions table
		t.Errorf("alice's session from before the restart is not listed:\n%s", rows)
	}
}
