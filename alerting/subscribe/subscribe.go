// Package subscribe is the console's side of the sensors' MQTT: it
// subscribes to every sensor of one or several sites (or to a shared
// subscription group, so that several console instances split a nation's
// sensors), checks each message against schema v1 and the topic it came
// on, drops and counts what is malformed or foreign, drops redelivered
// alert events, and hands the rest to a Handler in arrival order.
//
// Acknowledgement: the subscriber never lets paho acknowledge a message on
// its own. A dropped message (malformed, foreign, a redelivered alert) is
// acknowledged at once; a handled one after the handler returns, or, with
// Config.ManualAck, when the handler calls Message.Ack — the console does
// so once the batch holding the message is committed, so that a crash
// between receipt and commit leaves the message with the broker, which
// redelivers it on the persistent session.
package subscribe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/mqttpub"
)

// Handler receives the decoded messages, one at a time, in arrival order.
type Handler interface {
	Handle(m Message, at time.Time)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(m Message, at time.Time)

// Handle calls f.
func (f HandlerFunc) Handle(m Message, at time.Time) { f(m, at) }

// Config says where to subscribe.
type Config struct {
	// Broker, ClientID, Username, PasswordFile, CAFile, CertFile, KeyFile
	// and ServerName are as for the sensor's publisher (mqttpub.Config).
	Broker, ClientID, Username, PasswordFile string
	CAFile, CertFile, KeyFile, ServerName    string
	// Prefix is the topic prefix (default alerting.DefaultPrefix).
	Prefix string
	// Sites are the sites served; empty means every site under Prefix.
	Sites []string
	// Share, when set, subscribes to alerts through the shared
	// subscription group $share/<Share>/…: the broker gives each alert to
	// one member of the group, so console instances added to the group
	// add capacity; status, health and bursts reach every member.
	Share string
	// Session keeps a persistent session (clean session off) so that the
	// broker keeps QoS 1 alerts for the console while it restarts. Default
	// true; set NoSession for throwaway clients.
	NoSession bool
	// Dedupe is how many alert events (id, rev) are remembered to drop
	// redeliveries (default 100000).
	Dedupe int
	// Buffer is how many messages may wait for the handler (default 4096);
	// beyond it the broker connection is slowed, nothing is dropped.
	Buffer int
	// ManualAck leaves the acknowledgement of each handled message to the
	// handler (Message.Ack), which must call it for every message, once
	// what the message carried is durable. The broker sends a client only
	// so many unacknowledged QoS 1 messages (Mosquitto's
	// max_inflight_messages, default 20), so a handler that holds
	// acknowledgements must release them soon (see Flusher). Without
	// ManualAck a message is acknowledged when Handle returns.
	ManualAck bool
}

// Flusher is implemented by a Handler that holds acknowledgements
// (Config.ManualAck): Run calls Flush once the last message has been
// handed over and before it disconnects, so that the handler can commit
// what it holds and acknowledge it while the connection is still up.
type Flusher interface {
	Flush()
}

// Stats count what arrived.
type Stats struct {
	Received   uint64
	Handled    uint64
	Malformed  uint64
	Foreign    uint64
	Duplicates uint64
	Connects   uint64
}

// Subscriber is a running subscription.
type Subscriber struct {
	cfg   Config
	h     Handler
	log   *slog.Logger
	sites map[string]bool
	in    chan inbound

	mu    sync.Mutex
	stats Stats
	seen  map[string]struct{}
	order []string // ring of seen keys, oldest first at next
	next  int
	conn  bool
	c     mqtt.Client
}

type inbound struct {
	topic   string
	payload []byte
	at      time.Time
	ack     func() // nil for injected messages
}

// New checks cfg.
func New(cfg Config, h Handler, log *slog.Logger) (*Subscriber, error) {
	if cfg.Broker == "" {
		return nil, errors.New("subscribe: no broker")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = alerting.DefaultPrefix
	}
	if cfg.ClientID == "" {
		cfg.ClientID = "cellsentry-console"
	}
	if cfg.Dedupe <= 0 {
		cfg.Dedupe = 100000
	}
	if cfg.Buffer <= 0 {
		cfg.Buffer = 4096
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Subscriber{cfg: cfg, h: h, log: log, sites: map[string]bool{}, in: make(chan inbound, cfg.Buffer),
		seen: make(map[string]struct{}, cfg.Dedupe), order: make([]string, cfg.Dedupe)}
	for _, site := range cfg.Sites {
		if err := alerting.CheckName(site); err != nil {
			return nil, fmt.Errorf("subscribe: site: %w", err)
		}
		s.sites[site] = true
	}
	return s, nil
}

// Filters are the topic filters subscribed to. Without Share, one filter
// per site (or one for every site). With Share, only alerts go through
// the group $share/<Share>/…: every instance still receives every status,
// health and burst message, because a console that saw only half of a
// sensor's health messages would declare it offline between them, and the
// technician's burst view would miss half of a sensor's bursts.
func (s *Subscriber) Filters() []string {
	var sites []string
	if len(s.cfg.Sites) == 0 {
		sites = []string{"+"}
	}
	sites = append(sites, s.cfg.Sites...)
	var fs []string
	for _, site := range sites {
		base := s.cfg.Prefix + "/" + site + "/+/"
		if s.cfg.Share == "" {
			fs = append(fs, base+"+")
			continue
		}
		fs = append(fs, "$share/"+s.cfg.Share+"/"+base+alerting.KindAlert,
			base+alerting.KindStatus, base+alerting.KindHealth, base+alerting.KindBurst)
	}
	return fs
}

// Stats returns the counters.
func (s *Subscriber) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Connected reports whether the broker connection is up.
func (s *Subscriber) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

// Run connects, subscribes (again after every reconnection) and hands
// messages to the handler until ctx ends.
func (s *Subscriber) Run(ctx context.Context) error {
	pcfg := mqttpub.Config{Broker: s.cfg.Broker, CAFile: s.cfg.CAFile, CertFile: s.cfg.CertFile, KeyFile: s.cfg.KeyFile, ServerName: s.cfg.ServerName}
	o := mqtt.NewClientOptions().AddBroker(s.cfg.Broker).SetClientID(s.cfg.ClientID).
		SetProtocolVersion(4).SetCleanSession(s.cfg.NoSession).
		SetAutoReconnect(true).SetConnectRetry(true).SetConnectRetryInterval(2 * time.Second).
		SetMaxReconnectInterval(30 * time.Second).SetKeepAlive(30 * time.Second).
		SetOrderMatters(true). // the handler sees messages in arrival order
		// Acknowledged by handle or by the handler (ManualAck), never by
		// paho as soon as the message is buffered: a crash would lose it.
		SetAutoAckDisabled(true)
	if strings.HasPrefix(s.cfg.Broker, "ssl://") || strings.HasPrefix(s.cfg.Broker, "tls://") || strings.HasPrefix(s.cfg.Broker, "mqtts://") || strings.HasPrefix(s.cfg.Broker, "wss://") {
		tc, err := mqttpub.TLSConfig(pcfg)
		if err != nil {
			return fmt.Errorf("subscribe: %w", err)
		}
		o.SetTLSConfig(tc)
	}
	if s.cfg.Username != "" {
		o.SetUsername(s.cfg.Username)
	}
	// The password is read at each connection, so a changed file needs no
	// restart.
	o.SetCredentialsProvider(func() (string, string) {
		pw := ""
		if s.cfg.PasswordFile != "" {
			p, err := mqttpub.ReadPassword(s.cfg.PasswordFile)
			if err != nil {
				s.log.Error("broker password unreadable", "err", err)
			}
			pw = p
		}
		return s.cfg.Username, pw
	})
	stop := make(chan struct{})
	o.SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) {
		// A full buffer blocks paho's reader, which slows the broker down:
		// back-pressure, not loss. After the stop nothing is taken.
		select {
		case s.in <- inbound{topic: m.Topic(), payload: m.Payload(), at: time.Now(), ack: m.Ack}:
		case <-stop:
		}
	})
	o.SetOnConnectHandler(func(c mqtt.Client) {
		s.mu.Lock()
		s.conn = true
		s.stats.Connects++
		s.mu.Unlock()
		for _, f := range s.Filters() {
			tok := c.Subscribe(f, 1, nil)
			if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
				s.log.Info("subscribed", "filter", f)
			} else {
				s.log.Error("subscribe failed", "filter", f, "err", tok.Error())
			}
		}
	})
	o.SetConnectionLostHandler(func(_ mqtt.Client, err error) {
		s.mu.Lock()
		s.conn = false
		s.mu.Unlock()
		s.log.Warn("connection to the broker lost; reconnecting", "broker", s.cfg.Broker, "err", err)
	})
	c := mqtt.NewClient(o)
	s.mu.Lock()
	s.c = c
	s.mu.Unlock()
	c.Connect() // with ConnectRetry the token completes only once connected; errors are retried
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case m := <-s.in:
				s.handle(m)
			}
		}
	}()
	<-ctx.Done()
	<-done
	close(stop)
	if f, ok := s.h.(Flusher); ok {
		f.Flush()
	}
	c.Disconnect(250)
	return nil
}

