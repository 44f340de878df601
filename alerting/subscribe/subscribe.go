// Package subscribe is the console's side of the sensors' MQTT: it
// subscribes to every sensor of one or several sites (or joins a group of
// console instances that split the sites between them, share.go), checks each message against schema v1 and the topic it came
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
	// Share, when set, makes this instance a member of a group of
	// console instances that split Sites between them (see share.go):
	// each site's messages go to one member (its alerts through
	// $share/<Share>/<prefix>/<site>/+/alert), so that instances added to
	// the group add capacity and a site's alerts are fused in one place.
	// ClientID names the member and must be unique in the group.
	Share string
	// LeaveWait is how long a stopping member waits for the others to
	// take its sites (default 5 s).
	LeaveWait time.Duration
	// AnnounceEvery is how often a member repeats its announcement
	// (default 30 s); one silent for three periods is taken for gone.
	AnnounceEvery time.Duration
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
	// Share is the group membership (zero without Config.Share).
	Share ShareStats
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
	share *share // nil without Config.Share
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
	if cfg.Share != "" {
		if len(cfg.Sites) == 0 {
			return nil, errors.New("subscribe: a shared group splits the sites it is given: list them (console.sites)")
		}
		if err := alerting.CheckName(cfg.ClientID); err != nil {
			return nil, fmt.Errorf("subscribe: client id names the group member: %w", err)
		}
		if s.cfg.LeaveWait <= 0 {
			s.cfg.LeaveWait = 5 * time.Second
		}
		if s.cfg.AnnounceEvery <= 0 {
			s.cfg.AnnounceEvery = 30 * time.Second
		}
		s.share = newShare(s)
	}
	return s, nil
}

// Filters are the topic filters subscribed to at every connection.
// Without Share, one filter per site (or one for every site). With Share,
// only the group's member announcements: the filters of each site this
// instance owns are added as ownership settles (share.go).
func (s *Subscriber) Filters() []string {
	if s.share != nil {
		return []string{s.share.memberFilter()}
	}
	var sites []string
	if len(s.cfg.Sites) == 0 {
		sites = []string{"+"}
	}
	sites = append(sites, s.cfg.Sites...)
	var fs []string
	for _, site := range sites {
		fs = append(fs, s.cfg.Prefix+"/"+site+"/+/+")
	}
	return fs
}

// Owns reports whether this instance serves site's incidents now: always
// for a served site without Share; with Share, when the group has settled
// on this instance as the site's owner and it is subscribed to the site's
// alerts. A console raises sensor incidents only for the sites it owns,
// so that two instances do not both report one silent sensor.
func (s *Subscriber) Owns(site string) bool {
	if s.share == nil {
		return len(s.sites) == 0 || s.sites[site]
	}
	return s.share.owns(site)
}

// Stats returns the counters.
func (s *Subscriber) Stats() Stats {
	s.mu.Lock()
	st := s.stats
	s.mu.Unlock()
	if s.share != nil {
		unowned := st.Share.Unowned
		st.Share = s.share.shareStats()
		st.Share.Unowned = unowned
	}
	return st
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
	if s.share != nil {
		o.SetBinaryWill(s.share.topic, s.share.will(), 1, true)
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
		if s.share != nil {
			// The member topic with its own handler, then the sites
			// this instance holds.
			s.share.connected(c)
			return
		}
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
	// Messages are handled until the group has taken this instance's
	// sites (quit), not only until ctx ends.
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case m := <-s.in:
				s.handle(m)
			}
		}
	}()
	var balanced chan struct{}
	if s.share != nil {
		balanced = make(chan struct{})
		go func() {
			defer close(balanced)
			// The announcement is repeated, and ownership checked again
			// (a silent member expires), at every tick.
			tick := time.NewTicker(s.cfg.AnnounceEvery)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					if c.IsConnectionOpen() {
						s.share.announce(c, MemberOnline)
						s.share.balance(c)
					}
				case <-s.share.kick:
					if c.IsConnectionOpen() {
						s.share.balance(c)
					}
				}
			}
		}()
	}
	<-ctx.Done()
	if s.share != nil {
		<-balanced
		if c.IsConnectionOpen() {
			s.share.leave(c, s.cfg.LeaveWait)
		}
	}
	close(quit)
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
	unowned := err == nil && msg.Alert != nil && s.share != nil && !s.share.owns(msg.Site)
	s.mu.Lock()
	s.stats.Received++
	switch {
	case errors.Is(err, ErrMalformed):
		s.stats.Malformed++
	case errors.Is(err, ErrForeign):
		s.stats.Foreign++
	}
	if unowned {
		s.stats.Share.Unowned++
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
