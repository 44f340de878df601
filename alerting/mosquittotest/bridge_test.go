package mosquittotest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A site broker bridged to a central one: what a sensor publishes on the
// site reaches a subscriber on the central broker; bursts and other sites'
// topics do not cross; QoS 1 messages published while the link is cut are
// queued on the site and delivered, once each, when it comes back.
func TestBridge(t *testing.T) {
	central := Start(t, Options{})
	link := NewProxy(t, central.Addr())
	site := Start(t, Options{Bridge: &Bridge{Name: "north-bridge", Address: link.Addr(), Topics: SiteBridgeTopics("cellsentry/v1", "north")}})
	sub := Subscribe(t, central.URL(), ClientOptions{}, "cellsentry/v1/#")
	waitBridge(t, central, 1)
	sensor := mustDial(t, site.URL(), nil)
	pub := func(topic string, qos byte, payload string) {
		t.Helper()
		tok := sensor.Publish(topic, qos, false, payload)
		if !tok.WaitTimeout(wait) || tok.Error() != nil {
			t.Fatalf("publish %s: %v", topic, tok.Error())
		}
	}
	for _, tc := range []struct {
		topic string
		qos   byte
		cross bool
	}{
		{"cellsentry/v1/north/a1/alert", 1, true},
		{"cellsentry/v1/north/a1/status", 1, true},
		{"cellsentry/v1/north/a1/health", 1, true},
		{"cellsentry/v1/north/a1/burst", 0, false},
		{"cellsentry/v1/south/b1/alert", 1, false},
	} {
		pub(tc.topic, tc.qos, "before "+tc.topic)
	}
	// A marker published last: once it is there, everything that
	// crosses has crossed.
	pub("cellsentry/v1/north/marker/alert", 1, "marker")
	if sub.WaitCount(4, wait) < 4 {
		t.Fatalf("central got %d messages", len(sub.Messages()))
	}
	got := map[string]int{}
	for _, m := range sub.Messages() {
		got[m.Topic]++
		if m.QoS != 1 {
			t.Errorf("%s crossed at QoS %d", m.Topic, m.QoS)
		}
	}
	for _, topic := range []string{"cellsentry/v1/north/a1/alert", "cellsentry/v1/north/a1/status", "cellsentry/v1/north/a1/health", "cellsentry/v1/north/marker/alert"} {
		if got[topic] != 1 {
			t.Errorf("%s crossed %d times, want 1", topic, got[topic])
		}
	}
	for _, topic := range []string{"cellsentry/v1/north/a1/burst", "cellsentry/v1/south/b1/alert"} {
		if got[topic] != 0 {
			t.Errorf("%s crossed the bridge", topic)
		}
	}

	// The link is cut and stays down: the site broker still takes the
	// sensor's alerts and queues them.
	link.Refuse(true)
	if link.Cut() != 1 {
		t.Fatal("no bridge connection to cut")
	}
	before := len(sub.Messages())
	const queued = 50
	for i := range queued {
		pub("cellsentry/v1/north/a1/alert", 1, fmt.Sprintf("queued %d", i))
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(sub.Messages()); n != before {
		t.Fatalf("%d messages crossed a cut link", n-before)
	}
	link.Refuse(false)
	if n := sub.WaitCount(before+queued, 20*time.Second); n < before+queued {
		t.Fatalf("after the link came back the central broker got %d of %d queued alerts\nsite log:\n%s", n-before, queued, site.Log())
	}
	time.Sleep(300 * time.Millisecond) // a duplicate would arrive now
	// QoS 1 is at least once: what was in flight when the link was cut
	// (its PUBACK lost) comes again, marked DUP; consumers drop it by
	// (id, rev). Nothing else may come twice, nothing may be missing.
	seen, again := map[string]int{}, 0
	for _, m := range sub.Messages()[before:] {
		p := string(m.Payload)
		if strings.HasPrefix(p, "queued ") {
			seen[p]++
			continue
		}
		again++
		if got[m.Topic] != 1 {
			t.Errorf("after the cut: %s %q, never sent before", m.Topic, p)
		}
	}
	for i := range queued {
		if p := fmt.Sprintf("queued %d", i); seen[p] != 1 {
			t.Errorf("%q delivered %d times", p, seen[p])
		}
	}
	t.Logf("%d queued alerts delivered once each after the link came back; %d messages in flight at the cut delivered again", queued, again)
}

// waitBridge waits until the central broker logged n bridge connections
// (mosquitto marks them with the "bridge" protocol flag via try_private).
func waitBridge(t *testing.T, central *Broker, n int) {
	t.Helper()
	if got := central.WaitLog("as north-bridge", n, wait); got < n {
		t.Fatalf("central broker saw %d bridge connections, want %d:\n%s", got, n, central.Log())
	}
}

func TestBridgeConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		br   Bridge
		want []string // lines of the section
		err  string
	}{
		{"plain", Bridge{Address: "127.0.0.1:1883", Topics: SiteBridgeTopics("cellsentry/v1", "north")},
			[]string{"connection site-bridge", "address 127.0.0.1:1883", "cleansession false", "restart_timeout 1", "topic cellsentry/v1/north/+/alert out 1"}, ""},
		{"tls with certificate", Bridge{Name: "b", Address: "c:8883", Topics: []string{"x out 1"}, Username: "u", Password: "p", CAFile: "ca.pem", CertFile: "c.pem", KeyFile: "k.pem", RetrySeconds: 7},
			[]string{"connection b", "remote_username u", "remote_password p", "bridge_cafile ca.pem", "bridge_certfile c.pem", "bridge_keyfile k.pem", "restart_timeout 7"}, ""},
		{"no address", Bridge{Topics: []string{"x out 1"}}, nil, "bridge: needs an Address and Topics"},
		{"no topics", Bridge{Address: "a:1"}, nil, "bridge: needs an Address and Topics"},
		{"certificate without key", Bridge{Address: "a:1", Topics: []string{"x"}, CAFile: "ca", CertFile: "c"}, nil, "bridge: CertFile and KeyFile go together"},
		{"certificate without tls", Bridge{Address: "a:1", Topics: []string{"x"}, CertFile: "c", KeyFile: "k"}, nil, "bridge: a client certificate needs CAFile (TLS)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.br.config()
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(got, "\n")
			for _, w := range tc.want {
				found := false
				for _, l := range lines {
					found = found || l == w
				}
				if !found {
					t.Errorf("no line %q in\n%s", w, got)
				}
			}
		})
	}
}
