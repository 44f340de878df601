package console

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/store"
	"github.com/cellsentry/cellsentry/alerting/subscribe"
	"github.com/cellsentry/cellsentry/configs"
)

// benchT0 is the start of the benchmark's message time.
var benchT0 = time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)

// benchWings and benchPerWing size the benchmark's site: ten wings of
// 30 m × 10 m in two rows of five, 15 dB walls, three sensors per wing
// (30 sensors, a large prison).
const benchWings, benchPerWing = 10, 3

// benchSiteYAML is the site in the console's format.
func benchSiteYAML() string {
	var b strings.Builder
	b.WriteString("name: bench\nbuildings:\n  - name: main\n    floors: 1\nwings:\n")
	for w := range benchWings {
		x0, y0 := float64(w%5)*35, float64(w/5)*20
		fmt.Fprintf(&b, "  - name: W%d\n    building: main\n    floor: 0\n    polygon: [[%g, %g], [%g, %g], [%g, %g], [%g, %g]]\n",
			w, x0, y0, x0+30, y0, x0+30, y0+10, x0, y0+10)
	}
	b.WriteString("walls:\n")
	for w := range benchWings {
		x0, y0 := float64(w%5)*35, float64(w/5)*20
		p := [][2]float64{{x0, y0}, {x0 + 30, y0}, {x0 + 30, y0 + 10}, {x0, y0 + 10}}
		for i := range p {
			q := p[(i+1)%4]
			fmt.Fprintf(&b, "  - {name: W%d-%d, from: [%g, %g], to: [%g, %g], loss: 15dB}\n", w, i, p[i][0], p[i][1], q[0], q[1])
		}
	}
	b.WriteString("boundary:\n  polygon: [[-20, -20], [190, -20], [190, 50], [-20, 50]]\n  loss: 20dB\nsensors:\n")
	for w := range benchWings {
		x0, y0 := float64(w%5)*35, float64(w/5)*20
		for k := range benchPerWing {
			fmt.Fprintf(&b, "  - id: w%d-s%d\n    wing: W%d\n    position: {x: %g, y: %g, floor: 0}\n", w, k, w, x0+5+10*float64(k), y0+5)
		}
	}
	return b.String()
}

// wireMsg is one MQTT message as the broker delivers it.
type wireMsg struct {
	topic   string
	payload []byte
	at      time.Time
	alert   bool
}

