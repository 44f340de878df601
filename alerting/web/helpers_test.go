package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/store"
)

// testSite is the site of every test.
const testSite = "hmp-test"

// Test users: one per role, password = name + "-pw".
var testUsers = []struct{ name, role string }{
	{"alice", RoleGuard},
	{"tom", RoleTechnician},
	{"ada", RoleAdmin},
}

// hashes are made once at the lowest bcrypt cost: the tests log in often.
var hashes = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, u := range testUsers {
		h, err := bcrypt.GenerateFromPassword([]byte(u.name+"-pw"), bcrypt.MinCost)
		if err != nil {
			panic(err)
		}
		m[u.name] = string(h)
	}
	return m
})

func users() []User {
	var out []User
	for _, u := range testUsers {
		out = append(out, User{Name: u.name, Role: u.role, PasswordHash: hashes()[u.name]})
	}
	return out
}

// testPlan is a building with three wings side by side (A, B, C; 20 m × 30 m
// each) and one sensor in the middle of each.
func testPlan() Plan {
	wing := func(name string, x0 float64) Wing {
		return Wing{Name: name, Building: "Main", Floor: 1,
			Polygon: [][2]float64{{x0, 0}, {x0 + 20, 0}, {x0 + 20, 30}, {x0, 30}}}
	}
	sensor := func(id, w string, x float64) SensorPlan {
		return SensorPlan{ID: id, Wing: w, X: x, Y: 15, Floor: 1,
			Bands:    []string{"GSM900 880–915 MHz", "LTE B20 832–862 MHz", "DCS1800 1710–1766 MHz"},
			NotHeard: []BandGap{{Band: "B1 2100 MHz", Why: "beyond the dongle's 1766 MHz"}}}
	}
	return Plan{
		Wings:   []Wing{wing("A", 0), wing("B", 20), wing("C", 40)},
		Sensors: []SensorPlan{sensor("sA", "A", 10), sensor("sB", "B", 30), sensor("sC", "C", 50)},
	}
}

// clock is a settable clock shared by the store and the server.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one console under test: a real store on a temporary SQLite file,
// the server and an HTTP test server.
type env struct {
	t     testing.TB
	path  string // the database file
	st    *store.Store
	srv   *Server
	ts    *httptest.Server
	clock *clock // nil: real time
}

type envOption func(*Config)

// newEnv starts a console on a new database; with fake set, both the store
// and the server run on a settable clock starting now.
func newEnv(t testing.TB, fake bool, opts ...envOption) *env {
	t.Helper()
	return openEnv(t, filepath.Join(t.TempDir(), "console.db"), fake, opts...)
}

