package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/evidence"
	"github.com/cellsentry/cellsentry/alerting/mqttpub"
	"github.com/cellsentry/cellsentry/alerting/queue"
	"github.com/cellsentry/cellsentry/alerting/track"
	"github.com/cellsentry/cellsentry/configs"
	"github.com/cellsentry/cellsentry/dsp/pipeline"
	"github.com/cellsentry/cellsentry/hardware"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/hop"
	"github.com/cellsentry/cellsentry/sdr/selftest"
	"github.com/cellsentry/cellsentry/sdr/uri"
)

func init() {
	register("run", "the sensor daemon: radio → detection → alerts over MQTT", runRun)
}

// version is the software version in status and health messages; release
// builds set it with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

// runBlock is the samples per block of the live loop: 27 ms at 2.4 MS/s.
// The end-to-end latency target (p99 < 250 ms from a burst's end to the
// alert at a subscriber) leaves room for several blocks.
const runBlock = 1 << 16

// runFlags are the command-line overrides of the config file; technicians
// expect a flag to win over the file.
type runFlags struct {
	config, source, broker, stateDir, mode, metrics string
	fast, noScan, anonymous                         bool
	drain                                           time.Duration
}

func runRun(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "run", "--config FILE [--source URI] [--broker URL] [flags]")
	var f runFlags
	fs.StringVar(&f.config, "config", "", "sensor config `file` (see configs/sensor.yaml)")
	fs.StringVar(&f.source, "source", "", "replace the first dongle's source: rtlsdr://0, rtltcp://host:1234, sim://busy-wing, a recording")
	fs.StringVar(&f.broker, "broker", "", "replace mqtt.broker (tcp://host:1883, ssl://host:8883); \"none\": alerts as JSON lines on stdout")
	fs.StringVar(&f.stateDir, "state-dir", "", "replace state_dir (alert queue, evidence)")
	fs.StringVar(&f.mode, "mode", "", "replace sensor.mode: actual, test or exercise (test mode for acceptance tests)")
	fs.StringVar(&f.metrics, "metrics", "", "replace metrics.listen (host:port; \"none\" disables)")
	fs.BoolVar(&f.fast, "fast", false, "play scenes and recordings as fast as possible instead of in real time")
	fs.BoolVar(&f.anonymous, "anonymous", false, "connect to the broker without the file's credentials and TLS files (a local test broker)")
	fs.BoolVar(&f.noScan, "no-scan", false, "stay on the source's own frequency instead of hopping over the scan bands")
	fs.DurationVar(&f.drain, "drain", 10*time.Second, "when every source has ended (a recording), wait this long for the broker to take the queued alerts")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if f.config == "" || fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("%w: run needs --config FILE and no other argument", errUsage)
	}
	cfg, err := loadRunConfig(&f)
	if err != nil {
		return err
	}
	log := newLogger(e.stderr, cfg)
	for _, w := range cfg.Warnings() {
		log.Warn("config", "warning", w.Error())
	}

	// SIGHUP is caught before anything starts so that an early one is not
	// fatal (its default action kills the process).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	m := newMetrics()
	if addr := cfg.Metrics.Listen; addr != "" {
		a, err := serveMetrics(ctx, addr, m, log)
		if err != nil {
			return err
		}
		log.Info("metrics", "url", "http://"+a.String()+"/metrics")
	}
	n := newNotifier(log)
	defer n.stopping()

	hw, err := openBox(cfg, log)
	if err != nil {
		return err
	}
	defer hw.close()
	tr, err := track.New(trackConfig(cfg), cfg.Origin())
	if err != nil {
		return fmt.Errorf("%s: alerting: %w", cfg.File(), err)
	}
	lk, err := startLink(ctx, cfg, e.stdout, m, log)
	if err != nil {
		return err
	}
	defer func() { lk.stop() }() // lk is replaced by reloads
	sess, err := startRadio(ctx, cfg, &f, tr, lk, hw, m, n, log)
	if err != nil {
		return err
	}
	log.Info("sensor running", "site", cfg.Sensor.Site, "sensor", cfg.Sensor.ID, "mode", cfg.Sensor.Mode,
		"config", cfg.File(), "config_hash", cfg.Hash(), "dongles", len(cfg.Radio.Dongles), "broker", lk.broker)

	for {
		select {
		case err := <-sess.done:
			// Every source ended (recordings) or one failed for good.
			sess.close()
			if err != nil {
				return err
			}
			lk.drain(f.drain, log)
			sess.d.publishHealth() // the final state, queue drained
			return nil
		case <-ctx.Done():
			log.Info("stopping", "cause", context.Cause(ctx))
			sess.stop()
			return nil
		case <-hup:
			n.reloading()
			next, err := loadRunConfig(&f)
			if err == nil {
				err = sameRadioLink(cfg, next)
			}
			if err != nil {
				// The running configuration stays; the rejection is told
				// in the log, the metrics and the next health message,
				// which goes out at once.
				m.configErrors.Inc()
				log.Error("config reload rejected; the running configuration stays", "config", f.config, "err", err)
				sess.d.noteEvent("config reload rejected: " + oneLine(err))
				sess.d.publishHealth()
				n.reloaded()
				continue
			}
			if hw.board != nil && hw.board.Tampered() {
				// Reloading the service is how the technician who opened
				// the box says so, whether or not the file changed.
				hw.board.AckTamper()
				log.Info("tamper acknowledged by the reload")
			}
			if next.Hash() == cfg.Hash() {
				log.Info("config reload: nothing changed", "config_hash", cfg.Hash())
				sess.d.publishHealth() // the acknowledgement, if any, at once
				n.reloaded()
				continue
			}
			sess.stop()
			tr, err = reloadTracker(tr, cfg, next, lk, log)
			if err != nil {
				return err
			}
			if !sameLink(cfg, next) {
				lk.stop()
				if lk, err = startLink(ctx, next, e.stdout, m, log); err != nil {
					return err
				}
			}
			cfg = next
			if sess, err = startRadio(ctx, cfg, &f, tr, lk, hw, m, n, log); err != nil {
				return err
			}
			log.Info("config reloaded", "config_hash", cfg.Hash(), "mode", cfg.Sensor.Mode)
			sess.d.noteEvent("config reloaded: " + cfg.Hash())
			n.reloaded()
		}
	}
}

