package web

// Tests in a real headless Chromium driven by chromedp: one browser process
// for the package, a new tab per test.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cellsentry/cellsentry/alerting"
)

var browser struct {
	once   sync.Once
	ctx    context.Context // a tab-less context of the running browser
	cancel func()
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

// chromium finds Debian's chromium (or another Chrome) on PATH.
func chromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH (apt-get install -y chromium)")
}

// browserContext starts the package's browser once.
func browserContext(t *testing.T) context.Context {
	t.Helper()
	browser.once.Do(func() {
		path, err := chromium()
		if err != nil {
			browser.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1600, 1000))
		actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
		bctx, bcancel := chromedp.NewContext(actx)
		// The first Do starts the browser (its first tab stays idle).
		if err := chromedp.Do(bctx); err != nil {
			bcancel()
			acancel()
			browser.err = err
			return
		}
		browser.ctx = bctx
		browser.cancel = func() { bcancel(); acancel() }
	})
	if browser.err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("browser: %v", browser.err)
		}
		t.Skipf("browser: %v", browser.err)
	}
	return browser.ctx
}

// tab opens a new tab for one test, with a deadline.
func tab(t *testing.T) context.Context {
	t.Helper()
	// A browser context of its own: cookies are per host, not per port,
	// so tabs of parallel tests would otherwise share (and overwrite)
	// their session cookies.
	ctx, cancel := chromedp.NewContext(browserContext(t), chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelT)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1600, 1000)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS waits until a JavaScript expression is truthy, polling every
// 10 ms; it survives navigations (an evaluation during one fails and is
// retried).
func waitJS(t *testing.T, ctx context.Context, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		if err == nil && ok {
			return
		}
		if ctx.Err() != nil {
			break
		}
		last = err
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("waiting %v for %s: last error %v", timeout, expr, last)
}

// browserLogin logs the tab in through the login form and waits for the
// page it lands on.
func browserLogin(t *testing.T, ctx context.Context, e *env, user string) {
	t.Helper()
	run(t, ctx,
		chromedp.Navigate(e.ts.URL+"/login"),
		chromedp.SetValue(chromedp.ID("user"), user),
		chromedp.SetValue(chromedp.ID("password"), user+"-pw"),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("main")),
	)
	waitJS(t, ctx, `document.body.dataset.page !== "login"`, 15*time.Second)
}

// openLive logs in and waits until the live view's event stream is open.
func openLive(t *testing.T, ctx context.Context, e *env, user string) {
	t.Helper()
	browserLogin(t, ctx, e, user)
	waitJS(t, ctx, `document.body.dataset.page === "live" && document.body.dataset.live === "connected"`, 15*time.Second)
	settled(t, ctx)
}

// settled waits until the live view has swapped in its latest panel, so
// that the nodes a test clicks are not replaced under it.
func settled(t *testing.T, ctx context.Context) {
	t.Helper()
	waitJS(t, ctx, `document.body.dataset.refreshed && !document.body.dataset.busy`, 15*time.Second)
}

// focus focuses an element by id from the page's side (a node id held by
// the driver could go stale when the panel is swapped).
func focus(t *testing.T, ctx context.Context, id string) {
	t.Helper()
	if !eval[bool](t, ctx, `(() => { const el = document.getElementById(`+strconv.Quote(id)+`); if (!el) return false; el.focus(); return true; })()`) {
		t.Fatalf("no element #%s to focus", id)
	}
}

