package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"sync"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/mqttpub"
	"github.com/cellsentry/cellsentry/alerting/queue"
	"github.com/cellsentry/cellsentry/alerting/track"
	"github.com/cellsentry/cellsentry/dsp/pipeline"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// simSensor is one simulated sensor of the demo: the scene rendered for
// its position, played in real time, through the same daemon loop as
// `cellsentry run` (pipeline → tracker → durable queue → MQTT publisher).
// Only the radio is simulated.
type simSensor struct {
	id   string
	d    *daemon
	pub  *mqttpub.Publisher
	q    *queue.Queue
	src  *sim.Source
	lag  *lagMeter
	log  *slog.Logger
	done chan error // the daemon loop's result
	pubd chan error // the publisher's

	stopPub context.CancelFunc
}

// simSensorConfig is what a simulated sensor needs from the demo.
type simSensorConfig struct {
	site, id, wing string
	pos            sim.Point
	scene          *sim.Scene
	broker         string
	passwordFile   string
	stateDir       string
	healthEvery    time.Duration
}

// startSimSensor opens the sensor's queue, publisher and source and starts
// its loops. ctx ends the daemon loop; the publisher runs until stop, so
// that the last alert events and the offline status still go out.
func startSimSensor(ctx context.Context, c simSensorConfig, log *slog.Logger) (*simSensor, error) {
	log = log.With("sensor", c.id)
	origin := alerting.Origin{Site: c.site, Sensor: c.id, Wing: c.wing, Position: &alerting.Position{X: c.pos.X, Y: c.pos.Y}}
	q, err := queue.Open(filepath.Join(c.stateDir, "queue-"+c.id), queue.Options{MaxBytes: 4 << 20, NoSync: true, Log: log})
	if err != nil {
		return nil, fmt.Errorf("sensor %s: queue: %w", c.id, err)
	}
	pub, err := mqttpub.New(mqttpub.Config{
		Broker: c.broker, ClientID: c.id, Username: c.id, PasswordFile: c.passwordFile,
		Origin: origin, Version: version, KeepAlive: 10 * time.Second,
		Backoff: mqttpub.Backoff{Min: 200 * time.Millisecond, Max: 2 * time.Second},
	}, q, log.With("stage", "mqtt"))
	if err != nil {
		q.Close()
		return nil, fmt.Errorf("sensor %s: mqtt: %w", c.id, err)
	}
	src, err := c.scene.Open(c.id)
	if err != nil {
		q.Close()
		return nil, fmt.Errorf("sensor %s: scene: %w", c.id, err)
	}
	d := sim.DefaultDongle()
	// dBm = dBFS + FullScale(G): the calibration a technician measures
	// with a signal generator (sdr/sim's level model).
	p, err := pipeline.New(pipeline.Config{CalOffsetDB: d.FullScale - (src.Gain() - d.RefGain)})
	if err != nil {
		src.Close()
		q.Close()
		return nil, fmt.Errorf("sensor %s: pipeline: %w", c.id, err)
	}
	tr, err := track.New(track.Config{Mode: alerting.ModeExercise}, origin)
	if err != nil {
		src.Close()
		q.Close()
		return nil, fmt.Errorf("sensor %s: tracker: %w", c.id, err)
	}
	lag := &lagMeter{src: newPaced(ctx, src, false)}
	dr := &dongleRun{name: "sim0", src: lag, block: runBlock / 2, band: func(float64) string { return "" },
		pipes: map[string]*pipeline.Pipeline{"": p}, state: "starting"}
	s := &simSensor{id: c.id, pub: pub, q: q, src: src, lag: lag, log: log, done: make(chan error, 1), pubd: make(chan error, 1)}
	s.d = &daemon{
		origin: origin, mode: alerting.ModeExercise, version: version, configHash: "demo",
		tracker: tr, sink: pub, healthEvery: c.healthEvery, dongles: []*dongleRun{dr},
		m: newMetrics(), notify: &notifier{log: log}, log: log,
		connected: func() bool { return pub.State().Connected },
		queueStats: func() alerting.QueueHealth {
			st := q.Stats()
			return alerting.QueueHealth{Depth: st.Depth, Bytes: st.Bytes, Dropped: st.Dropped}
		},
	}
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.stopPub = cancel
	go func() { s.pubd <- pub.Run(pctx) }()
	go func() { s.done <- s.d.run(ctx) }()
	return s, nil
}

// stop waits for the daemon loop (its ctx must have ended: it clears
// nothing, the sensor goes away, not the phones), gives the publisher up
// to drain to send what is queued, then ends it (offline status) and
// closes the queue and the source.
func (s *simSensor) stop(drain time.Duration) error {
	err := <-s.done
	deadline := time.Now().Add(drain)
	for s.q.Stats().Depth > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	s.stopPub()
	if perr := <-s.pubd; perr != nil && err == nil {
		err = perr
	}
	s.q.Close()
	s.src.Close()
	return err
}

// lagMeter measures how far a paced source runs behind the wall clock: a
// block whose last sample should have left the dongle at T and that is
// handed over at T + lag. The demo renders the radio in the same process
// as the detection, so when the machine cannot keep up the lag grows.
type lagMeter struct {
	src *paced
	now func() time.Time // the wall clock (time.Now; a test's)

	mu   sync.Mutex
	last time.Duration // lag of the latest block
	max  time.Duration // since the last report
}

// behindAfter is the lag at which the demo says it is not keeping up,
// and backUnder the lag under which it says it is back. Up to a second
// of lag is scheduling noise on a loaded machine (0.5–0.9 s seen while
// keeping up on average); the gap between the two keeps the lines from
// flapping.
const (
	behindAfter = time.Second
	backUnder   = 200 * time.Millisecond
)

func (l *lagMeter) ReadBlock(b *sdr.Block) error {
	if err := l.src.ReadBlock(b); err != nil {
		return err
	}
	end := b.Time.Add(time.Duration(float64(len(b.Samples)) / b.Rate * float64(time.Second)))
	now := time.Now
	if l.now != nil {
		now = l.now
	}
	lag := now().Sub(end)
	l.mu.Lock()
	l.last = lag
	l.max = max(l.max, lag, time.Nanosecond)
	l.mu.Unlock()
	return nil
}

func (l *lagMeter) Close() error { return l.src.Close() }

// takeMax returns the largest lag since the last call (the latest block's
// when none came since) and starts again.
func (l *lagMeter) takeMax() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.max
	if m == 0 {
		m = l.last
	}
	l.max = 0
	return m
}

// cpuMeter turns the process's CPU time into a share of one core between
// two readings.
type cpuMeter struct {
	wall time.Time
	cpu  time.Duration
}

func (c *cpuMeter) read() (core float64) {
	now, cpu := time.Now(), processCPU()
	if !c.wall.IsZero() {
		if dt := now.Sub(c.wall); dt > 0 {
			core = float64(cpu-c.cpu) / float64(dt)
		}
	}
	c.wall, c.cpu = now, cpu
	return math.Round(core*100) / 100
}
