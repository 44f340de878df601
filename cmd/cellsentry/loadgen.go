package main

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/mqttpub"
)

func init() {
	register("loadgen", "simulate N sensors' status, health and alert traffic against a broker; measure alert-to-console latency", runLoadgen)
}

// loadConfig is what loadgen was asked to do.
type loadConfig struct {
	broker, prefix, site, mode string
	sensors, perSite, conns    int
	// alertRate is new alerts per second over all sensors; each alert is
	// raised, updated `updates` times every updateEvery, then cleared.
	alertRate   float64
	updates     int
	updateEvery time.Duration
	healthEvery time.Duration
	duration    time.Duration
	// inflight bounds the QoS 1 messages awaiting PUBACK per connection:
	// beyond it the connection's schedule waits (and lag is reported).
	inflight int
	latency  bool
	wait     time.Duration // after the run, how long to wait for the last incidents
	offline  bool          // publish offline statuses at the end
	record   string        // file of alert events the broker acknowledged (JSON lines)
	seed     uint64

	username, passwordFile, caFile, certFile, keyFile, serverName string
}

// loadSensor is one simulated sensor.
type loadSensor struct {
	origin alerting.Origin
	seq    int // alerts raised so far
}

// loadgenTick is how often each connection looks at its schedule when
// there are at most 100 connections: health and lifecycle events are sent
// at most this late (plus the lag when the broker holds PUBACKs back).
// More connections look proportionally less often (at most once a second),
// so that 10,000 of them wake up 10,000 times a second, not a million.
const loadgenTick = 10 * time.Millisecond

// tick is the schedule period of one connection.
func (c *loadConfig) tick() time.Duration {
	return min(loadgenTick*time.Duration((c.conns+99)/100), time.Second)
}

