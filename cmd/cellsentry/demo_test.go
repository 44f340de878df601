package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/configs"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// The whole demo as its own process (this test binary re-run as
// TestDemoProcess): it starts on free ports, a newcomer's browser logs in
// with the printed password, the planted phone (a GSM call in cell A-N04,
// 3 s after the start) becomes an incident in wing A in the console's API,
// and SIGINT stops everything cleanly: exit status 0, nothing listens any
// more on the console's or the broker's port, and the temporary directory
// is gone. A process of its own also keeps this one small:
// TestReplayMemory reads its child's peak RSS, which on Linux starts from
// this process's peak (the child shares its memory until exec).
func TestDemo(t *testing.T) {
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDemoProcess$")
	cmd.Env = append(os.Environ(), demoChildEnv+"=--listen 127.0.0.1:0 --health-interval 5s")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false // set where done is received
	defer func() {
		if !exited {
			cmd.Process.Kill()
			<-done
		}
	}()

	re := regexp.MustCompile(`console +(http://[0-9.:]+)/\n +login +user "([^"]+)", password "([^"]+)"[^\n]*\n(?s:.*)broker +tcp://([0-9.:]+) .*\n +state +(\S+)`)
	var m []string
	deadline := time.Now().Add(30 * time.Second)
	for m == nil {
		m = re.FindStringSubmatch(stdout.String())
		select {
		case err := <-done:
			exited = true
			t.Fatalf("demo exited: %v\n%s\n%s", err, stdout, stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner after 30 s\n%s\n%s", stdout, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	base, user, password, brokerAddr, stateDir := m[1], m[2], m[3], m[4], m[5]

	api := demoLogin(t, base, user, password)
	// The planted phone: 902.6 MHz (ARFCN 63) from A-N04.
	planted, _ := sim.GSMUplink(gsmSlots[0])
	var inc alerting.Incident
	deadline = time.Now().Add(45 * time.Second)
	for {
		var r struct {
			Incidents []alerting.Incident `json:"incidents"`
		}
		api.get(t, "/api/incidents", &r)
		found := false
		for _, x := range r.Incidents {
			if x.Kind == alerting.IncidentPhone && math.Abs(x.FreqHz-planted) < 100e3 && len(x.Sensors) >= 2 {
				inc, found = x, true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no incident at %.1f MHz heard by two sensors 45 s after the start; incidents %+v\n%s\n%s", planted/1e6, r.Incidents, stdout, stderr)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("incident %s: wing %s (%.0f %%, %s), %d sensors, class %s", inc.ID, inc.Wing, 100*inc.Confidence, inc.Method, len(inc.Sensors), inc.Class)
	if inc.Wing != "A" || inc.Outside {
		t.Errorf("the planted phone in A-N04 was placed in wing %q (outside %v)", inc.Wing, inc.Outside)
	}
	if inc.Mode != alerting.ModeExercise {
		t.Errorf("incident mode %q, want %q: the demo's alerts are simulated", inc.Mode, alerting.ModeExercise)
	}
	if !strings.Contains(stdout.String(), "phone P1 (GSM) in cell A-N04 (wing A) starts a call") {
		t.Errorf("the terminal did not tell the planted call:\n%s", stdout)
	}

	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		exited = true
		if err != nil {
			t.Fatalf("demo after SIGINT: %v\n%s", err, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("demo still running 30 s after SIGINT\n%s", stdout)
	}
	u, _ := url.Parse(base)
	for _, addr := range []string{u.Host, brokerAddr} {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after the demo stopped", addr)
		}
	}
	if _, err := os.Stat(stateDir); !os.IsNotExist(err) {
		t.Errorf("state directory %s not removed: %v", stateDir, err)
	}
	if !strings.Contains(stdout.String(), "stopped after") {
		t.Errorf("no summary line:\n%s", stdout)
	}
}

// demoChildEnv carries the demo's arguments to TestDemoProcess.
const demoChildEnv = "CELLSENTRY_TEST_DEMO_ARGS"

// TestDemoProcess is the demo's process for TestDemo: cellsentry demo
// with the arguments in demoChildEnv, stopped by SIGINT or SIGTERM as main
// is. It exits the process with main's status (0 after a clean stop).
func TestDemoProcess(t *testing.T) {
	args, ok := os.LookupEnv(demoChildEnv)
	if !ok {
		t.Skip("the demo's process for TestDemo")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdout: os.Stdout, stderr: os.Stderr, log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	if err := run(ctx, e, append([]string{"demo"}, strings.Fields(args)...)); err != nil {
		fmt.Fprintln(os.Stderr, "cellsentry:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

type demoAPI struct {
	base string
	c    *http.Client
}

func demoLogin(t *testing.T, base, user, password string) *demoAPI {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	a := &demoAPI{base: base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	body, _ := json.Marshal(map[string]string{"user": user, "password": password})
	resp, err := a.c.Post(base+"/api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login as %s: %s", user, resp.Status)
	}
	return a
}

func (a *demoAPI) get(t *testing.T, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest("GET", a.base+path, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := a.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// The script: the planted phones come first, the same seed writes the
// same script, no two phones share a slot at once or within slotGap
// (inside or outside),
// the phone outside is outside, and a busier prison has more activities.
func TestDemoScript(t *testing.T) {
	counts := map[float64]int{}
	for _, tc := range []struct {
		name  string
		seed  uint64
		speed float64
	}{
		{"seed 1", 1, 1},
		{"seed 2", 2, 1},
		{"seed 1 busy", 1, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			acts := demoScript(tc.seed, tc.speed)
			again := demoScript(tc.seed, tc.speed)
			if len(acts) != len(again) {
				t.Fatalf("same seed, %d then %d activities", len(acts), len(again))
			}
			for i := range acts {
				if acts[i].at != again[i].at || acts[i].cell != again[i].cell || acts[i].what != again[i].what {
					t.Fatalf("same seed, activity %d differs: %+v / %+v", i, acts[i], again[i])
				}
			}
			if a := acts[0]; a.phone != "P1" || a.cell != "A-N04" || a.tech != "GSM" || a.at != 3*time.Second {
				t.Fatalf("first activity %s %s %s at %v, want the planted GSM call of P1 in A-N04 at 3s", a.phone, a.tech, a.cell, a.at)
			}
			ids := map[string]bool{}
			busy := map[float64]time.Duration{} // slot frequency → end of its latest use
			outside := 0
			for _, a := range acts {
				if ids[a.emitter.ID] {
					t.Fatalf("emitter id %s twice", a.emitter.ID)
				}
				ids[a.emitter.ID] = true
				if a.at >= demoHorizon || a.emitter.Start != a.at || a.emitter.Stop != a.at+a.dur {
					t.Fatalf("%s: at %v for %v, emitter %v–%v", a.emitter.ID, a.at, a.dur, a.emitter.Start, a.emitter.Stop)
				}
				if a.phone == "X1" {
					outside++
					if a.wing != "" || a.emitter.Role != "outside" {
						t.Fatalf("the outside phone in wing %q, role %q", a.wing, a.emitter.Role)
					}
				}
				if end, ok := busy[a.freq]; ok && a.at < end+slotGap {
					t.Fatalf("%s starts at %v on %.1f MHz, busy until %v", a.emitter.ID, a.at, a.freq/1e6, end)
				}
				busy[a.freq] = a.at + a.dur
			}
			if outside < 10 {
				t.Errorf("the outside phone calls %d times in %v", outside, demoHorizon)
			}
			counts[tc.speed] = max(counts[tc.speed], len(acts))
		})
	}
	if counts[4] <= counts[1] {
		t.Errorf("speed 4 has %d activities, speed 1 %d", counts[4], counts[1])
	}
}

// The broker admits the demo's accounts only, lets a sensor write only
// under its own topics and read nothing, and the console read the site
// and write only its incident topic.
func TestDemoAuth(t *testing.T) {
	a := &demoAuth{prefix: "cellsentry/v1", site: "p", console: "console", passwords: map[string]string{"a1": "pw-a1", "console": "pw-c"}}
	for _, tc := range []struct {
		name, user, password string
		want                 bool
	}{
		{"sensor", "a1", "pw-a1", true},
		{"console", "console", "pw-c", true},
		{"wrong password", "a1", "pw-c", false},
		{"empty password", "a1", "", false},
		{"unknown user", "mallory", "pw-a1", false},
		{"anonymous", "", "", false},
	} {
		t.Run("connect "+tc.name, func(t *testing.T) {
			cl := &mqtt.Client{}
			cl.Properties.Username = []byte(tc.user)
			if got := a.OnConnectAuthenticate(cl, packets.Packet{Connect: packets.ConnectParams{Password: []byte(tc.password)}}); got != tc.want {
				t.Fatalf("admitted %v, want %v", got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name, user, topic string
		write, want       bool
	}{
		{"sensor alert", "a1", "cellsentry/v1/p/a1/alert", true, true},
		{"sensor status", "a1", "cellsentry/v1/p/a1/status", true, true},
		{"sensor as another", "a1", "cellsentry/v1/p/a2/alert", true, false},
		{"sensor prefix trick", "a1", "cellsentry/v1/p/a1x/alert", true, false},
		{"sensor incident", "a1", "cellsentry/v1/p/incident", true, false},
		{"sensor reads", "a1", "cellsentry/v1/p/#", false, false},
		{"console subscribes", "console", "cellsentry/v1/p/+/+", false, true},
		{"console incident", "console", "cellsentry/v1/p/incident", true, true},
		{"console as sensor", "console", "cellsentry/v1/p/a1/alert", true, false},
		{"console other site", "console", "cellsentry/v1/q/+/+", false, false},
		{"console everything", "console", "#", false, false},
	} {
		t.Run("acl "+tc.name, func(t *testing.T) {
			cl := &mqtt.Client{}
			cl.Properties.Username = []byte(tc.user)
			if got := a.OnACLCheck(cl, tc.topic, tc.write); got != tc.want {
				t.Fatalf("%s write=%v on %s: %v, want %v", tc.user, tc.write, tc.topic, got, tc.want)
			}
		})
	}
}

// startDemo runs the demo in this process on free ports until the test
// ends, and returns the console's address and the login it printed.
func startDemo(t *testing.T, args ...string) (base, user, password string, stdout *syncBuffer) {
	t.Helper()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	e := &env{stdout: stdout, stderr: stderr, log: slog.New(slog.NewTextHandler(stderr, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, e, append([]string{"demo", "--listen", "127.0.0.1:0"}, args...)) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v\n%s", err, stderr)
		}
	})
	re := regexp.MustCompile(`console +(http://[0-9.:]+)/\n +login +user "([^"]+)", password "([^"]+)"`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(stdout.String()); m != nil {
			return m[1], m[2], m[3], stdout
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner after 30 s\n%s\n%s", stdout, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestDemoScreenshot logs in to the demo's console in headless Chromium,
// as a newcomer would, and waits for incidents on the live page (one of
// them outside the walls); with
// UPDATE_SCREENSHOTS=1 it writes docs/demo.png. It runs only then (it
// watches the demo for a minute or more).
func TestDemoScreenshot(t *testing.T) {
	if os.Getenv("UPDATE_SCREENSHOTS") != "1" {
		t.Skip("set UPDATE_SCREENSHOTS=1 to make docs/demo.png")
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("install chromium (apt-get install -y chromium): %v", err)
	}
	base, user, password, stdout := startDemo(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1600, 1000))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, tcancel := context.WithTimeout(ctx, 5*time.Minute)
	defer tcancel()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("user"), user),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("panel")),
	); err != nil {
		t.Fatalf("login: %v\n%s", err, stdout)
	}
	// Four phone incidents, one of them the phone outside the walls (it
	// calls at 45 s); after 4 minutes, three incidents will do.
	start := time.Now()
	for {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[id^="inc-"]').length`))
		if err != nil {
			n = 0
		}
		outside, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.body.innerText.includes("outside the walls")`))
		if err == nil && outside && n >= 4 || time.Since(start) > 4*time.Minute && n >= 3 {
			break
		}
		if time.Since(start) > 4*time.Minute {
			t.Fatalf("%d incidents on the page after 4 minutes\n%s", n, stdout)
		}
		time.Sleep(time.Second)
	}
	time.Sleep(2 * time.Second) // the plan's colours settle
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if len(shot) < 4 || string(shot[1:4]) != "PNG" {
		t.Fatalf("screenshot is not a PNG (%d bytes)", len(shot))
	}
	name := filepath.Join("..", "..", "docs", "demo.png")
	if err := os.WriteFile(name, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes) after %v\n%s", name, len(shot), time.Since(start).Round(time.Second), stdout)
}

// toneSource delivers blocks of a constant at rate, as many as asked.
type toneSource struct{ rate float64 }

func (s *toneSource) ReadBlock(b *sdr.Block) error {
	for i := range b.Samples {
		b.Samples[i] = 0.1
	}
	b.Rate, b.Center = s.rate, demoCenter
	return nil
}
func (s *toneSource) Close() error  { return nil }
func (s *toneSource) Rate() float64 { return s.rate }

// The lag meter reads the lag of each block behind the wall clock: the
// time its last sample left the radio against the clock when the block
// is handed over (a clock the test moves), and allocates nothing.
func TestLagMeter(t *testing.T) {
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	clock := start
	p := newPaced(context.Background(), &toneSource{rate: demoRate}, true)
	p.now = func() time.Time { return clock }
	l := &lagMeter{src: p, now: func() time.Time { return clock }}
	const n = 12000 // 10 ms at 1.2 MS/s
	b := &sdr.Block{Samples: make([]complex64, n)}
	for _, tc := range []struct {
		name    string
		advance time.Duration // wall time that passes before the read
		want    time.Duration // lag of the block read
	}{
		// The first block's clock starts at the read: it is 10 ms early.
		{"first block", 0, -10 * time.Millisecond},
		{"in time", 10 * time.Millisecond, -10 * time.Millisecond},
		{"a slow read", 50 * time.Millisecond, 30 * time.Millisecond},
		{"still behind", 5 * time.Millisecond, 25 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock = clock.Add(tc.advance)
			b.Samples = b.Samples[:n]
			if err := l.ReadBlock(b); err != nil {
				t.Fatal(err)
			}
			if l.last != tc.want {
				t.Fatalf("lag %v, want %v", l.last, tc.want)
			}
		})
	}
	if m := l.takeMax(); m != 30*time.Millisecond {
		t.Fatalf("largest lag %v, want 30ms", m)
	}
	if m := l.takeMax(); m != 25*time.Millisecond {
		t.Fatalf("after takeMax: %v, want the latest block's 25ms", m)
	}
	allocs := testing.AllocsPerRun(100, func() {
		b.Samples = b.Samples[:n]
		if err := l.ReadBlock(b); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per block, want 0", allocs)
	}
}

// The console's plan written from the scene is a valid site plan for any
// number of sensors: every sensor where the scene has it, in its wing,
// the perimeter wall as the boundary with its loss, the scene's walls
// and propagation.
func TestDemoSitePlan(t *testing.T) {
	for _, perWing := range []int{1, 2, 6} {
		t.Run(strconv.Itoa(perWing)+" per wing", func(t *testing.T) {
			sensors := demoSensors(perWing)
			sc, err := demoScene(1, sensors, demoScript(1, 1))
			if err != nil {
				t.Fatal(err)
			}
			site, err := configs.ParseSite("site.yaml", []byte(siteYAML(demoSite, sc)))
			if err != nil {
				t.Fatalf("%v\n%s", err, siteYAML(demoSite, sc))
			}
			if len(site.Sensors) != 3*perWing {
				t.Fatalf("%d sensors in the plan, want %d", len(site.Sensors), 3*perWing)
			}
			for i, sn := range site.Sensors {
				want := sensors[i]
				if sn.ID != want.id || sn.Wing != want.wing || sn.Position.X != want.pos.X || sn.Position.Y != want.pos.Y {
					t.Errorf("plan sensor %+v, scene sensor %+v", sn, want)
				}
				if got := sc.Site.WingAt(want.pos); got != want.wing {
					t.Errorf("sensor %s is in wing %q of the scene, declared %q", want.id, got, want.wing)
				}
			}
			if !site.Boundary.Given || len(site.Boundary.Polygon) != 4 || site.Boundary.Loss.DB() != 20 {
				t.Errorf("boundary %+v, want the 4 perimeter corners and 20 dB", site.Boundary)
			}
			if want := len(sc.Site.Walls) - 4; len(site.Walls) != want {
				t.Errorf("%d walls, want the scene's %d inner walls", len(site.Walls), want)
			}
			if p := site.Propagation; p.Exponent == nil || *p.Exponent != 3 || p.ShadowSigma == nil || p.ShadowSigma.DB() != 6 {
				t.Errorf("propagation %+v, want the scene's exponent 3 and 6 dB", p)
			}
		})
	}
}