// loadRunConfig reads the config and applies the command-line overrides;
// every error names the file (and line) or the flag.
func loadRunConfig(f *runFlags) (*configs.Config, error) {
	cfg, err := configs.Load(f.config)
	if err != nil {
		return nil, err
	}
	if f.source != "" {
		if _, err := configs.CheckSource(f.source); err != nil {
			return nil, fmt.Errorf("%w: --source: %v", errUsage, err)
		}
		if len(cfg.Radio.Dongles) == 0 {
			cfg.Radio.Dongles = []configs.Dongle{{Name: "dongle0"}}
		}
		cfg.Radio.Dongles[0].Source = f.source
	}
	switch f.broker {
	case "":
	case "none":
		cfg.MQTT.Broker = ""
	default:
		cfg.MQTT.Broker = f.broker
	}
	if f.anonymous {
		m := &cfg.MQTT
		m.Username, m.PasswordFile, m.CAFile, m.CertFile, m.KeyFile = "", "", "", "", ""
	}
	if f.stateDir != "" {
		old := cfg.StateDir
		abs, err := filepath.Abs(f.stateDir)
		if err != nil {
			return nil, fmt.Errorf("--state-dir: %w", err)
		}
		cfg.StateDir = abs
		// Directories the file left under state_dir follow it.
		for _, p := range []*string{&cfg.MQTT.Queue.Dir, &cfg.Alerting.Evidence.Dir} {
			if rel, err := filepath.Rel(old, *p); err == nil && !strings.HasPrefix(rel, "..") {
				*p = filepath.Join(abs, rel)
			}
		}
	}
	if f.mode != "" {
		switch f.mode {
		case alerting.ModeActual, alerting.ModeTest, alerting.ModeExercise:
			cfg.Sensor.Mode = f.mode
		default:
			return nil, fmt.Errorf("%w: --mode %q: want actual, test or exercise", errUsage, f.mode)
		}
	}
	switch f.metrics {
	case "":
	case "none":
		cfg.Metrics.Listen = ""
	default:
		cfg.Metrics.Listen = f.metrics
	}
	if cfg.MQTT.Broker != "" {
		if err := cfg.CheckFiles(); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// sameRadioLink refuses reloads that this process cannot apply in place:
// none today (the radio and the link restart), but the metrics address
// needs a restart of the service.
func sameRadioLink(old, next *configs.Config) error {
	if old.Metrics.Listen != next.Metrics.Listen {
		return fmt.Errorf("%s: metrics.listen changed from %q to %q: restart the service for that", next.File(), old.Metrics.Listen, next.Metrics.Listen)
	}
	return nil
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func newLogger(w io.Writer, cfg *configs.Config) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Logging.Level)) // validated by configs
	opt := &slog.HandlerOptions{Level: lvl}
	if cfg.Logging.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opt))
	}
	return slog.New(slog.NewTextHandler(w, opt))
}

