package hardware

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"periph.io/x/conn/v3/driver/driverreg"
	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/host/v3"
)

// The configuration keys errors name; they are the sensor file's
// hardware section (configs.Hardware), so a technician finds the line.
const (
	keyLED        = "hardware.led_pin"
	keyBuzzer     = "hardware.buzzer_pin"
	keyTamper     = "hardware.tamper_pin"
	keyTamperPull = "hardware.tamper_pull"
	keyTamperOpen = "hardware.tamper_open_level"
	keyDebounce   = "hardware.tamper_debounce"
	keyAlarmMaxOn = "hardware.alarm_max_on"
)

// Defaults and limits of Config.
const (
	// DefaultDebounce is how long the tamper input must hold a new level
	// before it counts: microswitch bounce lasts 1–10 ms, a knock on the
	// enclosure well under 50 ms.
	DefaultDebounce = 50 * time.Millisecond
	// DefaultAlarmMaxOn is how long the local alarm sounds at most per
	// Alarm(true) before it silences itself.
	DefaultAlarmMaxOn = 2 * time.Minute
	// DefaultTamperPull is the tamper input's resistor: the Pi's internal
	// pull-up, for the common switch to ground.
	DefaultTamperPull = "up"
	// DefaultTamperOpenLevel is the tamper input's level with the
	// enclosure open: with the pull-up, a switch to ground that the lid
	// holds closed reads high when the lid is off (and a cut wire reads
	// as open too).
	DefaultTamperOpenLevel = "high"

	maxDebounce   = time.Second
	maxAlarmMaxOn = 24 * time.Hour
)

// Config says which pins the board uses and how they are wired. The zero
// value of every field but the pin names is a sensible default.
type Config struct {
	// LEDPin, BuzzerPin and TamperPin are periph pin names as the config
	// file gives them ("GPIO17", BCM numbering); "" means not fitted.
	LEDPin, BuzzerPin, TamperPin string
	// LEDActiveLow and BuzzerActiveLow invert an output: many relay
	// boards switch on when their input is pulled low.
	LEDActiveLow, BuzzerActiveLow bool
	// AlarmMaxOn bounds one alarm episode; 0 means DefaultAlarmMaxOn,
	// allowed 1 s to 24 h.
	AlarmMaxOn time.Duration
	// TamperPull is the tamper input's internal resistor: "up" (default,
	// for a switch to ground), "down" or "none" (external resistor).
	TamperPull string
	// TamperOpenLevel is the level the input reads while the enclosure is
	// open: "high" (default: a switch to ground held closed by the lid,
	// with the pull-up) or "low" (e.g. a switch to 3.3 V with the
	// pull-down).
	TamperOpenLevel string
	// Debounce is how long the tamper input must hold a level before it
	// counts; 0 means DefaultDebounce, allowed 1 ms to 1 s.
	Debounce time.Duration
}

// withDefaults checks c and fills its zero fields; errors name the
// configuration key.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.AlarmMaxOn == 0:
		c.AlarmMaxOn = DefaultAlarmMaxOn
	case c.AlarmMaxOn < time.Second || c.AlarmMaxOn > maxAlarmMaxOn:
		return c, fmt.Errorf("%s: %v is out of range: want 1s to 24h", keyAlarmMaxOn, c.AlarmMaxOn)
	}
	switch {
	case c.Debounce == 0:
		c.Debounce = DefaultDebounce
	case c.Debounce < time.Millisecond || c.Debounce > maxDebounce:
		return c, fmt.Errorf("%s: %v is out of range: want 1ms to 1s", keyDebounce, c.Debounce)
	}
	switch c.TamperPull {
	case "":
		c.TamperPull = DefaultTamperPull
	case "up", "down", "none":
	default:
		return c, fmt.Errorf("%s: %q is not a pull: want up, down or none", keyTamperPull, c.TamperPull)
	}
	switch c.TamperOpenLevel {
	case "":
		c.TamperOpenLevel = DefaultTamperOpenLevel
	case "low", "high":
	default:
		return c, fmt.Errorf("%s: %q is not a level: want high or low", keyTamperOpen, c.TamperOpenLevel)
	}
	return c, nil
}

func (c Config) pull() gpio.Pull {
	switch c.TamperPull {
	case "down":
		return gpio.PullDown
	case "none":
		return gpio.Float
	}
	return gpio.PullUp
}

// Output is what the board needs of an output pin (gpio.PinOut has it).
type Output interface {
	Out(l gpio.Level) error
}

