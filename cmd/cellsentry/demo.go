package main

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/console"
	"github.com/cellsentry/cellsentry/alerting/web"
	"github.com/cellsentry/cellsentry/configs"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

func init() {
	register("demo", "the whole system on this machine: simulated prison, sensors, broker and console", runDemo)
}

// demoSite is the site name of the demo's sensors and plan.
const demoSite = "demo-prison"

// demoUser is the console account the demo prints with its password.
const demoUser = "demo"

// demoFlags are the demo's options.
type demoFlags struct {
	listen   string
	perWing  int
	seed     uint64
	speed    float64
	stateDir string
	health   time.Duration
}

func runDemo(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "demo", "[--listen 127.0.0.1:8080] [--sensors N] [--seed S] [--speed X] [--state-dir DIR]")
	var f demoFlags
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8080", "where the web console listens (host:port; port 0 picks a free one)")
	fs.IntVar(&f.perWing, "sensors", 2, "simulated sensors per wing, 1 to 6 (each costs about a tenth of a core)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the script and the radio: the same seed plays the same demo")
	fs.Float64Var(&f.speed, "speed", 1, "how busy the prison is: phones act this many times as often (0.1 to 10)")
	fs.StringVar(&f.stateDir, "state-dir", "", "keep the console's database and the sensors' queues here (default: a temporary directory removed at exit)")
	fs.DurationVar(&f.health, "health-interval", 30*time.Second, "period of the sensors' health messages")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 0:
		fs.Usage()
		return fmt.Errorf("%w: demo takes no arguments", errUsage)
	case f.perWing < 1 || f.perWing > 6:
		return fmt.Errorf("%w: --sensors %d: want 1 to 6 per wing", errUsage, f.perWing)
	case !(f.speed >= 0.1 && f.speed <= 10):
		return fmt.Errorf("%w: --speed %g: want 0.1 to 10", errUsage, f.speed)
	case f.health < time.Second:
		return fmt.Errorf("%w: --health-interval %v: want at least 1s", errUsage, f.health)
	}
	return demo(ctx, e, &f)
}

// demo runs until ctx ends, then stops everything in order: sensors
// (their last alerts and their offline status go out), console (its last
// batch is stored), broker; and removes the temporary directory.
func demo(ctx context.Context, e *env, f *demoFlags) (err error) {
	out := &narrator{w: e.stdout}
	// Components log warnings and errors only: the terminal is for the
	// narration.
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	// The sensors' publishers warn that their password crosses the
	// network in clear: true of any tcp:// broker, moot on loopback.
	sensorLog := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelError}))

	dir := f.stateDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "cellsentry-demo-"); err != nil {
			return fmt.Errorf("demo: state directory: %w", err)
		}
		defer os.RemoveAll(dir)
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("demo: --state-dir: %w", err)
	}

	// Accounts: a random password per sensor and for the console's
	// broker connection, and one for the person at the web console.
	sensors := demoSensors(f.perWing)
	auth := &demoAuth{prefix: alerting.DefaultPrefix, site: demoSite, console: "console", passwords: map[string]string{}}
	for _, s := range append([]demoSensor{{id: "console"}}, sensors...) {
		auth.passwords[s.id] = randomSecret()
		if err := os.WriteFile(filepath.Join(dir, s.id+".password"), []byte(auth.passwords[s.id]+"\n"), 0o600); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	webPassword := randomSecret()

	broker, err := startDemoBroker("127.0.0.1:0", auth, log.With("stage", "broker"))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer broker.Close()

	script := demoScript(f.seed, f.speed)
	sc, err := demoScene(f.seed, sensors, script)
	if err != nil {
		return err
	}
	// The demo listens itself, so that port 0 (a free port, for tests)
	// works and the config names the address actually taken.
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("demo: --listen: %w", err)
	}
	cfg, err := demoConsoleConfig(dir, ln.Addr().String(), broker.URL(), sc, webPassword)
	if err != nil {
		ln.Close()
		return err
	}
	cctx, stopConsole := context.WithCancel(context.WithoutCancel(ctx))
	defer stopConsole()
	con, err := console.New(cctx, cfg, console.Options{Log: log.With("stage", "console"), Version: version, Listener: ln, OnIncident: out.incident})
	if err != nil {
		return fmt.Errorf("demo: console: %w", err)
	}
	conDone := make(chan error, 1)
	go func() { conDone <- con.Run(cctx) }()

	// Scene time 0 is now: the paced sources start their clocks with
	// their first block, within milliseconds.
	t0 := time.Now()
	out.start(t0, script)
	sctx, stopSensors := context.WithCancel(ctx)
	defer stopSensors()
	var running []*simSensor
	stopAll := func() error {
		stopSensors()
		var errs []error
		for _, s := range running {
			if err := s.stop(3 * time.Second); err != nil {
				errs = append(errs, fmt.Errorf("sensor %s: %w", s.id, err))
			}
		}
		return errors.Join(errs...)
	}
	for _, s := range sensors {
		ss, err := startSimSensor(sctx, simSensorConfig{site: demoSite, id: s.id, wing: s.wing, pos: s.pos, scene: sc,
			broker: broker.URL(), passwordFile: filepath.Join(dir, s.id+".password"), stateDir: dir, healthEvery: f.health}, sensorLog)
		if err != nil {
			stopAll()
			stopConsole()
			<-conDone
			return fmt.Errorf("demo: %w", err)
		}
		running = append(running, ss)
	}
	out.banner(con.URL(), webPassword, broker.URL(), dir, f, len(sensors))

	watch := newDemoWatch(out, running)
	watchDone := make(chan struct{})
	go func() { defer close(watchDone); watch.run(sctx) }()

	<-ctx.Done()
	out.stopping()
	serr := stopAll()
	<-watchDone
	// The console takes the sensors' offline messages before it stops.
	time.Sleep(300 * time.Millisecond)
	stopConsole()
	cerr := <-conDone
	berr := broker.Close()
	out.summary(watch)
	return errors.Join(serr, cerr, berr)
}