// openEnv starts a console on the database at path (a restart when it
// exists).
func openEnv(t testing.TB, path string, fake bool, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, path: path}
	now := time.Now
	if fake {
		e.clock = &clock{t: time.Now().UTC().Truncate(time.Second)}
		now = e.clock.Now
	}
	st, err := store.Open(path, store.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	e.st = st
	cfg := Config{Site: testSite, Plan: testPlan(), Users: users(), Now: now, Location: time.UTC}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := New(cfg, st)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.ts = httptest.NewServer(srv.Handler())
	for _, sp := range cfg.Plan.Sensors {
		if err := st.DeclareSensor(context.Background(), testSite, sp.ID, sp.Wing, "Main"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(e.stop)
	return e
}

// stop shuts the console down (idempotent): a test restarts it on the
// same file.
func (e *env) stop() {
	if e.ts == nil {
		return
	}
	e.ts.CloseClientConnections()
	_ = e.srv.Close()
	e.ts.Close()
	if err := e.st.Close(); err != nil {
		e.t.Error(err)
	}
	e.ts = nil
}

func (e *env) now() time.Time {
	if e.clock != nil {
		return e.clock.Now()
	}
	return time.Now()
}

// online marks the plan's sensors online with a fresh health message.
func (e *env) online(ids ...string) {
	e.t.Helper()
	ctx := context.Background()
	temp := 48.5
	for _, id := range ids {
		o := alerting.Origin{Site: testSite, Sensor: id}
		if err := e.st.SaveStatus(ctx, &alerting.Status{Schema: alerting.SchemaStatus, Origin: o, State: "online", Time: e.now()}); err != nil {
			e.t.Fatal(err)
		}
		h := &alerting.Health{Schema: alerting.SchemaHealth, Origin: o, Time: e.now(), Version: "test", Mode: alerting.ModeActual,
			State: "ok", Sources: []alerting.SourceHealth{{Name: "dongle0", State: "streaming", Samples: 1e9, Dropped: 2400}},
			Bands: []alerting.BandHealth{{Band: "gsm900", CenterHz: 897.5e6, FloorDBFS: -71.25}},
			Queue: alerting.QueueHealth{Depth: 3}, TempC: &temp}
		if err := e.st.SaveHealth(ctx, h); err != nil {
			e.t.Fatal(err)
		}
	}
}

// phone stores an active phone incident located in wing, heard by the
// given sensors, and returns it as stored.
func (e *env) phone(id, wing string, sensors ...string) alerting.Incident {
	e.t.Helper()
	first := e.now().Add(-2 * time.Minute)
	runnerUp := "C"
	if wing == "C" {
		runnerUp = "B"
	}
	inc := alerting.Incident{
		Schema: alerting.SchemaIncident, ID: id, Site: testSite, Kind: alerting.IncidentPhone,
		Mode: alerting.ModeActual, Class: "gsm", FreqHz: 902.4e6, Wing: wing, Building: "Main",
		Confidence: 0.87, RunnerUp: runnerUp, Margin: 0.77, Method: "ml",
		Wings:     []alerting.WingScore{{Wing: wing, Probability: 0.87}, {Wing: runnerUp, Probability: 0.10}},
		FirstSeen: first, LastSeen: e.now(), Active: true,
	}
	for i, s := range sensors {
		inc.Sensors = append(inc.Sensors, alerting.Heard{Sensor: s, AlertID: fmt.Sprintf("%s.%s-gsm-%s", testSite, s, id),
			PowerDBm: alerting.Level(-52 - 9*i), Bursts: 40 - i, LastSeen: e.now()})
	}
	out, err := e.st.SaveIncident(context.Background(), &inc)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, h := range inc.Sensors {
		a := &alerting.Alert{Schema: alerting.SchemaAlert, Origin: alerting.Origin{Site: testSite, Sensor: h.Sensor},
			ID: h.AlertID, State: alerting.StateRaised, Mode: alerting.ModeActual, Time: first, Class: "gsm",
			FreqHz: 902.4e6, BandwidthHz: 200e3, FirstSeen: first, LastSeen: e.now(), Bursts: h.Bursts,
			PowerDBm: h.PowerDBm, RecentDBm: h.PowerDBm, PowerDBFS: -20, SNR: 25, Confidence: 0.95}
		if _, err := e.st.AddAlert(context.Background(), id, a); err != nil {
			e.t.Fatal(err)
		}
	}
	return out
}

// client is a logged-in API client.
type client struct {
	t    testing.TB
	base string
	hc   *http.Client
	csrf string
	user string
}

// newClient returns a client with a cookie jar that does not follow
// redirects (tests look at them).
func (e *env) newClient() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: e.t, base: e.ts.URL, hc: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// login logs a client in as user through the JSON API.
func (e *env) login(user string) *client {
	e.t.Helper()
	c := e.newClient()
	resp := c.do("POST", "/api/login", "application/json", fmt.Sprintf(`{"user":%q,"password":%q}`, user, user+"-pw"), nil)
	if resp.status != http.StatusOK {
		e.t.Fatalf("login %s: %d %s", user, resp.status, resp.body)
	}
	var me meView
	if err := json.Unmarshal([]byte(resp.body), &me); err != nil {
		e.t.Fatal(err)
	}
	c.csrf, c.user = me.CSRFToken, me.User
	return c
}

type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request; headers are "Name: value" pairs.
func (c *client) do(method, path, ctype, body string, header map[string]string) response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (c *client) get(path string) response { return c.do("GET", path, "", "", nil) }

// postJSON posts a JSON body with the CSRF header.
func (c *client) postJSON(path, body string) response {
	return c.do("POST", path, "application/json", body, map[string]string{csrfHeader: c.csrf})
}

// postForm posts a form (as a browser without script does).
func (c *client) postForm(path string, form url.Values) response {
	return c.do("POST", path, "application/x-www-form-urlencoded", form.Encode(), map[string]string{"Accept": "text/html"})
}

// jsonError reads the {"error": …} of a response.
func jsonError(t testing.TB, r response) string {
	t.Helper()
	var e struct {
		Error string `json:"error"`
	}
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("not a JSON error: %v: %q", err, r.body)
	}
	return e.Error
}

// auditHas reports whether the audit log holds an entry with this action,
// user and target (empty target: any), and returns it.
func (e *env) auditHas(action, user, target string) (store.AuditEntry, bool) {
	e.t.Helper()
	list, err := e.st.AuditLog(context.Background(), time.Time{}, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range list {
		if a.Action == action && a.User == user && (target == "" || a.Target == target) {
			return a, true
		}
	}
	return store.AuditEntry{}, false
}

// httptestRecorder serves one request without a network.
func httptestRecorder(h http.Handler, method, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
