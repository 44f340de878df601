package mosquittotest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// wait bounds every wait for something that should happen in milliseconds.
const wait = 10 * time.Second

var clientSeq atomic.Int64

// dial connects a plain paho client (MQTT 3.1.1, no automatic reconnect).
func dial(t testing.TB, url string, set func(o *mqtt.ClientOptions)) (mqtt.Client, error) {
	t.Helper()
	o := mqtt.NewClientOptions().AddBroker(url).
		SetClientID(fmt.Sprintf("test-%d", clientSeq.Add(1))).
		SetProtocolVersion(4).
		SetAutoReconnect(false).
		SetConnectTimeout(5 * time.Second)
	if set != nil {
		set(o)
	}
	c := mqtt.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(wait) {
		return nil, fmt.Errorf("connect to %s: no answer after %v", url, wait)
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c, nil
}

func mustDial(t testing.TB, url string, set func(o *mqtt.ClientOptions)) mqtt.Client {
	t.Helper()
	c, err := dial(t, url, set)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	return c
}

func user(name, pass string) func(o *mqtt.ClientOptions) {
	return func(o *mqtt.ClientOptions) { o.SetUsername(name).SetPassword(pass) }
}

// received collects the messages of a subscription.
type received struct {
	ch chan mqtt.Message
}

func subscribe(t testing.TB, c mqtt.Client, filter string) *received {
	t.Helper()
	r := &received{ch: make(chan mqtt.Message, 1000)}
	tok := c.Subscribe(filter, 1, func(_ mqtt.Client, m mqtt.Message) { r.ch <- m })
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", filter, tok.Error())
	}
	return r
}

// next returns the next message, failing the test after wait.
func (r *received) next(t testing.TB) mqtt.Message {
	t.Helper()
	select {
	case m := <-r.ch:
		return m
	case <-time.After(wait):
		t.Fatalf("no message after %v", wait)
		return nil
	}
}

func publish(t testing.TB, c mqtt.Client, topic, payload string, retained bool) {
	t.Helper()
	tok := c.Publish(topic, 1, retained, payload)
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

func TestAnonymousRoundTrip(t *testing.T) {
	b := Start(t, Options{})
	sub := subscribe(t, mustDial(t, b.URL(), nil), "a/#")
	publish(t, mustDial(t, b.URL(), nil), "a/b", "hello", false)
	m := sub.next(t)
	if m.Topic() != "a/b" || string(m.Payload()) != "hello" {
		t.Errorf("got %s %q, want a/b \"hello\"", m.Topic(), m.Payload())
	}
	if !strings.HasPrefix(b.URL(), "tcp://127.0.0.1:") {
		t.Errorf("URL() = %q, want tcp://127.0.0.1:PORT", b.URL())
	}
}

func TestPasswords(t *testing.T) {
	b := Start(t, Options{Users: map[string]string{"sensor-a": "pa ss wörd", "console": "c0"}})
	cases := []struct {
		name, user, pass string
		want             error
	}{
		{"right password", "sensor-a", "pa ss wörd", nil},
		{"second user", "console", "c0", nil},
		{"wrong password", "sensor-a", "pa ss", packets.ErrorRefusedNotAuthorised},
		{"unknown user", "nobody", "c0", packets.ErrorRefusedNotAuthorised},
		{"anonymous", "", "", packets.ErrorRefusedNotAuthorised},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dial(t, b.URL(), user(tc.user, tc.pass))
			if !errors.Is(err, tc.want) {
				t.Errorf("connect as %q: error %v, want %v", tc.user, err, tc.want)
			}
		})
	}
	if n := b.WaitLog("not authorised", 3, wait); n != 3 {
		t.Errorf("broker logged %d refusals, want 3:\n%s", n, b.Log())
	}
}

// sync pings the broker through c (a subscription and its SUBACK): a
// message the broker routed to c before, c received before this returns,
// because the broker writes to one connection in order.
func syncWith(t testing.TB, c mqtt.Client) {
	t.Helper()
	tok := c.Subscribe(fmt.Sprintf("sync/%d", clientSeq.Add(1)), 0, func(mqtt.Client, mqtt.Message) {})
	if !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatalf("sync subscribe: %v", tok.Error())
	}
	// paho hands messages to handlers on another goroutine than the one
	// completing the SUBACK token: leave it a moment.
	time.Sleep(100 * time.Millisecond)
}