// randomSecret is 20 random characters of base32 (100 bits).
func randomSecret() string {
	b := make([]byte, 13)
	rand.Read(b) // never fails (crypto/rand)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:20]
}

// demoConsoleConfig writes the console's config and site plan into dir
// and loads them as the console service would: a plan the configs
// package refuses is a bug of the demo, named with its line.
func demoConsoleConfig(dir, listen, broker string, sc *sim.Scene, password string) (*configs.Console, error) {
	hash, err := web.HashPassword(password)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "site.yaml"), []byte(siteYAML(demoSite, sc)), 0o600); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	p := filepath.Join(dir, "console.yaml")
	y := consoleYAML(listen, filepath.Join(dir, "console.db"), broker, filepath.Join(dir, "console.password"), hash)
	if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	cfg, err := configs.LoadConsole(p)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return cfg, nil
}

// consoleYAML is the console config of the demo.
func consoleYAML(listen, store, broker, passwordFile, hash string) string {
	return fmt.Sprintf(`# The demo console (cellsentry demo), written at each start.
console:
  listen: %q
  store: %q
  # Plain HTTP on this machine: the demo has no TLS certificate.
  secure_cookies: false
  sites: [site.yaml]
mqtt:
  broker: %q
  client_id: cellsentry-console
  username: console
  password_file: %q
users:
  - name: %s
    role: admin
    password_hash: %q
metrics:
  listen: ""
`, listen, store, broker, passwordFile, demoUser, hash)
}

// narrator writes the demo's terminal lines: what the simulated phones
// do, the incidents the console raises, and how the machine keeps up.
type narrator struct {
	mu     sync.Mutex
	w      io.Writer
	t0     time.Time
	script []activity
	seen   map[string]alerting.Incident
	num    map[string]int // incident id → its number in the terminal
	nInc   int
	// quiet ends the incident lines: while the demo stops, every sensor
	// going offline is an incident the terminal need not list.
	quiet bool
}

func (n *narrator) start(t0 time.Time, script []activity) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.t0, n.script, n.seen, n.num = t0, script, map[string]alerting.Incident{}, map[string]int{}
}

func (n *narrator) stopping() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.quiet = true
	n.sayLocked("stopping: sensors publish their offline status, the console stores its last batch, the broker closes")
}

// say writes one line with the wall-clock time.
func (n *narrator) say(format string, args ...any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sayLocked(format, args...)
}

