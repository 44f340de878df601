package hardware

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/gpio/gpiotest"
	"periph.io/x/host/v3"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// manual builds a board on fake pins without its goroutines: the test
// steps it on its own clock.
func manual(t *testing.T, cfg Config, pins Pins) *Board {
	t.Helper()
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	b := newBoard(cfg, pins, true, slog.New(slog.DiscardHandler))
	if err := b.setup(); err != nil {
		t.Fatal(err)
	}
	return b
}

// shape summarises an LED level sequence, one level per 100 ms cell.
type shape struct {
	on, rising, longestOn, longestOff int
}

func shapeOf(levels []bool) shape {
	var s shape
	run, prev := 0, !levels[0] // the first cell starts a run
	for i, l := range levels {
		if l {
			s.on++
		}
		if i > 0 && l && !levels[i-1] {
			s.rising++
		}
		if l == prev {
			run++
		} else {
			run = 1
		}
		prev = l
		if l {
			s.longestOn = max(s.longestOn, run)
		} else {
			s.longestOff = max(s.longestOff, run)
		}
	}
	return s
}

func TestLEDPatterns(t *testing.T) {
	// 40 cells = 4 s. The expectations restate the documented patterns:
	// heartbeat 0.1 s every 2 s, 2.5 Hz blink, double blink every 2 s,
	// 1.8 s on 0.2 s off.
	cases := []struct {
		name  string
		state State
		want  shape
	}{
		{"off", StateOff, shape{on: 0, rising: 0, longestOn: 0, longestOff: 40}},
		{"ok heartbeat", StateOK, shape{on: 2, rising: 1, longestOn: 1, longestOff: 19}},
		{"alerting fast blink", StateAlerting, shape{on: 20, rising: 9, longestOn: 2, longestOff: 2}},
		{"degraded double blink", StateDegraded, shape{on: 4, rising: 3, longestOn: 1, longestOff: 16}},
		{"no broker long on", StateNoBroker, shape{on: 36, rising: 1, longestOn: 18, longestOff: 2}},
	}
	for _, c := range cases {
		for _, activeLow := range []bool{false, true} {
			name := c.name
			if activeLow {
				name += " active low"
			}
			t.Run(name, func(t *testing.T) {
				led := &gpiotest.Pin{N: "LED"}
				b := manual(t, Config{LEDActiveLow: activeLow}, Pins{LED: led})
				lit := func() bool { return led.Read() != gpio.Level(activeLow) }
				if lit() {
					t.Fatal("LED lit before any state")
				}
				b.SetState(c.state)
				levels := []bool{lit()}
				now := t0
				for range 39 {
					now = now.Add(ledTick)
					b.tick(now)
					levels = append(levels, lit())
				}
				if got := shapeOf(levels); got != c.want {
					t.Fatalf("shape %+v, want %+v (levels %v)", got, c.want, levels)
				}
				if c.state != StateOff && !levels[0] {
					t.Fatal("a new state does not show at once")
				}
			})
		}
	}
}

func TestLEDStateChanges(t *testing.T) {
	led := &gpiotest.Pin{N: "LED"}
	b := manual(t, Config{}, Pins{LED: led})
	b.SetState(StateOK)
	now := t0
	tick := func() { now = now.Add(ledTick); b.tick(now) }
	tick()
	if led.Read() {
		t.Fatal("heartbeat still on after 100 ms")
	}
	t.Run("same state keeps the pattern running", func(t *testing.T) {
		flashes := 0
		for range 20 {
			b.SetState(StateOK) // as the daemon does on every health round
			tick()
			if led.Read() {
				flashes++
			}
		}
		if flashes != 1 {
			t.Fatalf("%d flashes in 2 s of repeated SetState(ok), want 1", flashes)
		}
	})
	t.Run("new state shows at once", func(t *testing.T) {
		tick()
		if led.Read() {
			t.Fatal("heartbeat lit mid-period")
		}
		b.SetState(StateAlerting)
		if !led.Read() || b.State() != StateAlerting {
			t.Fatalf("alerting: led %v state %v", led.Read(), b.State())
		}
	})
	t.Run("unknown state is dark", func(t *testing.T) {
		b.SetState(State(42))
		for range 5 {
			tick()
			if led.Read() {
				t.Fatal("unknown state lit the LED")
			}
		}
		if got := State(42).String(); got != "State(42)" {
			t.Fatalf("String %q", got)
		}
	})
}