// benchStream is a site's traffic in time order, as JSON on its topics:
// a phone starts every second in a random wing on the next GSM channel,
// heard by the three sensors of its wing at decreasing levels; each
// sensor's alert is raised, updated every 10 s for 30 s and cleared 30 s
// later; every sensor sends health (two sources' worth of bands, queue,
// temperature) every healthEvery.
func benchStream(phones int, healthEvery time.Duration) []wireMsg {
	rng := rand.New(rand.NewPCG(6, 10))
	var all []wireMsg
	end := benchT0
	for p := range phones {
		w := rng.IntN(benchWings)
		// A channel of its own while it lasts (two phones on one channel
		// at once would be one emitter to the fusion).
		ch := 880.2e6 + 0.2e6*float64(p%170)
		start := benchT0.Add(time.Duration(p) * time.Second)
		for k := range benchPerWing {
			sensor := fmt.Sprintf("w%d-s%d", w, k)
			lv := -60 - 15*float64(k) + 3*rng.NormFloat64()
			first := start.Add(time.Duration(rng.IntN(500)) * time.Millisecond)
			for rev := range 5 {
				state, last := alerting.StateUpdated, first.Add(time.Duration(rev)*10*time.Second)
				at := last
				switch rev {
				case 0:
					state = alerting.StateRaised
				case 4:
					state, last, at = alerting.StateCleared, first.Add(30*time.Second), first.Add(60*time.Second)
				}
				a := alerting.Alert{
					Schema: alerting.SchemaAlert, Origin: alerting.Origin{Site: "bench", Sensor: sensor, Wing: fmt.Sprintf("W%d", w)},
					ID: fmt.Sprintf("bench.%s-gsm-%d", sensor, p), Rev: rev, State: state, Mode: alerting.ModeActual, Time: at,
					Class: "gsm", Kind: "call", FreqHz: ch, FreqsHz: []float64{ch}, BandwidthHz: 200e3,
					FirstSeen: first, LastSeen: last, Bursts: 100 * (rev + 1),
					PowerDBm: alerting.Level(lv), RecentDBm: alerting.Level(lv), PowerDBFS: alerting.Level(lv + 30), SNR: alerting.Level(lv + 113),
					Confidence: 0.9,
				}
				payload, _ := json.Marshal(&a)
				all = append(all, wireMsg{alerting.Topic("", "bench", sensor, alerting.KindAlert), payload, at, true})
				if at.After(end) {
					end = at
				}
			}
		}
	}
	temp, free := 48.5, int64(12<<30)
	for t := benchT0; !t.After(end); t = t.Add(healthEvery) {
		for w := range benchWings {
			for k := range benchPerWing {
				sensor := fmt.Sprintf("w%d-s%d", w, k)
				h := alerting.Health{
					Schema: alerting.SchemaHealth, Origin: alerting.Origin{Site: "bench", Sensor: sensor, Wing: fmt.Sprintf("W%d", w)},
					Time: t, Version: "1.0.0", UptimeS: t.Sub(benchT0).Seconds() + 3600, ConfigHash: "sha256:0123456789abcdef",
					Mode: alerting.ModeActual, State: "ok",
					Sources: []alerting.SourceHealth{{Name: "dongle0", State: "streaming", Samples: 123456789, Dropped: 12}},
					Bands: []alerting.BandHealth{{Band: "gsm900-ul", CenterHz: 890e6, FloorDBFS: -42.5}, {Band: "gsm900-ul", CenterHz: 892.4e6, FloorDBFS: -42.1},
						{Band: "b20-ul", CenterHz: 847e6, FloorDBFS: -43}, {Band: "dcs1800-ul", CenterHz: 1747.5e6, FloorDBFS: -40.25}},
					Queue: alerting.QueueHealth{Bytes: 4096}, Bursts: map[string]int64{"gsm": 1234, "lte": 567},
					TempC: &temp, DiskFreeBytes: &free,
				}
				payload, _ := json.Marshal(&h)
				all = append(all, wireMsg{alerting.Topic("", "bench", sensor, alerting.KindHealth), payload, t, false})
			}
		}
	}
	slices.SortStableFunc(all, func(a, b wireMsg) int { return a.at.Compare(b.at) })
	return all
}

