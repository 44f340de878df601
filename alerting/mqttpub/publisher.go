package mqttpub

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/queue"
)

// Queue is the durable store of alerts the publisher needs
// (alerting/queue.Queue): Append stores a record durably before it
// returns; Pending lists the unacknowledged records with Seq > after in
// Seq order, each Data freshly allocated; Ack removes one; Notify is
// signalled after each Append. It must stay open until Run has returned.
type Queue interface {
	Append(data []byte, droppable bool) (uint64, error)
	Pending(dst []queue.Record, after uint64, max int) ([]queue.Record, error)
	Ack(seq uint64) error
	Notify() <-chan struct{}
}

// stableAfter is how long a connection must have lasted for the backoff to
// start again from its minimum. A connection that the broker drops at once
// (two sensors sharing a client id kick each other off) keeps backing off.
const stableAfter = 10 * time.Second

// Publisher sends a sensor's messages to the broker. Enqueue, PublishHealth,
// PublishBurst, State and Stats may be called from any goroutine, also
// while Run is not running.
type Publisher struct {
	cfg   Config
	isTLS bool
	q     Queue
	log   *slog.Logger

	topicStatus, topicHealth, topicAlert, topicBurst string

	health chan []byte // capacity 1: the latest health message only
	bursts chan []byte // capacity cfg.BurstBuffer

	connected atomic.Bool
	running   atomic.Bool
	stats     counters

	mu    sync.Mutex
	state State

	// Owned by Run's goroutine.
	maxSent uint64         // highest Seq ever published, to count resends
	recs    []queue.Record // reused by Pending
	flight  []inflight     // published, awaiting PUBACK, in Seq order
}

