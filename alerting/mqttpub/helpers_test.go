package mqttpub

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
	"github.com/cellsentry/cellsentry/alerting/queue"
)

// The site every broker test uses, and its users.
const (
	prefix  = alerting.DefaultPrefix
	site    = "site1"
	sensorA = "sensor-a"
	passA   = "pa-correct-horse"
	passB   = "pb-battery-staple"
	passC   = "pc-console"
)

// wait bounds waits for things that take milliseconds when all is well.
const wait = 20 * time.Second

var users = map[string]string{sensorA: passA, "sensor-b": passB, "console": passC}

// siteBroker starts a broker with the product's users and ACL.
func siteBroker(t testing.TB, opt mosquittotest.Options) *mosquittotest.Broker {
	t.Helper()
	if opt.Users == nil {
		opt.Users = users
	}
	opt.ACL = mosquittotest.ProductACL(prefix, site, "console")
	return mosquittotest.Start(t, opt)
}

// consoleSub subscribes a console user to everything under the prefix, on
// the broker's plain listener.
func consoleSub(t testing.TB, b *mosquittotest.Broker) *mosquittotest.Subscription {
	t.Helper()
	return mosquittotest.Subscribe(t, b.URL(), mosquittotest.ClientOptions{Username: "console", Password: passC}, prefix+"/#")
}

func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// sensorConfig is sensor-a's configuration for broker URL url with its
// password (from a file) and fast retries.
func sensorConfig(t testing.TB, url, password string) Config {
	t.Helper()
	c := Config{
		Broker:  url,
		Origin:  alerting.Origin{Site: site, Sensor: sensorA, Building: "B1", Wing: "west"},
		Version: "test",
		Backoff: Backoff{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond},
	}
	if password != "" {
		c.Username = sensorA
		c.PasswordFile = writeFile(t, "mqtt.pass", password+"\n")
	}
	return c
}

func openQueue(t testing.TB, dir string, opt queue.Options) *queue.Queue {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	q, err := queue.Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close() })
	return q
}

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// running is a Publisher whose Run goroutine the test controls.
type running struct {
	*Publisher
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// start makes a Publisher and runs it until stop or the end of the test.
func start(t testing.TB, cfg Config, q Queue) *running {
	t.Helper()
	logs := &syncBuffer{}
	p, err := New(cfg, q, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Publisher: p, logs: logs, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- p.Run(ctx) }()
	t.Cleanup(func() {
		r.stop(t)
		if t.Failed() {
			t.Logf("publisher log:\n%s", logs.String())
		}
	})
	return r
}

// stop cancels Run and waits for it; it returns Run's error.
func (r *running) stop(t testing.TB) error {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if ok {
			close(r.done)
		}
		return err
	case <-time.After(wait):
		t.Fatalf("Run did not return within %v of its context ending", wait)
		return nil
	}
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// expectKind returns the next message of the subscription on the given
// kind's topic for sensor-a, skipping none: a message of another topic
// fails the test.
func expectKind(t testing.TB, s *mosquittotest.Subscription, kind string) mosquittotest.Message {
	t.Helper()
	m := s.Expect(t, wait)
	if want := alerting.Topic(prefix, site, sensorA, kind); m.Topic != want {
		t.Fatalf("got a message on %s (%s), want one on %s", m.Topic, m.Payload, want)
	}
	if err := alerting.Validate(kind, m.Payload); err != nil {
		t.Fatalf("%s message does not validate: %v\n%s", kind, err, m.Payload)
	}
	return m
}

func decodeStatus(t testing.TB, m mosquittotest.Message) alerting.Status {
	t.Helper()
	var s alerting.Status
	if err := json.Unmarshal(m.Payload, &s); err != nil {
		t.Fatalf("status %s: %v", m.Payload, err)
	}
	return s
}

// alertKey identifies an event for deduplication, as consumers do.
type alertKey struct {
	id  string
	rev int
}

// alertsIn decodes the alert messages among msgs, validating each, in
// arrival order.
func alertsIn(t testing.TB, msgs []mosquittotest.Message) []alerting.Alert {
	t.Helper()
	var out []alerting.Alert
	for _, m := range msgs {
		if m.Topic != alerting.Topic(prefix, site, sensorA, alerting.KindAlert) {
			continue
		}
		if err := alerting.Validate(alerting.KindAlert, m.Payload); err != nil {
			t.Fatalf("alert does not validate: %v\n%s", err, m.Payload)
		}
		if m.QoS != 1 || m.Retained {
			t.Fatalf("alert delivered with QoS %d retained %t, want QoS 1 not retained", m.QoS, m.Retained)
		}
		var a alerting.Alert
		if err := json.Unmarshal(m.Payload, &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// seqAlert is the n-th alert of a sequence test: ids carry n so that the
// order can be checked after deduplication.
func seqAlert(n int) *alerting.Alert {
	a := testAlert(fmt.Sprintf("seq-%04d", n), 0, alerting.StateRaised)
	if n%3 == 1 {
		a.State, a.Rev = alerting.StateUpdated, 1
	}
	return a
}

// checkSequence checks that alerts, deduplicated by (id, rev), are exactly
// seqAlert(0..n-1) in order, and returns the number of duplicates.
func checkSequence(t testing.TB, alerts []alerting.Alert, n int) (dups int) {
	t.Helper()
	seen := map[alertKey]bool{}
	var order []alerting.Alert
	for _, a := range alerts {
		k := alertKey{a.ID, a.Rev}
		if seen[k] {
			dups++
			continue
		}
		seen[k] = true
		order = append(order, a)
	}
	if len(order) != n {
		t.Errorf("%d distinct alerts arrived, want %d", len(order), n)
	}
	for i, a := range order {
		want := seqAlert(i)
		if a.ID != want.ID || a.Rev != want.Rev {
			t.Errorf("distinct alert %d is %s rev %d, want %s rev %d (order broken or one missing)", i, a.ID, a.Rev, want.ID, want.Rev)
			break
		}
	}
	return dups
}

// distinctAlerts counts the distinct alert events among msgs.
func distinctAlerts(msgs []mosquittotest.Message) int {
	seen := map[alertKey]bool{}
	for _, m := range msgs {
		if m.Topic != alerting.Topic(prefix, site, sensorA, alerting.KindAlert) {
			continue
		}
		var a alerting.Alert
		if json.Unmarshal(m.Payload, &a) == nil {
			seen[alertKey{a.ID, a.Rev}] = true
		}
	}
	return len(seen)
}

// expectOnline skips retained status messages (left by an earlier
// publisher on a shared broker) and returns the live "online" one.
func expectOnline(t testing.TB, s *mosquittotest.Subscription) alerting.Status {
	t.Helper()
	for {
		m := expectKind(t, s, alerting.KindStatus)
		if st := decodeStatus(t, m); !m.Retained {
			if st.State != "online" {
				t.Fatalf("live status %+v, want online", st)
			}
			return st
		}
	}
}