func TestProductACL(t *testing.T) {
	const prefix, site = "cellsentry/v1", "site1"
	b := Start(t, Options{
		Users: map[string]string{"sensor-a": "pa", "sensor-b": "pb", "console": "pc"},
		ACL:   ProductACL(prefix, site, "console"),
		Debug: true,
	})
	console := mustDial(t, b.URL(), user("console", "pc"))
	seen := subscribe(t, console, prefix+"/#")
	a := mustDial(t, b.URL(), user("sensor-a", "pa"))
	sb := mustDial(t, b.URL(), user("sensor-b", "pb"))
	aSees := subscribe(t, a, prefix+"/#")

	own := prefix + "/" + site + "/sensor-a/alert"
	cases := []struct {
		name    string
		c       mqtt.Client
		topic   string
		allowed bool
	}{
		{"sensor writes its own topic", a, own, true},
		{"sensor writes its own status", a, prefix + "/" + site + "/sensor-a/status", true},
		{"sensor writes under another sensor", a, prefix + "/" + site + "/sensor-b/alert", false},
		{"sensor writes under another site", a, prefix + "/site2/sensor-a/alert", false},
		{"sensor writes outside the prefix", a, "other/sensor-a/alert", false},
		{"sensor writes an incident", a, prefix + "/" + site + "/incident", false},
		{"console writes an incident", console, prefix + "/" + site + "/incident", true},
		{"other sensor writes its own topic", sb, prefix + "/" + site + "/sensor-b/health", true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			payload := fmt.Sprintf("case %d", i)
			publish(t, tc.c, tc.topic, payload, false)
			// A marker published afterwards by the same client on an
			// allowed topic arrives after the message under test, if
			// that one passed the ACL: no waiting on a timer.
			marker := prefix + "/" + site + "/sensor-a/marker"
			mc := a
			if tc.c == sb {
				marker = prefix + "/" + site + "/sensor-b/marker"
				mc = sb
			}
			if tc.c == console {
				marker = prefix + "/" + site + "/incident"
				mc = console
			}
			publish(t, mc, marker, "marker", false)
			m := seen.next(t)
			if tc.allowed {
				if m.Topic() != tc.topic || string(m.Payload()) != payload {
					t.Fatalf("console got %s %q, want %s %q", m.Topic(), m.Payload(), tc.topic, payload)
				}
				m = seen.next(t)
			}
			if string(m.Payload()) != "marker" {
				t.Fatalf("console got %s %q, want the marker: the ACL let it through", m.Topic(), m.Payload())
			}
		})
	}
	if n := b.WaitLog("Denied PUBLISH", 4, wait); n != 4 {
		t.Errorf("broker denied %d publishes, want 4", n)
	}
	// The sensor subscribed to everything but may read nothing: after
	// all of the above it has received nothing.
	syncWith(t, a)
	select {
	case m := <-aSees.ch:
		t.Errorf("sensor-a read %s %q: sensors must read nothing", m.Topic(), m.Payload())
	default:
	}
}

func tlsConfig(t testing.TB, caFile, serverName string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s: no certificate", caFile)
	}
	return &tls.Config{RootCAs: pool, ServerName: serverName, MinVersion: tls.VersionTLS12}
}

