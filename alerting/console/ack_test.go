package console

import (
	"context"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
	"github.com/cellsentry/cellsentry/alerting/store"
	"github.com/cellsentry/cellsentry/alerting/subscribe"
)

// ackConsole builds a console of the benchmark's site on broker with a
// persistent session under clientID and its store in dir (the same file
// for every console built on dir, as after a restart).
func ackConsole(t *testing.T, dir, broker, clientID string) *Console {
	t.Helper()
	c := benchConsole(t, dir)
	cfg := c.cfg
	c.Close()
	cfg.MQTT.Broker, cfg.MQTT.ClientID = broker, clientID
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err = New(context.Background(), cfg, Options{Listener: ln})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// storedAlerts counts the alert events in the store, over all incidents.
func storedAlerts(t *testing.T, st *store.Store) int {
	t.Helper()
	ctx := context.Background()
	incs, err := st.Incidents(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, inc := range incs {
		as, err := st.Alerts(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		n += len(as)
	}
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A console acknowledges a message to the broker only once the batch
// holding it is committed. One that dies between receipt and commit (here:
// its subscriber stops and it is closed without a flush, as in a crash)
// gets every message again from its persistent session when it comes back,
// and stores it; a normal run acknowledges everything, so the next start
// gets nothing twice; and a redelivered alert event the store already has
// is not stored twice. The broker's debug log counts the PUBLISHes, their
// DUP flags and the PUBACKs.
func TestAckAfterCommit(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{Debug: true})
	dir := t.TempDir()
	const cid = "console-ack"
	pubc, err := mosquittotest.Connect(t, b.URL(), mosquittotest.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pub := func(topic string, payload []byte) {
		t.Helper()
		if tok := pubc.Publish(topic, 1, false, payload); tok.Wait() && tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	alertOf := func(sensor string, freq float64) []byte {
		a := alerting.Alert{Schema: alerting.SchemaAlert, Origin: alerting.Origin{Site: "bench", Sensor: sensor},
			ID: "bench." + sensor + "-gsm-1", State: alerting.StateRaised, Mode: alerting.ModeActual, Time: now,
			Class: "gsm", Kind: "call", FreqHz: freq, FreqsHz: []float64{freq}, BandwidthHz: 200e3,
			FirstSeen: now.Add(-2 * time.Second), LastSeen: now, Bursts: 50, PowerDBm: -50, RecentDBm: -50,
			PowerDBFS: -20, SNR: 60, Confidence: 0.9}
		p, _ := json.Marshal(&a)
		return p
	}
	statusOf := func(sensor string) []byte {
		p, _ := json.Marshal(alerting.Status{Schema: alerting.SchemaStatus, Origin: alerting.Origin{Site: "bench", Sensor: sensor},
			State: "online", Time: now})
		return p
	}
	// Three phones on channels far apart in three wings, and a status.
	msgs := []struct {
		topic   string
		payload []byte
	}{
		{alerting.Topic("", "bench", "w0-s0", alerting.KindAlert), alertOf("w0-s0", 880.2e6)},
		{alerting.Topic("", "bench", "w3-s1", alerting.KindAlert), alertOf("w3-s1", 900.2e6)},
		{alerting.Topic("", "bench", "w7-s2", alerting.KindAlert), alertOf("w7-s2", 1747.2e6)},
		{alerting.Topic("", "bench", "w9-s0", alerting.KindStatus), statusOf("w9-s0")},
	}
	n := len(msgs)
	pubacks := "Received PUBACK from " + cid

	t.Run("crash before the commit", func(t *testing.T) {
		c := ackConsole(t, dir, b.URL(), cid)
		defer c.Close()
		// The console's own handling without its flush: nothing commits.
		sc := c.cfg.Subscribe()
		sc.ManualAck = true
		sub, err := subscribe.New(sc, subscribe.HandlerFunc(c.handle), nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- sub.Run(ctx) }()
		b.WaitLog("Received SUBSCRIBE from "+cid, 1, 10*time.Second)
		for _, m := range msgs {
			pub(m.topic, m.payload)
		}
		waitFor(t, "messages handled", func() bool { return sub.Stats().Handled == uint64(n) })
		c.mu.Lock()
		held, pending := len(c.acks), c.batch.Len()
		c.mu.Unlock()
		cancel()
		<-done
		if held != n || pending == 0 {
			t.Fatalf("%d messages waiting for their acknowledgement, batch of %d; want %d and > 0", held, pending, n)
		}
		if got := b.CountLog(pubacks); got != 0 {
			t.Fatalf("%d PUBACKs before any commit, want 0", got)
		}
	})

	t.Run("redelivered after the restart", func(t *testing.T) {
		c := ackConsole(t, dir, b.URL(), cid)
		if got := storedAlerts(t, c.st); got != 0 {
			t.Fatalf("%d alert events stored by the crashed console, want 0", got)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		waitFor(t, "the three alerts stored", func() bool { return storedAlerts(t, c.st) == 3 })
		if got := b.WaitLog(pubacks, n, 10*time.Second); got != n {
			t.Fatalf("%d PUBACKs, want %d", got, n)
		}
		if got := b.CountLog("Sending PUBLISH to " + cid + " (d1"); got != n {
			t.Fatalf("%d PUBLISHes redelivered (DUP), want %d", got, n)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})

	t.Run("nothing twice after a normal run", func(t *testing.T) {
		c := ackConsole(t, dir, b.URL(), cid)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		// A marker published now: a redelivery would come before it.
		pub(alerting.Topic("", "bench", "w9-s1", alerting.KindStatus), statusOf("w9-s1"))
		if got := b.WaitLog(pubacks, n+1, 10*time.Second); got != n+1 {
			t.Fatalf("%d PUBACKs, want %d", got, n+1)
		}
		if st := c.sub.Stats(); st.Received != 1 {
			t.Fatalf("received %d messages, want only the marker", st.Received)
		}
		if sent := b.CountLog("Sending PUBLISH to " + cid); sent != 2*n+1 {
			t.Fatalf("%d PUBLISHes to the console, want %d", sent, 2*n+1)
		}
		// A redelivery after a crash that came after the commit: the
		// store keeps the alert event it has (alert id, rev) once.
		c.sub.Inject(msgs[0].topic, msgs[0].payload, time.Now())
		c.flush(ctx)
		if got := storedAlerts(t, c.st); got != 3 {
			t.Fatalf("%d alert events after a redelivery, want 3", got)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}
