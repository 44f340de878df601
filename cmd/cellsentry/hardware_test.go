package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpiotest"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/hardware"
)

// ledRecorder is an output pin (periph's fake) that remembers when it was
// switched, so that a test can read the pattern the board blinked.
type ledRecorder struct {
	*gpiotest.Pin
	activeLow bool

	mu     sync.Mutex
	writes []ledWrite
}

type ledWrite struct {
	at time.Time
	on bool // logical: the LED lit, whatever the polarity
}

func (r *ledRecorder) Out(l gpio.Level) error {
	r.mu.Lock()
	r.writes = append(r.writes, ledWrite{time.Now(), bool(l) != r.activeLow})
	r.mu.Unlock()
	return r.Pin.Out(l)
}

// lit reports whether the output is logically on now.
func (r *ledRecorder) lit() bool { return bool(r.Pin.Read()) != r.activeLow }

// shape measures the pattern shown in [from, to): the fraction of the time
// lit and the shortest interval between two switch-ons (+Inf with fewer
// than two).
func (r *ledRecorder) shape(from, to time.Time) (litFrac float64, minGap time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	on, at := false, from
	var lit time.Duration
	var rises []time.Time
	for _, w := range r.writes {
		if !w.at.After(from) {
			on = w.on
			continue
		}
		if !w.at.Before(to) {
			break
		}
		if on {
			lit += w.at.Sub(at)
		}
		if w.on && !on {
			rises = append(rises, w.at)
		}
		on, at = w.on, w.at
	}
	if on {
		lit += to.Sub(at)
	}
	minGap = time.Duration(math.MaxInt64)
	for i := 1; i < len(rises); i++ {
		minGap = min(minGap, rises[i].Sub(rises[i-1]))
	}
	return lit.Seconds() / to.Sub(from).Seconds(), minGap
}

// ledState names the pattern of hardware's LED states from its shape,
// loosely enough for a loaded machine whose ticker runs late: alerting
// blinks at 2.5 Hz (half lit), degraded double-blinks (two flashes 300 ms
// apart), ok flashes once every 2 s, no broker is lit but for 200 ms every
// 2 s, off is dark.
func ledState(litFrac float64, minGap time.Duration) hardware.State {
	switch {
	case litFrac == 0:
		return hardware.StateOff
	case minGap < time.Second && litFrac > 0.3:
		return hardware.StateAlerting
	case minGap < time.Second:
		return hardware.StateDegraded
	case litFrac > 0.6:
		return hardware.StateNoBroker
	default:
		return hardware.StateOK
	}
}

func TestLEDState(t *testing.T) {
	for _, c := range []struct {
		name string
		frac float64
		gap  time.Duration
		want hardware.State
	}{
		{"dark", 0, time.Duration(math.MaxInt64), hardware.StateOff},
		{"heartbeat", 0.05, time.Duration(math.MaxInt64), hardware.StateOK},
		{"heartbeat seen twice", 0.08, 2 * time.Second, hardware.StateOK},
		{"double blink", 0.1, 300 * time.Millisecond, hardware.StateDegraded},
		{"fast blink", 0.5, 400 * time.Millisecond, hardware.StateAlerting},
		{"long on", 0.9, 2 * time.Second, hardware.StateNoBroker},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ledState(c.frac, c.gap); got != c.want {
				t.Errorf("ledState(%v, %v) = %v, want %v", c.frac, c.gap, got, c.want)
			}
		})
	}
}

// lidSwitch is the tamper input wired the common way: a switch to ground
// that the lid holds closed, and the Pi's pull-up. Shut, the switch wins
// (low); open, the pull-up does (high).
type lidSwitch struct {
	*gpiotest.Pin
	mu   sync.Mutex
	shut bool
}

func (s *lidSwitch) In(pull gpio.Pull, edge gpio.Edge) error {
	err := s.Pin.In(pull, edge)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shut {
		s.Pin.Out(gpio.Low)
	}
	return err
}

func (s *lidSwitch) set(shut bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shut = shut
	if shut || s.Pin.Pull() != gpio.PullUp {
		s.Pin.Out(gpio.Low) // without the pull-up an open switch floats: read low here
		return
	}
	s.Pin.Out(gpio.High)
}