func TestTLS(t *testing.T) {
	b := Start(t, Options{TLS: true, Users: map[string]string{"sensor-a": "pa"}})
	if !strings.HasPrefix(b.TLSURL(), "ssl://127.0.0.1:") || b.TLSURL() == "ssl://"+b.Addr() {
		t.Fatalf("TLSURL() = %q, want ssl://127.0.0.1:PORT on its own port", b.TLSURL())
	}
	untrusted := UntrustedCA(t)
	cases := []struct {
		name       string
		ca         string
		serverName string
		check      func(error) bool
		want       string
	}{
		{"our CA, by IP", b.CAFile(), "127.0.0.1", func(err error) bool { return err == nil }, "no error"},
		{"our CA, by name", b.CAFile(), "localhost", func(err error) bool { return err == nil }, "no error"},
		{"untrusted CA", untrusted, "127.0.0.1", func(err error) bool {
			var e x509.UnknownAuthorityError
			return errors.As(err, &e)
		}, "x509.UnknownAuthorityError"},
		{"wrong host name", b.CAFile(), "broker.example", func(err error) bool {
			var e x509.HostnameError
			return errors.As(err, &e)
		}, "x509.HostnameError"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dial(t, b.TLSURL(), func(o *mqtt.ClientOptions) {
				user("sensor-a", "pa")(o)
				o.SetTLSConfig(tlsConfig(t, tc.ca, tc.serverName))
			})
			if !tc.check(err) {
				t.Errorf("error %v, want %s", err, tc.want)
			}
		})
	}
	t.Run("plain TCP to the TLS port", func(t *testing.T) {
		if _, err := dial(t, "tcp://"+b.TLSAddr(), user("sensor-a", "pa")); err == nil {
			t.Error("connected without TLS to the TLS listener")
		}
	})
}

func TestMutualTLS(t *testing.T) {
	const prefix, site = "cellsentry/v1", "site1"
	b := Start(t, Options{
		TLS: true, RequireCertificate: true, UseIdentityAsUsername: true,
		Users: map[string]string{"console": "pc"},
		ACL:   ProductACL(prefix, site, "console"),
	})
	seen := subscribe(t, mustDial(t, b.URL(), user("console", "pc")), prefix+"/#")
	withCert := func(name string) func(o *mqtt.ClientOptions) {
		return func(o *mqtt.ClientOptions) {
			cfg := tlsConfig(t, b.CAFile(), "localhost")
			if name != "" {
				certFile, keyFile := b.ClientCert(name)
				pair, err := tls.LoadX509KeyPair(certFile, keyFile)
				if err != nil {
					t.Fatal(err)
				}
				cfg.Certificates = []tls.Certificate{pair}
			}
			o.SetTLSConfig(cfg)
		}
	}
	a := mustDial(t, b.TLSURL(), withCert("sensor-a"))
	// The certificate's common name is the user name: the %u pattern
	// lets sensor-a write its own topic and nothing else.
	publish(t, a, prefix+"/"+site+"/sensor-b/alert", "forged", false)
	publish(t, a, prefix+"/"+site+"/sensor-a/alert", "genuine", false)
	if m := seen.next(t); string(m.Payload()) != "genuine" {
		t.Errorf("console got %s %q, want only sensor-a's genuine message", m.Topic(), m.Payload())
	}
	if f1, _ := b.ClientCert("sensor-a"); f1 == "" {
		t.Error("ClientCert returned no file")
	} else if f2, _ := b.ClientCert("sensor-a"); f1 != f2 {
		t.Errorf("ClientCert made a second certificate for the same name: %s, %s", f1, f2)
	}
	t.Run("no client certificate", func(t *testing.T) {
		if _, err := dial(t, b.TLSURL(), withCert("")); err == nil {
			t.Error("connected without a client certificate to a listener that requires one")
		}
	})
	t.Run("client certificate of another CA", func(t *testing.T) {
		other := Start(t, Options{TLS: true})
		_, err := dial(t, b.TLSURL(), func(o *mqtt.ClientOptions) {
			cfg := tlsConfig(t, b.CAFile(), "localhost")
			pair, err := tls.LoadX509KeyPair(other.ClientCert("sensor-a"))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{pair}
			o.SetTLSConfig(cfg)
		})
		if err == nil {
			t.Error("connected with a client certificate the broker's CA did not sign")
		}
	})
}

