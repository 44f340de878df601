package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
	"github.com/cellsentry/cellsentry/alerting/subscribe"
	"github.com/cellsentry/cellsentry/sdr/rtltcp"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// soakFor makes TestSoak run for hours instead of about a minute:
//
//	go test ./cmd/cellsentry -run TestSoak -soak 2h -timeout 0
var soakFor = flag.Duration("soak", 0, "phone activity time of TestSoak (default about 45 s; e.g. 2h, with -timeout 0)")

// soakScene is the radio scene of the soak: a call that never ends and two
// phones that text again and again, heard by three sensors of wing A. %s
// is the scene's start (wall-clock, so that alert ids never repeat when a
// source restarts the scene) and %s the time the phones stop (so that
// every alert is cleared before the counts are compared).
const soakScene = `name: soak
description: a long call and two phones texting every quarter minute, three sensors
seed: 11
sample_rate: 2.4MHz
start: %s
propagation:
  exponent: 3
  shadow_sigma: 4dB
site:
  wings:
    - name: A
      polygon: [[0, 0], [40, 0], [40, 12], [0, 12]]
sensors:
  - {id: a1, position: [10, 6, 2.5], wing: A, center: 902.4MHz, gain: 19.7dB}
  - {id: a2, position: [30, 6, 2.5], wing: A, center: 902.4MHz, gain: 19.7dB}
  - {id: a3, position: [20, 9, 2.5], wing: A, center: 902.4MHz, gain: 19.7dB}
emitters:
  - id: call
    position: [14, 3, 1]
    behaviour: gsm_call
    arfcn: 62
    timeslot: 3
    talk: 2s
    silence: 2s
    power: 13dBm
    start: 1s
    stop: %[2]s
  - id: sms-1
    position: [26, 9, 1]
    behaviour: gsm_signalling
    arfcn: 60
    timeslot: 1
    rach: 2
    sdcch: 3s
    repeat: 13s
    power: 10dBm
    start: 2s
    stop: %[2]s
  - id: sms-2
    position: [6, 10, 1]
    behaviour: gsm_signalling
    arfcn: 64
    timeslot: 2
    rach: 2
    sdcch: 3s
    repeat: 17s
    power: 10dBm
    start: 7s
    stop: %[2]s
`

// soakSite is the console's plan of the same wing.
const soakSite = `name: testsite
buildings:
  - name: A
    floors: 1
wings:
  - name: A
    building: A
    floor: 0
    polygon: [[0, 0], [40, 0], [40, 12], [0, 12]]
sensors:
  - {id: a1, wing: A, position: {x: 10, y: 6}}
  - {id: a2, wing: A, position: {x: 30, y: 6}}
  - {id: a3, wing: A, position: {x: 20, y: 9}}
`

// writeSoakScene writes the scene starting now with the phones stopping at
// the wall-clock time end, and returns it parsed.
func writeSoakScene(t testing.TB, file string, end time.Time) *sim.Scene {
	t.Helper()
	now := time.Now().UTC()
	stop := end.Sub(now)
	if stop < 8*time.Second {
		t.Fatalf("scene %s: the phones would stop %v from now, before the last one starts", file, stop)
	}
	text := fmt.Sprintf(soakScene, now.Format(time.RFC3339Nano), fmt.Sprintf("%.3fs", stop.Seconds()))
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := sim.Load(file)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return sc
}