func TestStateNames(t *testing.T) {
	for s, want := range map[State]string{StateOff: "off", StateOK: "ok", StateAlerting: "alerting", StateDegraded: "degraded", StateNoBroker: "no-broker"} {
		t.Run(want, func(t *testing.T) {
			if s.String() != want {
				t.Fatalf("%d is %q", s, s.String())
			}
		})
	}
}

func TestAlarm(t *testing.T) {
	const maxOn = 10 * time.Second
	type step struct {
		at     time.Duration // since t0
		alarm  *bool         // call Alarm(*alarm) at this time, else tick
		wantOn bool
	}
	on, off := new(bool), new(bool)
	*on = true
	cases := []struct {
		name      string
		activeLow bool
		steps     []step
	}{
		{"on then off", false, []step{
			{0, on, true}, {time.Second, nil, true}, {2 * time.Second, off, false}, {3 * time.Second, nil, false},
		}},
		{"active low relay", true, []step{
			{0, on, true}, {time.Second, off, false},
		}},
		{"stuck alert silenced at max on-time", false, []step{
			{0, on, true}, {maxOn - ledTick, nil, true}, {maxOn, nil, false},
			{maxOn + time.Second, on, false}, // still asserted: stays quiet
			{maxOn + 2*time.Second, nil, false},
			{maxOn + 3*time.Second, off, false}, // re-armed
			{maxOn + 4*time.Second, on, true},
			{2*maxOn + 4*time.Second - ledTick, nil, true},
			{2*maxOn + 4*time.Second, nil, false},
		}},
		{"repeated on does not extend", false, []step{
			{0, on, true}, {maxOn / 2, on, true}, {maxOn - ledTick, on, true}, {maxOn, nil, false},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			buz := &gpiotest.Pin{N: "BUZ"}
			b := manual(t, Config{BuzzerPin: "GPIO27", BuzzerActiveLow: c.activeLow, AlarmMaxOn: maxOn}, Pins{Buzzer: buz})
			if buz.Read() != gpio.Level(c.activeLow) {
				t.Fatalf("setup left the output at %v", buz.Read())
			}
			for i, s := range c.steps {
				now := t0.Add(s.at)
				b.now = func() time.Time { return now }
				if s.alarm != nil {
					b.Alarm(*s.alarm)
				} else {
					b.tick(now)
				}
				sounding := buz.Read() != gpio.Level(c.activeLow)
				if sounding != s.wantOn || b.AlarmOn() != s.wantOn {
					t.Fatalf("step %d at %v: output sounding %v, AlarmOn %v, want %v", i, s.at, sounding, b.AlarmOn(), s.wantOn)
				}
			}
		})
	}
}

func TestDebouncer(t *testing.T) {
	const hold = 50 * time.Millisecond
	type ev struct {
		at   time.Duration
		open bool
	}
	// samples are "level@ms" every 10 ms from 0: o open, c closed.
	cases := []struct {
		name    string
		samples string
		want    []ev
	}{
		{"shut stays quiet", "cccccccccc", nil},
		{"clean opening", "ccoooooooo", []ev{{20 * time.Millisecond, true}}},
		{"bouncing contacts", "ccocococoooooooo", []ev{{80 * time.Millisecond, true}}},
		{"knock shorter than hold", "ccooooccccoooocccc", nil},
		{"open at start", "oooooo", []ev{{0, true}}},
		{"open then shut", "cooooooooccccccccc", []ev{{10 * time.Millisecond, true}, {90 * time.Millisecond, false}}},
		{"one sample short of hold", "cooooo", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := debouncer{hold: hold}
			var got []ev
			for i, r := range c.samples {
				at, changed := d.sample(r == 'o', t0.Add(time.Duration(i)*10*time.Millisecond))
				if changed {
					got = append(got, ev{at.Sub(t0), r == 'o'})
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("events %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("events %v, want %v", got, c.want)
				}
			}
		})
	}
}