// consoleErrors collects the page's errors from now on: uncaught
// exceptions, console.error, and browser log errors such as a resource
// that failed to load or a Content-Security-Policy violation.
func consoleErrors(ctx context.Context) func() []string {
	var mu sync.Mutex
	var errs []string
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				mu.Lock()
				errs = append(errs, fmt.Sprintf("%s %s (%s)", m.Type, m.Text, m.URL))
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(errs)
	}
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestBrowserLoginRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	ctx := tab(t)
	for _, path := range []string{"/", "/history", "/sensors", "/admin/audit", "/incidents/x"} {
		t.Run(path, func(t *testing.T) {
			run(t, ctx, chromedp.Navigate(e.ts.URL+path), chromedp.WaitVisible(chromedp.ID("login-form")))
			if loc := location(t, ctx); !strings.HasPrefix(loc, e.ts.URL+"/login?next=") {
				t.Errorf("at %s, want the login page", loc)
			}
			if n := eval[int](t, ctx, `document.querySelectorAll("li.incident, nav a").length`); n != 0 {
				t.Errorf("%d incidents or nav links on the login page", n)
			}
		})
	}
	t.Run("API", func(t *testing.T) {
		status := eval[int](t, ctx, `fetch("/api/incidents").then(r => r.status)`)
		if status != 401 {
			t.Errorf("GET /api/incidents from the login page: %d, want 401", status)
		}
	})
	t.Run("login lands where it was asked", func(t *testing.T) {
		run(t, ctx, chromedp.Navigate(e.ts.URL+"/history"), chromedp.WaitVisible(chromedp.ID("login-form")),
			chromedp.SendKeys(chromedp.ID("user"), "alice"), chromedp.SendKeys(chromedp.ID("password"), "alice-pw"),
			chromedp.Click(chromedp.ID("login")))
		waitJS(t, ctx, `document.body.dataset.page === "history"`, 15*time.Second)
	})
}

// TestBrowserLiveUpdate measures a latency: it runs alone, before the
// parallel browser tests.
func TestBrowserLiveUpdate(t *testing.T) {
	e := newEnv(t, false)
	e.online("sA", "sB", "sC")
	ctx := tab(t)
	openLive(t, ctx, e, "alice")
	run(t, ctx, chromedp.Click(chromedp.ID("sound")))
	waitJS(t, ctx, `document.getElementById("sound").getAttribute("aria-pressed") === "true"`, 15*time.Second)

	inc := e.phone("inc-live", "B", "sB", "sA")
	start := time.Now()
	e.srv.IncidentChanged(inc)
	waitJS(t, ctx, `document.getElementById("inc-inc-live") !== null`, 15*time.Second)
	took := time.Since(start)
	t.Logf("IncidentChanged → incident on the live page: %v", took)
	if took > time.Second {
		t.Errorf("the incident took %v to appear, want within 1 s", took)
	}
	text := eval[string](t, ctx, `document.getElementById("inc-inc-live").innerText`)
	for _, want := range []string{"Unacknowledged", "Phone · GSM · 902.400 MHz", "B, Main · 87 % · runner-up C 10 %", "sB −52.0 dBm"} {
		if !strings.Contains(text, want) {
			t.Errorf("incident text %q lacks %q", text, want)
		}
	}
	if c := eval[string](t, ctx, `document.querySelector('g.wing[data-wing="B"]').getAttribute("class")`); c != "wing wing-unacknowledged" {
		t.Errorf("wing B drawn as %q, want unacknowledged", c)
	}
	if c := eval[string](t, ctx, `document.querySelector('g.wing[data-wing="A"]').getAttribute("class")`); c != "wing wing-quiet" {
		t.Errorf("wing A drawn as %q, want quiet", c)
	}
	if n := eval[string](t, ctx, `document.body.dataset.chimes`); n != "1" {
		t.Errorf("chimes %s, want 1 for one new unacknowledged incident", n)
	}
	if st := eval[string](t, ctx, `new Promise(r => setTimeout(r, 50)).then(() => document.getElementById("sound").textContent)`); st != "Sound: on" {
		t.Errorf("sound button says %q", st)
	}

	t.Run("an update rings no second chime", func(t *testing.T) {
		inc.LastSeen = inc.LastSeen.Add(time.Second)
		e.srv.IncidentChanged(inc)
		time.Sleep(300 * time.Millisecond)
		if n := eval[string](t, ctx, `document.body.dataset.chimes`); n != "1" {
			t.Errorf("chimes %s after an update, want still 1", n)
		}
	})
}

func TestBrowserAckSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.online("sA", "sB", "sC")
	e.phone("inc-ack", "B", "sB")
	ctx := tab(t)
	openLive(t, ctx, e, "alice")
	run(t, ctx, chromedp.Click(chromedp.CSS("#inc-inc-ack button.ack")))
	waitJS(t, ctx, `document.getElementById("inc-inc-ack")?.dataset.alarm === "acknowledged"`, 15*time.Second)

	inc, err := e.st.Incident(context.Background(), "inc-ack")
	if err != nil {
		t.Fatal(err)
	}
	if inc.AckedBy != "alice" || inc.Alarm != alerting.AlarmAcknowledged {
		t.Fatalf("stored: acked by %q, alarm %q", inc.AckedBy, inc.Alarm)
	}
	if a, ok := e.auditHas("ack", "alice", "inc-ack"); !ok || a.Remote != "127.0.0.1" {
		t.Fatalf("audit entry: %+v %v", a, ok)
	}

	// A console restart on the same database file.
	path := e.path
	e.stop()
	e2 := openEnv(t, path, false)
	ctx2 := tab(t)
	browserLogin(t, ctx2, e2, "ada")
	run(t, ctx2, chromedp.Navigate(e2.ts.URL+"/incidents/inc-ack"), chromedp.WaitVisible(chromedp.CSS(".incident-detail")))
	text := eval[string](t, ctx2, `document.querySelector(".incident-detail").innerText`)
	for _, want := range []string{"Acknowledged", "by alice"} {
		if !strings.Contains(text, want) {
			t.Errorf("after the restart the incident page lacks %q:\n%s", want, text)
		}
	}
	if n := eval[int](t, ctx2, `document.querySelectorAll(".incident-detail button.ack").length`); n != 0 {
		t.Errorf("after the restart it can be acknowledged again (%d buttons)", n)
	}
	run(t, ctx2, chromedp.Navigate(e2.ts.URL+"/admin/audit"), chromedp.WaitVisible(chromedp.CSS("table.audit")))
	row := eval[string](t, ctx2, `[...document.querySelectorAll("tr.audit-ack")].map(r => r.innerText).join("\n")`)
	if !strings.Contains(row, "alice") || !strings.Contains(row, "inc-ack") || !strings.Contains(row, "127.0.0.1") {
		t.Errorf("audit page after the restart: ack row %q", row)
	}
}

func TestBrowserGuardRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.phone("inc-g", "A", "sA")
	ctx := tab(t)
	openLive(t, ctx, e, "alice")
	for _, path := range []string{"/admin/users", "/admin/audit", "/sensors", "/sensors/sA"} {
		t.Run(path, func(t *testing.T) {
			run(t, ctx, chromedp.Navigate(e.ts.URL+path), chromedp.WaitVisible(chromedp.CSS(".error-page")))
			text := eval[string](t, ctx, `document.querySelector(".error-page").innerText`)
			if !strings.Contains(text, "403 Forbidden") || !strings.Contains(text, "This needs the") {
				t.Errorf("page says %q", text)
			}
		})
	}
	t.Run("admin API", func(t *testing.T) {
		if s := eval[int](t, ctx, `fetch("/api/audit").then(r => r.status)`); s != 403 {
			t.Errorf("GET /api/audit: %d, want 403", s)
		}
	})
	t.Run("the nav offers no admin page", func(t *testing.T) {
		run(t, ctx, chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("panel")))
		nav := eval[string](t, ctx, `document.querySelector("nav").innerText`)
		if strings.Contains(nav, "Audit") || strings.Contains(nav, "Sensors") {
			t.Errorf("guard's nav: %q", nav)
		}
	})
	t.Run("forged POST without the CSRF token", func(t *testing.T) {
		// Same origin, same session cookie, no token: what a script
		// slipped into the page, or a form from elsewhere, would send.
		s := eval[int](t, ctx, `fetch("/api/incidents/inc-g/ack", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "note=x"}).then(r => r.status)`)
		if s != 403 {
			t.Errorf("status %d, want 403", s)
		}
		run(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const f = document.createElement("form"); f.method = "post";
			f.action = "/api/incidents/inc-g/ack"; document.body.append(f); HTMLFormElement.prototype.submit.call(f); })()`),
			chromedp.WaitVisible(chromedp.CSS(".error-page")))
		if text := eval[string](t, ctx, `document.querySelector(".error-page").innerText`); !strings.Contains(text, "403 Forbidden") || !strings.Contains(text, "CSRF") {
			t.Errorf("forged form answered %q", text)
		}
		inc, err := e.st.Incident(context.Background(), "inc-g")
		if err != nil {
			t.Fatal(err)
		}
		if inc.AckedBy != "" {
			t.Errorf("the forged request acknowledged it (by %q)", inc.AckedBy)
		}
	})
}

func TestBrowserResolve(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.online("sA", "sB", "sC")
	e.phone("inc-r", "C", "sC")
	ctx := tab(t)
	openLive(t, ctx, e, "alice")
	run(t, ctx,
		chromedp.Click(chromedp.CSS("#inc-inc-r details.resolve summary")),
		chromedp.SetValue(chromedp.CSS(`#inc-inc-r select[name="resolution"]`), alerting.ResolutionFalseAlarm),
		chromedp.SendKeys(chromedp.CSS(`#inc-inc-r input[name="note"]`), "officer's work phone, authorised"),
		chromedp.Click(chromedp.CSS("#inc-inc-r .resolve-form button")),
	)
	waitJS(t, ctx, `document.getElementById("inc-inc-r") === null`, 15*time.Second)
	inc, err := e.st.Incident(context.Background(), "inc-r")
	if err != nil {
		t.Fatal(err)
	}
	if inc.Resolution != alerting.ResolutionFalseAlarm || inc.Note != "officer's work phone, authorised" || inc.ResolvedBy != "alice" ||
		inc.Alarm != alerting.AlarmClosed {
		t.Errorf("stored: %q %q by %q, alarm %q", inc.Resolution, inc.Note, inc.ResolvedBy, inc.Alarm)
	}
	if c := eval[string](t, ctx, `document.querySelector('g.wing[data-wing="C"]').getAttribute("class")`); c != "wing wing-quiet" {
		t.Errorf("wing C drawn as %q after the resolution, want quiet", c)
	}
}