// Publish sends payload on topic at QoS 1 over the subscription's
// connection (the console publishes its incidents this way); it does not
// wait and drops the message while disconnected.
func (s *Subscriber) Publish(topic string, payload []byte) {
	s.mu.Lock()
	c, up := s.c, s.conn
	s.mu.Unlock()
	if c == nil || !up {
		return
	}
	c.Publish(topic, 1, false, payload)
}

// Inject handles one message as if it had arrived from the broker (the
// offline fuse tool and tests feed recorded messages this way).
func (s *Subscriber) Inject(topic string, payload []byte, at time.Time) {
	s.handle(inbound{topic: topic, payload: payload, at: at})
}

func (s *Subscriber) handle(m inbound) {
	msg, err := Decode(s.cfg.Prefix, s.sites, m.topic, m.payload)
	s.mu.Lock()
	s.stats.Received++
	switch {
	case errors.Is(err, ErrMalformed):
		s.stats.Malformed++
	case errors.Is(err, ErrForeign):
		s.stats.Foreign++
	}
	if err == nil && msg.Alert != nil {
		key := msg.Site + "/" + msg.Sensor + "/" + msg.Alert.ID + "/" + strconv.Itoa(msg.Alert.Rev)
		if _, dup := s.seen[key]; dup {
			s.stats.Duplicates++
			s.mu.Unlock()
			// The first copy was handled; its own acknowledgement (after
			// its commit) may have gone to a connection since lost.
			ack(m.ack)
			return
		}
		if old := s.order[s.next]; old != "" {
			delete(s.seen, old)
		}
		s.order[s.next] = key
		s.next = (s.next + 1) % len(s.order)
		s.seen[key] = struct{}{}
	}
	if err == nil {
		s.stats.Handled++
	}
	s.mu.Unlock()
	if err != nil {
		// Counted; logged at debug only: a misbehaving client must not be
		// able to flood the console's log.
		s.log.Debug("message dropped", "topic", m.topic, "err", err)
		ack(m.ack)
		return
	}
	if s.cfg.ManualAck {
		msg.ack = m.ack
		s.h.Handle(msg, m.at)
		return
	}
	s.h.Handle(msg, m.at)
	ack(m.ack)
}

// ack calls f unless it is nil (an injected message).
func ack(f func()) {
	if f != nil {
		f()
	}
}