// Input is what the board needs of an input pin (gpio.PinIn has it).
type Input interface {
	In(pull gpio.Pull, edge gpio.Edge) error
	Read() gpio.Level
}

// Pins are the board's lines, already looked up; a nil field is a line
// that is not fitted.
type Pins struct {
	LED, Buzzer Output
	Tamper      Input
}

// TamperEvent is a debounced change of the enclosure: Open is true when it
// was opened, false when shut again. Time is when the new level was first
// seen, before the debounce delay confirmed it.
type TamperEvent struct {
	Open bool
	Time time.Time
}

func (e TamperEvent) String() string {
	if e.Open {
		return "enclosure opened at " + e.Time.Format(time.RFC3339Nano)
	}
	return "enclosure closed at " + e.Time.Format(time.RFC3339Nano)
}

// ledTick is the status LED's time step: patterns are sequences of 100 ms
// cells, fast enough for a 2.5 Hz blink and slow enough that the goroutine
// costs nothing.
const ledTick = 100 * time.Millisecond

// tamperEvents is the Tamper channel's buffer: the daemon reads it at
// once, and if it does not, the latch still holds the opening.
const tamperEvents = 16

// Board drives the status LED, the local alarm and reads the tamper switch.
// Its methods are safe for concurrent use; after Close they do nothing.
type Board struct {
	cfg       Config
	log       *slog.Logger
	available bool
	led, buz  Output
	tamper    Input
	openLvl   gpio.Level
	now       func() time.Time

	mu       sync.Mutex
	closed   bool
	state    State
	step     int  // index into the state's pattern
	ledOn    bool // what the LED shows
	outErr   map[string]string
	alarmOn  bool
	alarmAt  time.Time // when the alarm started sounding
	tripped  bool      // switched off by AlarmMaxOn, until Alarm(false)
	deb      debouncer
	open     bool // debounced enclosure state
	latched  bool
	events   chan TamperEvent
	dropped  int // tamper events the channel had no room for
	stop     chan struct{}
	wg       sync.WaitGroup
	stopOnce sync.Once
}

// The host drivers are initialised once per process; their state is
// logged by the first Open.
var (
	hostOnce  sync.Once
	hostState *driverreg.State
	hostErr   error
	// noGPIOOnce makes "no GPIO on this machine" a once-per-process line
	// even when the daemon reopens the board on a config reload.
	noGPIOOnce sync.Once
)

// Open initialises periph's host drivers (once per process), looks the
// configured pins up and starts the board. On a machine without GPIO it
// logs so once and returns a Board that does nothing (Available is false);
// a pin that does not exist on a machine that has GPIO is an error naming
// its configuration key.
func Open(cfg Config, log *slog.Logger) (*Board, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	log = scoped(log)
	hostOnce.Do(func() {
		hostState, hostErr = host.Init()
		logDrivers(log, hostState, hostErr)
	})
	if hostErr != nil {
		return nil, fmt.Errorf("hardware: periph host.Init: %w", hostErr)
	}
	all := gpioreg.All()
	if len(all) == 0 {
		noGPIOOnce.Do(func() {
			if why := unusableChips(gpioChips); why != "" {
				// A Pi whose chips the service user cannot open looks
				// like a laptop to periph: say which it is, loudly, as
				// the tamper switch is off.
				log.Error("GPIO chips present but not usable: status LED, alarm output and tamper switch disabled; "+
					"the service user needs read-write access (the gpio group on Raspberry Pi OS, elsewhere the udev rule 60-cellsentry-gpio.rules)",
					"why", why)
				return
			}
			log.Info("no GPIO on this machine: status LED, alarm output and tamper switch disabled")
		})
		return newBoard(cfg, Pins{}, false, log), nil
	}
	var pins Pins
	for _, p := range []struct {
		key, name string
		in        bool
		out       *Output
	}{
		{keyLED, cfg.LEDPin, false, &pins.LED},
		{keyBuzzer, cfg.BuzzerPin, false, &pins.Buzzer},
		{keyTamper, cfg.TamperPin, true, nil},
	} {
		if p.name == "" {
			continue
		}
		pin := gpioreg.ByName(p.name)
		if pin == nil {
			return nil, fmt.Errorf("%s: no GPIO pin named %q on this machine (it has %s)", p.key, p.name, someNames(all))
		}
		if p.in {
			pins.Tamper = pin
		} else {
			*p.out = pin
		}
	}
	return New(cfg, pins, log)
}

