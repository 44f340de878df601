package fusion

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// benchSite is a site of the size the console serves: ten wings of
// 30 m × 10 m in two rows, three sensors in each (30 sensors), walls
// around each wing and a perimeter.
func benchSite() *Site {
	s := &Site{Name: "bench"}
	band := []Band{{Name: "E-GSM900", LowHz: 880e6, HighHz: 915e6}}
	for r := range 2 {
		for c := range 5 {
			x0, y0 := float64(c)*35, float64(r)*20
			name := fmt.Sprintf("W%d%d", r, c)
			poly := []Point{{x0, y0}, {x0 + 30, y0}, {x0 + 30, y0 + 10}, {x0, y0 + 10}}
			s.Wings = append(s.Wings, Wing{Name: name, Polygon: poly})
			for i := range poly {
				s.Walls = append(s.Walls, Wall{A: poly[i], B: poly[(i+1)%4], LossDB: 15})
			}
			for k := range 3 {
				s.Sensors = append(s.Sensors, Sensor{ID: fmt.Sprintf("%s-%d", name, k), Wing: name, X: x0 + 5 + 10*float64(k), Y: y0 + 5, Bands: band, FloorDBm: -110})
			}
		}
	}
	s.Perimeter = []Point{{-20, -20}, {190, -20}, {190, 50}, {-20, 50}}
	s.PerimeterLossDB = 20
	return s
}

// message is one message of a recorded stream.
type message struct {
	alert  *alerting.Alert
	health *alerting.Health
}

// benchStream makes a stream of messages from a site: phones start every
// gap in random wings on random GSM channels; every sensor that receives
// one above its floor (distance and walls, with 6 dB shadowing) raises an
// alert, updates it every 10 s while the phone talks (30 s) and clears it
// 30 s later; and every sensor sends health every healthEvery. Messages
// are in time order.
func benchStream(s *Site, phones int, gap, healthEvery time.Duration) []message {
	rng := rand.New(rand.NewPCG(1, 2))
	f, _ := New(s, Config{})
	type timed struct {
		t time.Time
		m message
	}
	var all []timed
	end := t0
	for p := range phones {
		w := s.Wings[rng.IntN(len(s.Wings))]
		lo, hi := bounds(w.Polygon)
		x, y := lo.X+rng.Float64()*(hi.X-lo.X), lo.Y+rng.Float64()*(hi.Y-lo.Y)
		power := 5 + 20*rng.Float64()
		ch := 880.2e6 + 0.2e6*float64(rng.IntN(170))
		start := t0.Add(time.Duration(p) * gap)
		// The model's geometry with the nearest candidate stands in for a
		// path-loss computation.
		c := 0
		for i, cd := range f.m.cands {
			if math.Hypot(cd.p.X-x, cd.p.Y-y) < math.Hypot(f.m.cands[c].p.X-x, f.m.cands[c].p.Y-y) {
				c = i
			}
		}
		for si, sn := range s.Sensors {
			lv := power - freeSpace1m(ch) - float64(f.m.geo[c*f.m.nSensors+si]) + 6*rng.NormFloat64()
			if lv < sn.FloorDBm {
				continue
			}
			id := fmt.Sprintf("bench.%s-gsm-%d", sn.ID, p)
			first := start.Add(time.Duration(rng.IntN(500)) * time.Millisecond)
			for rev := 0; rev <= 4; rev++ {
				state := alerting.StateUpdated
				last := first.Add(time.Duration(rev) * 10 * time.Second)
				at := last
				switch rev {
				case 0:
					state = alerting.StateRaised
				case 4:
					state, last, at = alerting.StateCleared, first.Add(30*time.Second), first.Add(60*time.Second)
				}
				// PowerDBm is the strongest burst so far: it only grows.
				l := lv + math.Abs(rng.NormFloat64())*float64(rev)/4
				a := &alerting.Alert{
					Schema: alerting.SchemaAlert, Origin: alerting.Origin{Site: "bench", Sensor: sn.ID},
					ID: id, Rev: rev, State: state, Mode: alerting.ModeActual, Time: at,
					Class: "gsm", Kind: "call", FreqHz: ch, FreqsHz: []float64{ch}, BandwidthHz: 200e3,
					FirstSeen: first, LastSeen: last, Bursts: 100 * (rev + 1),
					PowerDBm: alerting.Level(l), RecentDBm: alerting.Level(l), PowerDBFS: alerting.Unknown, SNR: alerting.Level(l + 113),
				}
				all = append(all, timed{at, message{alert: a}})
				if at.After(end) {
					end = at
				}
			}
		}
	}
	if healthEvery > 0 {
		for t := t0; !t.After(end); t = t.Add(healthEvery) {
			for _, sn := range s.Sensors {
				h := &alerting.Health{
					Schema: alerting.SchemaHealth, Origin: alerting.Origin{Site: "bench", Sensor: sn.ID},
					Time: t, State: "ok", Mode: alerting.ModeActual,
					Sources: []alerting.SourceHealth{{Name: "dongle0", State: "streaming"}},
				}
				all = append(all, timed{t, message{health: h}})
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].t.Before(all[j].t) })
	out := make([]message, len(all))
	for i := range all {
		out[i] = all[i].m
	}
	return out
}