func trackConfig(cfg *configs.Config) track.Config {
	a := cfg.Alerting
	return track.Config{
		RaiseConfidence: a.RaiseConfidence,
		MinBursts:       a.MinBursts,
		UpdateInterval:  a.UpdateInterval.D(),
		ClearAfter:      a.ClearAfter.D(),
		Mode:            cfg.Sensor.Mode,
		AllowUnknown:    a.AlertOnUnknown,
	}
}

// reloadTracker keeps the open alerts across a reload when only the mode
// (or nothing the tracker uses) changed: clearing and re-raising a phone
// that is still transmitting would be noise for the guards. Otherwise the
// old alerts are cleared and a new tracker starts.
func reloadTracker(tr *track.Tracker, old, next *configs.Config, lk *link, log *slog.Logger) (*track.Tracker, error) {
	oc, nc := trackConfig(old), trackConfig(next)
	oc.Mode, nc.Mode = "", ""
	if oc == nc && sameOrigin(old.Origin(), next.Origin()) {
		if err := tr.SetMode(next.Sensor.Mode); err != nil {
			return nil, err
		}
		return tr, nil
	}
	for _, a := range tr.Flush(nil, time.Now()) {
		if err := lk.sink.Enqueue(&a); err != nil {
			log.Error("ALERT NOT STORED", "alert", a.ID, "err", err)
		}
	}
	t, err := track.New(nc, next.Origin())
	if err != nil {
		return nil, fmt.Errorf("%s: alerting: %w", next.File(), err)
	}
	if err := t.SetMode(next.Sensor.Mode); err != nil {
		return nil, err
	}
	return t, nil
}

// link is the way out: the durable queue and the publisher, or stdout
// when no broker is configured.
type link struct {
	sink   alertSink
	q      *queue.Queue
	pub    *mqttpub.Publisher
	broker string
	cancel context.CancelFunc
	done   chan error
	unreg  func()
}

func sameLink(a, b *configs.Config) bool {
	x, y := a.MQTT, b.MQTT
	x.HealthInterval, y.HealthInterval = 0, 0
	x.PublishBursts, y.PublishBursts = false, false
	return x == y && sameOrigin(a.Origin(), b.Origin())
}

// sameOrigin compares identities, positions by value.
func sameOrigin(a, b alerting.Origin) bool {
	pa, pb := a.Position, b.Position
	a.Position, b.Position = nil, nil
	return a == b && (pa == nil) == (pb == nil) && (pa == nil || *pa == *pb)
}

