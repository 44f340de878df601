package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/pipeline"
	"github.com/cellsentry/cellsentry/hardware"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/hop"
	"github.com/cellsentry/cellsentry/sdr/uri"
)

// The daemon's stages, as the loop below sees them. Each interface lists
// only what the loop calls; run.go plugs in the real ones (alerting/track,
// alerting/mqttpub, alerting/evidence).

// alertTracker turns bursts into alert events.
type alertTracker interface {
	Add(dst []alerting.Alert, b *dsp.Burst) []alerting.Alert
	Advance(dst []alerting.Alert, now time.Time) []alerting.Alert
	Flush(dst []alerting.Alert, now time.Time) []alerting.Alert
}

// alertSink delivers events. Enqueue must have stored the event durably
// when it returns nil: only then does the alert count as raised.
type alertSink interface {
	Enqueue(a *alerting.Alert) error
	PublishHealth(h *alerting.Health) error
	PublishBurst(b *alerting.Burst) error
}

// evidenceRing keeps the recent IQ and writes recordings around alerts.
type evidenceRing interface {
	Write(b *sdr.Block)
	Capture(name string, from, to time.Time) error
}

// dongleRun is one radio with its hop plan and its pipelines.
type dongleRun struct {
	name  string
	src   sdr.Source // already wrapped by the scheduler (and pacing)
	plan  *hop.Plan  // nil when the source stays on one frequency
	band  func(center float64) string
	pipes map[string]*pipeline.Pipeline // by band ("" when there is one)
	block int                           // samples per block

	mu       sync.Mutex
	samples  int64
	dropped  int64
	lastErr  error
	lastAt   time.Time // stream time of the latest block
	lastWall time.Time // wall time it arrived
	center   float64   // tuning of the latest block
	state    string
	// floors holds each hop centre's noise level (dBFS), read by the
	// stream goroutine that owns the pipelines (health runs on another
	// goroutine and must not touch them) at most once a second per centre.
	floors  map[float64]float64
	floorAt map[float64]time.Time

	selftest []string                         // the start-up self-test's findings
	onEvent  func(dr *dongleRun, e uri.Event) // the daemon's reaction to a source event
}

// noteFloor keeps centre's noise level for health; called by the stream
// goroutine after p processed a block tuned to centre.
func (dr *dongleRun) noteFloor(p *pipeline.Pipeline, center float64) {
	now := time.Now()
	dr.mu.Lock()
	defer dr.mu.Unlock()
	if dr.floors == nil {
		dr.floors, dr.floorAt = map[float64]float64{}, map[float64]time.Time{}
	}
	if at, ok := dr.floorAt[center]; ok && now.Sub(at) < time.Second {
		return
	}
	dr.floors[center] = p.FloorDBFS(center)
	dr.floorAt[center] = now
}

// floor is centre's latest noise level (NaN before one is known).
func (dr *dongleRun) floor(center float64) float64 {
	dr.mu.Lock()
	defer dr.mu.Unlock()
	if fl, ok := dr.floors[center]; ok {
		return fl
	}
	return math.NaN()
}

// sourceEvent is called by a live source (from its own goroutine) when the
// dongle or the rtl_tcp connection is lost, retried or back.
func (dr *dongleRun) sourceEvent(e uri.Event) {
	switch e.Kind {
	case "lost":
		dr.setState("lost", e.Err)
	case "retrying":
		dr.setState("reopening", e.Err)
	case "back":
		dr.setState("streaming", nil)
	}
	dr.mu.Lock()
	on := dr.onEvent
	dr.mu.Unlock()
	if on != nil {
		on(dr, e)
	}
}