func runLoadgen(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "loadgen", "--broker URL --sensors N [flags]  |  --write-sites DIR --sensors N")
	var c loadConfig
	fs.StringVar(&c.broker, "broker", "", "broker `URL` (tcp://host:1883, ssl://host:8883)")
	fs.IntVar(&c.sensors, "sensors", 100, "simulated sensors `N`")
	fs.StringVar(&c.site, "site", "loadgen", "site name `S`: sensors are spread over sites S-0001, S-0002, … of --per-site sensors each")
	fs.IntVar(&c.perSite, "per-site", 25, "sensors per site (a prison has a few dozen)")
	fs.IntVar(&c.conns, "connections", 0, "broker connections the sensors are multiplexed over (default one per 100 sensors; N: one per sensor, each with its own last will)")
	fs.Float64Var(&c.alertRate, "alert-rate", -1, "new alerts per second over all sensors (default sensors/600: one alert per sensor every 10 min)")
	fs.IntVar(&c.updates, "updates", 2, "updated events per alert between raised and cleared")
	fs.DurationVar(&c.updateEvery, "update-every", 5*time.Second, "time between an alert's lifecycle events")
	fs.DurationVar(&c.healthEvery, "health-every", time.Minute, "health period of each sensor (the sensors' mqtt.health_interval)")
	fs.DurationVar(&c.duration, "duration", time.Minute, "how long to send (alerts still open then are cleared at once)")
	fs.StringVar(&c.prefix, "prefix", alerting.DefaultPrefix, "topic prefix")
	fs.StringVar(&c.mode, "mode", alerting.ModeExercise, "alert mode: actual, test or exercise (load must not count as real alerts)")
	fs.IntVar(&c.inflight, "inflight", 1000, "QoS 1 messages awaiting PUBACK per connection before its schedule waits")
	fs.BoolVar(&c.latency, "latency", false, "subscribe to <prefix>/+/incident and measure alert-to-console latency (console publish_incidents must be on)")
	fs.DurationVar(&c.wait, "wait", 5*time.Second, "with --latency: how long to wait for the last incidents after sending")
	fs.BoolVar(&c.offline, "offline", true, "publish each sensor's offline status (retained) at the end, as a clean stop does")
	fs.StringVar(&c.record, "record", "", "write every alert event the broker acknowledged to `FILE` (JSON lines: site, sensor, id, rev, state)")
	fs.Uint64Var(&c.seed, "seed", 1, "random seed (frequencies, levels, alert times)")
	fs.StringVar(&c.username, "username", "", "broker user name (multiplexed sensors share it: the broker ACL must let it write under <prefix>/)")
	fs.StringVar(&c.passwordFile, "password-file", "", "`FILE` holding the broker password on its first line")
	fs.StringVar(&c.caFile, "ca-file", "", "PEM `FILE` of the CA that signed the broker's certificate (ssl://)")
	fs.StringVar(&c.certFile, "cert-file", "", "client certificate PEM `FILE` for mutual TLS")
	fs.StringVar(&c.keyFile, "key-file", "", "client key PEM `FILE` for mutual TLS")
	fs.StringVar(&c.serverName, "server-name", "", "name the broker's certificate must carry (default: the broker's host)")
	writeSites := fs.String("write-sites", "", "write the site plans of the simulated sensors into `DIR` (one YAML per site, for the console's sites list) and exit")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: loadgen takes no arguments, got %q", errUsage, fs.Args())
	}
	if err := c.check(*writeSites != ""); err != nil {
		return fmt.Errorf("%w: loadgen: %v", errUsage, err)
	}
	sensors := loadSensors(&c)
	if *writeSites != "" {
		files, err := writeSitePlans(*writeSites, &c, sensors)
		if err != nil {
			return fmt.Errorf("loadgen: %w", err)
		}
		for _, f := range files {
			fmt.Fprintln(e.stdout, f)
		}
		return nil
	}
	rep, err := runLoad(ctx, &c, sensors, e.stderr, e.log)
	if rep != nil {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if werr := enc.Encode(rep); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// check validates the flags and fills the defaults.
func (c *loadConfig) check(sitesOnly bool) error {
	switch {
	case c.sensors < 1 || c.sensors > 1_000_000:
		return fmt.Errorf("--sensors %d: want 1 to 1000000", c.sensors)
	case c.perSite < 1 || c.perSite > 1000:
		return fmt.Errorf("--per-site %d: want 1 to 1000", c.perSite)
	case alerting.CheckName(c.site) != nil:
		return fmt.Errorf("--site: %v", alerting.CheckName(c.site))
	}
	if sitesOnly {
		return nil
	}
	if c.conns == 0 {
		c.conns = (c.sensors + 99) / 100
	}
	if c.alertRate < 0 {
		c.alertRate = float64(c.sensors) / 600
	}
	switch {
	case c.broker == "":
		return errors.New("--broker is required")
	case c.conns < 1 || c.conns > c.sensors:
		return fmt.Errorf("--connections %d: want 1 to --sensors (%d)", c.conns, c.sensors)
	case c.alertRate > 1e6 || math.IsNaN(c.alertRate):
		return fmt.Errorf("--alert-rate %g: want 0 to 1e6 per second", c.alertRate)
	case c.updates < 0 || c.updates > 1000:
		return fmt.Errorf("--updates %d: want 0 to 1000", c.updates)
	case c.updateEvery <= 0:
		return fmt.Errorf("--update-every %v: want a positive duration", c.updateEvery)
	case c.healthEvery < time.Second:
		return fmt.Errorf("--health-every %v: want 1s or more", c.healthEvery)
	case c.duration <= 0:
		return fmt.Errorf("--duration %v: want a positive duration", c.duration)
	case c.inflight < 1:
		return fmt.Errorf("--inflight %d: want 1 or more", c.inflight)
	case c.mode != alerting.ModeActual && c.mode != alerting.ModeTest && c.mode != alerting.ModeExercise:
		return fmt.Errorf("--mode %q: want actual, test or exercise", c.mode)
	case (c.certFile == "") != (c.keyFile == ""):
		return errors.New("--cert-file and --key-file go together")
	}
	return nil
}

// loadSensors names the simulated sensors: sensor i is "s-<i>" in site
// "<site>-<i / per-site + 1>", in wing "w<k>" of four sensors, placed on a
// line 5 m apart (as writeSitePlans draws them).
func loadSensors(c *loadConfig) []loadSensor {
	s := make([]loadSensor, c.sensors)
	for i := range s {
		j := i % c.perSite
		s[i].origin = alerting.Origin{
			Site: loadSiteName(c.site, i/c.perSite), Sensor: fmt.Sprintf("s-%05d", i+1),
			// Wing names are unique over the sites: one console draws
			// every site it serves.
			Building: "B", Wing: fmt.Sprintf("%04d-w%d", i/c.perSite+1, j/4+1),
			Position: &alerting.Position{X: 2.5 + 5*float64(j), Y: 7},
		}
	}
	return s
}

func loadSiteName(base string, k int) string { return fmt.Sprintf("%s-%04d", base, k+1) }

// writeSitePlans writes one site plan per simulated site (the console
// fuses only the alerts of sensors its plans declare) and returns the
// files written.
func writeSitePlans(dir string, c *loadConfig, sensors []loadSensor) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write sites: %w", err)
	}
	var files []string
	for lo := 0; lo < len(sensors); lo += c.perSite {
		hi := min(lo+c.perSite, len(sensors))
		site := sensors[lo].origin.Site
		var b strings.Builder
		fmt.Fprintf(&b, "# written by cellsentry loadgen: %d simulated sensors, wings of four along one corridor\n", hi-lo)
		fmt.Fprintf(&b, "name: %s\nbuildings:\n  - name: B\n    floors: 1\nwings:\n", site)
		wings := (hi - lo + 3) / 4
		for w := range wings {
			x0 := 20 * float64(w)
			fmt.Fprintf(&b, "  - name: %04d-w%d\n    building: B\n    floor: 0\n    polygon: [[%g, 0], [%g, 0], [%g, 14], [%g, 14]]\n", lo/c.perSite+1, w+1, x0, x0+20, x0+20, x0)
		}
		b.WriteString("sensors:\n")
		for _, s := range sensors[lo:hi] {
			fmt.Fprintf(&b, "  - id: %s\n    wing: %s\n    position: {x: %g, y: %g}\n", s.origin.Sensor, s.origin.Wing, s.origin.Position.X, s.origin.Position.Y)
		}
		f := filepath.Join(dir, site+".yaml")
		if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
			return nil, fmt.Errorf("write sites: %w", err)
		}
		files = append(files, f)
	}
	return files, nil
}

