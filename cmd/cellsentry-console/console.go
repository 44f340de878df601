package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/fusion"
	"github.com/cellsentry/cellsentry/alerting/store"
	"github.com/cellsentry/cellsentry/alerting/subscribe"
	"github.com/cellsentry/cellsentry/alerting/web"
	"github.com/cellsentry/cellsentry/configs"
)

// flushEvery bounds how long a message waits before its batch is written
// and the browsers told: well inside the one second a guard may wait.
const flushEvery = 100 * time.Millisecond

// maxBatch writes a batch early when this many messages are waiting.
const maxBatch = 2000

func runConsole(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cellsentry-console", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "console config `file` (see configs/console.yaml)")
	broker := fs.String("broker", "", "replace mqtt.broker (tcp://host:1883, ssl://host:8883)")
	listen := fs.String("listen", "", "replace console.listen (host:port of the web console)")
	storePath := fs.String("store", "", "replace console.store (SQLite file)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: cellsentry-console --config FILE [--broker URL] [--listen ADDR] [--store FILE]")
		fmt.Fprintln(stderr, "       cellsentry-console fuse --site SITE.yaml ALERTS.jsonl")
		fmt.Fprintln(stderr, "       cellsentry-console hash-password < password")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *configPath == "" || fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("%w: the console needs --config FILE", errUsage)
	}
	cfg, err := configs.LoadConsole(*configPath)
	if err != nil {
		return err
	}
	if *broker != "" {
		cfg.MQTT.Broker = *broker
	}
	if *listen != "" {
		cfg.Settings.Listen = *listen
	}
	if *storePath != "" {
		cfg.Settings.Store = *storePath
	}
	log := newLogger(stderr, cfg.Logging)
	for _, w := range cfg.Warnings() {
		log.Warn("config", "warning", w.Error())
	}
	c, err := newConsole(ctx, cfg, log)
	if err != nil {
		return err
	}
	return c.run(ctx)
}

func newLogger(w io.Writer, l configs.Logging) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(l.Level))
	opt := &slog.HandlerOptions{Level: lvl}
	if l.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opt))
	}
	return slog.New(slog.NewTextHandler(w, opt))
}

// console is the running control room: subscriber → fusion → store → web.
type console struct {
	cfg    *configs.Console
	log    *slog.Logger
	st     *store.Store
	web    *web.Server
	sub    *subscribe.Subscriber
	ln     net.Listener
	prefix string

	mu      sync.Mutex // guards fusers and batch
	fusers  map[string]*fusion.Fuser
	batch   store.Batch
	changed map[string]bool // incident ids in the batch
	sensors map[string]bool // sensor ids in the batch
	kick    chan struct{}
	publish func(topic string, payload []byte)
}

