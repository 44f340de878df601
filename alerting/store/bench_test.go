package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// BenchmarkIngest measures the console's ingest path: each message is an
// alert event, which the fusion turns into an update of its incident
// (phone heard by two sensors) — one incident upsert and one alert insert
// per message — or a health message; batches of 1 to 1000 messages per
// transaction. "alert" passes the payload as received (IncidentAlert.Raw;
// the same bytes per incident, the store does not read them),
// "alert-encode" lets the store encode the Alert; "health" is 40 sensors'
// messages in turn, so that a batch of more than 40 writes only the latest
// of each sensor (the rest coalesced). msgs/s is the store's share of the ≥ 10,000 msgs/s target
// (fusion + store on one core: run with -cpu 1; the whole path is
// alerting/console's BenchmarkIngest), msgs/cpu-s the same per
// CPU second of the process (GC and SQLite included). SetBytes counts the
// alert's JSON as the MQTT payload.
func BenchmarkIngest(b *testing.B) {
	for _, kind := range []string{"alert", "alert-encode", "health"} {
		for _, batch := range []int{1, 10, 100, 1000} {
			b.Run(fmt.Sprintf("%s/batch=%d", kind, batch), func(b *testing.B) {
				s, _, _ := newStore(b)
				ctx := context.Background()
				const incidents, sensors = 200, 40
				for i := 0; i < sensors; i++ {
					if err := s.DeclareSensor(ctx, "s1", fmt.Sprintf("a%02d", i), "A", ""); err != nil {
						b.Fatal(err)
					}
				}
				incs := make([]alerting.Incident, incidents)
				alerts := make([]*alerting.Alert, incidents)
				for i := range incs {
					incs[i] = phone(fmt.Sprintf("i%d", i), t0, true, fmt.Sprintf("a%02d", i%sensors), fmt.Sprintf("a%02d", (i+1)%sensors))
					alerts[i] = alert(fmt.Sprintf("s1.a%02d-gsm-%d", i%sensors, i), 0, fmt.Sprintf("a%02d", i%sensors), t0)
				}
				if err := s.SaveIncidents(ctx, incs); err != nil {
					b.Fatal(err)
				}
				hs := make([]*alerting.Health, sensors)
				for i := range hs {
					hs[i] = health(fmt.Sprintf("a%02d", i), t0, "ok")
				}
				raws := make([][]byte, incidents)
				for i, a := range alerts {
					raws[i], _ = json.Marshal(a)
				}
				payload := raws[0]
				if kind == "health" {
					payload, _ = json.Marshal(hs[0])
				}
				var bt Batch
				msg := 0
				b.SetBytes(int64(len(payload) * batch))
				b.ReportAllocs()
				b.ResetTimer()
				cpu0, w0 := cpuTime(), written()
				for n := 0; n < b.N; n++ {
					bt.Reset()
					for k := 0; k < batch; k++ {
						msg++
						tm := t0.Add(time.Duration(msg) * time.Millisecond)
						if kind == "health" {
							h := hs[msg%sensors]
							h.Time = tm
							bt.Healths = append(bt.Healths, h)
							continue
						}
						i := msg % incidents
						a := alerts[i]
						a.Rev++
						a.Time, a.LastSeen = tm, tm
						incs[i].LastSeen = tm
						bt.Incidents = append(bt.Incidents, incs[i])
						ia := IncidentAlert{IncidentID: incs[i].ID, Alert: a}
						if kind == "alert" {
							ia.Raw = raws[i]
						}
						bt.Alerts = append(bt.Alerts, ia)
					}
					if _, err := s.Ingest(ctx, &bt); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "msgs/s")
				b.ReportMetric(float64(b.N*batch)/(cpuTime()-cpu0).Seconds(), "msgs/cpu-s")
				if w0 >= 0 {
					b.ReportMetric(float64(written()-w0)/float64(b.N*batch), "written-B/msg")
				}
			})
		}
	}
}

// cpuTime is the CPU time (user + system) of the process so far. On a
// shared machine, messages per CPU second says what one core sustains
// where wall-clock rates say how busy the neighbours were.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// written is the number of bytes the process has passed to write(2) so far
// (wchar of /proc/self/io: WAL frames and checkpoints; a measure of the
// I/O per message that does not depend on the machine's load), or -1.
func written() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "wchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
	}
	return -1
}