// LoadReport is what loadgen prints at the end (JSON on stdout).
type LoadReport struct {
	Sensors     int     `json:"sensors"`
	Sites       int     `json:"sites"`
	Connections int     `json:"connections"`
	DurationS   float64 `json:"duration_s"`
	// Sent counts the messages the broker acknowledged (QoS 1), by kind.
	Sent     map[string]int64 `json:"sent"`
	Failed   int64            `json:"failed"`
	MsgsPerS float64          `json:"msgs_per_s"`
	MaxLagMS float64          `json:"max_lag_ms"` // worst delay of a scheduled message behind its time
	AlertsBy map[string]int64 `json:"alerts_by_state"`
	Latency  *LatencyReport   `json:"latency,omitempty"`
}

// LatencyReport is the time from an alert event's PUBACK at loadgen to the
// first incident message that shows it (the console publishes an incident
// after its store committed it): alert → broker → console → store →
// broker → loadgen.
type LatencyReport struct {
	Events    int64   `json:"events"`    // raised and updated events sent
	Seen      int64   `json:"seen"`      // of which seen in an incident
	P50MS     float64 `json:"p50_ms"`    // median
	P99MS     float64 `json:"p99_ms"`    // 99th percentile
	MaxMS     float64 `json:"max_ms"`    // worst
	Incidents int64   `json:"incidents"` // incident messages received
}

// loadStats are shared by the connections.
type loadStats struct {
	sent    [4]atomic.Int64 // status, health, alert raised/updated, alert cleared → see kindIndex
	failed  atomic.Int64
	raised  atomic.Int64
	updated atomic.Int64
	cleared atomic.Int64
	maxLag  atomic.Int64 // ns

	mu        sync.Mutex
	pending   map[string]time.Time // "<alert id>/<bursts>" → PUBACK time
	lat       []time.Duration
	events    int64
	incidents int64
	rec       *bufio.Writer
	recErr    error
}