func TestBrowserShelve(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.online("sA", "sB", "sC")
	e.phone("inc-s", "A", "sA")
	ctx := tab(t)
	browserLogin(t, ctx, e, "tom")
	run(t, ctx, chromedp.Navigate(e.ts.URL+"/sensors"), chromedp.WaitVisible(chromedp.ID("sensor-sA")),
		chromedp.SetValue(chromedp.CSS(`#sensor-sA .shelve-form select[name="duration"]`), "4h"),
		chromedp.SendKeys(chromedp.CSS(`#sensor-sA .shelve-form input[name="note"]`), "antenna work in wing A"),
		chromedp.Click(chromedp.CSS("#sensor-sA .shelve-form button")))
	waitJS(t, ctx, `document.getElementById("sensor-sA")?.dataset.status === "shelved"`, 15*time.Second)
	if text := eval[string](t, ctx, `document.getElementById("sensor-sA").innerText`); !strings.Contains(text, "Shelved") ||
		!strings.Contains(text, "antenna work in wing A") || !strings.Contains(text, "by tom") {
		t.Errorf("sensor row: %q", text)
	}
	run(t, ctx, chromedp.Navigate(e.ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("inc-inc-s")))
	if a := eval[string](t, ctx, `document.getElementById("inc-inc-s").dataset.alarm`); a != alerting.AlarmShelved {
		t.Errorf("the shelved sensor's incident shows %q", a)
	}
	if text := eval[string](t, ctx, `document.querySelector("#inc-inc-s .alarm").innerText`); text != "Shelved" {
		t.Errorf("alarm in words: %q", text)
	}
	if c := eval[string](t, ctx, `document.querySelector('g.sensor[data-sensor="sA"]').getAttribute("class")`); c != "sensor st-shelved" {
		t.Errorf("sensor sA drawn as %q", c)
	}
	if _, ok := e.auditHas("shelve", "tom", testSite+"/sA"); !ok {
		t.Error("shelving not audited")
	}
}