// BenchmarkIncidents measures the console's queries against 100,000
// incidents over 400 days (two sites, six wings, 40 sensors; the last 1000
// open, the rest closed; two sensors shelved, one out of service).
func BenchmarkIncidents(b *testing.B) {
	const total, open, sensors = 100_000, 1000, 40
	ctx := context.Background()
	c := &clock{}
	s, err := Open(filepath.Join(b.TempDir(), "big.db"), Options{Now: c.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	span := 400 * 24 * time.Hour
	start := t0.Add(-span)
	step := span / total
	c.Set(t0)
	for i := 0; i < sensors; i++ {
		for _, site := range []string{"s1", "s2"} {
			if err := s.DeclareSensor(ctx, site, fmt.Sprintf("a%02d", i), "", ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	built := time.Now()
	classes := []string{"gsm", "gsm", "lte", "lte", "lte", "umts"}
	kinds := []string{alerting.IncidentPhone, alerting.IncidentPhone, alerting.IncidentPhone, alerting.IncidentPhone,
		alerting.IncidentSensorOffline, alerting.IncidentSourceLost, alerting.IncidentOverload}
	var bt Batch
	for i := 0; i < total; i += 1000 {
		bt.Reset()
		for k := i; k < i+1000; k++ {
			first := start.Add(time.Duration(k) * step)
			inc := phone(fmt.Sprintf("inc-%06d", k), first, k >= total-open,
				fmt.Sprintf("a%02d", k%sensors), fmt.Sprintf("a%02d", (k*7+1)%sensors))
			inc.Site = []string{"s1", "s2"}[k%2]
			inc.Wing = string(rune('A' + k%6))
			inc.Class = classes[k%len(classes)]
			inc.Kind = kinds[k%len(kinds)]
			if inc.Kind != alerting.IncidentPhone {
				inc.Sensor = inc.Sensors[0].Sensor
			}
			bt.Incidents = append(bt.Incidents, inc)
		}
		if _, err := s.Ingest(ctx, &bt); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.w.Exec(`UPDATE incidents SET resolution = 'false-alarm', resolved_by = 'ann', resolved_at = last_seen,
		acked_by = 'ann', acked_at = last_seen, base_alarm = 'closed', closed_at = last_seen WHERE active = 0`); err != nil {
		b.Fatal(err)
	}
	// What the console's daily Prune does: statistics for the planner.
	analyzed := time.Now()
	if _, err := s.Prune(ctx, t0); err != nil {
		b.Fatal(err)
	}
	b.Logf("Prune (ANALYZE incidents) took %v", time.Since(analyzed).Round(time.Millisecond))
	for _, sn := range []string{"s1/a03", "s1/a04"} {
		if err := s.Shelve(ctx, sn, "tech", t0.Add(time.Hour), ""); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.SetOutOfService(ctx, "s2/a05", "tech", true, ""); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %d incidents in %v", total, time.Since(built).Round(time.Millisecond))

	for _, q := range []struct {
		name string
		f    Filter
	}{
		{"newest-50", Filter{Limit: 50}},
		{"open", Filter{OpenOnly: true, Limit: 100}},
		{"unacknowledged", Filter{Alarm: alerting.AlarmUnacknowledged, Limit: 100}},
		{"shelved", Filter{Alarm: alerting.AlarmShelved, Limit: 100}},
		{"site-wing-50", Filter{Site: "s1", Wing: "C", Limit: 50}},
		{"sensor-50", Filter{Sensor: "a07", Limit: 50}},
		{"class-kind-50", Filter{Class: "umts", Kind: alerting.IncidentTamper, Limit: 50}},
		{"last-24h", Filter{Since: t0.Add(-24 * time.Hour)}},
		{"month-ago-day", Filter{Since: t0.Add(-31 * 24 * time.Hour), Until: t0.Add(-30 * 24 * time.Hour)}},
		{"page-1000", Filter{Limit: 50, Offset: 1000}},
	} {
		b.Run(q.name, func(b *testing.B) {
			rows := 0
			b.ReportAllocs()
			cpu0 := cpuTime()
			for n := 0; n < b.N; n++ {
				l, err := s.Incidents(ctx, q.f)
				if err != nil {
					b.Fatal(err)
				}
				rows = len(l)
			}
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1e3/float64(b.N), "cpu-ms/query")
		})
	}
	b.Run("incident-by-id", func(b *testing.B) {
		b.ReportAllocs()
		for n := 0; n < b.N; n++ {
			if _, err := s.Incident(ctx, fmt.Sprintf("inc-%06d", n%total)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
	})
	b.Run("export-month", func(b *testing.B) {
		var buf bytes.Buffer
		b.ReportAllocs()
		for n := 0; n < b.N; n++ {
			buf.Reset()
			if err := s.ExportCSV(ctx, &buf, Filter{Since: t0.Add(-30 * 24 * time.Hour)}); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(buf.Len()))
		b.ReportMetric(float64(bytes.Count(buf.Bytes(), []byte("\r\n"))-1), "rows")
	})
}