// FuzzDebouncer checks the debouncer's contract on arbitrary sample
// trains: a change is reported only after its level held for hold, and a
// level that held for hold is never missed.
func FuzzDebouncer(f *testing.F) {
	f.Add([]byte("ccocococoooooooo"), uint8(5))
	f.Add([]byte("ccooooccccoooocccc"), uint8(5))
	f.Add([]byte("oooooo"), uint8(1))
	f.Fuzz(func(t *testing.T, samples []byte, holdSteps uint8) {
		hold := time.Duration(holdSteps%20) * 10 * time.Millisecond
		d := debouncer{hold: hold}
		stable := false
		runStart, runLevel := 0, false
		for i, r := range samples {
			v := r&1 == 1
			if i == 0 || v != runLevel {
				runStart, runLevel = i, v
			}
			now := t0.Add(time.Duration(i) * 10 * time.Millisecond)
			at, changed := d.sample(v, now)
			held := time.Duration(i-runStart) * 10 * time.Millisecond
			if changed {
				if v == stable || held < hold || !at.Equal(t0.Add(time.Duration(runStart)*10*time.Millisecond)) {
					t.Fatalf("sample %d: change to %v at %v after %v held, hold %v", i, v, at, held, hold)
				}
				stable = v
			} else if v != stable && held >= hold {
				t.Fatalf("sample %d: %v held %v ≥ %v and was not reported", i, v, held, hold)
			}
		}
	})
}

func TestTamperLatch(t *testing.T) {
	// The lid shuts the switch to ground; the pull-up reads high when open.
	pin := &gpiotest.Pin{N: "TAMPER"}
	b := manual(t, Config{TamperPin: "GPIO22", TamperPull: "none"}, Pins{Tamper: pin})
	now := t0
	run := func(l gpio.Level, d time.Duration) {
		pin.Out(l) // the fake's way to set what Read returns
		for end := now.Add(d); now.Before(end); now = now.Add(10 * time.Millisecond) {
			b.sampleTamper(now)
		}
	}
	drain := func() []TamperEvent {
		var out []TamperEvent
		for {
			select {
			case e := <-b.Tamper():
				out = append(out, e)
			default:
				return out
			}
		}
	}
	run(gpio.Low, time.Second)
	if evs := drain(); len(evs) != 0 || b.Tampered() || b.EnclosureOpen() {
		t.Fatalf("shut enclosure: events %v, tampered %v", evs, b.Tampered())
	}
	t.Run("opening with bounce raises one event", func(t *testing.T) {
		opened := now
		for range 4 { // 20 ms of contact chatter
			run(gpio.High, 10*time.Millisecond)
			run(gpio.Low, 10*time.Millisecond)
		}
		run(gpio.High, time.Second)
		evs := drain()
		if len(evs) != 1 || !evs[0].Open || evs[0].Time.Before(opened) || evs[0].Time.Sub(opened) > 100*time.Millisecond {
			t.Fatalf("events %v, want one opening just after %v", evs, opened)
		}
		if !b.Tampered() || !b.EnclosureOpen() {
			t.Fatal("opening did not latch")
		}
	})
	t.Run("closing reports but keeps the latch", func(t *testing.T) {
		run(gpio.Low, time.Second)
		evs := drain()
		if len(evs) != 1 || evs[0].Open {
			t.Fatalf("events %v, want one closing", evs)
		}
		if !b.Tampered() || b.EnclosureOpen() {
			t.Fatalf("after closing: tampered %v open %v", b.Tampered(), b.EnclosureOpen())
		}
	})
	t.Run("ack clears the latch", func(t *testing.T) {
		b.AckTamper()
		run(gpio.Low, time.Second)
		if b.Tampered() || len(drain()) != 0 {
			t.Fatal("latch survived the acknowledgement")
		}
	})
	t.Run("a knock does not latch", func(t *testing.T) {
		run(gpio.High, 30*time.Millisecond)
		run(gpio.Low, time.Second)
		if b.Tampered() || len(drain()) != 0 {
			t.Fatal("30 ms knock counted as opening")
		}
	})
	t.Run("ack while open, reopening latches again", func(t *testing.T) {
		run(gpio.High, time.Second)
		b.AckTamper()
		run(gpio.High, time.Second)
		if b.Tampered() || !b.EnclosureOpen() {
			t.Fatalf("acked while open: tampered %v open %v", b.Tampered(), b.EnclosureOpen())
		}
		run(gpio.Low, time.Second)
		run(gpio.High, time.Second)
		if !b.Tampered() {
			t.Fatal("second opening did not latch")
		}
		if evs := drain(); len(evs) != 3 {
			t.Fatalf("events %v, want opened, closed, opened", evs)
		}
	})
}