func (n *narrator) sayLocked(format string, args ...any) {
	fmt.Fprintf(n.w, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func (n *narrator) banner(url, password, broker, dir string, f *demoFlags, sensors int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	fmt.Fprintf(n.w, `
cellsentry demo — a simulated prison, watched by the real detection chain
  console   %s
  login     user %q, password %q (new at every start)
  prison    three wings (A west, B east, C south) of 20 cells each around a hall;
            %d sensors (%d per wing) in the corridors, each running the real pipeline,
            tracker and MQTT publisher on the radio rendered for its position
  radio     902.4 MHz ± 600 kHz (GSM 900 / LTE band 8 uplink) at 1.2 MS/s
  phones    GSM and LTE phones switch on in cells, call, text, open data sessions
            and sit idle; one phone outside the perimeter wall; interference:
            a far tower's carrier leaking in, a spurious carrier, door motors
  broker    %s (embedded; only the demo's own accounts)
  state     %s
  seed %d, speed %g — press Ctrl-C to stop

`, url, demoUser, password, sensors, f.perWing, broker, dir, f.seed, f.speed)
}

// activityAt is the simulated phone that explains an incident: active at
// scene time t on the incident's channel (GSM) or carrier (LTE).
func (n *narrator) activityAt(t time.Duration, inc *alerting.Incident) *activity {
	var best *activity
	for i := range n.script {
		a := &n.script[i]
		// An alert's first burst may precede the phone by a few seconds
		// (a stray burst on the channel starts the tracker's activity).
		if a.at > t+10*time.Second {
			break
		}
		if t > a.at+a.dur+20*time.Second {
			continue
		}
		// By frequency only: when the classifier takes an LTE phone for
		// GSM, the line shows it.
		match := math.Abs(a.freq-inc.FreqHz) < 120e3
		if a.tech == "LTE" {
			match = math.Abs(a.freq-inc.FreqHz) < lteBW/2
		}
		if match && (best == nil || a.at > best.at && a.at <= t+10*time.Second) {
			best = a
		}
	}
	return best
}

// incident is the console's OnIncident: new incidents, their end, and
// sensor incidents, in words.
func (n *narrator) incident(inc alerting.Incident) {
	n.mu.Lock()
	defer n.mu.Unlock()
	prev, known := n.seen[inc.ID]
	n.seen[inc.ID] = inc
	if !known {
		n.num[inc.ID] = len(n.num) + 1
	}
	id := fmt.Sprintf("#%d", n.num[inc.ID])
	switch {
	case n.quiet:
	case !known && inc.Kind == alerting.IncidentPhone:
		n.nInc++
		where := "in wing " + inc.Wing
		if inc.Outside {
			where = "OUTSIDE the walls"
		} else if inc.Wing == "" {
			where = "somewhere on the site"
		}
		truth := ""
		// Scene time of the first burst: the sensors stamp blocks with
		// the radio's clock, which lags the wall clock when the machine
		// is too busy.
		if a := n.activityAt(inc.FirstSeen.Sub(n.t0), &inc); a != nil {
			where := a.cell
			if a.wing == "" {
				where = "outside"
			}
			truth = fmt.Sprintf("  [simulated: %s, %s in %s]", a.phone, a.tech, where)
		}
		n.sayLocked("INCIDENT %s  %s phone %s (%.0f %% sure), %.1f MHz, heard by %d sensor(s)%s",
			id, strings.ToUpper(inc.Class), where, 100*inc.Confidence, inc.FreqHz/1e6, len(inc.Sensors), truth)
	case !known:
		n.sayLocked("INCIDENT %s  %s: sensor %s %s", id, inc.Kind, inc.Sensor, inc.Detail)
	case prev.Active && !inc.Active:
		n.sayLocked("incident %s  no longer heard", id)
	case inc.Kind == alerting.IncidentPhone && (prev.Wing != inc.Wing || prev.Outside != inc.Outside):
		where := "in wing " + inc.Wing
		if inc.Outside {
			where = "OUTSIDE the walls"
		}
		n.sayLocked("incident %s  now placed %s (%.0f %% sure, %d sensors)", id, where, 100*inc.Confidence, len(inc.Sensors))
	}
}

func (n *narrator) summary(w *demoWatch) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.sayLocked("stopped after %s: %d phone incidents; CPU %.2f cores on average (%d here), %.2f cores per second of radio; largest lag behind real time %s",
		time.Since(n.t0).Round(time.Second), n.nInc, w.avgCores(), numCPU(), w.coresPerRadioSecond(), w.maxLag.Round(time.Millisecond))
}

// demoWatch announces the script as it plays and measures how the
// machine keeps up: CPU use, and the lag of the sensors' blocks behind the
// wall clock, with a warning when the demo falls behind real time.
type demoWatch struct {
	out     *narrator
	sensors []*simSensor
	cpu     cpuMeter
	start   time.Time
	cpu0    time.Duration
	maxLag  time.Duration
	behind  bool
	warned  time.Time
}

func newDemoWatch(out *narrator, sensors []*simSensor) *demoWatch {
	return &demoWatch{out: out, sensors: sensors}
}

// reportEvery is the period of the status line.
const reportEvery = time.Minute

func (w *demoWatch) run(ctx context.Context) {
	w.start, w.cpu0 = time.Now(), processCPU()
	w.cpu.read()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	next := 0
	lastReport := time.Now()
	var periodLag time.Duration
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			// Announced when the radio gets there (the first sensor to
			// get there), so that the lines keep their order with the
			// incidents when the machine falls behind.
			_, fastest := w.radioSeconds()
			t := time.Duration(fastest * float64(time.Second))
			for next < len(w.out.script) && w.out.script[next].at <= t {
				a := w.out.script[next]
				next++
				where := "in cell " + a.cell + " (wing " + a.wing + ")"
				if a.wing == "" {
					where = "outside the perimeter wall"
				}
				w.out.say("phone %s (%s) %s %s", a.phone, a.tech, where, a.what)
			}
			lag := time.Duration(0)
			for _, s := range w.sensors {
				lag = max(lag, s.lag.takeMax())
			}
			periodLag = max(periodLag, lag)
			w.maxLag = max(w.maxLag, lag)
			// Told at once, then at most once a minute while it lasts.
			if lag > behindAfter && (!w.behind || now.Sub(w.warned) >= reportEvery) {
				w.behind, w.warned = true, now
				w.out.say("WARNING: the simulation runs %s behind real time: this machine is too busy for %d sensors (try --sensors 1)",
					lag.Round(100*time.Millisecond), len(w.sensors))
			} else if lag < backUnder && w.behind {
				w.behind = false
				w.out.say("back in real time")
			}
			if now.Sub(lastReport) >= reportEvery {
				lastReport = now
				w.out.say("status: CPU %.2f cores (of %d), %.2f cores per second of radio, largest lag %s, %d sensors connected",
					w.cpu.read(), numCPU(), w.coresPerRadioSecond(), periodLag.Round(time.Millisecond), w.streaming())
				periodLag = 0
			}
		}
	}
}