// daemon runs dongles → pipelines → tracker → sink, and reports health.
type daemon struct {
	origin      alerting.Origin
	mode        string
	version     string
	configHash  string
	dongles     []*dongleRun
	tracker     alertTracker
	sink        alertSink
	evidence    evidenceRing // may be nil
	evidencePre time.Duration
	evidencePos time.Duration
	bursts      bool          // publish every burst (QoS 0)
	healthEvery time.Duration // period of health messages
	queueStats  func() alerting.QueueHealth
	box         *hardware.Monitor     // the Pi's temperature, throttling, disk (nil: none)
	board       *hardware.Board       // LED, local alarm, tamper switch (nil: none)
	excluded    func(hz float64) bool // frequencies never alerted on (the site's own radios)
	m           *metrics
	notify      *notifier
	log         *slog.Logger
	started     time.Time

	mu          sync.Mutex // guards tracker, events, counts
	events      []string   // for the next health message
	classCounts map[string]int64
	alertBuf    []alerting.Alert
	evSeq       int
	open        int         // alerts open, for the status line
	lastState   string      // of the latest health message
	connected   func() bool // broker connection up (nil: no broker)
}

// sourceEvent tells health at once that a source was lost or is back: a
// blind sensor is a security event, not a line in the next periodic
// message. Retries are only logged (they repeat with the backoff).
func (d *daemon) sourceEvent(dr *dongleRun, e uri.Event) {
	switch e.Kind {
	case "lost":
		d.log.Error("source lost; retrying", "source", dr.name, "err", e.Err)
		d.noteEvent(fmt.Sprintf("source %s lost: %v", dr.name, e.Err))
	case "retrying":
		d.log.Warn("source still lost", "source", dr.name, "err", e.Err)
		return
	case "back":
		d.log.Info("source back", "source", dr.name, "gap", e.Gap)
		d.noteEvent(fmt.Sprintf("source %s back after %s", dr.name, e.Gap.Round(time.Millisecond)))
	}
	go d.publishHealth()
}

// noteEvent records something a technician must see in the next health
// message (and logs it).
func (d *daemon) noteEvent(msg string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.events) < 16 {
		d.events = append(d.events, msg)
	}
}

// run streams until ctx ends or every source is exhausted (a recording),
// then clears open alerts and returns. A source error that the source
// itself cannot recover from (a recording ends, a device vanished without
// a resilient wrapper) ends that dongle's loop only.
func (d *daemon) run(ctx context.Context) error {
	d.started = time.Now()
	d.classCounts = map[string]int64{}
	hctx, stopHealth := context.WithCancel(ctx)
	defer stopHealth()
	var hwg sync.WaitGroup
	hwg.Add(1)
	go func() {
		defer hwg.Done()
		d.healthLoop(hctx)
	}()

	var wg sync.WaitGroup
	errs := make([]error, len(d.dongles))
	for i, dr := range d.dongles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.stream(ctx, dr)
		}()
	}
	// Alerts must clear even when no block arrives (a source lost): the
	// tracker also advances on the wall clock while sources are silent.
	tick := time.NewTicker(time.Second)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
loop:
	for {
		select {
		case <-done:
			break loop
		case now := <-tick.C:
			if d.silentSince(now) > 2*time.Second {
				d.advance(now)
			}
			d.notify.tick(now)
			d.notify.setStatus(d.statusLine())
			d.showState()
		}
	}
	tick.Stop()
	d.mu.Lock()
	last, _ := d.latest()
	d.alertBuf = d.tracker.Flush(d.alertBuf[:0], last)
	d.emitLocked(d.alertBuf)
	d.mu.Unlock()
	stopHealth()
	hwg.Wait()
	d.publishHealth() // the last state, with the final counts
	return errors.Join(errs...)
}

// latest is the newest block time over all dongles, and the wall time at
// which that block arrived.
func (d *daemon) latest() (stream, wall time.Time) {
	for _, dr := range d.dongles {
		dr.mu.Lock()
		if dr.lastAt.After(stream) {
			stream, wall = dr.lastAt, dr.lastWall
		}
		dr.mu.Unlock()
	}
	if stream.IsZero() {
		now := time.Now()
		return now, now
	}
	return stream, wall
}

// silentSince is how long no block has arrived (wall clock).
func (d *daemon) silentSince(now time.Time) time.Duration {
	_, wall := d.latest()
	return now.Sub(wall)
}