func newConsole(ctx context.Context, cfg *configs.Console, log *slog.Logger) (*console, error) {
	c := &console{cfg: cfg, log: log, fusers: map[string]*fusion.Fuser{}, changed: map[string]bool{},
		sensors: map[string]bool{}, kick: make(chan struct{}, 1), prefix: cfg.MQTT.Prefix}
	if c.prefix == "" {
		c.prefix = alerting.DefaultPrefix
	}
	st, err := store.Open(cfg.Settings.Store, store.Options{Retention: cfg.Settings.Retention.D(), Log: log.With("stage", "store")})
	if err != nil {
		return nil, fmt.Errorf("%s: console.store: %w", cfg.File(), err)
	}
	c.st = st
	var plan web.Plan
	siteName := ""
	for _, s := range cfg.Sites() {
		if siteName == "" {
			siteName = s.Name
		}
		f, err := fusion.New(s.Fusion(), cfg.FusionConfig())
		if err != nil {
			st.Close()
			return nil, fmt.Errorf("%s: %w", s.File(), err)
		}
		c.fusers[s.Name] = f
		p := webPlan(s)
		plan.Wings = append(plan.Wings, p.Wings...)
		plan.Sensors = append(plan.Sensors, p.Sensors...)
		for _, sn := range s.Sensors {
			w, _ := s.Wing(sn.Wing)
			if err := st.DeclareSensor(ctx, s.Name, sn.ID, sn.Wing, w.Building); err != nil {
				st.Close()
				return nil, err
			}
		}
	}
	users := make([]web.User, len(cfg.Users))
	for i, u := range cfg.Users {
		users[i] = web.User(u)
	}
	c.web, err = web.New(web.Config{Site: siteName, Plan: plan, Users: users, SecureCookies: cfg.Settings.SecureCookies,
		SessionTTL: cfg.Settings.SessionTTL.D(), Log: log}, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	c.sub, err = subscribe.New(cfg.Subscribe(), subscribe.HandlerFunc(c.handle), log.With("stage", "mqtt"))
	if err != nil {
		c.web.Close()
		st.Close()
		return nil, fmt.Errorf("%s: mqtt: %w", cfg.File(), err)
	}
	if cfg.MQTT.PublishIncidents {
		c.publish = c.sub.Publish
	}
	c.ln, err = net.Listen("tcp", cfg.Settings.Listen)
	if err != nil {
		c.web.Close()
		st.Close()
		return nil, fmt.Errorf("%s: console.listen: %w", cfg.File(), err)
	}
	return c, nil
}

// webPlan is the site plan as the web console draws it.
func webPlan(s *configs.Site) web.Plan {
	sp := s.Plan()
	var p web.Plan
	for _, w := range sp.Wings {
		p.Wings = append(p.Wings, web.Wing{Name: w.Name, Building: w.Building, Floor: w.Floor, Polygon: w.Polygon, Image: w.Image})
	}
	for _, sn := range sp.Sensors {
		ws := web.SensorPlan{ID: sn.ID, Wing: sn.Wing, X: sn.X, Y: sn.Y, Floor: sn.Floor, Bands: sn.Bands}
		for _, g := range sn.NotHeard {
			ws.NotHeard = append(ws.NotHeard, web.BandGap(g))
		}
		p.Sensors = append(p.Sensors, ws)
	}
	return p
}

// handle takes one message from the subscriber: the fuser turns it into
// incident changes, and everything goes into the next batch.
func (c *console) handle(m subscribe.Message, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.fusers[m.Site]
	if f == nil {
		return
	}
	var incs []alerting.Incident
	switch {
	case m.Status != nil:
		c.batch.Statuses = append(c.batch.Statuses, m.Status)
		c.sensors[m.Sensor] = true
		incs = f.Status(m.Status, at)
	case m.Health != nil:
		c.batch.Healths = append(c.batch.Healths, m.Health)
		c.sensors[m.Sensor] = true
		incs = f.Health(m.Health, at)
	case m.Alert != nil:
		incs = f.Alert(m.Alert, at)
		c.addIncidents(incs)
		// The alert belongs to the incident that lists it.
		for _, inc := range incs {
			for _, h := range inc.Sensors {
				if h.AlertID == m.Alert.ID && h.Sensor == m.Sensor {
					c.batch.Alerts = append(c.batch.Alerts, store.IncidentAlert{IncidentID: inc.ID, Alert: m.Alert})
				}
			}
		}
		incs = nil
	case m.Burst != nil:
		c.web.Burst(m.Burst)
	}
	c.addIncidents(incs)
	if c.batch.Len() >= maxBatch {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

// addIncidents queues incident changes (c.mu held); a later change of the
// same incident in one batch replaces the earlier.
func (c *console) addIncidents(incs []alerting.Incident) {
	for _, inc := range incs {
		if c.changed[inc.ID] {
			for i := range c.batch.Incidents {
				if c.batch.Incidents[i].ID == inc.ID {
					c.batch.Incidents[i] = inc
				}
			}
			continue
		}
		c.changed[inc.ID] = true
		c.batch.Incidents = append(c.batch.Incidents, inc)
	}
}

// flush writes the batch in one transaction, then tells the browsers (and
// the broker) about the incidents as stored.
func (c *console) flush(ctx context.Context) {
	c.mu.Lock()
	if c.batch.Len() == 0 {
		c.mu.Unlock()
		return
	}
	b := c.batch
	c.batch = store.Batch{}
	changed, sensors := c.changed, c.sensors
	c.changed, c.sensors = map[string]bool{}, map[string]bool{}
	c.mu.Unlock()
	if _, err := c.st.Ingest(ctx, &b); err != nil {
		// A batch the store refuses names the bad message; the rest of
		// the console keeps running.
		c.log.Error("store refused a batch", "err", err, "messages", b.Len())
		return
	}
	for id := range changed {
		inc, err := c.st.Incident(ctx, id)
		if err != nil {
			c.log.Error("incident not readable after ingest", "id", id, "err", err)
			continue
		}
		c.web.IncidentChanged(inc)
		if c.publish != nil {
			inc.Schema = alerting.SchemaIncident
			if data, err := json.Marshal(inc); err == nil {
				c.publish(alerting.IncidentTopic(c.prefix, inc.Site), data)
			}
		}
	}
	for id := range sensors {
		c.web.SensorChanged(id)
	}
}

func (c *console) run(ctx context.Context) error {
	defer c.st.Close()
	mux := http.NewServeMux()
	mux.Handle("/", c.web.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(c.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.log.Error("web server stopped", "err", err)
		}
	}()
	c.log.Info("console running", "version", version, "url", "http://"+c.ln.Addr().String()+"/", "broker", c.cfg.MQTT.Broker, "store", c.cfg.Settings.Store, "sites", len(c.fusers))
	subDone := make(chan error, 1)
	go func() { subDone <- c.sub.Run(ctx) }()

	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	advance := time.NewTicker(time.Second)
	defer advance.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			<-subDone
			c.flush(context.WithoutCancel(ctx))
			// Closing the web server first ends the live-update streams,
			// which Shutdown would otherwise wait for.
			c.web.Close()
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			srv.Shutdown(sctx)
			cancel()
			c.log.Info("console stopped")
			return nil
		case <-tick.C:
			c.flush(ctx)
		case <-c.kick:
			c.flush(ctx)
		case now := <-advance.C:
			c.mu.Lock()
			for _, f := range c.fusers {
				c.addIncidents(f.Advance(now))
			}
			c.mu.Unlock()
		case now := <-prune.C:
			if n, err := c.st.Prune(ctx, now); err != nil {
				c.log.Error("prune", "err", err)
			} else if n > 0 {
				c.log.Info("pruned old incidents", "n", n)
			}
		}
	}
}

// runHashPassword prints the bcrypt hash of the password read from stdin,
// for the users section of the console config.
func runHashPassword(stdin io.Reader, stdout io.Writer) error {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	pw := strings.TrimRight(line, "\r\n")
	if len(pw) < 8 {
		return fmt.Errorf("%w: give a password of at least 8 characters on stdin", errUsage)
	}
	h, err := web.HashPassword(pw)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, h)
	return err
}