// benchConsole builds a console from the shipped console.yaml and the
// benchmark's site (as site.yaml beside it) with a fresh store in dir.
// The subscriber never connects: messages are injected.
func benchConsole(b testing.TB, dir string) *Console {
	b.Helper()
	site := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(site, []byte(benchSiteYAML()), 0o644); err != nil {
		b.Fatal(err)
	}
	shipped, err := os.ReadFile(filepath.Join("..", "..", "configs", "console.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "console.yaml")
	if err := os.WriteFile(cfgPath, shipped, 0o644); err != nil {
		b.Fatal(err)
	}
	cfg, err := configs.LoadConsole(cfgPath)
	if err != nil {
		b.Fatal(err)
	}
	cfg.Settings.Store = filepath.Join(dir, "console.db")
	if s := cfg.Sites(); len(s) != 1 || s[0].Name != "bench" || len(s[0].Sensors) != benchWings*benchPerWing {
		b.Fatalf("the shipped console.yaml no longer reads site.yaml beside it: %d sites", len(s))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	c, err := New(context.Background(), cfg, Options{Listener: ln})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// cpuTime is the CPU time (user + system) of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// written is the number of bytes the process has passed to write(2) and
// pwrite(2) so far (wchar of /proc/self/io: WAL frames, checkpoints,
// statement journals), or -1: I/O per message does not depend on the
// machine's load.
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

// BenchmarkIngest measures the console's ingest on one core
// (GOMAXPROCS=1): every message through the subscriber's handling
// (subscribe.Decode: schema validation and decoding, redelivery check),
// the console's handle (fusion) and its flush (one store transaction per
// batch, then each changed incident read back for the browsers and
// encoded for the broker), with the fusers' Advance once per second of
// message time, as Console.Run does. A batch is flushed every 1000
// messages (the 100 ms flush tick at 10,000 msgs/s) or at maxBatch.
//
// Mixes: "alerts" (phones only: 300 calls, each heard by three sensors,
// five events per alert), "mixed" (the same with every sensor's health
// every 5 s: about a third health), "health" (health every second: about
// three quarters health). "wire" is the whole path; "decoded" leaves
// subscribe.Decode out (the messages are decoded before the timer), which
// is the fusion + store share.
//
// msgs/s is per wall-clock second, msgs/cpu-s per CPU second of the
// process (GC and SQLite included; on a shared machine it says what one
// core sustains), allocs/msg and B/msg the allocations per message,
// written-B/msg the bytes written, locates/alert the localizations the
// fusion computed per alert event (it skips those whose evidence has not
// changed), merges/op the incidents merged.
func BenchmarkIngest(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, mix := range []struct {
		name   string
		health time.Duration
	}{{"alerts", time.Hour}, {"mixed", 5 * time.Second}, {"health", time.Second}} {
		msgs := benchStream(300, mix.health)
		if mix.health == time.Hour {
			msgs = slices.DeleteFunc(msgs, func(m wireMsg) bool { return !m.alert })
		}
		var bytes, alerts int
		for _, m := range msgs {
			bytes += len(m.payload)
			if m.alert {
				alerts++
			}
		}
		for _, path := range []string{"wire", "decoded"} {
			b.Run(mix.name+"/"+path, func(b *testing.B) {
				ctx := context.Background()
				var el, cpu time.Duration
				var wrote, located, merged int64
				var mallocs, allocBytes uint64
				n := 0
				b.SetBytes(int64(bytes))
				b.ReportAllocs()
				for b.Loop() {
					b.StopTimer()
					c := benchConsole(b, b.TempDir())
					var decoded []subscribe.Message
					if path == "decoded" {
						decoded = make([]subscribe.Message, len(msgs))
						for i, m := range msgs {
							d, err := subscribe.Decode(c.prefix, nil, m.topic, m.payload)
							if err != nil {
								b.Fatal(err)
							}
							decoded[i] = d
						}
					}
					runtime.GC()
					var ms0, ms1 runtime.MemStats
					runtime.ReadMemStats(&ms0)
					b.StartTimer()
					start, c0, w0 := time.Now(), cpuTime(), written()
					var next time.Time
					for i, m := range msgs {
						if decoded != nil {
							c.handle(decoded[i], m.at)
						} else {
							c.sub.Inject(m.topic, m.payload, m.at)
						}
						if m.at.After(next) {
							// Console.Run's advance tick, on message time.
							c.mu.Lock()
							for _, f := range c.fusers {
								c.addIncidents(f.Advance(m.at))
							}
							c.mu.Unlock()
							next = m.at.Add(time.Second)
						}
						select {
						case <-c.kick:
							c.flush(ctx)
						default:
							if i%1000 == 999 {
								c.flush(ctx)
							}
						}
					}
					c.flush(ctx)
					el += time.Since(start)
					cpu += cpuTime() - c0
					wrote += written() - w0
					b.StopTimer()
					runtime.ReadMemStats(&ms1)
					mallocs += ms1.Mallocs - ms0.Mallocs
					allocBytes += ms1.TotalAlloc - ms0.TotalAlloc
					n += len(msgs)
					if got := c.sub.Stats(); decoded == nil && (got.Handled != uint64(len(msgs)) || got.Malformed+got.Foreign+got.Duplicates != 0) {
						b.Fatalf("subscriber stats %+v for %d messages", got, len(msgs))
					}
					for _, f := range c.fusers {
						located += f.Stats().Located
						merged += f.Stats().Merged
					}
					if err := c.Close(); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				b.ReportMetric(float64(n)/el.Seconds(), "msgs/s")
				if cpu > 0 {
					b.ReportMetric(float64(n)/cpu.Seconds(), "msgs/cpu-s")
				}
				b.ReportMetric(float64(mallocs)/float64(n), "allocs/msg")
				b.ReportMetric(float64(allocBytes)/float64(n), "B/msg")
				if wrote >= 0 {
					b.ReportMetric(float64(wrote)/float64(n), "written-B/msg")
				}
				b.ReportMetric(float64(len(msgs)), "msgs/op")
				b.ReportMetric(float64(located)/float64(n)*float64(len(msgs))/float64(alerts), "locates/alert")
				b.ReportMetric(float64(merged)/float64(n)*float64(len(msgs)), "merges/op")
				b.ReportMetric(100*float64(alerts)/float64(len(msgs)), "%alerts")
			})
		}
	}
}

// TestIngestMerge: through the console's path (Inject, handle, flush), a
// phone heard first by one sensor of wing W0, then by one of W5 across
// two walls, becomes two incidents that merge once the first sensor's
// update makes their times compatible: the store then holds one open
// incident with both sensors and both alerts, the other closed and merged
// into it, and the merge in the audit log.
func TestIngestMerge(t *testing.T) {
	ctx := context.Background()
	c := benchConsole(t, t.TempDir())
	defer c.Close()
	send := func(sensor string, rev int, first, last float64, dbm float64) {
		t.Helper()
		ts := func(s float64) time.Time { return benchT0.Add(time.Duration(s * float64(time.Second))) }
		state := alerting.StateRaised
		if rev > 0 {
			state = alerting.StateUpdated
		}
		a := alerting.Alert{Schema: alerting.SchemaAlert, Origin: alerting.Origin{Site: "bench", Sensor: sensor},
			ID: "bench." + sensor + "-gsm-1", Rev: rev, State: state, Mode: alerting.ModeActual, Time: ts(last),
			Class: "gsm", Kind: "call", FreqHz: 902.4e6, FreqsHz: []float64{902.4e6}, BandwidthHz: 200e3,
			FirstSeen: ts(first), LastSeen: ts(last), Bursts: 50, PowerDBm: alerting.Level(dbm), RecentDBm: alerting.Level(dbm),
			PowerDBFS: alerting.Level(dbm + 30), SNR: alerting.Level(dbm + 110), Confidence: 0.9}
		payload, err := json.Marshal(&a)
		if err != nil {
			t.Fatal(err)
		}
		c.sub.Inject(alerting.Topic("", "bench", sensor, alerting.KindAlert), payload, ts(last))
		c.flush(ctx)
	}
	// A phone at (15, 9) in W0 at about 2 dBm: w0-s1 (15, 5) hears it at
	// −50 dBm, w5-s1 (15, 25) through two 15 dB walls at −95 dBm.
	send("w0-s1", 0, 0, 2, -50)
	send("w5-s1", 0, 12, 14, -95) // after w0-s1's last update plus the slack: an incident of its own
	open, err := c.st.Incidents(ctx, store.Filter{OpenOnly: true})
	if err != nil || len(open) != 2 {
		t.Fatalf("before the update: %d open incidents (%v), want 2", len(open), err)
	}
	send("w0-s1", 1, 0, 15, -50)
	open, err = c.st.Incidents(ctx, store.Filter{OpenOnly: true})
	if err != nil || len(open) != 1 {
		t.Fatalf("after the update: %d open incidents (%v), want 1", len(open), err)
	}
	keep := open[0]
	if len(keep.Sensors) != 2 || keep.Wing != "W0" {
		t.Errorf("survivor: wing %s, %d sensors; want W0, 2", keep.Wing, len(keep.Sensors))
	}
	alerts, err := c.st.Alerts(ctx, keep.ID)
	if err != nil || len(alerts) != 3 {
		t.Errorf("survivor's alert events: %d (%v), want 3", len(alerts), err)
	}
	all, err := c.st.Incidents(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var merged []string
	for _, x := range all {
		if x.Method == store.MethodMerged && x.LinkedTo == keep.ID && x.Alarm == alerting.AlarmClosed {
			merged = append(merged, x.ID)
		}
	}
	if len(all) != 2 || len(merged) != 1 {
		t.Fatalf("%d incidents stored, %d merged into %s; want 2 and 1", len(all), len(merged), keep.ID)
	}
	log, err := c.st.AuditLog(ctx, time.Time{}, 0)
	if err != nil || len(log) == 0 || log[0].Action != store.ActionMerge || log[0].Target != merged[0] {
		t.Errorf("audit log %+v (%v), want the merge of %s", log, err, merged[0])
	}
}