// advance moves the tracker's clock while sources are silent. Stream time
// is what the tracker runs on (a recording played fast is hours ahead of
// the wall clock, or months behind), so the silence is added to the
// latest block's time rather than reading the wall clock.
func (d *daemon) advance(now time.Time) {
	stream, wall := d.latest()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.alertBuf = d.tracker.Advance(d.alertBuf[:0], stream.Add(now.Sub(wall)))
	d.emitLocked(d.alertBuf)
}

// stream is one dongle's loop: read, keep for evidence, detect, track.
func (d *daemon) stream(ctx context.Context, dr *dongleRun) error {
	log := d.log.With("source", dr.name)
	buf := make([]complex64, dr.block)
	blk := sdr.Block{Samples: buf}
	var bursts []dsp.Burst
	var lastSeq uint64
	srcLabel := d.m.samples.WithLabelValues(dr.name)
	dropLabel := d.m.dropped.WithLabelValues(dr.name)
	up := d.m.sourceUp.WithLabelValues(dr.name)
	dr.setState("streaming", nil)
	up.Set(1)
	defer up.Set(0)
	for {
		if ctx.Err() != nil {
			dr.setState("stopped", nil)
			return nil
		}
		blk.Samples = buf[:cap(buf)]
		blk.Dropped = 0
		err := dr.src.ReadBlock(&blk)
		if err != nil {
			if errors.Is(err, io.EOF) {
				dr.setState("stopped", nil)
				log.Info("source ended")
				return nil
			}
			if ctx.Err() != nil {
				dr.setState("stopped", nil)
				return nil
			}
			dr.setState("lost", err)
			log.Error("source lost", "err", err)
			d.noteEvent(fmt.Sprintf("source %s lost: %v", dr.name, err))
			return fmt.Errorf("source %s: %w", dr.name, err)
		}
		if lastSeq != 0 && blk.Seq > lastSeq+1 && blk.Dropped == 0 {
			// A gap in block numbers that the source did not count.
			blk.Dropped = int64(blk.Seq-lastSeq-1) * int64(len(blk.Samples))
		}
		lastSeq = blk.Seq
		dr.mu.Lock()
		dr.samples += int64(len(blk.Samples))
		dr.dropped += blk.Dropped
		dr.lastAt = blk.Time
		dr.lastWall = time.Now()
		dr.center = blk.Center
		if blk.Time.IsZero() {
			dr.lastAt = dr.lastWall
		}
		dr.state = "streaming"
		if blk.Settling {
			dr.state = "settling"
		}
		dr.mu.Unlock()
		srcLabel.Add(float64(len(blk.Samples)))
		if blk.Dropped > 0 {
			dropLabel.Add(float64(blk.Dropped))
		}
		if d.evidence != nil {
			d.evidence.Write(&blk)
		}
		p := dr.pipes[dr.band(blk.Center)]
		if p == nil {
			continue // a center outside every configured band (cannot happen with a plan)
		}
		bursts, err = p.Process(bursts[:0], &blk)
		if err != nil {
			return fmt.Errorf("source %s: pipeline: %w", dr.name, err)
		}
		dr.noteFloor(p, blk.Center)
		d.mu.Lock()
		for i := range bursts {
			b := &bursts[i]
			d.classCounts[b.Class.String()]++
			d.m.bursts.WithLabelValues(b.Class.String()).Inc()
			if d.bursts {
				d.publishBurst(b)
			}
			if d.excluded != nil && d.excluded(b.Freq) {
				continue
			}
			d.alertBuf = d.tracker.Add(d.alertBuf[:0], b)
			d.emitLocked(d.alertBuf)
		}
		now := blk.Time.Add(time.Duration(float64(len(blk.Samples)) / blk.Rate * float64(time.Second)))
		d.alertBuf = d.tracker.Advance(d.alertBuf[:0], now)
		d.emitLocked(d.alertBuf)
		d.open = d.openAlerts()
		d.mu.Unlock()
		d.notify.processed(time.Now())
	}
}