// New starts a Board on pins already looked up, for tests and for boards
// whose pins come from elsewhere: outputs are switched off and the tamper
// input is set up with its pull. Available reports true.
func New(cfg Config, pins Pins, log *slog.Logger) (*Board, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	b := newBoard(cfg, pins, true, scoped(log))
	if err := b.setup(); err != nil {
		return nil, err
	}
	b.start()
	return b, nil
}

func scoped(log *slog.Logger) *slog.Logger {
	if log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return log.With("stage", "hardware")
}

// newBoard builds a Board without touching its pins or starting its
// goroutines, so that tests can step it on their own clock.
func newBoard(cfg Config, pins Pins, available bool, log *slog.Logger) *Board {
	b := &Board{
		cfg: cfg, log: log, available: available,
		led: pins.LED, buz: pins.Buzzer, tamper: pins.Tamper,
		openLvl: gpio.Level(cfg.TamperOpenLevel == "high"),
		now:     time.Now,
		deb:     debouncer{hold: cfg.Debounce},
		events:  make(chan TamperEvent, tamperEvents),
		stop:    make(chan struct{}),
		outErr:  map[string]string{},
	}
	return b
}

// setup drives the outputs to off and configures the tamper input.
func (b *Board) setup() error {
	if b.led != nil {
		if err := b.led.Out(level(false, b.cfg.LEDActiveLow)); err != nil {
			return fmt.Errorf("%s %s: set output: %w", keyLED, b.cfg.LEDPin, err)
		}
	}
	if b.buz != nil {
		if err := b.buz.Out(level(false, b.cfg.BuzzerActiveLow)); err != nil {
			return fmt.Errorf("%s %s: set output: %w", keyBuzzer, b.cfg.BuzzerPin, err)
		}
	}
	if b.tamper != nil {
		// Polled, not edge-triggered: edge interrupts need more of the
		// kernel driver than every board offers, and a read every 10 ms
		// costs nothing.
		if err := b.tamper.In(b.cfg.pull(), gpio.NoEdge); err != nil {
			return fmt.Errorf("%s %s: set input with pull %s: %w", keyTamper, b.cfg.TamperPin, b.cfg.TamperPull, err)
		}
	}
	return nil
}

// tamperPoll is the tamper input's sampling period: five samples inside
// the default debounce.
func (b *Board) tamperPoll() time.Duration {
	return max(b.cfg.Debounce/5, time.Millisecond)
}

func (b *Board) start() {
	if b.led != nil || b.buz != nil {
		b.wg.Add(1)
		go b.run(ledTick, b.tick)
	}
	if b.tamper != nil {
		b.wg.Add(1)
		go b.run(b.tamperPoll(), b.sampleTamper)
	}
}

// run calls f on every tick of period until Close.
func (b *Board) run(period time.Duration, f func(now time.Time)) {
	defer b.wg.Done()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case now := <-t.C:
			f(now)
		}
	}
}

// Available reports whether the board has GPIO; when false, every output
// does nothing and the tamper switch never fires.
func (b *Board) Available() bool { return b.available }

// SetState selects the status LED's pattern. Setting the state it already
// shows keeps the pattern running; a new state starts at its first cell at
// once.
func (b *Board) SetState(s State) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || s == b.state {
		return
	}
	b.state, b.step = s, 0
	b.showLocked()
}

// State is the status LED's current state.
func (b *Board) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.state
}

// tick advances the LED pattern by one cell and enforces the alarm's
// maximum on-time.
func (b *Board) tick(now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.step = (b.step + 1) % len(b.state.pattern())
	b.showLocked()
	if b.alarmOn && now.Sub(b.alarmAt) >= b.cfg.AlarmMaxOn {
		b.setAlarmLocked(false)
		b.tripped = true
		b.log.Warn("alarm output switched off after its maximum on-time", "max_on", b.cfg.AlarmMaxOn)
	}
}

func (b *Board) showLocked() {
	on := b.state.pattern()[b.step] == '#'
	if on == b.ledOn {
		return
	}
	b.ledOn = on
	if b.led != nil {
		b.report(keyLED, b.led.Out(level(on, b.cfg.LEDActiveLow)))
	}
}

// Alarm switches the local alarm output. Alarm(true) while it sounds does
// not extend it: after AlarmMaxOn it goes quiet and stays quiet until
// Alarm(false) re-arms it, so a stuck alert cannot sound forever.
func (b *Board) Alarm(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || !b.available {
		return
	}
	if !on {
		b.tripped = false
		b.setAlarmLocked(false)
		return
	}
	if b.alarmOn || b.tripped {
		return
	}
	b.alarmAt = b.now()
	b.setAlarmLocked(true)
}