func TestTamperWiring(t *testing.T) {
	cases := []struct {
		name, pull, open string
		wantPull         gpio.Pull
		openLevel        gpio.Level
	}{
		{"default pull-up, switch to ground", "", "", gpio.PullUp, gpio.High},
		{"pull-down, switch to 3.3 V", "down", "low", gpio.PullDown, gpio.Low},
		{"external resistor", "none", "high", gpio.Float, gpio.High},
		{"pull-up, switch opened by the lid", "up", "low", gpio.PullUp, gpio.Low},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pin := &gpiotest.Pin{N: "TAMPER"}
			b := manual(t, Config{TamperPin: "GPIO22", TamperPull: c.pull, TamperOpenLevel: c.open}, Pins{Tamper: pin})
			if pin.Pull() != c.wantPull {
				t.Fatalf("pull %v, want %v", pin.Pull(), c.wantPull)
			}
			pin.Out(!c.openLevel)
			for i := range 10 {
				b.sampleTamper(t0.Add(time.Duration(i) * 10 * time.Millisecond))
			}
			if b.Tampered() {
				t.Fatalf("level %v is read as open", !c.openLevel)
			}
			pin.Out(c.openLevel)
			for i := range 10 {
				b.sampleTamper(t0.Add(time.Duration(10+i) * 10 * time.Millisecond))
			}
			if !b.Tampered() {
				t.Fatalf("level %v is not read as open", c.openLevel)
			}
		})
	}
}

func TestNoAllocs(t *testing.T) {
	led, pin := &gpiotest.Pin{N: "LED"}, &gpiotest.Pin{N: "TAMPER"}
	b := manual(t, Config{TamperPull: "none"}, Pins{LED: led, Tamper: pin})
	b.SetState(StateAlerting)
	now := t0
	cases := []struct {
		name string
		f    func()
	}{
		{"led tick", func() { now = now.Add(ledTick); b.tick(now) }},
		{"tamper sample", func() { now = now.Add(10 * time.Millisecond); b.sampleTamper(now) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(200, c.f); n != 0 {
				t.Fatalf("%v allocations per call, want 0", n)
			}
		})
	}
}