// soakSensorConfig is a sensor of the soak: one band around the scene's
// phones, quick updates and clears so that many lifecycles fit into a
// minute.
func soakSensorConfig(t testing.TB, dir, id, source, broker, mode string) string {
	t.Helper()
	cfg := fmt.Sprintf(`sensor:
  id: %s
  site: %s
  building: A
  wing: A
  mode: %s
radio:
  dongles:
    - name: dongle0
      source: %s
      bands: [wing-a]
scan:
  bands:
    - {name: wing-a, low: 901.6MHz, high: 903.2MHz}
  dwell: 1s
mqtt:
  broker: %s
  health_interval: 5s
alerting:
  update_interval: 2s
  clear_after: 4s
  evidence:
    enabled: false
state_dir: %s
`, id, testSite, mode, source, broker, dir)
	p := filepath.Join(dir, "sensor.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// soakServer serves the scene to sensor a1 over rtl_tcp, in real time, and
// can be stopped and started again on the same address (an rtl_tcp
// process that dies and is restarted by systemd).
type soakServer struct {
	t     *testing.T
	scene string
	end   time.Time
	addr  string
	stop  func()
}

func (s *soakServer) start() {
	s.t.Helper()
	sc := writeSoakScene(s.t, s.scene, s.end)
	src, err := sc.Open("a1")
	if err != nil {
		s.t.Fatal(err)
	}
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	for range 50 { // the old socket may linger a moment
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = rtltcp.Serve(ctx, ln, src, rtltcp.ServerOptions{})
	}()
	s.stop = func() { cancel(); ln.Close(); <-done; src.Close() }
}

// soakSensor is one "cellsentry run" process.
type soakSensor struct {
	id      string
	cfg     string
	cmd     *exec.Cmd
	out     *syncBuffer
	metrics string
}

var metricsURL = regexp.MustCompile(`url=(http://\S+/metrics)`)

// alertCounts scrapes cellsentry_alerts_total by state.
func (s *soakSensor) alertCounts(t testing.TB) map[string]int {
	t.Helper()
	resp, err := http.Get(s.metrics)
	if err != nil {
		t.Fatalf("sensor %s metrics: %v", s.id, err)
	}
	defer resp.Body.Close()
	counts := map[string]int{}
	re := regexp.MustCompile(`^cellsentry_alerts_total\{class="[^"]*",state="([a-z]+)"\} (\d+)`)
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			n, _ := strconv.Atoi(m[2])
			counts[m[1]] += n
		}
	}
	return counts
}