const (
	sentStatus = iota
	sentHealth
	sentAlert
)

func (s *loadStats) lag(d time.Duration) {
	for {
		old := s.maxLag.Load()
		if int64(d) <= old || s.maxLag.CompareAndSwap(old, int64(d)) {
			return
		}
	}
}

// runLoad connects, sends for c.duration (or until ctx ends), stops
// cleanly and reports.
func runLoad(ctx context.Context, c *loadConfig, sensors []loadSensor, progress io.Writer, log *slog.Logger) (*LoadReport, error) {
	st := &loadStats{pending: map[string]time.Time{}}
	if c.record != "" {
		f, err := os.Create(c.record)
		if err != nil {
			return nil, fmt.Errorf("loadgen: --record: %w", err)
		}
		defer f.Close()
		st.rec = bufio.NewWriter(f)
	}
	var watcher mqtt.Client
	if c.latency {
		var err error
		if watcher, err = c.connect(fmt.Sprintf("loadgen-%d-watch", os.Getpid()), nil); err != nil {
			return nil, err
		}
		defer watcher.Disconnect(250)
		tok := watcher.Subscribe(c.prefix+"/+/incident", 1, func(_ mqtt.Client, m mqtt.Message) { st.incident(m.Payload(), time.Now()) })
		if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			return nil, fmt.Errorf("loadgen: subscribe to incidents: %v", tok.Error())
		}
	}
	conns := make([]*loadConn, c.conns)
	for i := range conns {
		lo, hi := i*len(sensors)/c.conns, (i+1)*len(sensors)/c.conns
		lc := &loadConn{cfg: c, st: st, sensors: sensors[lo:hi], rng: rand.New(rand.NewPCG(c.seed, uint64(i))),
			share: float64(hi-lo) / float64(len(sensors))}
		var err error
		lc.client, err = c.connect(fmt.Sprintf("loadgen-%d-%d", os.Getpid(), i), lc.will())
		if err != nil {
			for _, p := range conns[:i] {
				p.client.Disconnect(250)
			}
			return nil, err
		}
		conns[i] = lc
	}
	log.Info("loadgen connected", "broker", c.broker, "sensors", len(sensors), "connections", len(conns), "alert_rate", c.alertRate, "health_every", c.healthEvery)
	start := time.Now()
	runCtx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	var wg sync.WaitGroup
	for _, lc := range conns {
		wg.Add(1)
		go func() { defer wg.Done(); lc.run(runCtx, start) }()
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				n := st.sent[sentStatus].Load() + st.sent[sentHealth].Load() + st.sent[sentAlert].Load()
				fmt.Fprintf(progress, "loadgen: %5.0fs %d messages (%.0f/s), %d failed, lag max %v\n",
					now.Sub(start).Seconds(), n, float64(n)/now.Sub(start).Seconds(), st.failed.Load(), time.Duration(st.maxLag.Load()).Round(time.Millisecond))
			}
		}
	}()
	wg.Wait()
	close(done)
	elapsed := time.Since(start)
	if c.latency {
		// Incidents of the last events are published at the console's
		// next flush; wait for them, and not longer than asked.
		deadline := time.Now().Add(c.wait)
		for time.Now().Before(deadline) {
			st.mu.Lock()
			left := len(st.pending)
			st.mu.Unlock()
			if left == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, lc := range conns {
		lc.client.Disconnect(250)
	}
	rep := st.report(c, elapsed, len(sensors))
	if st.rec != nil {
		if err := st.rec.Flush(); err != nil && st.recErr == nil {
			st.recErr = err
		}
		if st.recErr != nil {
			return rep, fmt.Errorf("loadgen: --record %s: %w", c.record, st.recErr)
		}
	}
	if err := ctx.Err(); err != nil && !errors.Is(err, context.Canceled) {
		return rep, err
	}
	return rep, nil
}

// connect opens one broker connection (MQTT 3.1.1, clean session: a
// loadgen keeps nothing across runs).
func (c *loadConfig) connect(id string, will *alerting.Status) (mqtt.Client, error) {
	o := mqtt.NewClientOptions().AddBroker(c.broker).SetClientID(id).SetProtocolVersion(4).
		SetCleanSession(true).SetAutoReconnect(true).SetConnectTimeout(10 * time.Second).
		SetKeepAlive(30 * time.Second).SetOrderMatters(false).SetWriteTimeout(10 * time.Second)
	if u, err := urlScheme(c.broker); err == nil && (u == "ssl" || u == "tls" || u == "mqtts" || u == "wss") {
		tc, err := mqttpub.TLSConfig(mqttpub.Config{Broker: c.broker, CAFile: c.caFile, CertFile: c.certFile, KeyFile: c.keyFile, ServerName: c.serverName})
		if err != nil {
			return nil, fmt.Errorf("loadgen: %w", err)
		}
		o.SetTLSConfig(tc)
	}
	if c.username != "" {
		pw := ""
		if c.passwordFile != "" {
			p, err := mqttpub.ReadPassword(c.passwordFile)
			if err != nil {
				return nil, fmt.Errorf("loadgen: --password-file: %w", err)
			}
			pw = p
		}
		o.SetUsername(c.username).SetPassword(pw)
	}
	if will != nil {
		data, _ := json.Marshal(will)
		o.SetBinaryWill(alerting.Topic(c.prefix, will.Site, will.Sensor, alerting.KindStatus), data, 1, true)
	}
	cl := mqtt.NewClient(o)
	tok := cl.Connect()
	if !tok.WaitTimeout(15 * time.Second) {
		return nil, fmt.Errorf("loadgen: connect %s as %s: no CONNACK after 15 s", c.broker, id)
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("loadgen: connect %s as %s: %w", c.broker, id, err)
	}
	return cl, nil
}

func urlScheme(u string) (string, error) {
	s, _, ok := strings.Cut(u, "://")
	if !ok {
		return "", fmt.Errorf("%q has no scheme", u)
	}
	return strings.ToLower(s), nil
}

// incident matches the sensors an incident lists against the alert events
// waiting for their console: the first incident showing an event gives its
// latency.
func (s *loadStats) incident(payload []byte, at time.Time) {
	var inc alerting.Incident
	if err := json.Unmarshal(payload, &inc); err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.incidents++
	for _, h := range inc.Sensors {
		k := latencyKey(h.AlertID, h.Bursts)
		if t, ok := s.pending[k]; ok {
			s.lat = append(s.lat, at.Sub(t))
			delete(s.pending, k)
		}
	}
}

// latencyKey names an alert event as an incident shows it: the alert id
// and its burst count, which loadgen makes distinct for every rev.
func latencyKey(id string, bursts int) string { return fmt.Sprintf("%s/%d", id, bursts) }

func (s *loadStats) report(c *loadConfig, elapsed time.Duration, sensors int) *LoadReport {
	r := &LoadReport{
		Sensors: sensors, Sites: (sensors + c.perSite - 1) / c.perSite, Connections: c.conns,
		DurationS: elapsed.Seconds(),
		Sent: map[string]int64{
			alerting.KindStatus: s.sent[sentStatus].Load(), alerting.KindHealth: s.sent[sentHealth].Load(), alerting.KindAlert: s.sent[sentAlert].Load(),
		},
		Failed:   s.failed.Load(),
		MaxLagMS: float64(s.maxLag.Load()) / 1e6,
		AlertsBy: map[string]int64{
			alerting.StateRaised: s.raised.Load(), alerting.StateUpdated: s.updated.Load(), alerting.StateCleared: s.cleared.Load(),
		},
	}
	var n int64
	for _, v := range r.Sent {
		n += v
	}
	r.MsgsPerS = float64(n) / elapsed.Seconds()
	if c.latency {
		s.mu.Lock()
		defer s.mu.Unlock()
		lat := slices.Clone(s.lat)
		slices.Sort(lat)
		r.Latency = &LatencyReport{Events: s.events, Seen: int64(len(lat)), Incidents: s.incidents,
			P50MS: quantileMS(lat, 0.50), P99MS: quantileMS(lat, 0.99)}
		if len(lat) > 0 {
			r.Latency.MaxMS = float64(lat[len(lat)-1]) / 1e6
		}
	}
	return r
}

// quantileMS is the q-quantile of sorted durations in milliseconds (the
// nearest rank: the smallest value with at least q of the values at or
// below it); 0 for none (Seen says so).
func quantileMS(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / 1e6
}

// loadConn is one broker connection carrying a slice of the sensors.
type loadConn struct {
	cfg     *loadConfig
	st      *loadStats
	client  mqtt.Client
	sensors []loadSensor
	rng     *rand.Rand
	share   float64 // of the total alert rate

	healthSent int
	nextBirth  time.Time
	events     lifeHeap
	inflight   []inflightMsg
}

type inflightMsg struct {
	tok   mqtt.Token
	kind  int
	alert *alerting.Alert // for the record and the latency
}

// lifeEvent is an alert's next lifecycle event.
type lifeEvent struct {
	at time.Time
	a  *alerting.Alert
}

type lifeHeap []lifeEvent

func (h lifeHeap) Len() int           { return len(h) }
func (h lifeHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h lifeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *lifeHeap) Push(x any)        { *h = append(*h, x.(lifeEvent)) }
func (h *lifeHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// will is the connection's last will: the offline status of its first
// sensor (MQTT gives one will per connection; with --connections equal to
// --sensors every sensor has its own, as real sensors do).
func (lc *loadConn) will() *alerting.Status {
	s := lc.sensors[0]
	return &alerting.Status{Schema: alerting.SchemaStatus, Origin: s.origin, State: "offline", Time: time.Now().UTC(), Version: "loadgen", Reason: "connection lost"}
}

func (lc *loadConn) run(ctx context.Context, start time.Time) {
	now := time.Now()
	for i := range lc.sensors {
		lc.publish(now, sentStatus, &lc.sensors[i].origin, lc.status(i, "online", "", now), nil)
	}
	lc.nextBirth = start.Add(lc.birthGap())
	// Connections start their ticks spread over one period.
	time.Sleep(time.Duration(lc.rng.Int64N(int64(lc.cfg.tick()))))
	t := time.NewTicker(lc.cfg.tick())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			lc.finish()
			return
		case now = <-t.C:
		}
		// Health: sensor k of this connection is due at start + (k + n·m)·H/n.
		n := len(lc.sensors)
		due := int(float64(now.Sub(start)) / float64(lc.cfg.healthEvery) * float64(n))
		for ; lc.healthSent < due; lc.healthSent++ {
			at := start.Add(time.Duration(float64(lc.healthSent) / float64(n) * float64(lc.cfg.healthEvery)))
			lc.publish(at, sentHealth, &lc.sensors[lc.healthSent%n].origin, lc.health(lc.healthSent%n, at, start), nil)
			if ctx.Err() != nil {
				break
			}
		}
		for !lc.nextBirth.IsZero() && !lc.nextBirth.After(now) && ctx.Err() == nil {
			lc.raise(lc.nextBirth)
			lc.nextBirth = lc.nextBirth.Add(lc.birthGap())
		}
		for len(lc.events) > 0 && !lc.events[0].at.After(now) && ctx.Err() == nil {
			ev := heap.Pop(&lc.events).(lifeEvent)
			lc.advance(ev)
		}
	}
}

