package mosquittotest

import (
	"crypto/tls"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// Message is one message a Subscription received.
type Message struct {
	Topic    string
	Payload  []byte
	QoS      byte // as delivered: the subscription asks QoS 2, so this is the publisher's QoS
	Retained bool // true for a retained message sent at subscription time
	At       time.Time
}

// Subscription is a test client subscribed to a topic filter that keeps
// every message it receives, in order.
type Subscription struct {
	Client mqtt.Client // for publishing markers or more subscriptions

	mu     sync.Mutex
	msgs   []Message
	read   int           // messages returned by Next so far
	signal chan struct{} // capacity 1: a message arrived
}

// ClientOptions say how a test client connects.
type ClientOptions struct {
	Username, Password string
	TLS                *tls.Config // for an ssl:// URL
	ClientID           string      // default: unique per test client
}

var clientIDs atomic.Int64

// Connect connects a test client (MQTT 3.1.1, clean session, no automatic
// reconnection) and disconnects it when the test ends.
func Connect(t testing.TB, url string, opt ClientOptions) (mqtt.Client, error) {
	t.Helper()
	id := opt.ClientID
	if id == "" {
		id = fmt.Sprintf("mosquittotest-%d", clientIDs.Add(1))
	}
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(id).
		SetProtocolVersion(4).SetCleanSession(true).SetAutoReconnect(false).
		SetConnectTimeout(5 * time.Second).SetOrderMatters(true)
	if opt.Username != "" {
		o.SetUsername(opt.Username).SetPassword(opt.Password)
	}
	if opt.TLS != nil {
		o.SetTLSConfig(opt.TLS)
	}
	c := mqtt.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(15 * time.Second) {
		return nil, fmt.Errorf("connect %s as %q: no CONNACK after 15 s", url, opt.Username)
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("connect %s as %q: %w", url, opt.Username, err)
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c, nil
}

// Subscribe connects a client and subscribes it to filter at QoS 2 (so
// that each message arrives with the QoS it was published with). It fails
// the test if either step fails.
func Subscribe(t testing.TB, url string, opt ClientOptions, filter string) *Subscription {
	t.Helper()
	c, err := Connect(t, url, opt)
	if err != nil {
		t.Fatalf("mosquittotest: %v", err)
	}
	s := &Subscription{Client: c, signal: make(chan struct{}, 1)}
	tok := c.Subscribe(filter, 2, func(_ mqtt.Client, m mqtt.Message) {
		s.mu.Lock()
		s.msgs = append(s.msgs, Message{
			Topic: m.Topic(), Payload: append([]byte(nil), m.Payload()...),
			QoS: m.Qos(), Retained: m.Retained(), At: time.Now(),
		})
		s.mu.Unlock()
		select {
		case s.signal <- struct{}{}:
		default:
		}
	})
	if !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		t.Fatalf("mosquittotest: subscribe %s on %s: %v", filter, url, tok.Error())
	}
	return s
}

// Next returns the next message not yet returned, waiting up to timeout;
// ok is false on timeout.
func (s *Subscription) Next(timeout time.Duration) (m Message, ok bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.read < len(s.msgs) {
			m = s.msgs[s.read]
			s.read++
			s.mu.Unlock()
			return m, true
		}
		s.mu.Unlock()
		select {
		case <-s.signal:
		case <-deadline.C:
			return Message{}, false
		}
	}
}

// Expect returns the next message or fails the test after timeout.
func (s *Subscription) Expect(t testing.TB, timeout time.Duration) Message {
	t.Helper()
	m, ok := s.Next(timeout)
	if !ok {
		t.Fatalf("mosquittotest: no message within %v", timeout)
	}
	return m
}

// WaitCount waits until at least n messages were received in all, or
// timeout, and returns how many there are.
func (s *Subscription) WaitCount(n int, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		s.mu.Lock()
		c := len(s.msgs)
		s.mu.Unlock()
		if c >= n || time.Now().After(deadline) {
			return c
		}
		select {
		case <-s.signal:
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Messages returns a copy of every message received so far.
func (s *Subscription) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}
