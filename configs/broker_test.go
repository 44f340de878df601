package configs

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
	"github.com/cellsentry/cellsentry/alerting/subscribe"
)

// TestShippedSubscribes: the shipped console config, through Subscribe,
// connects anonymously to a local Mosquitto (started by the test on a port
// of its own instead of 1883) and receives what the shipped sensor config
// publishes: its site, prefix and topics agree with the console's.
func TestShippedSubscribes(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	c := mustLoadConsole(t, "console.yaml")
	sensor := mustLoad(t, "sensor.yaml")
	cfg := c.Subscribe()
	cfg.Broker, cfg.NoSession = b.URL(), true
	var handled atomic.Int64
	s, err := subscribe.New(cfg, subscribe.HandlerFunc(func(m subscribe.Message, _ time.Time) {
		if m.Status != nil && m.Status.Origin.Sensor == sensor.Sensor.ID {
			handled.Add(1)
		}
	}), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "the subscriber to connect", s.Connected)
	time.Sleep(100 * time.Millisecond) // its SUBSCRIBE follows the CONNACK

	pub, err := mosquittotest.Connect(t, b.URL(), mosquittotest.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o := sensor.Origin()
	payload, err := json.Marshal(alerting.Status{Schema: alerting.SchemaStatus, Origin: o, State: "online", Time: time.Now().UTC()})
	if err != nil {
		t.Fatal(err)
	}
	if tok := pub.Publish(sensor.Topic(alerting.KindStatus), 1, false, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	waitFor(t, "the sensor's status to reach the console", func() bool { return handled.Load() == 1 })
	if st := s.Stats(); st.Malformed != 0 || st.Foreign != 0 {
		t.Errorf("stats %+v", st)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
