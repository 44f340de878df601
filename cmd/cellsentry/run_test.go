package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
	"github.com/cellsentry/cellsentry/alerting/queue"
	"github.com/cellsentry/cellsentry/hardware"
	"github.com/cellsentry/cellsentry/sdr/rtltcp"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// TestMain lets a test start this test binary as the cellsentry command
// (CELLSENTRY_MAIN=1), so that the daemon can be killed with SIGKILL or
// sent SIGHUP as a process of its own.
func TestMain(m *testing.M) {
	if os.Getenv("CELLSENTRY_MAIN") == "1" {
		os.Args = append([]string{"cellsentry"}, os.Args[1:]...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const testSite = "testsite"

// testSensorConfig writes a sensor config for the gsm-call scene's sensor
// a1: one scan band around the scene's 902.4 MHz, the broker, a state
// directory in the test's temp dir. extra is more of the mqtt section
// (YAML lines indented by two spaces).
func testSensorConfig(t testing.TB, dir, source, broker, password, extra string) string {
	t.Helper()
	pw := filepath.Join(dir, "mqtt-password")
	if err := os.WriteFile(pw, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`sensor:
  id: a1
  site: %s
  building: A
  wing: A
  position: {x: 10, y: 6, floor: 2}
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
  username: a1
  password_file: mqtt-password
  health_interval: 5s
%salerting:
  evidence:
    enabled: false
metrics:
  listen: ""
state_dir: %s
`, testSite, source, broker, extra, dir)
	p := filepath.Join(dir, "sensor.yaml")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func testBroker(t testing.TB) *mosquittotest.Broker {
	return mosquittotest.Start(t, mosquittotest.Options{
		Users: map[string]string{"a1": "sensor-secret", "console": "console-secret"},
		ACL:   mosquittotest.ProductACL(alerting.DefaultPrefix, testSite, "console"),
	})
}

func consoleSub(t testing.TB, url string) *mosquittotest.Subscription {
	return mosquittotest.Subscribe(t, url, mosquittotest.ClientOptions{Username: "console", Password: "console-secret"}, alerting.DefaultPrefix+"/#")
}

// runInProcess runs "cellsentry run ARGS" until it returns or ctx ends.
func runInProcess(ctx context.Context, args ...string) (stdout, stderr *syncBuffer, done chan error) {
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	e := &env{stdout: stdout, stderr: stderr, log: slog.New(slog.NewTextHandler(stderr, nil))}
	done = make(chan error, 1)
	go func() { done <- run(ctx, e, append([]string{"run"}, args...)) }()
	return stdout, stderr, done
}

// received sorts what a subscriber got by kind, checking every message
// against schema v1.
type received struct {
	status []alerting.Status
	health []alerting.Health
	alerts []alerting.Alert
	bursts []alerting.Burst
}

func collect(t *testing.T, msgs []mosquittotest.Message) received {
	t.Helper()
	var r received
	for _, m := range msgs {
		_, sensor, kind, err := alerting.ParseTopic("", m.Topic)
		if err != nil {
			t.Errorf("unexpected topic %s", m.Topic)
			continue
		}
		if sensor != "a1" {
			t.Errorf("message on %s", m.Topic)
		}
		if err := alerting.Validate(kind, m.Payload); err != nil {
			t.Errorf("%s: %v\n%s", m.Topic, err, m.Payload)
			continue
		}
		var dst any
		switch kind {
		case alerting.KindStatus:
			r.status = append(r.status, alerting.Status{})
			dst = &r.status[len(r.status)-1]
		case alerting.KindHealth:
			r.health = append(r.health, alerting.Health{})
			dst = &r.health[len(r.health)-1]
		case alerting.KindAlert:
			if m.Retained {
				t.Errorf("retained alert %s", m.Payload)
			}
			if m.QoS != 1 {
				t.Errorf("alert at QoS %d", m.QoS)
			}
			r.alerts = append(r.alerts, alerting.Alert{})
			dst = &r.alerts[len(r.alerts)-1]
		case alerting.KindBurst:
			r.bursts = append(r.bursts, alerting.Burst{})
			dst = &r.bursts[len(r.bursts)-1]
		}
		if err := json.Unmarshal(m.Payload, dst); err != nil {
			t.Errorf("%s: %v", m.Topic, err)
		}
	}
	return r
}

// The whole chain on a synthetic GSM call played as fast as it renders:
// the alert reaches a console subscriber once, raised then cleared, every
// message valid, the sensor online then offline (retained).
func TestRunPublishesAlertOnce(t *testing.T) {
	b := testBroker(t)
	sub := consoleSub(t, b.URL())
	dir := t.TempDir()
	cfg := testSensorConfig(t, dir, "sim://gsm-call?sensor=a1", b.URL(), "sensor-secret", "")
	// With evidence kept: the raised alert names a SigMF recording.
	raw, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, bytes.Replace(raw, []byte("    enabled: false"), []byte("    enabled: true"), 1), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, stderr, done := runInProcess(ctx, "--config", cfg, "--fast")
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	time.Sleep(300 * time.Millisecond) // the last messages on their way to the subscriber
	r := collect(t, sub.Messages())
	var raised, cleared int
	seen := map[string]bool{}
	for _, a := range r.alerts {
		key := fmt.Sprintf("%s/%d", a.ID, a.Rev)
		if seen[key] {
			t.Errorf("alert event %s delivered twice", key)
		}
		seen[key] = true
		if a.Class != "gsm" {
			t.Errorf("alert of class %s: %+v", a.Class, a)
		}
		if a.Site != testSite || a.Wing != "A" || a.Position == nil || a.Mode != alerting.ModeActual {
			t.Errorf("alert origin/mode: %+v", a)
		}
		switch a.State {
		case alerting.StateRaised:
			raised++
			if a.Evidence == "" {
				t.Errorf("raised alert without evidence: %+v", a)
			} else if rec, err := sigmf.Open(filepath.Join(dir, "evidence", a.Evidence)); err != nil {
				t.Errorf("evidence: %v", err)
			} else {
				if rec.Meta().Captures[0].Frequency != 902.4e6 || rec.Len() < int64(0.5*rec.Meta().SampleRate) {
					t.Errorf("evidence %s: %d samples, captures %+v", a.Evidence, rec.Len(), rec.Meta().Captures)
				}
				rec.Close()
			}
		case alerting.StateCleared:
			cleared++
		}
	}
	if raised != 1 || cleared != 1 {
		t.Fatalf("one call: %d raised, %d cleared alerts, want 1 and 1 (%d events)\n%s", raised, cleared, len(r.alerts), stderr)
	}
	if len(r.status) < 2 || r.status[0].State != "online" || r.status[len(r.status)-1].State != "offline" {
		t.Fatalf("status messages %+v", r.status)
	}
	if len(r.health) == 0 {
		t.Fatal("no health message")
	}
	last := r.health[len(r.health)-1]
	if last.Bursts["gsm"] < 100 || last.Queue.Depth != 0 || len(last.Sources) != 1 {
		t.Errorf("final health: %+v", last)
	}
	// The retained status is what a console that connects later sees.
	late := consoleSub(t, b.URL())
	m := late.Expect(t, 5*time.Second)
	if !m.Retained || !strings.HasSuffix(m.Topic, "/status") || !bytes.Contains(m.Payload, []byte(`"offline"`)) {
		t.Fatalf("late subscriber got %s retained=%v: %s", m.Topic, m.Retained, m.Payload)
	}
}

// Without a broker the alerts are JSON lines on stdout.
func TestRunWithoutBroker(t *testing.T) {
	dir := t.TempDir()
	cfg := testSensorConfig(t, dir, "sim://gsm-call?sensor=a1", "tcp://127.0.0.1:1", "x", "")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stdout, stderr, done := runInProcess(ctx, "--config", cfg, "--fast", "--broker", "none")
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	var states []string
	sc := bufio.NewScanner(strings.NewReader(stdout.String()))
	for sc.Scan() {
		if err := alerting.Validate(alerting.KindAlert, sc.Bytes()); err != nil {
			t.Fatalf("stdout line: %v\n%s", err, sc.Bytes())
		}
		var a alerting.Alert
		_ = json.Unmarshal(sc.Bytes(), &a)
		states = append(states, a.State)
	}
	if len(states) < 2 || states[0] != "raised" || states[len(states)-1] != "cleared" {
		t.Fatalf("alert states on stdout: %v\n%s", states, stderr)
	}
}

func TestRunBadConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sensor.yaml")
	os.WriteFile(p, []byte("sensor:\n  id: a1\n  site: s\nscan:\n  dwel: 1s\n"), 0o644)
	_, _, err := runCmd(t, "run", "--config", p, "--broker", "none")
	if err == nil || !strings.Contains(err.Error(), "sensor.yaml:5:3") || !strings.Contains(err.Error(), `did you mean "dwell"`) {
		t.Fatalf("err = %v", err)
	}
}

// daemonProcess starts "cellsentry ARGS" as a separate process.
func daemonProcess(t *testing.T, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CELLSENTRY_MAIN=1")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, out
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool, log func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s\n%s", what, log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A daemon killed with SIGKILL while alerts wait for an unreachable broker
// delivers every one of them after it is restarted.
func TestRunKill9KeepsQueuedAlerts(t *testing.T) {
	b := testBroker(t)
	dir := t.TempDir()
	// First life: the broker address answers nothing (a closed port).
	cfg := testSensorConfig(t, dir, "sim://gsm-call?sensor=a1", "tcp://127.0.0.1:1", "sensor-secret", "")
	cmd, out := daemonProcess(t, "run", "--config", cfg, "--fast", "--drain", "10m")
	waitFor(t, "the scene to end", 2*time.Minute, func() bool { return strings.Contains(out.String(), "source ended") }, out.String)
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	// What the dead daemon had queued, read from its disk.
	q, err := queue.Open(filepath.Join(dir, "queue"), queue.Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs, err := q.Pending(nil, 0, 10000)
	q.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, r := range recs {
		var a alerting.Alert
		if err := json.Unmarshal(r.Data, &a); err != nil {
			t.Fatal(err)
		}
		want[fmt.Sprintf("%s/%d/%s", a.ID, a.Rev, a.State)] = true
	}
	if len(want) < 2 {
		t.Fatalf("only %d alert events queued by the first life\n%s", len(want), out)
	}

	// Second life, on a silent scene, with the broker reachable.
	sub := consoleSub(t, b.URL())
	cfg = testSensorConfig(t, dir, "sim://quiet-night", b.URL(), "sensor-secret", "")
	cmd2, out2 := daemonProcess(t, "run", "--config", cfg, "--fast", "--no-scan")
	if err := cmd2.Wait(); err != nil {
		t.Fatalf("second life: %v\n%s", err, out2)
	}
	got := map[string]int{}
	for _, a := range collect(t, sub.Messages()).alerts {
		got[fmt.Sprintf("%s/%d/%s", a.ID, a.Rev, a.State)]++
	}
	for k := range want {
		if got[k] == 0 {
			t.Errorf("queued alert event %s lost", k)
		}
	}
	t.Logf("%d alert events queued before SIGKILL, %d distinct delivered after restart", len(want), len(got))
}

// SIGHUP with a broken file keeps the running configuration and says so in
// health; with a good one, the new configuration runs.
func TestRunReloadOnSIGHUP(t *testing.T) {
	b := testBroker(t)
	sub := consoleSub(t, b.URL())
	dir := t.TempDir()
	cfg := testSensorConfig(t, dir, "sim://quiet-night?seed=7", b.URL(), "sensor-secret", "")
	good, _ := os.ReadFile(cfg)
	cmd, out := daemonProcess(t, "run", "--config", cfg, "--no-scan", "--metrics", "127.0.0.1:0")
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
	}()
	healths := func() []alerting.Health { return collect(t, sub.Messages()).health }
	waitFor(t, "a first health message", 30*time.Second, func() bool { return len(healths()) > 0 }, out.String)
	hash0 := healths()[0].ConfigHash

	if err := os.WriteFile(cfg, append(good, []byte("scan:\n  dwel: 1s\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	var rejected alerting.Health
	waitFor(t, "health telling the rejection", 30*time.Second, func() bool {
		for _, h := range healths() {
			for _, e := range h.Events {
				if strings.Contains(e, "config reload rejected") {
					rejected = h
					return true
				}
			}
		}
		return false
	}, out.String)
	if rejected.ConfigHash != hash0 || rejected.State == "blind" {
		t.Fatalf("after a bad reload: %+v (config hash was %s)", rejected, hash0)
	}
	if !strings.Contains(strings.Join(rejected.Events, "\n"), "sensor.yaml") {
		t.Errorf("rejection does not name the file: %v", rejected.Events)
	}

	if err := os.WriteFile(cfg, bytes.Replace(good, []byte("  wing: A\n"), []byte("  wing: A\n  mode: test\n"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "health with the new configuration", 30*time.Second, func() bool {
		hs := healths()
		h := hs[len(hs)-1]
		return h.ConfigHash != hash0 && h.Mode == alerting.ModeTest && h.State != "blind"
	}, out.String)
	if cmd.ProcessState != nil {
		t.Fatalf("daemon exited\n%s", out)
	}

	// The metrics endpoint (its address is in the log) counts samples.
	m := regexp.MustCompile(`url=(http://\S+/metrics)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no metrics address in the log\n%s", out)
	}
	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`cellsentry_samples_total{source="dongle0"}`, "cellsentry_queue_depth", "cellsentry_config_reload_errors_total 1", "cellsentry_broker_connected 1"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("metrics lack %s", want)
		}
	}

	// SIGTERM: a clean stop that says offline (retained), not a last will.
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, out)
	}
	st := collect(t, sub.Messages()).status
	if last := st[len(st)-1]; last.State != "offline" || last.Reason != "shutdown" {
		t.Fatalf("last status %+v", last)
	}
}

// A live source: the start-up self-test is published in the first
// (retained) health message; a lost rtl_tcp server is told at once and its
// return too, and the sensor is blind in between.
func TestRunRTLTCPLostAndBack(t *testing.T) {
	serve := func(addr string) (string, func()) {
		sc, err := sim.Builtin("gsm-call")
		if err != nil {
			t.Fatal(err)
		}
		sc.Duration = 10 * time.Minute
		src, err := sc.Open("a1")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = rtltcp.Serve(ctx, ln, src, rtltcp.ServerOptions{})
		}()
		return ln.Addr().String(), func() { cancel(); ln.Close(); <-done; src.Close() }
	}
	addr, stopServer := serve("127.0.0.1:0")
	b := testBroker(t)
	sub := consoleSub(t, b.URL())
	dir := t.TempDir()
	cfg := testSensorConfig(t, dir, "rtltcp://"+addr, b.URL(), "sensor-secret", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, stderr, done := runInProcess(ctx, "--config", cfg)
	events := func() string {
		var all []string
		for _, h := range collect(t, sub.Messages()).health {
			all = append(all, h.Events...)
		}
		return strings.Join(all, "\n")
	}
	waitFor(t, "the self-test in health", 30*time.Second, func() bool { return strings.Contains(events(), "self-test dongle0") }, stderr.String)
	stopServer()
	lostAt := time.Now()
	waitFor(t, "the loss in health", 10*time.Second, func() bool { return strings.Contains(events(), "source dongle0 lost") }, stderr.String)
	t.Logf("loss published %v after the server stopped", time.Since(lostAt).Round(time.Millisecond))
	_, stopServer = serve(addr)
	defer stopServer()
	waitFor(t, "the return in health", 30*time.Second, func() bool { return strings.Contains(events(), "source dongle0 back") }, stderr.String)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	// A console connecting now gets the sensor's last health, retained.
	late := consoleSub(t, b.URL())
	late.WaitCount(2, 5*time.Second)
	retainedHealth := false
	for _, m := range late.Messages() {
		if m.Retained && strings.HasSuffix(m.Topic, "/health") {
			retainedHealth = true
		}
	}
	if !retainedHealth {
		t.Error("no retained health for a late subscriber")
	}
}

// The enclosure opened: health says tampered (the console opens a tamper
// incident on its event) until the service is reloaded; the status LED
// shows the state.
func TestRunTamper(t *testing.T) {
	led, buzzer, lid := &gpiotest.Pin{N: "LED"}, &gpiotest.Pin{N: "BUZ"}, &gpiotest.Pin{N: "LID", L: gpio.Low}
	openBoard = func(c hardware.Config, log *slog.Logger) (*hardware.Board, error) {
		c.TamperPull = "none"
		return hardware.New(c, hardware.Pins{LED: led, Buzzer: buzzer, Tamper: lid}, log)
	}
	defer func() { openBoard = hardware.Open }()
	b := testBroker(t)
	sub := consoleSub(t, b.URL())
	dir := t.TempDir()
	cfg := testSensorConfig(t, dir, "sim://quiet-night?seed=3", b.URL(), "sensor-secret", "")
	raw, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, append(raw, []byte("hardware:\n  enabled: true\n  led_pin: GPIO17\n  buzzer_pin: GPIO27\n  tamper_pin: GPIO22\n")...), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, stderr, done := runInProcess(ctx, "--config", cfg, "--no-scan")
	healths := func() []alerting.Health { return collect(t, sub.Messages()).health }
	waitFor(t, "a first health", 20*time.Second, func() bool { return len(healths()) > 0 }, stderr.String)
	if h := healths()[0]; h.Tampered {
		t.Fatalf("tampered with the lid shut: %+v", h)
	}
	setLevel(lid, gpio.High) // the lid opens
	waitFor(t, "health saying tampered", 10*time.Second, func() bool {
		hs := healths()
		h := hs[len(hs)-1]
		return h.Tampered && strings.Contains(strings.Join(h.Events, "\n"), "tamper") && h.State == "degraded"
	}, stderr.String)
	setLevel(lid, gpio.Low) // shut again: still latched
	time.Sleep(300 * time.Millisecond)
	cancel()
	<-done
	st := collect(t, sub.Messages()).health
	if !st[len(st)-1].Tampered {
		t.Fatal("the tamper latch did not hold after the lid was shut")
	}
}

// Two dongles, each with its own band and plan: both stream, each one's
// phone is alerted, health lists both sources.
func TestRunTwoDongles(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sensor.yaml")
	os.WriteFile(cfg, []byte(`sensor: {id: a1, site: testsite, wing: A}
radio:
  dongles:
    - {name: gsm, source: "sim://gsm-call?sensor=a1", bands: [wing-a-900]}
    - {name: lte, source: "sim://lte-data?sensor=a1", bands: [wing-a-800]}
scan:
  bands:
    - {name: wing-a-900, low: 901.6MHz, high: 903.2MHz}
    - {name: wing-a-800, low: 851.2MHz, high: 852.8MHz}
  dwell: 1s
alerting: {evidence: {enabled: false}}
metrics: {listen: ""}
state_dir: `+dir+"\n"), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stdout, stderr, done := runInProcess(ctx, "--config", cfg, "--fast", "--broker", "none")
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	raised := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var a alerting.Alert
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		if a.State == alerting.StateRaised {
			raised[a.Class]++
		}
	}
	if raised["gsm"] != 1 || raised["lte"] < 1 {
		t.Fatalf("raised by class %v, want one GSM (dongle gsm) and the LTE phone (dongle lte)\n%s", raised, stderr)
	}
	for _, d := range []string{"dongle=gsm", "dongle=lte"} {
		if !strings.Contains(stderr.String(), "source open "+d) && !strings.Contains(stderr.String(), d) {
			t.Errorf("no %s in the log", d)
		}
	}
}

// setLevel changes a fake pin's level under its lock: the board's
// goroutine reads it meanwhile.
func setLevel(p *gpiotest.Pin, l gpio.Level) {
	p.Lock()
	p.L = l
	p.Unlock()
}