func (w *demoWatch) streaming() int {
	n := 0
	for _, s := range w.sensors {
		if s.pub.State().Connected {
			n++
		}
	}
	return n
}

// radioSeconds is how much radio time the slowest and the fastest sensor
// have processed (samples over the rate).
func (w *demoWatch) radioSeconds() (slowest, fastest float64) {
	slowest = math.Inf(1)
	for _, s := range w.sensors {
		for _, dr := range s.d.dongles {
			dr.mu.Lock()
			v := float64(dr.samples) / demoRate
			dr.mu.Unlock()
			slowest, fastest = math.Min(slowest, v), math.Max(fastest, v)
		}
	}
	if math.IsInf(slowest, 1) {
		return 0, 0
	}
	return slowest, fastest
}

// coresPerRadioSecond is the CPU time the demo used per second of radio
// its sensors processed: what real time needs, whether or not the
// machine gave it (under 1 per core free keeps up).
func (w *demoWatch) coresPerRadioSecond() float64 {
	rs, _ := w.radioSeconds()
	if rs <= 0 {
		return 0
	}
	return (processCPU() - w.cpu0).Seconds() / rs
}

// avgCores is the CPU the demo used since its sensors started, in cores.
func (w *demoWatch) avgCores() float64 {
	el := time.Since(w.start)
	if w.start.IsZero() || el <= 0 {
		return 0
	}
	return float64(processCPU()-w.cpu0) / float64(el)
}

func numCPU() int { return runtime.NumCPU() }