// runStream feeds a stream to a fuser as a console does: every message,
// and Advance once per second of message time.
func runStream(f *Fuser, msgs []message) {
	var next time.Time
	for _, m := range msgs {
		var now time.Time
		if m.alert != nil {
			now = m.alert.Time
			f.Alert(m.alert, now)
		} else {
			now = m.health.Time
			f.Health(m.health, now)
		}
		if now.After(next) {
			f.Advance(now)
			next = now.Add(time.Second)
		}
	}
}

// benchmarkStream measures a stream's ingest: messages/s on one goroutine
// (building the fuser excluded), messages per CPU second of the process
// (GC included; on a shared machine it says what one core sustains where
// the wall-clock rate says how busy the neighbours were), and allocations
// per pass over the stream.
func benchmarkStream(b *testing.B, msgs []message) {
	s := benchSite()
	var alerts int
	for _, m := range msgs {
		if m.alert != nil {
			alerts++
		}
	}
	b.ReportAllocs()
	var n int
	var located int64
	var el, cpu time.Duration
	for b.Loop() {
		f, err := New(s, Config{})
		if err != nil {
			b.Fatal(err)
		}
		start, c0 := time.Now(), cpuTime()
		runStream(f, msgs)
		el += time.Since(start)
		cpu += cpuTime() - c0
		n += len(msgs)
		located += f.Stats().Located
	}
	b.ReportMetric(float64(n)/el.Seconds(), "msgs/s")
	if cpu > 0 {
		b.ReportMetric(float64(n)/cpu.Seconds(), "msgs/cpu-s")
	}
	b.ReportMetric(float64(len(msgs)), "msgs/op")
	b.ReportMetric(float64(alerts)/float64(len(msgs))*100, "%alerts")
	b.ReportMetric(float64(located)/float64(n)*float64(len(msgs))/float64(alerts), "locates/alert")
}

// BenchmarkAlert: a stream of alert events only (200 phones on a
// 30-sensor site, each heard by a few sensors: raised, 3 updates,
// cleared).
func BenchmarkAlert(b *testing.B) {
	benchmarkStream(b, benchStream(benchSite(), 200, 2*time.Second, 0))
}

// BenchmarkMixed: the same alerts with every sensor's health every
// second, about half of the messages (on a real site, with health every
// 10–30 s and alerts a few per hour, nearly all messages are health).
func BenchmarkMixed(b *testing.B) {
	benchmarkStream(b, benchStream(benchSite(), 200, 2*time.Second, time.Second))
}

// BenchmarkLocate: one localization on the 30-sensor site (three sensors
// hear the phone, the other 27 are silent).
func BenchmarkLocate(b *testing.B) {
	s := benchSite()
	f, _ := New(s, Config{})
	obs := make([]observation, len(s.Sensors))
	for i := range obs {
		obs[i] = observation{kind: obsBelow, db: -110, sigma: f.m.sigmaDet}
	}
	obs[0] = observation{kind: obsLevel, db: -60, sigma: f.m.sigmaLvl}
	obs[1] = observation{kind: obsLevel, db: -85, sigma: f.m.sigmaLvl}
	obs[3] = observation{kind: obsLevel, db: -102, sigma: f.m.sigmaLvl}
	b.ReportAllocs()
	for b.Loop() {
		f.m.locate(obs, 902.4e6, "gsm")
	}
	b.ReportMetric(float64(len(f.m.cands)), "candidates")
}

// cpuTime is the CPU time (user + system) of the process so far, 0 when
// unknown.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