func startLink(ctx context.Context, cfg *configs.Config, stdout io.Writer, m *metrics, log *slog.Logger) (*link, error) {
	if cfg.MQTT.Broker == "" {
		log.Warn("no broker configured: alerts go to stdout as JSON lines")
		return &link{sink: &stdoutSink{w: stdout, log: log}, broker: "none (stdout)", unreg: func() {}}, nil
	}
	q, err := queue.Open(cfg.MQTT.Queue.Dir, queue.Options{MaxBytes: int64(cfg.MQTT.Queue.MaxSize), Log: log.With("stage", "queue")})
	if err != nil {
		return nil, fmt.Errorf("%s: mqtt.queue: %w", cfg.File(), err)
	}
	pub, err := mqttpub.New(mqttpub.Config{
		Broker: cfg.MQTT.Broker, ClientID: cfg.MQTT.ClientID, Username: cfg.MQTT.Username,
		PasswordFile: cfg.MQTT.PasswordFile, CAFile: cfg.MQTT.CAFile, CertFile: cfg.MQTT.CertFile, KeyFile: cfg.MQTT.KeyFile,
		Prefix: cfg.MQTT.Prefix, Origin: cfg.Origin(), Version: version, KeepAlive: cfg.MQTT.KeepAlive.D(),
	}, q, log.With("stage", "mqtt"))
	if err != nil {
		q.Close()
		return nil, fmt.Errorf("%s: mqtt: %w", cfg.File(), err)
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	lk := &link{sink: pub, q: q, pub: pub, broker: cfg.MQTT.Broker, cancel: cancel, done: make(chan error, 1)}
	go func() { lk.done <- pub.Run(lctx) }()
	col := &publisherCollector{pub: pub, q: q}
	m.reg.MustRegister(col)
	lk.unreg = func() { m.reg.Unregister(col) }
	return lk, nil
}

// drain waits until the broker has taken every queued alert, or for at
// most d: a run over a recording should deliver what it found before it
// exits, but never hang on a broker that is down (the queue keeps them).
func (l *link) drain(d time.Duration, log *slog.Logger) {
	if l.q == nil {
		return
	}
	deadline := time.Now().Add(d)
	for l.q.Stats().Depth > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := l.q.Stats().Depth; n > 0 {
		log.Warn("alerts still queued for the broker; they go out at the next start", "queued", n)
	}
}

// stop ends the publisher gracefully (in-flight alerts, offline status)
// and closes the queue.
func (l *link) stop() {
	if l.cancel == nil {
		return
	}
	l.cancel()
	<-l.done
	l.cancel = nil
	l.unreg()
	if l.q != nil {
		l.q.Close()
	}
}

// radio is one configuration's sources, pipelines and daemon loop.
type radio struct {
	d      *daemon
	ev     *evidence.Recorder
	cancel context.CancelFunc
	done   chan error
	srcs   []sdr.Source
}

func startRadio(ctx context.Context, cfg *configs.Config, f *runFlags, tr *track.Tracker, lk *link, hw *box, m *metrics, n *notifier, log *slog.Logger) (*radio, error) {
	rctx, cancel := context.WithCancel(ctx)
	r := &radio{cancel: cancel, done: make(chan error, 1)}
	d := &daemon{
		origin: cfg.Origin(), mode: cfg.Sensor.Mode, version: version, configHash: cfg.Hash(),
		tracker: tr, sink: lk.sink, bursts: cfg.MQTT.PublishBursts, healthEvery: cfg.MQTT.HealthInterval.D(),
		m: m, notify: n, log: log,
		excluded: func(hz float64) bool { _, ok := cfg.Excluded(hz); return ok },
		box:      hw.box, board: hw.board,
	}
	if lk.pub != nil {
		pub := lk.pub
		d.connected = func() bool { return pub.State().Connected }
	}
	if lk.q != nil {
		q := lk.q
		d.queueStats = func() alerting.QueueHealth {
			s := q.Stats()
			return alerting.QueueHealth{Depth: s.Depth, Bytes: s.Bytes, Dropped: s.Dropped}
		}
	}
	if d.healthEvery <= 0 {
		d.healthEvery = 30 * time.Second
	}
	m.info.Reset()
	m.info.WithLabelValues(version, cfg.Hash()).Set(1)
	fail := func(err error) (*radio, error) {
		cancel()
		for _, s := range r.srcs {
			s.Close()
		}
		return nil, err
	}
	for i, dg := range cfg.Radio.Dongles {
		dr, err := openDongle(rctx, cfg, i, f, log)
		if err != nil {
			return fail(fmt.Errorf("%s: radio.dongles[%d] (%s): %w", cfg.File(), i, dg.Name, err))
		}
		for _, line := range dr.selftest {
			d.noteEvent(line)
		}
		dr.mu.Lock()
		dr.onEvent = d.sourceEvent
		dr.mu.Unlock()
		r.srcs = append(r.srcs, dr.src)
		d.dongles = append(d.dongles, dr)
	}
	if ev := cfg.Alerting.Evidence; ev.Enabled {
		rec, err := evidence.New(evidence.Config{
			Dir: ev.Dir, Pre: ev.Pre.D(), Post: ev.Post.D(), Ring: ev.Ring.D(), Rate: cfg.Radio.SampleRate.Hz(),
			MaxBytes: int64(ev.MaxSize), Hardware: "cellsentry sensor " + cfg.Sensor.ID, Log: log.With("stage", "evidence"),
		})
		if err != nil {
			return fail(fmt.Errorf("%s: alerting.evidence: %w", cfg.File(), err))
		}
		r.ev = rec
		d.evidence = rec
		d.evidencePre, d.evidencePos = ev.Pre.D(), ev.Post.D()
	}
	r.d = d
	ph := d.publishHealth
	hw.health.Store(&ph)
	go func() { r.done <- d.run(rctx) }()
	return r, nil
}

// openDongle opens dongle i's source, wraps it in its hop plan (unless it
// cannot be retuned: a recording) and builds a pipeline per band.
func openDongle(ctx context.Context, cfg *configs.Config, i int, f *runFlags, log *slog.Logger) (*dongleRun, error) {
	dg := cfg.Radio.Dongles[i]
	spec, err := cfg.SourceSpec(i)
	if err != nil {
		return nil, err
	}
	dr := &dongleRun{name: dg.Name, block: runBlock, pipes: map[string]*pipeline.Pipeline{}, state: "starting"}
	src, err := uri.OpenWith(ctx, spec, uri.Options{OnEvent: dr.sourceEvent})
	if err != nil {
		return nil, err
	}
	live := spec.Kind == uri.RTLSDR || spec.Kind == uri.RTLTCP
	gain := dg.Gain
	if live {
		// Self-test before streaming: the rate actually delivered,
		// clipping at this gain, a sane floor. Only a radio that delivers
		// nothing is refused; the rest is told in health and the log.
		rep, err := selftest.Run(ctx, src, src.Rate(), selftest.Options{Duration: time.Second, Realtime: true})
		if err != nil {
			src.Close()
			return nil, fmt.Errorf("self-test: %w", err)
		}
		if rep.Samples == 0 {
			src.Close()
			return nil, errors.New("self-test: the radio delivered no samples")
		}
		for _, c := range rep.Checks {
			if c.Status == selftest.Warn || c.Status == selftest.Fail {
				dr.selftest = append(dr.selftest, fmt.Sprintf("self-test %s: %s %s: %s", dg.Name, c.Name, c.Status, c.Detail))
				log.Warn("self-test", "dongle", dg.Name, "check", c.Name, "status", c.Status, "detail", c.Detail)
			}
		}
		if len(dr.selftest) == 0 {
			dr.selftest = []string{fmt.Sprintf("self-test %s: pass (%d samples in %.1f s)", dg.Name, rep.Samples, rep.Seconds)}
		}
	}
	var s sdr.Source = src
	scan := spec.Kind != uri.File && !f.noScan
	if scan {
		plan, err := cfg.Plan(i)
		if err != nil {
			src.Close()
			return nil, err
		}
		for _, w := range plan.Warn {
			log.Warn("scan plan", "dongle", dg.Name, "warning", w)
		}
		var t hop.Tunable = src
		if !live {
			t = newPaced(ctx, src, f.fast)
		}
		s = hop.NewScheduler(t, plan, src.Rate())
		dr.plan = plan
		bands := map[float64]string{}
		for _, st := range plan.Steps {
			bands[st.Center] = st.Band
		}
		dr.band = func(c float64) string { return bands[c] }
		for _, b := range plan.Bands() {
			p, err := pipeline.New(cfg.Pipeline(b, gain))
			if err != nil {
				src.Close()
				return nil, fmt.Errorf("band %s: %w", b, err)
			}
			dr.pipes[b] = p
		}
	} else {
		if !live {
			s = newPaced(ctx, src, f.fast)
		}
		dr.band = func(float64) string { return "" }
		// One frequency: the band it lies in, if any, gives the threshold.
		band := ""
		for _, b := range cfg.Scan.Bands {
			if c := src.Center(); c >= b.Low.Hz() && c <= b.High.Hz() {
				band = b.Name
			}
		}
		p, err := pipeline.New(cfg.Pipeline(band, gain))
		if err != nil {
			src.Close()
			return nil, err
		}
		dr.pipes[""] = p
	}
	dr.src = s
	log.Info("source open", "dongle", dg.Name, "source", spec.String(), "scan", scan, "paced", !live && !f.fast)
	return dr, nil
}

// stop ends the radio loop without clearing open alerts (the sensor is
// going away, not the phones), then closes the sources and the evidence.
func (r *radio) stop() {
	r.cancel()
	<-r.done
	r.close()
}

func (r *radio) close() {
	for _, s := range r.srcs {
		s.Close()
	}
	r.srcs = nil
	if r.ev != nil {
		r.ev.Close()
		r.ev = nil
	}
}

// publisherCollector exports the publisher's and the queue's numbers at
// scrape time.
type publisherCollector struct {
	pub *mqttpub.Publisher
	q   *queue.Queue
}

var (
	descConnected = prometheus.NewDesc("cellsentry_broker_connected", "1 while connected to the MQTT broker.", nil, nil)
	descPublished = prometheus.NewDesc("cellsentry_alerts_published_total", "Alert publishes sent to the broker (resends included).", nil, nil)
	descAcked     = prometheus.NewDesc("cellsentry_alerts_acked_total", "Alerts acknowledged by the broker.", nil, nil)
	descConnects  = prometheus.NewDesc("cellsentry_broker_connect_failures_total", "Failed connection attempts, by kind.", []string{"kind"}, nil)
	descLatency   = prometheus.NewDesc("cellsentry_publish_latency_seconds", "Time from an alert's PUBLISH to its PUBACK.", nil, nil)
	descDepth     = prometheus.NewDesc("cellsentry_queue_depth", "Alert events on disk waiting for the broker's acknowledgement.", nil, nil)
	descQBytes    = prometheus.NewDesc("cellsentry_queue_bytes", "Size of the alert queue on disk.", nil, nil)
	descQDropped  = prometheus.NewDesc("cellsentry_queue_dropped_total", "Alert events discarded by the queue's size cap.", nil, nil)
)

func (c *publisherCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descConnected, descPublished, descAcked, descConnects, descLatency, descDepth, descQBytes, descQDropped} {
		ch <- d
	}
}