// raisedIDs are the alert ids the sensor logged as raised.
func (s *soakSensor) raisedIDs() []string {
	var ids []string
	re := regexp.MustCompile(`msg="alert raised" alert=(\S+)`)
	for _, m := range re.FindAllStringSubmatch(s.out.String(), -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// TestSoak runs the national chain — three sensors ("cellsentry run"
// processes: one on an rtl_tcp server, two on simulated dongles), a site
// Mosquitto bridged to a central Mosquitto, two console instances in a
// shared group on the central broker — while faults are injected one after the other: the site broker
// restarts, the bridge link is cut, the central broker restarts, the
// rtl_tcp server restarts, one console restarts and the other is killed
// and started again, a sensor gets SIGHUP with
// a broken then a good config. Then the phones stop, every alert clears,
// and every alert event the sensors emitted (their metrics, by state; the
// ids they logged as raised) must be in the consoles' stores, once, with no
// gap in any alert's revisions, and nothing else.
func TestSoak(t *testing.T) {
	// Mostly waiting on processes in real time: run beside the other
	// parallel tests of the package.
	t.Parallel()
	window := 45 * time.Second
	if *soakFor > 0 {
		window = *soakFor
	}
	// Six faults per round; rounds repeat over the window.
	spacing := min(max(window/8, 5*time.Second), 2*time.Minute)
	dir := t.TempDir()
	if _, err := consoleBinary(); err != nil { // built before the clock starts
		t.Fatal(err)
	}

	central := mosquittotest.Start(t, mosquittotest.Options{Persist: true, MaxQueued: 100000})
	link := mosquittotest.NewProxy(t, central.Addr())
	site := mosquittotest.Start(t, mosquittotest.Options{Persist: true, MaxQueued: 100000,
		Bridge: &mosquittotest.Bridge{Name: testSite + "-bridge", Address: link.Addr(), Topics: mosquittotest.SiteBridgeTopics(alerting.DefaultPrefix, testSite)}})

	sitePlan := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(sitePlan, []byte(soakSite), 0o644); err != nil {
		t.Fatal(err)
	}
	// Two console instances in a shared group: the site is one's, and
	// moves to the other when that one stops or dies.
	console := startConsoleProc(t, consoleConfig(t, dir, "console", central.URL(), "consoles", []string{sitePlan}, ""))
	consoleB := startConsoleProc(t, consoleConfig(t, dir, "console-b", central.URL(), "consoles", []string{sitePlan}, ""))
	waitGroup(t, 1, console, consoleB)
	dbs := []string{console.db, consoleB.db}

	start := time.Now()
	end := start.Add(window)
	server := &soakServer{t: t, scene: filepath.Join(dir, "scene-a1.yaml"), end: end}
	server.start()
	defer func() { server.stop() }()

	sensors := make([]*soakSensor, 3)
	for i, id := range []string{"a1", "a2", "a3"} {
		sdir := filepath.Join(dir, id)
		if err := os.Mkdir(sdir, 0o755); err != nil {
			t.Fatal(err)
		}
		source := "rtltcp://" + server.addr
		if id != "a1" {
			scene := filepath.Join(sdir, "scene.yaml")
			writeSoakScene(t, scene, end)
			source = "sim://" + scene + "?sensor=" + id
		}
		s := &soakSensor{id: id, cfg: soakSensorConfig(t, sdir, id, source, site.URL(), alerting.ModeActual)}
		s.cmd, s.out = daemonProcess(t, "run", "--config", s.cfg, "--metrics", "127.0.0.1:0")
		sensors[i] = s
	}
	for _, s := range sensors {
		waitFor(t, "sensor "+s.id+" metrics", 30*time.Second, func() bool { return metricsURL.MatchString(s.out.String()) }, s.out.String)
		s.metrics = metricsURL.FindStringSubmatch(s.out.String())[1]
	}
	defer func() {
		if t.Failed() {
			for _, s := range sensors {
				t.Logf("sensor %s log:\n%s", s.id, tail(s.out.String(), 4000))
			}
			t.Logf("console log:\n%s", tail(console.out.String(), 4000))
			t.Logf("console-b log:\n%s", tail(consoleB.out.String(), 4000))
		}
	}()

	faults := []struct {
		name string
		do   func()
	}{
		{"site broker restart", func() { site.Stop(); time.Sleep(time.Second); site.Restart() }},
		{"bridge link cut for 3 s", func() { link.Refuse(true); link.Cut(); time.Sleep(3 * time.Second); link.Refuse(false) }},
		{"central broker restart", func() { central.Stop(); time.Sleep(time.Second); central.Restart() }},
		{"rtl_tcp server restart", func() { server.stop(); time.Sleep(2 * time.Second); server.start() }},
		{"site's console restarted, then killed", func() {
			// The instance that owns the site (both are up): stopped, it
			// hands the site to the other first; killed, the other takes
			// it on its last will while its session keeps a share of the
			// alerts until it is back.
			owner := console
			if subscribe.Owner(testSite, []string{"console", "console-b"}) == "console-b" {
				owner = consoleB
			}
			owner.stop()
			time.Sleep(time.Second)
			owner.start()
			if !owner.healthy() {
				t.Errorf("console not healthy after its restart")
			}
			waitGroup(t, 1, console, consoleB)
			owner.kill()
			time.Sleep(time.Second)
			owner.start()
		}},
		{"SIGHUP with a bad then a good config", func() { reloadBadGood(t, sensors[1], end) }},
	}
	done := map[string]int{}
	next := start.Add(spacing / 2)
	for k := 0; ; k++ {
		time.Sleep(time.Until(next))
		// The last fault leaves the phones time to start again after a
		// source restart (the scene's first phone starts at 7 s).
		if time.Until(end) < 12*time.Second {
			break
		}
		f := faults[k%len(faults)]
		t0 := time.Now()
		f.do()
		done[f.name]++
		t.Logf("%5.1fs %s (%v)", time.Since(start).Seconds(), f.name, time.Since(t0).Round(time.Millisecond))
		next = next.Add(spacing)
	}
	if *soakFor == 0 && len(done) != len(faults) {
		t.Fatalf("only %d kinds of fault fitted in %v: %v", len(done), window, done)
	}

	// The phones have stopped; every alert clears within clear_after plus
	// a dwell, then travels site → bridge → central → console.
	want := map[string]int{}
	stored := map[string]int{}
	waitFor(t, "the console to store every alert event the sensors emitted", 60*time.Second, func() bool {
		time.Sleep(time.Second)
		clear(want)
		for _, s := range sensors {
			for state, n := range s.alertCounts(t) {
				want[state] += n
			}
		}
		clear(stored)
		union, _ := storedUnion(t, dbs...)
		for _, e := range union {
			stored[e.state]++
		}
		// Stable only once every raised alert has been cleared.
		return want[alerting.StateRaised] > 0 && want[alerting.StateRaised] == want[alerting.StateCleared] &&
			fmt.Sprint(want) == fmt.Sprint(stored)
	}, func() string { return soakDiff(t, sensors, dbs, want, stored) })

	for _, s := range sensors {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		if err := s.cmd.Wait(); err != nil {
			t.Errorf("sensor %s: %v", s.id, err)
		}
	}
	time.Sleep(500 * time.Millisecond)
	console.stop()
	consoleB.stop()
	events, twice := storedUnion(t, dbs...)
	for _, k := range twice {
		t.Errorf("alert event %s stored by both consoles", k)
	}
	revs := map[string][]int{}
	byState := map[string]int{}
	for k, e := range events {
		rev, _ := strconv.Atoi(k[strings.LastIndexByte(k, '/')+1:])
		revs[e.id] = append(revs[e.id], rev)
		byState[e.state]++
	}
	if fmt.Sprint(byState) != fmt.Sprint(want) {
		t.Errorf("after the sensors stopped the console holds %v, the sensors emitted %v", byState, want)
	}
	var raised []string
	for _, s := range sensors {
		ids := s.raisedIDs()
		if len(ids) == 0 {
			t.Errorf("sensor %s raised no alert", s.id)
		}
		raised = append(raised, ids...)
	}
	for _, id := range raised {
		if _, ok := revs[id]; !ok {
			t.Errorf("alert %s raised by a sensor, not in the console's store", id)
		}
	}
	if len(revs) != len(raised) {
		t.Errorf("the console stored %d alerts, the sensors raised %d", len(revs), len(raised))
	}
	for id, rs := range revs {
		slices.Sort(rs)
		for i, r := range rs {
			if r != i {
				t.Errorf("alert %s: stored revisions %v, a gap or a start after 0", id, rs)
				break
			}
		}
	}
	n1, n2 := len(storedAlerts(t, console.db)), len(storedAlerts(t, consoleB.db))
	t.Logf("%v of faults; sensors emitted %v; the consoles stored %d events (%d + %d) of %d alerts, none missing, none twice", done, want, len(events), n1, n2, len(revs))
}

// storedUnion is what the console stores hold together, and the events
// held by more than one.
func storedUnion(t testing.TB, dbs ...string) (map[string]storedEvent, []string) {
	all := map[string]storedEvent{}
	var twice []string
	for _, db := range dbs {
		for k, e := range storedAlerts(t, db) {
			if _, dup := all[k]; dup {
				twice = append(twice, k)
			}
			all[k] = e
		}
	}
	return all, twice
}

// reloadBadGood gives sensor s a broken config and SIGHUP (it must keep
// running and say so), then a good one with a change (mode test; its
// scene rewritten to end with the others, since a reload restarts the
// radio) and SIGHUP again.
func reloadBadGood(t *testing.T, s *soakSensor, end time.Time) {
	good, err := os.ReadFile(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	rejected := strings.Count(s.out.String(), "config reload rejected")
	if err := os.WriteFile(s.cfg, append(good, "scan:\n  dwel: 1s\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "sensor "+s.id+" to reject the broken config", 20*time.Second, func() bool {
		return strings.Count(s.out.String(), "config reload rejected") > rejected
	}, s.out.String)
	writeSoakScene(t, filepath.Join(filepath.Dir(s.cfg), "scene.yaml"), end)
	mode := alerting.ModeTest
	if strings.Contains(string(good), "mode: test") {
		mode = alerting.ModeActual
	}
	next := strings.Replace(string(good), "mode: "+map[string]string{alerting.ModeTest: alerting.ModeActual, alerting.ModeActual: alerting.ModeTest}[mode], "mode: "+mode, 1)
	if err := os.WriteFile(s.cfg, []byte(next), 0o644); err != nil {
		t.Fatal(err)
	}
	reloaded := strings.Count(s.out.String(), "msg=\"config reloaded\"")
	_ = s.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "sensor "+s.id+" to load the good config", 20*time.Second, func() bool {
		return strings.Count(s.out.String(), "msg=\"config reloaded\"") > reloaded
	}, s.out.String)
}

// soakDiff explains a mismatch: the counts, each sensor's, and the raised
// alerts missing from the store or stored with a gap.
func soakDiff(t testing.TB, sensors []*soakSensor, dbs []string, want, stored map[string]int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "sensors emitted %v, consoles stored %v\n", want, stored)
	revs := map[string][]int{}
	union, _ := storedUnion(t, dbs...)
	for k, e := range union {
		rev, _ := strconv.Atoi(k[strings.LastIndexByte(k, '/')+1:])
		revs[e.id] = append(revs[e.id], rev)
	}
	for _, s := range sensors {
		fmt.Fprintf(&b, "sensor %s emitted %v\n", s.id, s.alertCounts(t))
		for _, id := range s.raisedIDs() {
			rs := revs[id]
			slices.Sort(rs)
			fmt.Fprintf(&b, "  raised %s: stored revisions %v\n", id, rs)
		}
	}
	return b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