// showState drives the status LED and the local alarm: alerting while an
// alert is open (the alarm too), no broker, degraded, or ok.
func (d *daemon) showState() {
	if d.board == nil {
		return
	}
	d.mu.Lock()
	open := d.open
	d.mu.Unlock()
	d.board.Alarm(open > 0)
	st := hardware.StateOK
	switch {
	case open > 0:
		st = hardware.StateAlerting
	case d.connected != nil && !d.connected():
		st = hardware.StateNoBroker
	case d.lastState != "ok":
		st = hardware.StateDegraded
	}
	d.board.SetState(st)
}

// openAlerts counts alerts raised and not cleared (d.mu held).
func (d *daemon) openAlerts() int {
	if c, ok := d.tracker.(interface{ Open() int }); ok {
		return c.Open()
	}
	return 0
}

// statusLine is the one line `systemctl status` shows.
func (d *daemon) statusLine() string {
	streaming := 0
	for _, dr := range d.dongles {
		dr.mu.Lock()
		if dr.state == "streaming" || dr.state == "settling" {
			streaming++
		}
		dr.mu.Unlock()
	}
	d.mu.Lock()
	open := d.open
	d.mu.Unlock()
	return fmt.Sprintf("%d/%d sources streaming, %d alerts open", streaming, len(d.dongles), open)
}

func (dr *dongleRun) setState(s string, err error) {
	dr.mu.Lock()
	dr.state, dr.lastErr = s, err
	dr.mu.Unlock()
}

// emitLocked stores every event durably (d.mu held). An event that cannot
// be stored is logged loudly and noted in health: the disk is the last
// place an alert can be kept, and the guard must learn the sensor is
// degraded.
func (d *daemon) emitLocked(evs []alerting.Alert) {
	for i := range evs {
		a := &evs[i]
		if a.Schema == "" {
			a.Schema = alerting.SchemaAlert
		}
		if a.State == alerting.StateRaised && d.evidence != nil && a.Evidence == "" {
			d.evSeq++
			name := a.ID
			a.Evidence = name + ".sigmf-meta"
			from := a.FirstSeen.Add(-d.evidencePre)
			if err := d.evidence.Capture(name, from, a.LastSeen.Add(d.evidencePos)); err != nil {
				d.log.Warn("evidence not kept", "alert", a.ID, "err", err)
				a.Evidence = ""
			}
		}
		if err := d.sink.Enqueue(a); err != nil {
			d.log.Error("ALERT NOT STORED", "alert", a.ID, "state", a.State, "err", err)
			if len(d.events) < 16 {
				d.events = append(d.events, "alert not stored: "+err.Error())
			}
			continue
		}
		d.m.alerts.WithLabelValues(a.Class, a.State).Inc()
		if a.State == alerting.StateRaised {
			d.log.Info("alert raised", "alert", a.ID, "class", a.Class, "freq_mhz", a.FreqHz/1e6, "bursts", a.Bursts, "confidence", a.Confidence)
		}
	}
}

func (d *daemon) publishBurst(b *dsp.Burst) {
	m := alerting.Burst{
		Schema: alerting.SchemaBurst, Origin: d.origin, Time: b.Start.UTC(),
		DurationS: b.Duration.Seconds(), FreqHz: math.Round(b.Freq), BandwidthHz: math.Round(b.Bandwidth()),
		PowerDBFS: alerting.Level(b.PowerDBFS), PowerDBm: alerting.Level(b.PowerDBm), SNR: alerting.Level(b.SNR),
		Class: b.Class.String(), Kind: b.Kind, Clipped: b.Clipped,
	}
	_ = d.sink.PublishBurst(&m) // QoS 0: lost when offline, by design
}

func (d *daemon) healthLoop(ctx context.Context) {
	// The first message soon after start, so that a console sees a new
	// sensor at once; then every healthEvery.
	first := time.NewTimer(2 * time.Second)
	defer first.Stop()
	t := time.NewTicker(d.healthEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-first.C:
			d.publishHealth()
		case <-t.C:
			d.publishHealth()
		}
	}
}