func (c *publisherCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.pub.Stats()
	conn := 0.0
	if c.pub.State().Connected {
		conn = 1
	}
	ch <- prometheus.MustNewConstMetric(descConnected, prometheus.GaugeValue, conn)
	ch <- prometheus.MustNewConstMetric(descPublished, prometheus.CounterValue, float64(st.Published))
	ch <- prometheus.MustNewConstMetric(descAcked, prometheus.CounterValue, float64(st.Acked))
	ch <- prometheus.MustNewConstMetric(descConnects, prometheus.CounterValue, float64(st.AuthFailures), "auth")
	ch <- prometheus.MustNewConstMetric(descConnects, prometheus.CounterValue, float64(st.ConnectFailures-st.AuthFailures), "other")
	ch <- prometheus.MustNewConstHistogram(descLatency, st.Latency.Count, st.Latency.Sum, st.Latency.Buckets())
	qs := c.q.Stats()
	ch <- prometheus.MustNewConstMetric(descDepth, prometheus.GaugeValue, float64(qs.Depth))
	ch <- prometheus.MustNewConstMetric(descQBytes, prometheus.GaugeValue, float64(qs.Bytes))
	ch <- prometheus.MustNewConstMetric(descQDropped, prometheus.CounterValue, float64(qs.Dropped))
}