// birthGap is the exponential time to the connection's next new alert
// (a Poisson process of rate share·alertRate); zero rate: never.
func (lc *loadConn) birthGap() time.Duration {
	r := lc.share * lc.cfg.alertRate
	if r <= 0 {
		return 1 << 62
	}
	return time.Duration(lc.rng.ExpFloat64() / r * float64(time.Second))
}

// raise starts an alert on a random sensor of the connection.
func (lc *loadConn) raise(at time.Time) {
	k := lc.rng.IntN(len(lc.sensors))
	s := &lc.sensors[k]
	s.seq++
	ch := lc.rng.IntN(174) // E-GSM900 uplink 880.2 .. 914.8 MHz, 200 kHz raster
	freq := 880.2e6 + 200e3*float64(ch)
	p := -95 + 40*lc.rng.Float64()
	t := at.UTC()
	a := &alerting.Alert{
		Schema: alerting.SchemaAlert, Origin: s.origin,
		// The sensor's format (<site>.<sensor>-<class>-<time>-<kHz>) plus a
		// per-sensor counter: distinct even when one sensor raises two in
		// a millisecond.
		ID:    fmt.Sprintf("%s.%s-gsm-%s.%03dZ-%d-%d", s.origin.Site, s.origin.Sensor, t.Format("20060102T150405"), t.Nanosecond()/1e6, int64(freq/1e3), s.seq),
		State: alerting.StateRaised, Mode: lc.cfg.mode, Time: t,
		Class: "gsm", Kind: "call", FreqHz: freq, FreqsHz: []float64{freq}, BandwidthHz: 200e3,
		FirstSeen: t.Add(-2 * time.Second), LastSeen: t, Bursts: 40,
		PowerDBm: alerting.Level(math.Round(p*10) / 10), RecentDBm: alerting.Level(math.Round((p-1)*10) / 10),
		PowerDBFS: alerting.Level(math.Round((p+60)*10) / 10), SNR: alerting.Level(math.Round((p+110)*10) / 10),
		Confidence: 0.9,
	}
	lc.publishAlert(at, a)
	heap.Push(&lc.events, lifeEvent{at: at.Add(lc.cfg.updateEvery), a: a})
}