// hwScene is gsm-call with its phone calling from 8 s to 16 s into a
// longer quiet night: time to see the sensor ok before the call and after
// the alert has cleared.
const hwScene = `name: hw-test
seed: 202
sample_rate: 2.4MHz
start: 2026-03-01T22:10:00Z
duration: 5m
propagation: {exponent: 3, shadow_sigma: 4dB}
site:
  wings:
    - name: A
      polygon: [[0, 0], [40, 0], [40, 12], [0, 12]]
  walls:
    - {name: A-south, from: [0, 0], to: [40, 0], loss: 15dB}
    - {name: A-corridor-south, from: [0, 4], to: [40, 4], loss: 8dB}
sensors:
  - {id: a1, position: [10, 6, 2.5], wing: A, center: 902.4MHz, gain: 19.7dB}
emitters:
  - id: phone-a07
    role: contraband
    position: [22, 1.5, 1]
    behaviour: gsm_call
    arfcn: 62
    timeslot: 3
    tsc: 5
    talk: 2s
    silence: 2s
    power: 13dBm
    start: 8s
    stop: 16s
`

// The status LED, the buzzer and the tamper switch through a whole run
// of the daemon, on periph's fake pins behind openBoard, a synthetic scene
// in real time and a real Mosquitto: ok → alerting with the buzzer on
// while the phone's alert is open → ok when it clears → no broker while
// the broker is down → ok once it is back; a knock on the enclosure is
// nothing, a bouncing opening is one tamper event over MQTT, latched in
// every health message (the lid shut again or not) until the service is
// reloaded, which is how the technician acknowledges it.
func TestHardwareFollowsDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute of real-time scene")
	}
	led := &ledRecorder{Pin: &gpiotest.Pin{N: "GPIO17"}, activeLow: true}
	buzzer := &ledRecorder{Pin: &gpiotest.Pin{N: "GPIO27"}, activeLow: true}
	lid := &lidSwitch{Pin: &gpiotest.Pin{N: "GPIO22"}, shut: true}
	type opened struct {
		cfg   hardware.Config
		board *hardware.Board
	}
	boards := make(chan opened, 1)
	openBoard = func(c hardware.Config, log *slog.Logger) (*hardware.Board, error) {
		b, err := hardware.New(c, hardware.Pins{LED: led, Buzzer: buzzer, Tamper: lid}, log)
		if err == nil {
			boards <- opened{c, b}
		}
		return b, err
	}
	defer func() { openBoard = hardware.Open }()

	broker := testBroker(t)
	sub := consoleSub(t, broker.URL())
	dir := t.TempDir()
	scene := filepath.Join(dir, "hw-test.yaml")
	if err := os.WriteFile(scene, []byte(hwScene), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testSensorConfig(t, dir, "sim://"+scene+"?sensor=a1", broker.URL(), "sensor-secret", "")
	raw, _ := os.ReadFile(cfg)
	raw = bytes.Replace(raw, []byte("alerting:\n"), []byte("alerting:\n  update_interval: 2s\n  clear_after: 3s\n"), 1)
	raw = append(raw, []byte(`hardware:
  enabled: true
  led_pin: GPIO17
  buzzer_pin: GPIO27
  tamper_pin: GPIO22
  led_active_low: true
  buzzer_active_low: true
  tamper_pull: up
  tamper_open_level: high
  tamper_debounce: 60ms
  alarm_max_on: 1m
`)...)
	if err := os.WriteFile(cfg, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, stderr, done := runInProcess(ctx, "--config", cfg, "--no-scan")
	var hw opened
	select {
	case hw = <-boards:
	case err := <-done:
		t.Fatalf("run: %v\n%s", err, stderr)
	case <-time.After(30 * time.Second):
		t.Fatalf("the board was not opened\n%s", stderr)
	}
	board := hw.board

	// Every wiring key of the file reached the board.
	want := hardware.Config{
		LEDPin: "GPIO17", BuzzerPin: "GPIO27", TamperPin: "GPIO22", LEDActiveLow: true, BuzzerActiveLow: true,
		TamperPull: "up", TamperOpenLevel: "high", Debounce: 60 * time.Millisecond, AlarmMaxOn: time.Minute,
	}
	if hw.cfg != want {
		t.Fatalf("hardware.Config %+v\nwant %+v", hw.cfg, want)
	}
	if lid.Pull() != gpio.PullUp {
		t.Fatalf("tamper pin pull %v, want up", lid.Pull())
	}

	// expect waits for the daemon to pick state, then watches the LED for
	// 2.5 s (longer than every pattern's period) and checks its pattern.
	// The LED's 100 ms cells are wall-clock ticks: on a machine so loaded
	// that the process is not scheduled for a second, one window can be
	// garbled, so up to three are watched while the state holds.
	expect := func(stage string, state hardware.State, timeout time.Duration) {
		t.Helper()
		waitFor(t, stage+": LED state "+state.String(), timeout, func() bool { return board.State() == state },
			func() string { return fmt.Sprintf("state %v\n%s", board.State(), stderr) })
		var seen []string
		for range 3 {
			from := time.Now()
			time.Sleep(2500 * time.Millisecond)
			to := time.Now()
			if got := board.State(); got != state {
				t.Fatalf("%s: the state changed to %v while the LED was watched", stage, got)
			}
			frac, gap := led.shape(from, to)
			got := ledState(frac, gap)
			if got == state {
				t.Logf("%s: LED %v, lit %.0f %% of the time", stage, state, 100*frac)
				return
			}
			seen = append(seen, fmt.Sprintf("%v (lit %.0f %%, switched on every %v at least)", got, 100*frac, gap))
		}
		t.Fatalf("%s: the LED blinked %s, want %v", stage, strings.Join(seen, "; "), state)
	}

	expect("before the call", hardware.StateOK, 20*time.Second)
	if buzzer.lit() {
		t.Fatal("buzzer on before any alert")
	}
	expect("the call", hardware.StateAlerting, 30*time.Second)
	if !buzzer.lit() {
		t.Fatal("alerting, but the buzzer is off")
	}
	expect("the alert cleared", hardware.StateOK, 30*time.Second)
	if buzzer.lit() {
		t.Fatal("the buzzer still sounds after the alert cleared")
	}
	r := collect(t, sub.Messages())
	var raised, cleared int
	for _, a := range r.alerts {
		switch a.State {
		case alerting.StateRaised:
			raised++
		case alerting.StateCleared:
			cleared++
		}
	}
	if raised != 1 || cleared != 1 {
		t.Fatalf("%d alerts raised and %d cleared over MQTT, want 1 and 1", raised, cleared)
	}

	broker.Stop()
	expect("broker stopped", hardware.StateNoBroker, 20*time.Second)
	broker.Restart()
	expect("broker back", hardware.StateOK, 60*time.Second)

	// The tamper switch, watched by a console connected to the restarted
	// broker.
	sub = consoleSub(t, broker.URL())
	healths := func() []alerting.Health { return collect(t, sub.Messages()).health }
	tamperLogs := func() int { return strings.Count(stderr.String(), "TAMPER: the enclosure was opened") }
	// A knock: open for far less than the debounce time.
	lid.set(false)
	time.Sleep(10 * time.Millisecond)
	lid.set(true)
	time.Sleep(time.Second)
	if board.Tampered() || tamperLogs() != 0 {
		t.Fatalf("a 10 ms knock counted as an opening\n%s", stderr)
	}
	// The lid comes off: the switch bounces, then stays open.
	for range 3 {
		lid.set(false)
		time.Sleep(2 * time.Millisecond)
		lid.set(true)
		time.Sleep(2 * time.Millisecond)
	}
	openedAt := time.Now()
	lid.set(false)
	waitFor(t, "health saying tampered", 10*time.Second, func() bool {
		for _, h := range healths() {
			if h.Tampered {
				return true
			}
		}
		return false
	}, stderr.String)
	t.Logf("tamper health %v after the lid came off", time.Since(openedAt).Round(time.Millisecond))
	expect("tampered", hardware.StateDegraded, 10*time.Second)
	lid.set(true) // shut again: the latch holds
	shutAt := time.Now()
	// The closing is published at once too, still tampered.
	waitFor(t, "a health message after the lid was shut", 15*time.Second, func() bool {
		hs := healths()
		return len(hs) > 0 && hs[len(hs)-1].Time.After(shutAt)
	}, stderr.String)
	hs := healths()
	if last := hs[len(hs)-1]; !last.Tampered || !strings.Contains(strings.Join(last.Events, "\n"), "tamper") {
		t.Fatalf("the latch did not hold with the lid shut again: %+v", last)
	}
	if !board.Tampered() || board.EnclosureOpen() {
		t.Fatalf("board: tampered %v, open %v; want latched and shut", board.Tampered(), board.EnclosureOpen())
	}

	// Acknowledged by a reload of an unchanged file (systemctl reload
	// cellsentry sends SIGHUP).
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "health no longer tampered", 15*time.Second, func() bool {
		hs := healths()
		return !hs[len(hs)-1].Tampered
	}, stderr.String)
	expect("acknowledged", hardware.StateOK, 20*time.Second)

	// Once: one opening, one tamper event however often health repeated it.
	var onsets int
	was := false
	for _, h := range healths() {
		if h.Tampered && !was {
			onsets++
		}
		was = h.Tampered
	}
	if onsets != 1 || tamperLogs() != 1 {
		t.Fatalf("the bouncing opening gave %d tamper onsets in health and %d TAMPER log lines, want 1 and 1\n%s", onsets, tamperLogs(), stderr)
	}
	if !strings.Contains(stderr.String(), "tamper acknowledged by the reload") {
		t.Errorf("no acknowledgement in the log\n%s", stderr)
	}

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, stderr)
	}
	if led.lit() || buzzer.lit() {
		t.Fatalf("after the daemon stopped: LED lit %v, buzzer on %v; want both off", led.lit(), buzzer.lit())
	}
}