// box is the sensor's hardware: the Pi's health, and the LED, alarm and
// tamper switch when the config enables them. They outlive reloads (pins
// are read at start).
type box struct {
	box   *hardware.Monitor
	board *hardware.Board
	// health publishes a health message now (the running daemon's).
	health atomic.Pointer[func()]
}

func openBox(cfg *configs.Config, log *slog.Logger) (*box, error) {
	mon, err := hardware.NewMonitor(hardware.MonitorConfig{DiskDir: cfg.StateDir})
	if err != nil {
		return nil, fmt.Errorf("hardware: %w", err)
	}
	b := &box{box: mon}
	if !cfg.Hardware.Enabled {
		return b, nil
	}
	h := cfg.Hardware
	board, err := openBoard(hardware.Config{
		LEDPin: string(h.LEDPin), BuzzerPin: string(h.BuzzerPin), TamperPin: string(h.TamperPin),
		LEDActiveLow: h.LEDActiveLow, BuzzerActiveLow: h.BuzzerActiveLow,
		TamperPull: h.TamperPull, TamperOpenLevel: h.TamperOpenLevel,
		Debounce: h.TamperDebounce.D(), AlarmMaxOn: h.AlarmMaxOn.D(),
	}, log.With("stage", "hardware"))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.File(), err)
	}
	if !board.Available() {
		board.Close()
		return b, nil
	}
	b.board = board
	go func() {
		for e := range board.Tamper() {
			if e.Open {
				log.Error("TAMPER: the enclosure was opened", "at", e.Time)
			} else {
				log.Warn("enclosure closed", "at", e.Time)
			}
			if f := b.health.Load(); f != nil {
				(*f)()
			}
		}
	}()
	return b, nil
}

// openBoard opens the GPIO board; tests put fake pins behind it.
var openBoard = hardware.Open

func (b *box) close() {
	if b.board != nil {
		b.board.Close()
	}
}