// health builds the current health message. State: blind when no source
// streams (nothing detected then means nothing heard), degraded when one
// of several is lost, samples are being dropped, alerts were discarded, or
// something needs a technician; ok otherwise.
func (d *daemon) health() alerting.Health {
	now := time.Now()
	h := alerting.Health{
		Schema: alerting.SchemaHealth, Origin: d.origin, Time: now.UTC(), Version: d.version,
		UptimeS: math.Round(now.Sub(d.started).Seconds()*10) / 10, ConfigHash: d.configHash, Mode: d.mode,
		Sources: []alerting.SourceHealth{}, Bands: []alerting.BandHealth{},
	}
	streaming := 0
	dropping := false
	for _, dr := range d.dongles {
		dr.mu.Lock()
		sh := alerting.SourceHealth{Name: dr.name, State: dr.state, Samples: dr.samples, Dropped: dr.dropped}
		if dr.lastErr != nil {
			sh.Error = dr.lastErr.Error()
		}
		if (sh.State == "streaming" || sh.State == "settling") && now.Sub(dr.lastWall) > 5*time.Second && !dr.lastWall.IsZero() {
			sh.State = "lost"
			sh.Error = "no samples for " + now.Sub(dr.lastWall).Round(time.Second).String()
		}
		if sh.State == "streaming" || sh.State == "settling" {
			streaming++
		}
		if dr.samples > 0 && float64(dr.dropped) > 0.001*float64(dr.samples) {
			dropping = true
		}
		dr.mu.Unlock()
		h.Sources = append(h.Sources, sh)
		for band := range dr.pipes {
			for _, c := range dr.centers(band) {
				fl := dr.floor(c)
				h.Bands = append(h.Bands, alerting.BandHealth{Band: band, CenterHz: c, FloorDBFS: alerting.Level(fl)})
				if !math.IsNaN(fl) {
					d.m.floor.WithLabelValues(band, strconv.FormatFloat(c, 'f', 0, 64)).Set(fl)
				}
			}
		}
	}
	sort.Slice(h.Bands, func(i, j int) bool { return h.Bands[i].CenterHz < h.Bands[j].CenterHz })
	if d.queueStats != nil {
		h.Queue = d.queueStats()
	}
	if d.box != nil {
		hh := d.box.Health()
		if hh.HasCPUTemp {
			c := math.Round(hh.CPUTemp*10) / 10
			h.TempC = &c
		}
		if hh.HasThrottled {
			h.Throttled = hh.Throttled.Names()
		}
		if hh.HasDisk {
			free := int64(hh.Disk.Free)
			h.DiskFreeBytes = &free
		}
		h.Degraded = hh.Degraded()
	}
	if d.board != nil && d.board.Tampered() {
		// Repeated in every health message while latched: the console
		// keeps its tamper incident open as long as the events say so.
		h.Tampered = true
		h.Events = append(h.Events, "tamper: the enclosure was opened (latched until the service is reloaded)")
	}
	d.mu.Lock()
	h.Bursts = make(map[string]int64, len(d.classCounts))
	for k, v := range d.classCounts {
		h.Bursts[k] = v
	}
	h.Events = append(h.Events, d.events...)
	d.events = nil
	d.mu.Unlock()
	switch {
	case streaming == 0:
		h.State = "blind"
	case streaming < len(d.dongles) || dropping || h.Queue.Dropped > 0 || len(h.Events) > 0 || len(h.Degraded) > 0:
		h.State = "degraded"
	default:
		h.State = "ok"
	}
	return h
}

func (d *daemon) publishHealth() {
	h := d.health()
	d.mu.Lock()
	d.lastState = h.State
	d.mu.Unlock()
	if err := d.sink.PublishHealth(&h); err != nil {
		d.log.Debug("health not published", "err", err)
	}
}

// centers lists the hop centers of a band in the dongle's plan, or the
// source's one center.
func (dr *dongleRun) centers(band string) []float64 {
	if dr.plan == nil {
		dr.mu.Lock()
		defer dr.mu.Unlock()
		if dr.center == 0 {
			return nil
		}
		return []float64{dr.center}
	}
	var cs []float64
	seen := map[float64]bool{}
	for _, st := range dr.plan.Steps {
		if st.Band == band && !seen[st.Center] {
			seen[st.Center] = true
			cs = append(cs, st.Center)
		}
	}
	return cs
}