func TestRestart(t *testing.T) {
	b := Start(t, Options{})
	url := b.URL()
	lost := make(chan error, 1)
	c := mustDial(t, url, func(o *mqtt.ClientOptions) {
		o.SetConnectionLostHandler(func(_ mqtt.Client, err error) { lost <- err })
	})
	publish(t, c, "keep/me", "retained", true)

	b.Stop()
	if b.Running() {
		t.Fatal("Running() after Stop")
	}
	select {
	case <-lost:
	case <-time.After(wait):
		t.Fatal("client did not lose its connection when the broker stopped")
	}
	if _, err := dial(t, url, nil); err == nil {
		t.Fatal("connected to a stopped broker")
	}

	b.Restart()
	if b.URL() != url {
		t.Errorf("URL changed across Restart: %s → %s", url, b.URL())
	}
	c2 := mustDial(t, url, nil)
	// Persistence is off: the retained message died with the broker. A
	// retained message published now does arrive, so its absence above
	// is not a subscription that failed.
	publish(t, c2, "keep/new", "retained", true)
	sub := subscribe(t, c2, "keep/#")
	if m := sub.next(t); m.Topic() != "keep/new" {
		t.Errorf("after restart got retained %s, want only keep/new (persistence off)", m.Topic())
	}
	if n := b.CountLog("mosquittotest: restart"); n != 1 {
		t.Errorf("log shows %d restarts, want 1", n)
	}
}

func TestProxyCut(t *testing.T) {
	b := Start(t, Options{})
	p := NewProxy(t, b.Addr())
	watch := subscribe(t, mustDial(t, b.URL(), nil), "will/#")
	lost := make(chan error, 1)
	mustDial(t, p.URL(), func(o *mqtt.ClientOptions) {
		o.SetWill("will/x", "gone", 1, false)
		o.SetConnectionLostHandler(func(_ mqtt.Client, err error) { lost <- err })
	})
	if n := p.Cut(); n != 1 {
		t.Errorf("Cut() = %d, want 1 connection", n)
	}
	if m := watch.next(t); string(m.Payload()) != "gone" {
		t.Errorf("got %q, want the last will", m.Payload())
	}
	select {
	case <-lost:
	case <-time.After(wait):
		t.Fatal("client did not notice the cut")
	}

	p.Refuse(true)
	if _, err := dial(t, p.URL(), nil); err == nil {
		t.Error("connected through a refusing proxy")
	}
	p.Refuse(false)
	mustDial(t, p.URL(), nil)
	if n := p.Accepted(); n != 3 {
		t.Errorf("Accepted() = %d, want 3", n)
	}
}

// fatalTB records a Fatalf instead of failing the real test.
type fatalTB struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.msg = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func TestMissingBinary(t *testing.T) {
	old := mosquittoName
	mosquittoName = "mosquitto-not-installed-for-test"
	defer func() { mosquittoName = old }()
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Start(f, Options{})
	}()
	<-done
	if !strings.Contains(f.msg, "apt-get install -y mosquitto") {
		t.Errorf("Start without the binary said %q, want the install command", f.msg)
	}
}

func TestSubscription(t *testing.T) {
	b := Start(t, Options{Users: map[string]string{"u": "p"}})
	pub, err := Connect(t, b.URL(), ClientOptions{Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	publish(t, pub, "s/retained", "r", true)
	sub := Subscribe(t, b.URL(), ClientOptions{Username: "u", Password: "p"}, "s/#")
	if tok := pub.Publish("s/live", 0, false, "l"); !tok.WaitTimeout(wait) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	want := []Message{
		{Topic: "s/retained", Payload: []byte("r"), QoS: 1, Retained: true},
		{Topic: "s/live", Payload: []byte("l"), QoS: 0, Retained: false},
	}
	for i, w := range want {
		m := sub.Expect(t, wait)
		if m.Topic != w.Topic || string(m.Payload) != string(w.Payload) || m.QoS != w.QoS || m.Retained != w.Retained {
			t.Errorf("message %d: %s %q qos %d retained %t, want %s %q qos %d retained %t",
				i, m.Topic, m.Payload, m.QoS, m.Retained, w.Topic, w.Payload, w.QoS, w.Retained)
		}
	}
	if n := sub.WaitCount(2, wait); n != 2 || len(sub.Messages()) != 2 {
		t.Errorf("WaitCount = %d, Messages has %d, want 2", n, len(sub.Messages()))
	}
	if _, ok := sub.Next(50 * time.Millisecond); ok {
		t.Error("Next returned a third message")
	}
	if _, err := Connect(t, b.URL(), ClientOptions{Username: "u", Password: "wrong"}); !errors.Is(err, packets.ErrorRefusedNotAuthorised) {
		t.Errorf("Connect with a wrong password: %v, want not authorised", err)
	}
}