// New checks the configuration, fills its defaults and reads the
// credential files once, so that a missing file is reported at start
// rather than as a connection failure. log may be nil.
func New(cfg Config, q Queue, log *slog.Logger) (*Publisher, error) {
	if q == nil {
		return nil, errors.New("mqttpub: no queue")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.fill(); err != nil {
		return nil, fmt.Errorf("mqttpub: config: %w", err)
	}
	_, isTLS, _ := parseBroker(cfg.Broker)
	p := &Publisher{
		cfg:         cfg,
		isTLS:       isTLS,
		q:           q,
		log:         log.With("stage", "mqtt"),
		topicStatus: alerting.Topic(cfg.Prefix, cfg.Origin.Site, cfg.Origin.Sensor, alerting.KindStatus),
		topicHealth: alerting.Topic(cfg.Prefix, cfg.Origin.Site, cfg.Origin.Sensor, alerting.KindHealth),
		topicAlert:  alerting.Topic(cfg.Prefix, cfg.Origin.Site, cfg.Origin.Sensor, alerting.KindAlert),
		topicBurst:  alerting.Topic(cfg.Prefix, cfg.Origin.Site, cfg.Origin.Sensor, alerting.KindBurst),
		health:      make(chan []byte, 1),
		bursts:      make(chan []byte, cfg.BurstBuffer),
		recs:        make([]queue.Record, 0, cfg.Inflight),
		flight:      make([]inflight, 0, cfg.Inflight),
	}
	p.state.Broker = cfg.Broker
	if cfg.PasswordFile != "" {
		if _, err := readPassword(cfg.PasswordFile); err != nil {
			return nil, fmt.Errorf("mqttpub: %w", err)
		}
		if st, err := os.Stat(cfg.PasswordFile); err == nil && st.Mode().Perm()&0o077 != 0 {
			p.log.Warn("password file is readable by other users: chmod 600 it", "password_file", cfg.PasswordFile, "mode", st.Mode().Perm().String())
		}
		if !isTLS {
			p.log.Warn("the password goes in clear over the network: use ssl:// with a CA", "broker", cfg.Broker)
		}
	}
	if isTLS {
		if _, err := cfg.tlsConfig(); err != nil {
			return nil, fmt.Errorf("mqttpub: %w", err)
		}
	}
	// The product's ACL (pattern <prefix>/<site>/%u/#) keys on the user
	// name or the certificate's common name; under MQTT 3.1.1 the broker
	// acknowledges a denied publish and drops it, so a mismatch would
	// lose every alert silently.
	if cfg.Username != "" && cfg.Username != cfg.Origin.Sensor {
		p.log.Warn("username differs from the sensor name: with the product ACL the broker drops this sensor's messages without telling", "username", cfg.Username, "sensor", cfg.Origin.Sensor)
	}
	if cn := certCommonName(cfg.CertFile); cfg.Username == "" && cn != "" && cn != cfg.Origin.Sensor {
		p.log.Warn("client certificate's common name differs from the sensor name: with the product ACL the broker drops this sensor's messages without telling", "cert_cn", cn, "sensor", cfg.Origin.Sensor, "cert_file", cfg.CertFile)
	}
	if cfg.InsecureSkipVerify {
		p.log.Warn("TLS certificate verification is OFF (insecure_skip_verify): anyone on the path can impersonate the broker and read the alerts", "broker", cfg.Broker)
	}
	return p, nil
}

// Topic is where the publisher sends messages of one kind
// (alerting.KindStatus, …).
func (p *Publisher) Topic(kind string) string {
	return alerting.Topic(p.cfg.Prefix, p.cfg.Origin.Site, p.cfg.Origin.Sensor, kind)
}

// Enqueue stores an alert event durably in the queue; when it returns nil
// the event is on disk (fsync) and will reach the broker, whatever happens
// to the connection or the process. "updated" events may be dropped by the
// queue's size cap (a later update or the "cleared" tells the same story);
// "raised" and "cleared" may not. An empty Schema or Origin is filled in;
// an Origin naming another sensor is refused, as the broker's ACL would
// refuse it.
func (p *Publisher) Enqueue(a *alerting.Alert) error {
	if a == nil {
		return errors.New("mqttpub: Enqueue(nil)")
	}
	m := *a
	if m.Schema == "" {
		m.Schema = alerting.SchemaAlert
	}
	if m.Schema != alerting.SchemaAlert {
		return fmt.Errorf("mqttpub: alert %s: schema %q, want %q", m.ID, m.Schema, alerting.SchemaAlert)
	}
	if m.ID == "" {
		return errors.New("mqttpub: alert without id: consumers could not deduplicate it")
	}
	switch m.State {
	case alerting.StateRaised, alerting.StateUpdated, alerting.StateCleared:
	default:
		return fmt.Errorf("mqttpub: alert %s: state %q, want raised, updated or cleared", m.ID, m.State)
	}
	if err := p.origin(&m.Origin); err != nil {
		return fmt.Errorf("mqttpub: alert %s: %w", m.ID, err)
	}
	data, err := json.Marshal(&m)
	if err != nil {
		return fmt.Errorf("mqttpub: encode alert %s rev %d: %w", m.ID, m.Rev, err)
	}
	if _, err := p.q.Append(data, m.State == alerting.StateUpdated); err != nil {
		return fmt.Errorf("mqttpub: store alert %s rev %d: %w", m.ID, m.Rev, err)
	}
	p.stats.add(func(s *Stats) { s.Enqueued++ })
	return nil
}

// origin fills an empty origin with the publisher's and refuses another
// sensor's.
func (p *Publisher) origin(o *alerting.Origin) error {
	if o.Site == "" && o.Sensor == "" {
		*o = p.cfg.Origin
		return nil
	}
	if o.Site != p.cfg.Origin.Site || o.Sensor != p.cfg.Origin.Sensor {
		return fmt.Errorf("origin %s/%s is not this publisher's %s/%s", o.Site, o.Sensor, p.cfg.Origin.Site, p.cfg.Origin.Sensor)
	}
	return nil
}

// PublishHealth sends a health message (QoS 1, retained: it is the
// sensor's latest state, which a console starting later needs) if connected.
// It is not queued: while offline it returns ErrOffline and the message is
// dropped, since the next one supersedes it; a message not yet sent when
// the next arrives is replaced by it.
func (p *Publisher) PublishHealth(h *alerting.Health) error {
	if h == nil {
		return errors.New("mqttpub: PublishHealth(nil)")
	}
	if !p.connected.Load() {
		p.stats.add(func(s *Stats) { s.HealthDropped++ })
		return ErrOffline
	}
	m := *h
	if m.Schema == "" {
		m.Schema = alerting.SchemaHealth
	}
	if err := p.origin(&m.Origin); err != nil {
		return fmt.Errorf("mqttpub: health: %w", err)
	}
	data, err := json.Marshal(&m)
	if err != nil {
		return fmt.Errorf("mqttpub: encode health: %w", err)
	}
	for {
		select {
		case p.health <- data:
			return nil
		default:
		}
		select {
		case <-p.health:
			p.stats.add(func(s *Stats) { s.HealthDropped++ })
		default:
		}
	}
}

// PublishBurst sends a burst message (QoS 0) if connected and if the
// buffer has room; otherwise it returns ErrOffline or ErrBufferFull and the
// burst is dropped (bursts are a technician's view, never worth delaying
// alerts for).
func (p *Publisher) PublishBurst(b *alerting.Burst) error {
	if b == nil {
		return errors.New("mqttpub: PublishBurst(nil)")
	}
	if !p.connected.Load() {
		p.stats.add(func(s *Stats) { s.BurstsDropped++ })
		return ErrOffline
	}
	m := *b
	if m.Schema == "" {
		m.Schema = alerting.SchemaBurst
	}
	if err := p.origin(&m.Origin); err != nil {
		return fmt.Errorf("mqttpub: burst: %w", err)
	}
	data, err := json.Marshal(&m)
	if err != nil {
		return fmt.Errorf("mqttpub: encode burst: %w", err)
	}
	select {
	case p.bursts <- data:
		return nil
	default:
		p.stats.add(func(s *Stats) { s.BurstsDropped++ })
		return ErrBufferFull
	}
}

// State returns the connection state.
func (p *Publisher) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Stats returns the counters.
func (p *Publisher) Stats() Stats { return p.stats.snapshot() }

// Run connects, publishes and reconnects until ctx is cancelled, then stops
// gracefully (see the package documentation) and returns nil. It returns
// an error only when called while already running.
func (p *Publisher) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("mqttpub: Run is already running")
	}
	defer p.running.Store(false)
	p.log.Info("publisher starting", "config", p.cfg, "status_topic", p.topicStatus)
	var netFails, slowFails int
	for {
		up, err := p.connection(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if up >= stableAfter {
			netFails, slowFails = 0, 0
		}
		ce := p.cfg.classify(err)
		var wait time.Duration
		if ce.Kind.Slow() {
			slowFails++
			wait = p.cfg.AuthBackoff.jittered(slowFails)
		} else {
			netFails++
			wait = p.cfg.Backoff.jittered(netFails)
		}
		next := time.Now().Add(wait)
		p.stats.add(func(s *Stats) {
			if up > 0 {
				s.ConnectionsLost++
			} else {
				s.ConnectFailures++
			}
			if ce.Kind == KindAuth || ce.Kind == KindTLS {
				s.AuthFailures++
			}
		})
		p.mu.Lock()
		p.state.LastError, p.state.LastErrorAt, p.state.Kind = ce, time.Now(), ce.Kind
		p.state.Failures = netFails + slowFails
		p.state.NextRetry = next
		failures := p.state.Failures
		p.mu.Unlock()

		switch {
		case up > 0:
			p.log.Warn("connection to the broker lost", "err", ce, "kind", ce.Kind, "was_up", up.Round(time.Millisecond), "retry_in", wait.Round(time.Millisecond))
		case ce.Kind.Slow():
			// One line that says what to fix, and that retries are slow
			// on purpose.
			p.log.Error(ce.Error(), "kind", ce.Kind, "attempt", failures, "retry_in", wait.Round(time.Second), "slow_retry", true)
		default:
			p.log.Warn("cannot connect to the broker", "err", ce, "kind", ce.Kind, "attempt", failures, "retry_in", wait.Round(time.Millisecond))
		}

		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// connection makes one connection and serves it until it ends; up is how
// long it was established (0 when it never was).
func (p *Publisher) connection(ctx context.Context) (up time.Duration, err error) {
	var pass secret
	if p.cfg.PasswordFile != "" {
		if pass, err = readPassword(p.cfg.PasswordFile); err != nil {
			return 0, p.cfg.localError(err)
		}
	}
	var tlsCfg *tls.Config
	if p.isTLS {
		if tlsCfg, err = p.cfg.tlsConfig(); err != nil {
			return 0, p.cfg.localError(err)
		}
	}
	will, err := p.status("offline", "connection lost")
	if err != nil {
		return 0, err
	}
	lost := make(chan error, 1)
	client := mqtt.NewClient(p.clientOptions(pass, tlsCfg, will, lost))
	p.stats.add(func(s *Stats) { s.ConnectAttempts++ })
	tok := client.Connect()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		// The attempt ends by itself within ConnectTimeout; a connection
		// made meanwhile is closed properly rather than left to the will.
		<-tok.Done()
		if tok.Error() == nil {
			s := p.newSession(client, lost)
			s.goodbye(time.Now().Add(p.cfg.DrainTimeout))
			s.close()
		}
		return 0, ctx.Err()
	}
	if err := tok.Error(); err != nil {
		return 0, err
	}
	start := time.Now()
	p.drainSideChannels()
	p.setConnected(true, start)
	s := p.newSession(client, lost)
	err = s.serve(ctx)
	s.close()
	p.setConnected(false, time.Now())
	if err == nil && ctx.Err() == nil {
		err = errors.New("connection ended without a reason") // paho always gives one; be safe
	}
	var ce *ConnectError
	if err != nil && ctx.Err() == nil && !errors.As(err, &ce) {
		err = &ConnectError{Kind: KindNetwork, Broker: p.cfg.Broker, Msg: "connection to " + p.cfg.Broker + " lost", Err: err}
	}
	p.drainSideChannels()
	if ctx.Err() == nil {
		// The session failed while the connection may still be open (a
		// publish timed out, the queue failed): close it before the
		// next attempt.
		client.Disconnect(100)
	}
	return time.Since(start), err
}

// clientOptions configures paho for one connection.
//
// A new paho client is made for every connection, with paho's own
// recovery switched off: AutoReconnect and ConnectRetry are false because
// the publisher retries itself, with a slow lane for refused credentials
// and certificates, re-reading the password and TLS files at each attempt
// (paho retries with the options it started with, at its own pace, and
// warns that reusing a disconnected client may panic). CleanSession is
// true and paho's store is its default in-memory one, which a clean
// session empties at connect: the durable queue is the only store, and
// unacknowledged alerts are sent again from it on the next connection.
// A broker-side session would duplicate that and not survive a broker
// restart without persistence anyway. The protocol is pinned to MQTT
// 3.1.1 so that a refused CONNACK is not retried at once as MQTT 3.1 (a
// second login attempt per attempt). The write timeout makes a publish on
// a dead socket fail rather than block the loop.
func (p *Publisher) clientOptions(pass secret, tlsCfg *tls.Config, will []byte, lost chan<- error) *mqtt.ClientOptions {
	o := mqtt.NewClientOptions().
		AddBroker(p.cfg.Broker).
		SetClientID(p.cfg.ClientID).
		SetProtocolVersion(4).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetKeepAlive(p.cfg.KeepAlive).
		SetPingTimeout(p.cfg.ConnectTimeout).
		SetConnectTimeout(p.cfg.ConnectTimeout).
		SetWriteTimeout(p.cfg.ConnectTimeout).
		SetDialer(&net.Dialer{Timeout: p.cfg.ConnectTimeout}).
		SetBinaryWill(p.topicStatus, will, 1, true).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			select {
			case lost <- err:
			default:
			}
		})
	if !strings.HasPrefix(p.cfg.Broker, "ws") {
		o.SetCustomOpenConnectionFn(p.dial(tlsCfg))
	}
	if p.cfg.Username != "" {
		o.SetUsername(p.cfg.Username)
		o.SetPassword(string(pass))
	}
	if tlsCfg != nil {
		o.SetTLSConfig(tlsCfg)
	}
	return o
}

// status encodes a status message.
func (p *Publisher) status(state, reason string) ([]byte, error) {
	b, err := json.Marshal(&alerting.Status{
		Schema:  alerting.SchemaStatus,
		Origin:  p.cfg.Origin,
		State:   state,
		Time:    time.Now().UTC(),
		Version: p.cfg.Version,
		Reason:  reason,
	})
	if err != nil {
		return nil, fmt.Errorf("mqttpub: encode status: %w", err)
	}
	return b, nil
}

func (p *Publisher) setConnected(on bool, at time.Time) {
	p.connected.Store(on)
	p.mu.Lock()
	p.state.Connected, p.state.Since = on, at
	if on {
		p.state.Failures, p.state.NextRetry = 0, time.Time{}
	}
	p.mu.Unlock()
	if on {
		p.stats.add(func(s *Stats) { s.Connects++ })
	}
}

// drainSideChannels drops health and burst messages left from a connection
// that ended: they are stale by the next one.
func (p *Publisher) drainSideChannels() {
	for {
		select {
		case <-p.health:
			p.stats.add(func(s *Stats) { s.HealthDropped++ })
		case <-p.bursts:
			p.stats.add(func(s *Stats) { s.BurstsDropped++ })
		default:
			return
		}
	}
}