// AlarmOn reports whether the alarm output is sounding; always false on
// a board without GPIO.
func (b *Board) AlarmOn() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.alarmOn
}

func (b *Board) setAlarmLocked(on bool) {
	if on == b.alarmOn {
		return
	}
	b.alarmOn = on
	if b.buz != nil {
		b.report(keyBuzzer, b.buz.Out(level(on, b.cfg.BuzzerActiveLow)))
	}
}

// report logs a failing output once per distinct error, not per write.
func (b *Board) report(key string, err error) {
	if err == nil {
		delete(b.outErr, key)
		return
	}
	if b.outErr[key] != err.Error() {
		b.outErr[key] = err.Error()
		b.log.Warn("output write failed", "pin", key, "err", err)
	}
}

// sampleTamper reads the tamper input once and feeds the debouncer.
func (b *Board) sampleTamper(now time.Time) {
	open := b.tamper.Read() == b.openLvl
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	at, changed := b.deb.sample(open, now)
	if !changed {
		return
	}
	b.open = open
	if open {
		b.latched = true
	}
	ev := TamperEvent{Open: open, Time: at}
	b.log.Warn("tamper switch", "open", open, "at", at)
	select {
	case b.events <- ev:
	default:
		b.dropped++
	}
}

// Tamper delivers every debounced change of the enclosure, opened or
// closed. The channel is buffered; when the reader falls behind, events
// are dropped (the latch keeps the opening). It never fires on a board
// without a tamper pin and is closed by Close.
func (b *Board) Tamper() <-chan TamperEvent { return b.events }

// Tampered reports whether the enclosure has been opened since the last
// AckTamper. An enclosure open at start counts as opened.
func (b *Board) Tampered() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.latched
}

// AckTamper clears the latch. An enclosure still open stays so
// (EnclosureOpen) but does not latch again until it is shut and reopened.
func (b *Board) AckTamper() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.latched = false
}

// EnclosureOpen reports the debounced state of the tamper switch now.
func (b *Board) EnclosureOpen() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.open
}

// Close stops the board's goroutines, switches the LED and the alarm off
// and closes the Tamper channel. It is safe to call more than once.
func (b *Board) Close() error {
	b.stopOnce.Do(func() {
		close(b.stop)
		b.wg.Wait()
		b.mu.Lock()
		b.state, b.step = StateOff, 0
		b.showLocked()
		b.setAlarmLocked(false)
		b.closed = true
		if b.dropped > 0 {
			b.log.Warn("tamper events dropped: nobody read them", "dropped", b.dropped)
		}
		b.mu.Unlock()
		close(b.events)
	})
	return nil
}

// level is the pin level for a logical on/off.
func level(on, activeLow bool) gpio.Level {
	return gpio.Level(on != activeLow)
}

// logDrivers says which periph drivers loaded, were skipped (irrelevant on
// this machine) or failed.
func logDrivers(log *slog.Logger, st *driverreg.State, err error) {
	if err != nil {
		log.Error("periph host drivers did not initialise", "err", err)
		return
	}
	var loaded []string
	for _, d := range st.Loaded {
		loaded = append(loaded, d.String())
	}
	if len(loaded) == 0 {
		loaded = append(loaded, "none")
	}
	log.Info("periph drivers loaded", "drivers", strings.Join(loaded, ","))
	for _, f := range st.Skipped {
		log.Debug("periph driver skipped", "driver", f.D.String(), "why", f.Err)
	}
	for _, f := range st.Failed {
		log.Warn("periph driver failed", "driver", f.D.String(), "err", f.Err)
	}
}

// gpioChips are the kernel's GPIO character devices, which periph.io's
// gpioioctl driver opens (a variable for tests).
var gpioChips = "/dev/gpiochip*"

// unusableChips says why GPIO chips matching pattern exist but none opens
// ("" when there are none, or one opens): the first error, and how many
// chips there are.
func unusableChips(pattern string) string {
	chips, _ := filepath.Glob(pattern)
	var first error
	for _, c := range chips {
		f, err := os.Open(c)
		if err == nil {
			f.Close()
			return ""
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		return ""
	}
	return fmt.Sprintf("%v (%d chips, none opens)", first, len(chips))
}

// someNames lists a few pin names for an error message.
func someNames(all []gpio.PinIO) string {
	const show = 6
	var names []string
	for i, p := range all {
		if i == show {
			names = append(names, fmt.Sprintf("… %d in all", len(all)))
			break
		}
		names = append(names, p.Name())
	}
	return strings.Join(names, ", ")
}