// TestGoroutines runs a real board on fake pins and real time: the
// timings are asserted loosely, only that things happen.
func TestGoroutines(t *testing.T) {
	led, buz, tamper := &gpiotest.Pin{N: "LED"}, &gpiotest.Pin{N: "BUZ"}, &gpiotest.Pin{N: "TAMPER"}
	b, err := New(Config{TamperPull: "none"}, Pins{LED: led, Buzzer: buz, Tamper: tamper}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.Available() {
		t.Fatal("a board on pins is not available")
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no %s within 5 s", what)
			}
		}
	}
	t.Run("led blinks", func(t *testing.T) {
		b.SetState(StateAlerting)
		waitFor("LED off", func() bool { return !bool(led.Read()) })
		waitFor("LED on", func() bool { return bool(led.Read()) })
		waitFor("LED off again", func() bool { return !bool(led.Read()) })
	})
	t.Run("tamper event", func(t *testing.T) {
		tamper.Out(gpio.High)
		select {
		case e := <-b.Tamper():
			if !e.Open || !b.Tampered() {
				t.Fatalf("event %v, tampered %v", e, b.Tampered())
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no tamper event within 5 s")
		}
	})
	t.Run("close turns off and closes the channel", func(t *testing.T) {
		b.Alarm(true)
		if !buz.Read() {
			t.Fatal("alarm did not sound")
		}
		b.SetState(StateNoBroker)
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		if bool(led.Read()) || bool(buz.Read()) {
			t.Fatalf("after Close: led %v buzzer %v", led.Read(), buz.Read())
		}
		for range b.Tamper() {
		}
		b.SetState(StateOK)
		b.Alarm(true)
		if bool(led.Read()) || bool(buz.Read()) || b.Close() != nil {
			t.Fatal("board still drives its pins after Close")
		}
	})
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		err  string
	}{
		{"alarm too short", Config{AlarmMaxOn: 500 * time.Millisecond}, "hardware.alarm_max_on: 500ms is out of range: want 1s to 24h"},
		{"alarm negative", Config{AlarmMaxOn: -time.Second}, "hardware.alarm_max_on: -1s is out of range: want 1s to 24h"},
		{"debounce too long", Config{Debounce: 2 * time.Second}, "hardware.tamper_debounce: 2s is out of range: want 1ms to 1s"},
		{"bad pull", Config{TamperPull: "sideways"}, `hardware.tamper_pull: "sideways" is not a pull: want up, down or none`},
		{"bad level", Config{TamperOpenLevel: "open"}, `hardware.tamper_open_level: "open" is not a level: want high or low`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := New(c.cfg, Pins{}, nil); err == nil || err.Error() != c.err {
				t.Fatalf("New: %v, want %q", err, c.err)
			}
			if _, err := Open(c.cfg, nil); err == nil || err.Error() != c.err {
				t.Fatalf("Open: %v, want %q", err, c.err)
			}
		})
	}
}

// syncBuffer is a log destination the board's goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestOpenWithoutGPIO is this machine's case, and CI's: Open says so once
// and returns a board that does nothing.
func TestOpenWithoutGPIO(t *testing.T) {
	if _, err := host.Init(); err != nil {
		t.Fatal(err)
	}
	if n := len(gpioreg.All()); n > 0 {
		t.Skipf("this machine has %d GPIO pins", n)
	}
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	hostOnce, noGPIOOnce = sync.Once{}, sync.Once{}
	cfg := Config{LEDPin: "GPIO17", BuzzerPin: "GPIO27", TamperPin: "GPIO22"}
	for i := range 2 { // a config reload reopens the board
		b, err := Open(cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		if b.Available() {
			t.Fatal("Available on a machine without GPIO")
		}
		b.SetState(StateAlerting)
		b.Alarm(true)
		if b.AlarmOn() {
			t.Fatal("alarm claims to sound without GPIO")
		}
		select {
		case e := <-b.Tamper():
			t.Fatalf("open %d: tamper event %v without a switch", i, e)
		case <-time.After(50 * time.Millisecond):
		}
		if b.Tampered() {
			t.Fatal("tampered without a switch")
		}
		b.Close()
		if _, ok := <-b.Tamper(); ok {
			t.Fatal("Tamper channel open after Close")
		}
	}
	out := buf.String()
	if n := strings.Count(out, "no GPIO on this machine"); n != 1 {
		t.Fatalf("said %d times that there is no GPIO, want once:\n%s", n, out)
	}
	if n := strings.Count(out, "periph drivers loaded"); n != 1 {
		t.Fatalf("logged the drivers %d times, want once:\n%s", n, out)
	}
	if !strings.Contains(out, "stage=hardware") {
		t.Fatalf("log lines not scoped to the hardware stage:\n%s", out)
	}
}

// A Pi whose GPIO chips the service user cannot open is told apart from
// a machine without GPIO, once, at error level, with the cause.
func TestOpenUnusableChips(t *testing.T) {
	if _, err := host.Init(); err != nil {
		t.Fatal(err)
	}
	if n := len(gpioreg.All()); n > 0 {
		t.Skipf("this machine has %d GPIO pins", n)
	}
	dir := t.TempDir()
	// Root opens any mode: a chip that cannot be opened is a dangling
	// link here.
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "gpiochip0")); err != nil {
		t.Fatal(err)
	}
	defer func(p string) { gpioChips = p }(gpioChips)
	gpioChips = filepath.Join(dir, "gpiochip*")
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	hostOnce, noGPIOOnce = sync.Once{}, sync.Once{}
	for range 2 {
		b, err := Open(Config{TamperPin: "GPIO22"}, log)
		if err != nil {
			t.Fatal(err)
		}
		if b.Available() {
			t.Fatal("Available without a usable chip")
		}
		b.Close()
	}
	out := buf.String()
	if n := strings.Count(out, "level=ERROR msg=\"GPIO chips present but not usable"); n != 1 {
		t.Fatalf("said %d times that the chips are unusable, want once:\n%s", n, out)
	}
	if !strings.Contains(out, "gpiochip0: no such file or directory (1 chips, none opens)") || strings.Contains(out, "no GPIO on this machine") {
		t.Fatalf("log does not give the cause, or calls it a machine without GPIO:\n%s", out)
	}
}

