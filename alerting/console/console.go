package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
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

// idleEvery is how often Run checks whether messages arrived since the
// last check; when none did and some wait for their acknowledgement, the
// batch is written at once. The broker sends only so many unacknowledged
// QoS 1 messages (Mosquitto's max_inflight_messages, default 20) and then
// waits for acknowledgements, which come only after the commit: a broker
// that holds to its window would otherwise wait for the 100 ms tick, and
// one or two idle checks (5–10 ms) cost it a window instead.
const idleEvery = 5 * time.Millisecond

// Options are what a caller may add to the configuration file.
type Options struct {
	// Log receives the console's log (nil: discarded).
	Log *slog.Logger
	// Version is the software version, logged at start.
	Version string
	// Listener, when set, is where the web console is served instead of
	// cfg.Settings.Listen (a test passes one on port 0). Run closes it.
	Listener net.Listener
	// OnIncident, when set, is called with every incident change once it
	// is stored, from Run's goroutine (it must not block for long).
	OnIncident func(alerting.Incident)
}

// Console is the running control room: subscriber → fusion → store → web.
type Console struct {
	cfg     *configs.Console
	log     *slog.Logger
	version string
	st      *store.Store
	web     *web.Server
	sub     *subscribe.Subscriber
	ln      net.Listener
	prefix  string
	onInc   func(alerting.Incident)
	close   sync.Once

	flushMu sync.Mutex // one flush at a time, so batches commit in order
	mu      sync.Mutex // guards fusers, batch, acks and arrivals
	fusers  map[string]*fusion.Fuser
	batch   store.Batch
	// acks are the messages of the batch, acknowledged to the broker once
	// it is committed; arrivals counts handled messages (idle detection).
	acks     []subscribe.Message
	arrivals uint64
	changed  map[string]bool // incident ids in the batch
	sensors  map[string]bool // sensor ids in the batch
	// owned are the sites this instance raised sensor incidents for at
	// the last check (all of them without mqtt.share).
	owned   map[string]bool
	kick    chan struct{}
	publish func(topic string, payload []byte)
}

// New opens the store, declares the sites' sensors in it, builds a fuser
// per site, the web server and the subscriber, and listens for the web
// console. Nothing runs until Run; a Console that never runs must be
// Closed. Errors name the config file and the field.
func New(ctx context.Context, cfg *configs.Console, opt Options) (*Console, error) {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c := &Console{cfg: cfg, log: log, version: opt.Version, onInc: opt.OnIncident, fusers: map[string]*fusion.Fuser{},
		changed: map[string]bool{}, sensors: map[string]bool{}, owned: map[string]bool{}, kick: make(chan struct{}, 1), prefix: cfg.MQTT.Prefix}
	if c.prefix == "" {
		c.prefix = alerting.DefaultPrefix
	}
	fail := func(err error) (*Console, error) {
		if c.web != nil {
			c.web.Close()
		}
		if c.st != nil {
			c.st.Close()
		}
		if opt.Listener != nil {
			opt.Listener.Close()
		}
		return nil, err
	}
	st, err := store.Open(cfg.Settings.Store, store.Options{Retention: cfg.Settings.Retention.D(), Log: log.With("stage", "store")})
	if err != nil {
		return fail(fmt.Errorf("%s: console.store: %w", cfg.File(), err))
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
			return fail(fmt.Errorf("%s: %w", s.File(), err))
		}
		c.fusers[s.Name] = f
		p := webPlan(s)
		plan.Wings = append(plan.Wings, p.Wings...)
		plan.Sensors = append(plan.Sensors, p.Sensors...)
		for _, sn := range s.Sensors {
			w, _ := s.Wing(sn.Wing)
			if err := st.DeclareSensor(ctx, s.Name, sn.ID, sn.Wing, w.Building); err != nil {
				return fail(fmt.Errorf("%s: sensor %s: %w", s.File(), sn.ID, err))
			}
		}
	}
	if cfg.MQTT.Share == "" {
		for name := range c.fusers {
			c.owned[name] = true // from the start: nothing to bring in
		}
	}
	users := make([]web.User, len(cfg.Users))
	for i, u := range cfg.Users {
		users[i] = web.User(u)
	}
	c.web, err = web.New(web.Config{Site: siteName, Plan: plan, Users: users, SecureCookies: cfg.Settings.SecureCookies,
		SessionTTL: cfg.Settings.SessionTTL.D(), Log: log}, st)
	if err != nil {
		return fail(fmt.Errorf("%s: web: %w", cfg.File(), err))
	}
	sc := cfg.Subscribe()
	sc.ManualAck = true // acknowledged by flush, after the commit
	c.sub, err = subscribe.New(sc, handler{c}, log.With("stage", "mqtt"))
	if err != nil {
		return fail(fmt.Errorf("%s: mqtt: %w", cfg.File(), err))
	}
	if cfg.MQTT.PublishIncidents {
		c.publish = c.sub.Publish
	}
	c.ln = opt.Listener
	if c.ln == nil {
		c.ln, err = net.Listen("tcp", cfg.Settings.Listen)
		if err != nil {
			return fail(fmt.Errorf("%s: console.listen: %w", cfg.File(), err))
		}
	}
	return c, nil
}

