package main

import (
	"context"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// BenchmarkEndToEndLatency plays the busy-wing scene in real time (as a
// dongle would deliver it, 65536-sample blocks at 2.4 MS/s) through the
// whole daemon to a Mosquitto started here, and measures, at a console
// subscriber, the time from the end of a burst in the IQ to its message:
// for alert events (raised and updated: the end of the burst that made
// them, last_seen) and for burst messages. Block times are wall-clock
// times in a paced run, so both ends are on the same clock.
//
//	go test -run - -bench EndToEndLatency ./cmd/cellsentry
func BenchmarkEndToEndLatency(b *testing.B) {
	const seconds = 20
	broker := testBroker(b)
	var alertLat, burstLat []float64
	for i := 0; i < b.N; i++ {
		sub := consoleSub(b, broker.URL())
		dir := b.TempDir()
		cfg := testSensorConfig(b, dir, "sim://busy-wing", broker.URL(), "sensor-secret", "  publish_bursts: true\n")
		ctx, cancel := context.WithTimeout(context.Background(), seconds*time.Second)
		_, stderr, done := runInProcess(ctx, "--config", cfg, "--no-scan")
		if err := <-done; err != nil {
			b.Fatalf("run: %v\n%s", err, stderr)
		}
		cancel()
		time.Sleep(200 * time.Millisecond)
		for _, m := range sub.Messages() {
			_, _, kind, err := alerting.ParseTopic("", m.Topic)
			if err != nil {
				continue
			}
			switch kind {
			case alerting.KindAlert:
				var a alerting.Alert
				if json.Unmarshal(m.Payload, &a) == nil && (a.State == alerting.StateRaised || a.State == alerting.StateUpdated) {
					alertLat = append(alertLat, m.At.Sub(a.LastSeen).Seconds())
				}
			case alerting.KindBurst:
				var x alerting.Burst
				if json.Unmarshal(m.Payload, &x) == nil {
					end := x.Time.Add(time.Duration(x.DurationS * float64(time.Second)))
					burstLat = append(burstLat, m.At.Sub(end).Seconds())
				}
			}
		}
	}
	if len(alertLat) == 0 || len(burstLat) == 0 {
		b.Fatalf("%d alert events, %d bursts received", len(alertLat), len(burstLat))
	}
	b.ReportMetric(quantile(alertLat, 0.5)*1e3, "alert-p50-ms")
	b.ReportMetric(quantile(alertLat, 0.99)*1e3, "alert-p99-ms")
	b.ReportMetric(float64(len(alertLat))/float64(b.N), "alerts/run")
	b.ReportMetric(quantile(burstLat, 0.5)*1e3, "burst-p50-ms")
	b.ReportMetric(quantile(burstLat, 0.99)*1e3, "burst-p99-ms")
	b.ReportMetric(float64(len(burstLat))/float64(b.N), "bursts/run")
}

func quantile(x []float64, q float64) float64 {
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	i := int(q * float64(len(s)-1))
	return s[i]
}