func TestUnusableChips(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	if err := os.WriteFile(filepath.Join(good+"chip0"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(good+"chip1")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "badchip0")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, pattern, want string
	}{
		{"no chips", filepath.Join(dir, "nochip*"), ""},
		{"one of two opens", good + "chip*", ""},
		{"none opens", filepath.Join(dir, "badchip*"), "open " + filepath.Join(dir, "badchip0") + ": no such file or directory (1 chips, none opens)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := unusableChips(c.pattern); got != c.want {
				t.Errorf("unusableChips(%s) = %q, want %q", c.pattern, got, c.want)
			}
		})
	}
}

// TestOpenLooksUpPins gives this machine one fake GPIO so that Open takes
// the has-GPIO path: present pins are driven, a missing one is an error
// naming its configuration key.
func TestOpenLooksUpPins(t *testing.T) {
	if _, err := host.Init(); err != nil {
		t.Fatal(err)
	}
	if n := len(gpioreg.All()); n > 0 {
		t.Skipf("this machine has %d real GPIO pins", n)
	}
	led, tamper := &gpiotest.Pin{N: "GPIO17", Num: 17}, &gpiotest.Pin{N: "GPIO22", Num: 22}
	for _, p := range []*gpiotest.Pin{led, tamper} {
		if err := gpioreg.Register(p); err != nil {
			t.Fatal(err)
		}
		defer gpioreg.Unregister(p.N)
	}
	cases := []struct {
		name string
		cfg  Config
		err  string
	}{
		{"missing buzzer", Config{LEDPin: "GPIO17", BuzzerPin: "GPIO27"},
			`hardware.buzzer_pin: no GPIO pin named "GPIO27" on this machine (it has GPIO17, GPIO22)`},
		{"missing led", Config{LEDPin: "GPIO4"},
			`hardware.led_pin: no GPIO pin named "GPIO4" on this machine (it has GPIO17, GPIO22)`},
		{"missing tamper", Config{TamperPin: "P1_15"},
			`hardware.tamper_pin: no GPIO pin named "P1_15" on this machine (it has GPIO17, GPIO22)`},
		{"present", Config{LEDPin: "GPIO17", TamperPin: "GPIO22", TamperPull: "down"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Open(c.cfg, nil)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if !b.Available() || tamper.Pull() != gpio.PullDown {
				t.Fatalf("available %v, tamper pull %v", b.Available(), tamper.Pull())
			}
			b.SetState(StateNoBroker)
			if !led.Read() {
				t.Fatal("GPIO17 not driven as the LED")
			}
		})
	}
}

// BenchmarkSampleTamper is the tamper poll's cost per sample (it runs
// every 10 ms), debounce included, on a fake pin.
func BenchmarkSampleTamper(b *testing.B) {
	pin := &gpiotest.Pin{N: "TAMPER"}
	cfg, _ := Config{TamperPull: "none"}.withDefaults()
	bd := newBoard(cfg, Pins{Tamper: pin}, true, slog.New(slog.DiscardHandler))
	now := t0
	b.ReportAllocs()
	b.SetBytes(1) // one sample
	for b.Loop() {
		now = now.Add(10 * time.Millisecond)
		bd.sampleTamper(now)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Msamples/s")
}