func TestBrowserKeyboardAck(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.phone("inc-k1", "A", "sA")
	e.phone("inc-k2", "B", "sB") // newer: listed first
	ctx := tab(t)
	openLive(t, ctx, e, "alice")
	if first := eval[string](t, ctx, `document.querySelector("li.incident").dataset.id`); first != "inc-k2" {
		t.Fatalf("first incident %q, want the newest, inc-k2", first)
	}
	focus(t, ctx, "inc-inc-k2")
	run(t, ctx, chromedp.KeyEvent("j"))
	if sel := eval[string](t, ctx, `document.activeElement.dataset.id`); sel != "inc-k1" {
		t.Fatalf("j moved the focus to %q, want inc-k1", sel)
	}
	if !eval[bool](t, ctx, `document.activeElement.matches(".selected:focus-visible")`) {
		t.Error("the selected incident is not marked as selected with a visible focus")
	}
	if o := eval[string](t, ctx, `getComputedStyle(document.activeElement).outlineStyle + " " + getComputedStyle(document.activeElement).outlineWidth`); o != "solid 4px" {
		t.Errorf("focus outline %q, want solid 4px", o)
	}
	run(t, ctx, chromedp.KeyEvent("a"))
	waitJS(t, ctx, `document.getElementById("inc-inc-k1")?.dataset.alarm === "acknowledged"`, 15*time.Second)
	for id, want := range map[string]string{"inc-k1": "alice", "inc-k2": ""} {
		inc, err := e.st.Incident(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if inc.AckedBy != want {
			t.Errorf("%s acked by %q, want %q", id, inc.AckedBy, want)
		}
	}
	t.Run("help", func(t *testing.T) {
		run(t, ctx, chromedp.KeyEvent("?"))
		if hidden := eval[bool](t, ctx, `document.getElementById("help").hidden`); hidden {
			t.Error("? did not show the keyboard help")
		}
	})
}

// TestBrowserScreenshots renders a busy night on every page, checks that no
// page has a script error or a CSP violation, and with UPDATE_SCREENSHOTS=1
// writes docs/console-*.png.
func TestBrowserScreenshots(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.online("sA", "sB")
	ctx0 := context.Background()
	// A phone in B not yet acknowledged, one in A acknowledged, one in a
	// test run, one outside the walls, and sensor C gone offline.
	e.phone("2026-0412-A1", "A", "sA", "sB")
	if _, err := e.st.Ack(ctx0, "2026-0412-A1", "alice", "team sent"); err != nil {
		t.Fatal(err)
	}
	test := e.phone("2026-0412-T1", "C", "sB")
	test.Mode = alerting.ModeTest
	if _, err := e.st.SaveIncident(ctx0, &test); err != nil {
		t.Fatal(err)
	}
	out := e.phone("2026-0412-O1", "", "sA", "sB")
	out.Outside, out.Wing, out.Confidence, out.Method, out.Class, out.FreqHz = true, "", 0.93, "ml", "lte", 847.5e6
	if _, err := e.st.SaveIncident(ctx0, &out); err != nil {
		t.Fatal(err)
	}
	off := alerting.Incident{Schema: alerting.SchemaIncident, ID: "2026-0412-S1", Site: testSite, Kind: alerting.IncidentSensorOffline,
		Mode: alerting.ModeActual, Sensor: "sC", Wing: "C", Method: "sensor", Confidence: 1, Detail: "last will: connection lost",
		FirstSeen: time.Now().Add(-5 * time.Minute), LastSeen: time.Now(), Active: true}
	if _, err := e.st.SaveIncident(ctx0, &off); err != nil {
		t.Fatal(err)
	}
	if err := e.st.SaveStatus(ctx0, &alerting.Status{Schema: alerting.SchemaStatus, Origin: alerting.Origin{Site: testSite, Sensor: "sC"},
		State: "offline", Time: time.Now(), Reason: "connection lost"}); err != nil {
		t.Fatal(err)
	}
	b := e.phone("2026-0412-B1", "B", "sB", "sA", "sC")
	// Bursts for the technician's waterfall: a GSM call on two channels
	// and LTE PRACH.
	now := time.Now()
	for i := 599; i >= 0; i-- { // oldest first, as they arrive
		at := now.Add(-time.Duration(i) * 480 * time.Millisecond)
		f := 902.4e6
		if i%2 == 1 {
			f = 903.0e6
		}
		e.srv.Burst(&alerting.Burst{Origin: alerting.Origin{Site: testSite, Sensor: "sB"}, Time: at, DurationS: 577e-6,
			FreqHz: f, BandwidthHz: 200e3, PowerDBFS: alerting.Level(-28 - float64(i%7)), Class: "gsm"})
		if i%40 == 0 {
			e.srv.Burst(&alerting.Burst{Origin: alerting.Origin{Site: testSite, Sensor: "sB"}, Time: at, DurationS: 1e-3,
				FreqHz: 900.1e6, BandwidthHz: 1.08e6, PowerDBFS: -45, Class: "lte"})
		}
	}

	ctx := tab(t)
	errs := consoleErrors(ctx)
	run(t, ctx, chromedp.EmulateViewport(1920, 1080))
	openLive(t, ctx, e, "tom")
	e.srv.IncidentChanged(b)
	waitJS(t, ctx, `document.getElementById("inc-2026-0412-B1") !== null`, 15*time.Second)
	settled(t, ctx)
	focus(t, ctx, "inc-2026-0412-B1")
	shots := []struct {
		name, path, ready string
	}{
		{"live", "", "#inc-2026-0412-B1"},
		{"incident", "/incidents/2026-0412-B1", ".incident-detail"},
		{"sensors", "/sensors", "table.sensors"},
		{"sensor", "/sensors/sB", "#waterfall"},
	}
	for _, s := range shots {
		t.Run(s.name, func(t *testing.T) {
			if s.path != "" {
				run(t, ctx, chromedp.Navigate(e.ts.URL+s.path), chromedp.WaitVisible(chromedp.CSS(s.ready)))
			}
			if s.name == "sensor" {
				waitJS(t, ctx, `document.getElementById("waterfall").complete && document.getElementById("waterfall").naturalWidth === 960`, 10*time.Second)
			}
			capture := chromedp.FullScreenshot(100)
			if s.name == "sensor" { // the waterfall, not the long burst table
				capture = chromedp.CaptureScreenshot()
			}
			shot, err := chromedp.Run(ctx, capture)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(shot))
			if err != nil {
				t.Fatalf("screenshot is not a PNG: %v", err)
			}
			if cfg.Width != 1920 || cfg.Height < 1080 {
				t.Errorf("screenshot %d×%d, want 1920 wide, at least 1080 high", cfg.Width, cfg.Height)
			}
			// Every page runs its script and loads its parts under the
			// CSP without an error.
			if e := errs(); len(e) > 0 {
				t.Errorf("page errors: %q", e)
			}
			if os.Getenv("UPDATE_SCREENSHOTS") == "1" {
				name := filepath.Join("..", "..", "docs", "console-"+s.name+".png")
				if err := os.WriteFile(name, shot, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s (%d bytes)", name, len(shot))
			}
		})
	}
}

// TestBrowserSessionSurvivesRestart: a guard logged in on the wall screen
// stays logged in across a console restart on the same database file: the
// live page comes back without the login page, and an acknowledgement by
// click (the page's CSRF token from before the restart) is stored.
func TestBrowserSessionSurvivesRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, false)
	e.online("sA", "sB", "sC")
	ctx := tab(t)
	openLive(t, ctx, e, "alice")

	path := e.path
	e.stop()
	e2 := openEnv(t, path, false)
	e2.online("sA", "sB", "sC")
	e2.phone("inc-after", "A", "sA")
	run(t, ctx, chromedp.Navigate(e2.ts.URL+"/"))
	waitJS(t, ctx, `document.body.dataset.page === "live" && document.body.dataset.live === "connected"`, 15*time.Second)
	settled(t, ctx)
	run(t, ctx, chromedp.Click(chromedp.CSS("#inc-inc-after button.ack")))
	waitJS(t, ctx, `document.getElementById("inc-inc-after")?.dataset.alarm === "acknowledged"`, 15*time.Second)
	if inc, err := e2.st.Incident(context.Background(), "inc-after"); err != nil || inc.AckedBy != "alice" {
		t.Errorf("acknowledged after the restart: %q, %v", inc.AckedBy, err)
	}
}