// advance sends an alert's next event: updated, or cleared after the last
// update.
func (lc *loadConn) advance(ev lifeEvent) {
	b := *ev.a
	b.Rev++
	b.Time = ev.at.UTC()
	b.LastSeen = b.Time
	b.Bursts += 40 // distinct per rev: the latency is matched on (id, bursts)
	b.State = alerting.StateUpdated
	if b.Rev > lc.cfg.updates {
		b.State = alerting.StateCleared
	}
	lc.publishAlert(ev.at, &b)
	if b.State != alerting.StateCleared {
		heap.Push(&lc.events, lifeEvent{at: ev.at.Add(lc.cfg.updateEvery), a: &b})
	}
}

// finish clears the alerts still open and says the sensors are offline,
// as sensors that stop cleanly do, then waits for the acknowledgements.
func (lc *loadConn) finish() {
	now := time.Now()
	for len(lc.events) > 0 {
		ev := heap.Pop(&lc.events).(lifeEvent)
		b := *ev.a
		b.Rev++
		b.Time, b.LastSeen = now.UTC(), now.UTC()
		b.Bursts += 40
		b.State = alerting.StateCleared
		lc.publishAlert(now, &b)
	}
	if lc.cfg.offline {
		for i := range lc.sensors {
			lc.publish(now, sentStatus, &lc.sensors[i].origin, lc.status(i, "offline", "shutdown", now), nil)
		}
	}
	for len(lc.inflight) > 0 {
		lc.settle()
	}
}

