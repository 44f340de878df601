package mqttpub

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
	"github.com/cellsentry/cellsentry/alerting/queue"
)

// benchQueueBytes lifts the queue's size cap above what a benchmark fills,
// so that it measures appends, not the cap's drops.
const benchQueueBytes = 1 << 30

func alertBytes(b *testing.B) int {
	data, err := json.Marshal(seqAlert(0))
	if err != nil {
		b.Fatal(err)
	}
	return len(data)
}

// BenchmarkEnqueue is the cost of raising an alert: JSON encoding and a
// durable append (fsync), or without the fsync for comparison.
func BenchmarkEnqueue(b *testing.B) {
	for _, mode := range []struct {
		name   string
		noSync bool
	}{{"fsync", false}, {"nosync", true}} {
		b.Run(mode.name, func(b *testing.B) {
			q := openQueue(b, "", queue.Options{NoSync: mode.noSync, MaxBytes: benchQueueBytes})
			p, err := New(sensorConfig(b, "tcp://127.0.0.1:1", ""), q, nil)
			if err != nil {
				b.Fatal(err)
			}
			a := seqAlert(0)
			b.ReportAllocs()
			b.SetBytes(int64(alertBytes(b)))
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				a.Rev = i
				if err := p.Enqueue(a); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "alerts/s")
		})
	}
}

// BenchmarkPublishQoS1 is the publisher's throughput to a local Mosquitto,
// from the queue to PUBACK and Ack, for a few in-flight windows:
// "queued" starts with b.N alerts in the queue (the drain after an outage);
// "enqueue" raises them during the run, each appended with fsync, as the
// daemon does.
func BenchmarkPublishQoS1(b *testing.B) {
	broker := siteBroker(b, mosquittotest.Options{})
	for _, mode := range []string{"queued", "enqueue"} {
		for _, inflight := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/inflight=%d", mode, inflight), func(b *testing.B) {
				// Filling the queue ahead is not measured, and fsync
				// plays no part in sending: NoSync for "queued".
				q := openQueue(b, "", queue.Options{NoSync: mode == "queued", MaxBytes: benchQueueBytes})
				cfg := sensorConfig(b, broker.URL(), passA)
				cfg.Inflight = inflight
				p, err := New(cfg, q, nil)
				if err != nil {
					b.Fatal(err)
				}
				if mode == "queued" {
					for i := range b.N {
						if err := p.Enqueue(seqAlert(i)); err != nil {
							b.Fatal(err)
						}
					}
				}
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				b.ReportAllocs()
				b.SetBytes(int64(alertBytes(b)))
				b.ResetTimer()
				start := time.Now()
				go func() { done <- p.Run(ctx) }()
				if mode == "enqueue" {
					for i := range b.N {
						if err := p.Enqueue(seqAlert(i)); err != nil {
							b.Fatal(err)
						}
					}
				}
				deadline := time.Now().Add(time.Minute)
				for p.Stats().Acked < uint64(b.N) {
					if time.Now().After(deadline) {
						b.Fatalf("acked %d of %d after a minute", p.Stats().Acked, b.N)
					}
					time.Sleep(100 * time.Microsecond)
				}
				elapsed := time.Since(start)
				b.StopTimer()
				cancel()
				<-done
				st := p.Stats()
				b.ReportMetric(float64(b.N)/elapsed.Seconds(), "alerts/s")
				b.ReportMetric(st.Latency.Sum/float64(st.Latency.Count)*1e3, "ms-puback")
			})
		}
	}
}