// Addr is where the web console listens.
func (c *Console) Addr() net.Addr { return c.ln.Addr() }

// URL is the web console's address, http://host:port/.
func (c *Console) URL() string { return "http://" + c.ln.Addr().String() + "/" }

// Close releases what New opened, for a Console whose Run is never
// called (Run closes everything itself). It may be called more than once.
func (c *Console) Close() error {
	var err error
	c.close.Do(func() {
		c.ln.Close()
		c.web.Close()
		err = c.st.Close()
	})
	return err
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

// handler is the subscriber's view of the console: messages, and the last
// flush before the subscriber disconnects (so that the last batch is
// acknowledged on a live connection instead of being redelivered).
type handler struct{ c *Console }

func (h handler) Handle(m subscribe.Message, at time.Time) { h.c.handle(m, at) }
func (h handler) Flush()                                   { h.c.flush(context.Background()) }

// handle takes one message from the subscriber: the fuser turns it into
// incident changes, and everything goes into the next batch, whose commit
// acknowledges the message to the broker.
func (c *Console) handle(m subscribe.Message, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.fusers[m.Site]
	if f == nil {
		m.Ack() // not a site of ours: nothing to keep
		return
	}
	c.arrivals++
	if m.Burst != nil {
		m.Ack() // shown live, never stored (and sent at QoS 0)
	} else {
		c.acks = append(c.acks, m)
	}
	var incs []alerting.Incident
	switch {
	case m.Status != nil:
		c.batch.Statuses = append(c.batch.Statuses, m.Status)
		c.sensors[m.Sensor] = true
		incs = c.ours(m.Site, f.Status(m.Status, at))
	case m.Health != nil:
		c.batch.Healths = append(c.batch.Healths, m.Health)
		c.sensors[m.Sensor] = true
		incs = c.ours(m.Site, f.Health(m.Health, at))
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

// ours keeps the incident changes this instance reports for site: only
// the site's owner raises its sensor incidents. During a handover both
// instances receive the site's status and health, and after it the
// previous owner's fuser, no longer told, would find the sensors silent;
// neither may report a sensor. Phone incidents come from alerts, which
// reach only one instance; after a handover the previous owner still
// closes the ones it opened.
// (c.mu held.)
func (c *Console) ours(site string, incs []alerting.Incident) []alerting.Incident {
	if len(incs) == 0 || c.sub.Owns(site) {
		return incs
	}
	n := len(incs)
	incs = slices.DeleteFunc(incs, func(inc alerting.Incident) bool { return inc.Kind != alerting.IncidentPhone })
	if len(incs) < n {
		// Dropped while not the owner (maybe for a moment, as when the
		// connection comes back): advance brings the fuser's open sensor
		// incidents in once the site is ours again.
		c.owned[site] = false
	}
	return incs
}

// advance moves every fuser's clock to now (c.mu held). A site newly
// owned brings the sensor incidents its fuser holds open (a sensor silent
// since before the handover) into the store.
func (c *Console) advance(now time.Time) {
	for site, f := range c.fusers {
		owned := c.sub.Owns(site)
		if owned && !c.owned[site] {
			for _, inc := range f.Open() {
				if inc.Kind != alerting.IncidentPhone {
					c.addIncidents([]alerting.Incident{inc})
				}
			}
		}
		c.owned[site] = owned
		c.addIncidents(c.ours(site, f.Advance(now)))
	}
}

// addIncidents queues incident changes (c.mu held); a later change of the
// same incident in one batch replaces the earlier.
func (c *Console) addIncidents(incs []alerting.Incident) {
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

// flush writes the batch in one transaction, acknowledges its messages to
// the broker, then tells the browsers (and the broker, and OnIncident)
// about the incidents as stored.
func (c *Console) flush(ctx context.Context) {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	c.mu.Lock()
	if c.batch.Len() == 0 {
		// Messages that changed nothing to store (an alert the fusion
		// ignored) have nothing to wait for.
		acks := c.acks
		c.acks = nil
		c.mu.Unlock()
		ackAll(acks)
		return
	}
	b := c.batch
	c.batch = store.Batch{}
	acks := c.acks
	c.acks = make([]subscribe.Message, 0, len(acks))
	changed, sensors := c.changed, c.sensors
	c.changed, c.sensors = map[string]bool{}, map[string]bool{}
	c.mu.Unlock()
	if _, err := c.st.Ingest(ctx, &b); err != nil {
		// A batch the store refuses names the bad message; the rest of
		// the console keeps running. Its messages are acknowledged all
		// the same: the store's checks would refuse them again on every
		// redelivery, and unacknowledged they would hold the broker's
		// in-flight window shut.
		c.log.Error("store refused a batch; its messages are lost", "err", err, "messages", len(acks))
		ackAll(acks)
		return
	}
	ackAll(acks)
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
		if c.onInc != nil {
			c.onInc(inc)
		}
	}
	for id := range sensors {
		c.web.SensorChanged(id)
	}
}

// ackAll acknowledges msgs to the broker in arrival order (MQTT 3.1.1
// asks for PUBACKs in the order of the PUBLISHes).
func ackAll(msgs []subscribe.Message) {
	for _, m := range msgs {
		m.Ack()
	}
}

// Run serves the web console and takes the sensors' messages until ctx
// ends; then it stops the subscriber, writes the last batch, ends the
// browsers' live streams, shuts the web server down (2 s at most) and
// closes the store. It returns nil after a clean stop.
func (c *Console) Run(ctx context.Context) error {
	defer c.Close()
	mux := http.NewServeMux()
	mux.Handle("/", c.web.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(c.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.log.Error("web server stopped", "err", err)
		}
	}()
	c.log.Info("console running", "version", c.version, "url", c.URL(), "broker", c.cfg.MQTT.Broker, "store", c.cfg.Settings.Store, "sites", len(c.fusers))
	subDone := make(chan error, 1)
	go func() { subDone <- c.sub.Run(ctx) }()

	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	advance := time.NewTicker(time.Second)
	defer advance.Stop()
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	idle := time.NewTicker(idleEvery)
	defer idle.Stop()
	var seen uint64 // arrivals at the last idle check
	for {
		select {
		case <-ctx.Done():
			<-subDone
			c.flush(context.WithoutCancel(ctx))
			// Closing the web server first ends the live-update streams,
			// which Shutdown would otherwise wait for.
			c.web.Close()
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err := srv.Shutdown(sctx)
			cancel()
			if err != nil {
				c.log.Warn("web server shutdown", "err", err)
			}
			c.log.Info("console stopped")
			return nil
		case <-tick.C:
			c.flush(ctx)
		case <-c.kick:
			c.flush(ctx)
		case <-idle.C:
			c.mu.Lock()
			quiet := c.arrivals == seen && len(c.acks) > 0
			seen = c.arrivals
			c.mu.Unlock()
			if quiet {
				c.flush(ctx)
			}
		case now := <-advance.C:
			c.mu.Lock()
			c.advance(now)
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