func (lc *loadConn) publishAlert(at time.Time, a *alerting.Alert) {
	data, err := json.Marshal(a)
	if err != nil {
		lc.st.failed.Add(1)
		return
	}
	lc.publish(at, sentAlert, &a.Origin, data, a)
}

func (lc *loadConn) status(i int, state, reason string, now time.Time) []byte {
	s := alerting.Status{Schema: alerting.SchemaStatus, Origin: lc.sensors[i].origin, State: state, Time: now.UTC(), Version: "loadgen", Reason: reason}
	data, _ := json.Marshal(&s)
	return data
}

// health is a plausible health message of a sensor that hears a quiet
// wing: one dongle streaming 2.4 MS/s since start, floors near −100 dBFS.
func (lc *loadConn) health(i int, at, start time.Time) []byte {
	up := at.Sub(start).Seconds() + 3600
	o := lc.sensors[i].origin
	h := alerting.Health{
		Schema: alerting.SchemaHealth, Origin: o, Time: at.UTC(), Version: "loadgen", UptimeS: math.Round(up),
		ConfigHash: "loadgen", Mode: lc.cfg.mode, State: "ok",
		Sources: []alerting.SourceHealth{{Name: "dongle0", State: "streaming", Samples: int64(up * 2.4e6)}},
		Bands: []alerting.BandHealth{
			{Band: "gsm900-ul", CenterHz: 897.6e6, FloorDBFS: alerting.Level(-101.5 + lc.rng.Float64())},
			{Band: "b20-ul", CenterHz: 847e6, FloorDBFS: alerting.Level(-102 + lc.rng.Float64())},
		},
		Bursts: map[string]int64{"gsm": int64(lc.sensors[i].seq) * 160},
	}
	data, _ := json.Marshal(&h)
	return data
}

