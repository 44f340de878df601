package subscribe

import (
	"encoding/json"
	"testing"

	"github.com/cellsentry/cellsentry/alerting"
)

func healthMsg(site, sensor string) []byte {
	temp, free := 48.5, int64(12<<30)
	h := alerting.Health{Schema: alerting.SchemaHealth, Origin: alerting.Origin{Site: site, Sensor: sensor, Wing: "A"},
		Time: t0, Version: "1.0.0", UptimeS: 3600, ConfigHash: "sha256:0123456789abcdef", Mode: alerting.ModeActual, State: "ok",
		Sources: []alerting.SourceHealth{{Name: "dongle0", State: "streaming", Samples: 123456789, Dropped: 12}},
		Bands: []alerting.BandHealth{{Band: "gsm900-ul", CenterHz: 890e6, FloorDBFS: -42.5}, {Band: "gsm900-ul", CenterHz: 892.4e6, FloorDBFS: -42.1},
			{Band: "b20-ul", CenterHz: 847e6, FloorDBFS: -43}, {Band: "dcs1800-ul", CenterHz: 1747.5e6, FloorDBFS: -40.25}},
		Queue: alerting.QueueHealth{Bytes: 4096}, Bursts: map[string]int64{"gsm": 1234, "lte": 567}, TempC: &temp, DiskFreeBytes: &free}
	b, _ := json.Marshal(h)
	return b
}

// BenchmarkDecode is the subscriber's per-message cost before the
// handler: topic, schema v1 validation, JSON decoding, origin check.
func BenchmarkDecode(b *testing.B) {
	sites := map[string]bool{"fresnes": true}
	for _, c := range []struct {
		name, topic string
		payload     []byte
	}{
		{"alert", "cellsentry/v1/fresnes/s1/alert", alertMsg("fresnes", "s1", "bench.s1-gsm-1", 2)},
		{"health", "cellsentry/v1/fresnes/s1/health", healthMsg("fresnes", "s1")},
		{"status", "cellsentry/v1/fresnes/s1/status", statusMsg("fresnes", "s1")},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(c.payload)))
			for b.Loop() {
				if _, err := Decode("", sites, c.topic, c.payload); err != nil {
					b.Fatal(err)
				}
			}
			s := b.Elapsed().Seconds()
			b.ReportMetric(1e6*s/float64(b.N), "µs/msg")
			b.ReportMetric(float64(b.N)/s, "msgs/s")
		})
	}
}
