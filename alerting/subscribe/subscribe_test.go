package subscribe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
)

var t0 = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

func alertMsg(site, sensor, id string, rev int) []byte {
	a := alerting.Alert{Schema: alerting.SchemaAlert, Origin: alerting.Origin{Site: site, Sensor: sensor, Wing: "A"},
		ID: id, Rev: rev, State: alerting.StateRaised, Mode: alerting.ModeActual, Time: t0, Class: "gsm",
		FreqHz: 902.4e6, BandwidthHz: 200e3, FirstSeen: t0, LastSeen: t0, Bursts: 12,
		PowerDBm: -60, RecentDBm: -61, PowerDBFS: -20, SNR: 20, Confidence: 0.9}
	if rev > 0 {
		a.State = alerting.StateUpdated
	}
	b, _ := json.Marshal(a)
	return b
}

func statusMsg(site, sensor string) []byte {
	b, _ := json.Marshal(alerting.Status{Schema: alerting.SchemaStatus, Origin: alerting.Origin{Site: site, Sensor: sensor}, State: "online", Time: t0})
	return b
}

func TestDecode(t *testing.T) {
	sites := map[string]bool{"fresnes": true}
	cases := []struct {
		name, topic string
		payload     []byte
		err         error
		want        string
	}{
		{"alert", "cellsentry/v1/fresnes/s1/alert", alertMsg("fresnes", "s1", "x", 0), nil, ""},
		{"status", "cellsentry/v1/fresnes/s1/status", statusMsg("fresnes", "s1"), nil, ""},
		{"not json", "cellsentry/v1/fresnes/s1/alert", []byte("{"), ErrMalformed, "not JSON"},
		{"schema", "cellsentry/v1/fresnes/s1/alert", []byte(`{"schema":"cellsentry/v1/alert"}`), ErrMalformed, "missing propert"},
		{"status on alert topic", "cellsentry/v1/fresnes/s1/alert", statusMsg("fresnes", "s1"), ErrMalformed, "at /schema"},
		{"sensor impersonated", "cellsentry/v1/fresnes/s1/alert", alertMsg("fresnes", "s2", "x", 0), ErrForeign, `sensor "s2"`},
		{"other site", "cellsentry/v1/lyon/s1/alert", alertMsg("lyon", "s1", "x", 0), ErrForeign, "not served"},
		{"unknown kind", "cellsentry/v1/fresnes/s1/incident", []byte(`{}`), ErrForeign, "unknown kind"},
		{"bad topic", "cellsentry/v1/fresnes/alert", []byte(`{}`), ErrForeign, "want"},
		{"other prefix", "other/fresnes/s1/alert", []byte(`{}`), ErrForeign, "not under"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := Decode("", sites, c.topic, c.payload)
			if c.err == nil {
				if err != nil {
					t.Fatal(err)
				}
				if m.Site != "fresnes" || m.Sensor != "s1" || (m.Alert == nil) == (m.Status == nil) {
					t.Fatalf("%+v", m)
				}
				return
			}
			if !errors.Is(err, c.err) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %v mentioning %q", err, c.err, c.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("cellsentry/v1/fresnes/s1/alert", alertMsg("fresnes", "s1", "x", 0))
	f.Add("cellsentry/v1/fresnes/s1/status", statusMsg("fresnes", "s1"))
	f.Add("cellsentry/v1/a/b/health", []byte(`{"schema":"cellsentry/v1/health"}`))
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		m, err := Decode("", nil, topic, payload)
		if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrForeign) {
			t.Fatalf("unclassified error %v", err)
		}
		if err == nil && m.Status == nil && m.Health == nil && m.Alert == nil && m.Burst == nil {
			t.Fatal("no message and no error")
		}
	})
}

type recorder struct {
	mu   sync.Mutex
	msgs []Message
}

func (r *recorder) Handle(m Message, _ time.Time) {
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
}

func (r *recorder) count(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if m.Kind == kind {
			n++
		}
	}
	return n
}

func (r *recorder) alerts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, m := range r.msgs {
		if m.Alert != nil {
			ids = append(ids, fmt.Sprintf("%s/%d", m.Alert.ID, m.Alert.Rev))
		}
	}
	return ids
}

func broker(t *testing.T) *mosquittotest.Broker {
	return mosquittotest.Start(t, mosquittotest.Options{
		Users: map[string]string{"s1": "pw-s1", "console": "pw-console"},
		ACL:   mosquittotest.ProductACL(alerting.DefaultPrefix, "fresnes", "console"),
	})
}