// publish sends one QoS 1 message (status and health retained, as the
// sensors send them) on the topic of origin's kind, first waiting for the
// oldest PUBACK when c.inflight are outstanding. at is when the schedule
// wanted it sent.
func (lc *loadConn) publish(at time.Time, kind int, origin *alerting.Origin, data []byte, a *alerting.Alert) {
	for len(lc.inflight) >= lc.cfg.inflight {
		lc.settle()
	}
	now := time.Now()
	lc.st.lag(now.Sub(at))
	k := alerting.KindAlert
	switch kind {
	case sentStatus:
		k = alerting.KindStatus
	case sentHealth:
		k = alerting.KindHealth
	}
	if a != nil && lc.cfg.latency && a.State != alerting.StateCleared {
		// Registered before the publish: the incident may come back
		// before paho returns.
		lc.st.mu.Lock()
		lc.st.pending[latencyKey(a.ID, a.Bursts)] = now
		lc.st.events++
		lc.st.mu.Unlock()
	}
	tok := lc.client.Publish(alerting.Topic(lc.cfg.prefix, origin.Site, origin.Sensor, k), 1, a == nil, data)
	lc.inflight = append(lc.inflight, inflightMsg{tok: tok, kind: kind, alert: a})
	// Settle what has completed without waiting, oldest first.
	for len(lc.inflight) > 0 {
		select {
		case <-lc.inflight[0].tok.Done():
			lc.settle()
			continue
		default:
		}
		break
	}
}

// settle waits for the oldest message in flight and counts it.
func (lc *loadConn) settle() {
	m := lc.inflight[0]
	lc.inflight[0] = inflightMsg{}
	lc.inflight = lc.inflight[1:]
	if !m.tok.WaitTimeout(30*time.Second) || m.tok.Error() != nil {
		lc.st.failed.Add(1)
		if a := m.alert; a != nil && lc.cfg.latency {
			lc.st.mu.Lock()
			if _, ok := lc.st.pending[latencyKey(a.ID, a.Bursts)]; ok {
				delete(lc.st.pending, latencyKey(a.ID, a.Bursts))
				lc.st.events--
			}
			lc.st.mu.Unlock()
		}
		return
	}
	lc.st.sent[m.kind].Add(1)
	a := m.alert
	if a == nil {
		return
	}
	switch a.State {
	case alerting.StateRaised:
		lc.st.raised.Add(1)
	case alerting.StateUpdated:
		lc.st.updated.Add(1)
	default:
		lc.st.cleared.Add(1)
	}
	if lc.st.rec == nil {
		return
	}
	lc.st.mu.Lock()
	defer lc.st.mu.Unlock()
	if lc.st.rec != nil && lc.st.recErr == nil {
		line, _ := json.Marshal(loadRecord{Site: a.Site, Sensor: a.Sensor, ID: a.ID, Rev: a.Rev, State: a.State})
		line = append(line, '\n')
		if _, err := lc.st.rec.Write(line); err != nil {
			lc.st.recErr = err
		}
	}
}

// loadRecord is one line of --record.
type loadRecord struct {
	Site   string `json:"site"`
	Sensor string `json:"sensor"`
	ID     string `json:"id"`
	Rev    int    `json:"rev"`
	State  string `json:"state"`
}