func start(t *testing.T, b *mosquittotest.Broker, cfg Config, h Handler) (*Subscriber, context.CancelFunc) {
	t.Helper()
	dir := t.TempDir()
	pw := dir + "/pw"
	if err := writeFile(pw, "pw-console\n"); err != nil {
		t.Fatal(err)
	}
	cfg.Broker, cfg.Username, cfg.PasswordFile = b.URL(), "console", pw
	s, err := New(cfg, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for !s.Connected() {
		if time.Now().After(deadline) {
			t.Fatal("subscriber did not connect")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // the SUBSCRIBE after CONNACK
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return s, stop
}

func sensor(t *testing.T, b *mosquittotest.Broker) func(topic string, payload []byte) {
	c, err := mosquittotest.Connect(t, b.URL(), mosquittotest.ClientOptions{Username: "s1", Password: "pw-s1"})
	if err != nil {
		t.Fatal(err)
	}
	return func(topic string, payload []byte) {
		tok := c.Publish(topic, 1, false, payload)
		tok.Wait()
		if tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
}

func waitCount(t *testing.T, what string, want int, got func() int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for got() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d, want %d", what, got(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Through a real broker: good messages reach the handler once, in order;
// malformed ones, impersonations and redeliveries are counted and dropped.
func TestSubscriberDropsAndCounts(t *testing.T) {
	b := broker(t)
	rec := &recorder{}
	s, _ := start(t, b, Config{Sites: []string{"fresnes"}, NoSession: true}, rec)
	pub := sensor(t, b)
	topic := "cellsentry/v1/fresnes/s1/alert"
	pub(topic, alertMsg("fresnes", "s1", "a", 0))
	pub(topic, []byte("not json"))
	pub(topic, alertMsg("fresnes", "s1", "a", 0)) // redelivery
	pub(topic, alertMsg("fresnes", "s2", "b", 0)) // s1 claiming to be s2
	pub(topic, alertMsg("fresnes", "s1", "a", 1))
	pub("cellsentry/v1/fresnes/s1/status", statusMsg("fresnes", "s1"))
	waitCount(t, "messages received", 6, func() int { return int(s.Stats().Received) })
	st := s.Stats()
	if st.Handled != 3 || st.Malformed != 1 || st.Foreign != 1 || st.Duplicates != 1 {
		t.Fatalf("stats %+v", st)
	}
	if got := strings.Join(rec.alerts(), ","); got != "a/0,a/1" {
		t.Fatalf("alerts handled: %s", got)
	}
}

// A console with a persistent session gets the QoS 1 alerts published while
// it was down.
func TestSubscriberPersistentSession(t *testing.T) {
	b := broker(t)
	rec := &recorder{}
	_, stop := start(t, b, Config{ClientID: "console-1"}, rec)
	stop()
	pub := sensor(t, b)
	for i := range 5 {
		pub("cellsentry/v1/fresnes/s1/alert", alertMsg("fresnes", "s1", fmt.Sprint("while-down-", i), 0))
	}
	rec2 := &recorder{}
	start(t, b, Config{ClientID: "console-1"}, rec2)
	waitCount(t, "alerts after restart", 5, func() int { return len(rec2.alerts()) })
	if got := strings.Join(rec2.alerts(), ","); got != "while-down-0/0,while-down-1/0,while-down-2/0,while-down-3/0,while-down-4/0" {
		t.Fatalf("order: %s", got)
	}
}

// Two consoles in one shared group: all of the site's messages go to the
// one that owns it (see share_test.go for several sites), its alerts and
// its health alike; the other sees none of them.
func TestSubscriberSharedGroup(t *testing.T) {
	b := broker(t)
	r1, r2 := &recorder{}, &recorder{}
	sites := []string{"fresnes"}
	s1, _ := start(t, b, Config{ClientID: "c1", Share: "consoles", Sites: sites, NoSession: true}, r1)
	s2, _ := start(t, b, Config{ClientID: "c2", Share: "consoles", Sites: sites, NoSession: true}, r2)
	waitSettled(t, sites, &member{s: s1, rec: r1}, &member{s: s2, rec: r2})
	owner, other := r1, r2
	if s2.Owns("fresnes") {
		owner, other = r2, r1
	}
	pub := sensor(t, b)
	const n = 200
	const nh = 20
	for i := range n {
		pub("cellsentry/v1/fresnes/s1/alert", alertMsg("fresnes", "s1", fmt.Sprint("x", i), 0))
		if i%(n/nh) == 0 {
			pub("cellsentry/v1/fresnes/s1/health", healthMsg("fresnes", "s1"))
		}
	}
	waitCount(t, "alerts at the owner", n, func() int { return len(owner.alerts()) })
	waitCount(t, "health at the owner", nh, func() int { return owner.count(alerting.KindHealth) })
	time.Sleep(200 * time.Millisecond)
	if a, h := len(other.alerts()), other.count(alerting.KindHealth); a != 0 || h != 0 {
		t.Fatalf("the other member got %d alerts and %d health messages, want none", a, h)
	}
	if a, h := len(owner.alerts()), owner.count(alerting.KindHealth); a != n || h != nh {
		t.Fatalf("the owner got %d alerts and %d health messages, want %d and %d", a, h, n, nh)
	}
}

// TestFilters: what each configuration subscribes to.
func TestFilters(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"every site", Config{}, []string{"cellsentry/v1/+/+/+"}},
		{"two sites", Config{Sites: []string{"a", "b"}}, []string{"cellsentry/v1/a/+/+", "cellsentry/v1/b/+/+"}},
		// The sites it owns are subscribed to later (share.go).
		{"shared", Config{Sites: []string{"a"}, Share: "g"}, []string{"cellsentry/v1/_consoles/g/+/member"}},
	}
	if _, err := New(Config{Broker: "tcp://127.0.0.1:1", Share: "g"}, HandlerFunc(func(Message, time.Time) {}), nil); err == nil ||
		!strings.Contains(err.Error(), "console.sites") {
		t.Errorf("a shared group without sites: %v", err)
	}
	if _, err := New(Config{Broker: "tcp://127.0.0.1:1", Share: "g", Sites: []string{"a"}, ClientID: "c/1"}, HandlerFunc(func(Message, time.Time) {}), nil); err == nil ||
		!strings.Contains(err.Error(), "client id") {
		t.Errorf("a member id with a slash: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Broker, tt.cfg.ClientID = "tcp://127.0.0.1:1", "c"
			s, err := New(tt.cfg, HandlerFunc(func(Message, time.Time) {}), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Filters(); strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("Filters() = %q, want %q", got, tt.want)
			}
		})
	}
}
