package track

import (
	"fmt"
	"math"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/dsp"
)

// Radio constants the grouping rests on (see the package doc).
const (
	tdmaFrameNs  = 120e6 / 26 // GSM TDMA frame, ns (4.615 ms)
	gsmRaster    = 200e3      // GSM and UMTS channel raster, Hz
	lteRaster    = 100e3      // LTE channel raster, Hz
	gsmHopSpan   = 75e6       // widest band one call hops over (DCS 1800 uplink), Hz
	lteMaxSpan   = 20e6       // widest LTE carrier, Hz
	umtsHalfBand = 2.5e6      // half a UMTS carrier, Hz
	lteSlotNs    = 500e3      // LTE slot, ns
	lteGridTolNs = 20e3       // LTE slot-grid tolerance, ns
	umtsSegment  = 10 * time.Millisecond
	umtsWeight   = 250 * time.Millisecond
	// phaseHorizon is how long a GSM phase is trusted across a gap; after
	// it a burst on the call's channel re-anchors the phase. At the
	// default ClockPPM the tolerance has grown by 10 µs.
	phaseHorizon = time.Second
	// levelTolDB is how far a GSM burst's power may be from its call's
	// recent power: power control moves 2 dB per 60 ms and fading across
	// hopped channels reaches 15 dB indoors, but a burst 20 dB off is
	// another phone (or noise) that happens to fit the timing.
	levelTolDB = 20
	// outlierFactor: a GSM burst within this many phase tolerances of a
	// live call on its channel is that call's, badly timed.
	outlierFactor = 4
	// absorbHorizon: a burst of another class joins a GSM call by its
	// timing only this close to the call's latest burst.
	absorbHorizon = time.Second
	// phaseAlpha is the gain of the phase follower: each burst pulls the
	// call's phase reference by this fraction of its residual, so that a
	// weak burst's timing error does not move it far and clock drift is
	// followed.
	phaseAlpha = 0.3
	// nearChannel: a burst belongs to a channel heard within this, Hz.
	nearChannel = 100e3
	// reorderHold is how long after its end a burst waits before it is
	// processed, so that bursts are taken in start order and a stronger
	// twin reported a little later is seen by the ghost check.
	reorderHold = 20 * time.Millisecond
	// maxPending bounds the reorder buffer.
	maxPending = 1024
	// ringSize is the number of processed bursts kept for the ghost check.
	ringSize = 64
	// recentN is the number of bursts averaged into RecentDBm.
	recentN = 8
	// maxChans bounds the channels an activity lists.
	maxChans = 32
	// evidenceScale sets confidence = 1 − exp(−E/evidenceScale).
	evidenceScale = 3
	// snrFull is the SNR at which a burst counts fully, dB.
	snrFull = 10
	// callRun is the run of consecutive TDMA frames that marks a call
	// (speech or SID), not signalling (SDCCH sends 4 frames in a row).
	callRun = 8
	// signallingSpan: normal bursts over more than this without a call's
	// run are signalling (the SDCCH sends 4 frames per 235 ms multiframe).
	signallingSpan = 500 * time.Millisecond
)

// Burst-kind bits seen by an activity, for Alert.Kind.
const (
	seenNormal uint16 = 1 << iota
	seenAccess
	seenTrain
	seenPUSCH
	seenPRACH
	seenOther
)

// Stats counts what the tracker has done since New.
type Stats struct {
	Open       int      // alerts open now
	Candidates int      // activities gathering evidence
	Bursts     [8]int64 // bursts fed, by dsp.Class
	Raised     [8]int64 // alerts raised, by dsp.Class
	Updated    int64    // updated events
	Cleared    int64    // cleared events
	Ghosts     int64    // bursts dropped as the image or echo of a stronger one
	Absorbed   int64    // bursts of another class joined to a GSM call by their timing
	Leaks      int64    // rhythm trains dropped as a stronger call's leakage
	Outliers   int64    // GSM bursts near a call's phase but outside its tolerance
	Ignored    int64    // interference, unknown (unless allowed) and malformed bursts
	Expired    int64    // candidates forgotten without raising
	Evicted    int64    // activities dropped because MaxGroups was reached
	Dropped    int64    // bursts dropped because MaxGroups alerts were all being heard
}

// chanCount counts the bursts heard on one channel (key = round(f/raster)).
type chanCount struct {
	key int64
	n   int32
}

// group is one activity: the bursts of one emitter.
type group struct {
	used   bool
	class  dsp.Class
	raised bool
	id     string
	rev    int
	mode   string
	raster float64
	center float64 // tuning of the first burst
	first  int64   // start of the earliest burst, ns
	last   int64   // end of the latest burst, ns
	firstF float64 // channel of the first burst, Hz
	n      int

	// GSM timing.
	hasPhase    bool
	phaseRef    float64 // start of a burst on the call's phase, ns
	run, maxRun int
	lastKey     int64   // channel of the latest single burst
	lastLvl     float64 // its power
	// LTE slot grid and power spectral density.
	hasGrid bool
	gridRef float64 // ns
	psd     float64 // running mean, dBm/180 kHz (dBFS when uncalibrated)
	// level is the running mean of the bursts' power, dBm (dBFS when
	// uncalibrated): a GSM burst joins a call only within levelTolDB.
	level float64

	times [maxMinBursts]int64 // ends of the latest bursts (ring)
	ti    int
	ev    float64 // decaying evidence E at evAt
	evAt  int64
	conf  float64 // highest confidence reached

	maxDBm, maxDBFS, maxSNR float64
	recent                  [recentN]float64
	nrecent                 int
	clipped                 bool
	lo, hi                  float64
	chans                   [maxChans]chanCount
	nchans                  int
	kinds                   uint16
	overload                time.Duration // summed overload time
	scoreSum                float64       // overload: sum of burst scores

	lastEvent int64
	dirty     bool // bursts since the last event
}

// ringEntry is a processed burst kept for the ghost check.
type ringEntry struct {
	start, end     int64
	lo, hi, center float64
	snr            float64
}

// Tracker groups bursts into activities and runs their alert lifecycle.
// Not safe for concurrent use.
type Tracker struct {
	cfg     Config
	origin  alerting.Origin
	mode    string
	groups  []group
	pending []dsp.Burst // sorted by Start from phead
	phead   int
	horizon int64 // latest burst end or Advance time, ns
	ring    [ringSize]ringEntry
	nring   int
	stats   Stats
	// onJoin, set by tests, sees every burst with the slot of the activity
	// it joined.
	onJoin func(b *dsp.Burst, slot int)
}

// New checks cfg (filling defaults) and the origin's site and sensor names,
// and allocates the activity table. origin is copied into every event
// (its Position pointer is shared, never written).
func New(cfg Config, origin alerting.Origin) (*Tracker, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := alerting.CheckName(origin.Site); err != nil {
		return nil, fmt.Errorf("track: origin site: %w", err)
	}
	if err := alerting.CheckName(origin.Sensor); err != nil {
		return nil, fmt.Errorf("track: origin sensor: %w", err)
	}
	return &Tracker{
		cfg:     c,
		origin:  origin,
		mode:    c.Mode,
		groups:  make([]group, c.MaxGroups),
		pending: make([]dsp.Burst, 0, maxPending),
	}, nil
}

// Config returns the configuration in use, defaults filled in.
func (t *Tracker) Config() Config { return t.cfg }

// SetMode sets the mode of the alerts raised from now on (the test-mode
// switch). Open alerts keep the mode they were raised with, so that one
// alert never counts in two statistics.
func (t *Tracker) SetMode(mode string) error {
	if err := checkMode(mode); err != nil {
		return err
	}
	t.mode = mode
	return nil
}

// Mode returns the mode new alerts are raised with.
func (t *Tracker) Mode() string { return t.mode }

// Stats returns the counters, with the current number of open alerts and
// candidates.
func (t *Tracker) Stats() Stats {
	s := t.stats
	for i := range t.groups {
		g := &t.groups[i]
		switch {
		case !g.used:
		case g.raised:
			s.Open++
		default:
			s.Candidates++
		}
	}
	return s
}

// Add feeds one burst and appends the events it causes to dst. Bursts are
// processed in start order reorderHold (20 ms) after their end, so the
// events may be those of a burst fed a little earlier. b is copied.
func (t *Tracker) Add(dst []alerting.Alert, b *dsp.Burst) []alerting.Alert {
	if int(b.Class) < len(t.stats.Bursts) {
		t.stats.Bursts[b.Class]++
	}
	if len(t.pending) == cap(t.pending) {
		n := copy(t.pending, t.pending[t.phead:])
		t.pending, t.phead = t.pending[:n], 0
		if n == cap(t.pending) {
			dst = t.process(dst, 0)
			n = copy(t.pending, t.pending[1:])
			t.pending = t.pending[:n]
		}
	}
	t.pending = append(t.pending, *b)
	start := b.Start.UnixNano()
	for i := len(t.pending) - 1; i > t.phead && t.pending[i-1].Start.UnixNano() > start; i-- {
		t.pending[i], t.pending[i-1] = t.pending[i-1], t.pending[i]
	}
	if end := start + int64(b.Duration); end > t.horizon {
		t.horizon = end
	}
	return t.drain(dst, t.horizon-int64(reorderHold))
}

// Advance moves stream time to now (the time of the latest sample, not
// the wall clock) and appends the events due: bursts held for reordering,
// updates whose interval has passed, and alerts quiet for ClearAfter
// (cleared with Time = last burst + ClearAfter). Call it regularly, e.g.
// after every block.
func (t *Tracker) Advance(dst []alerting.Alert, now time.Time) []alerting.Alert {
	n := now.UnixNano()
	if n > t.horizon {
		t.horizon = n
	}
	dst = t.drain(dst, t.horizon-int64(reorderHold))
	n = t.horizon
	for i := range t.groups {
		g := &t.groups[i]
		if !g.used {
			continue
		}
		switch {
		case g.raised && n-g.last >= int64(t.cfg.ClearAfter):
			dst = t.event(dst, g, alerting.StateCleared, g.last+int64(t.cfg.ClearAfter))
			t.free(g)
			t.stats.Cleared++
		case g.raised && g.dirty && n-g.lastEvent >= int64(t.cfg.UpdateInterval):
			dst = t.event(dst, g, alerting.StateUpdated, n)
			t.stats.Updated++
		case !g.raised && n-g.last > int64(t.cfg.Window):
			t.free(g)
			t.stats.Expired++
		}
	}
	return dst
}

// Flush ends the stream at now: it processes the bursts still held,
// clears every open alert (Time = now, or the last burst if later) and
// forgets the candidates. The tracker can then be used for a new stream.
func (t *Tracker) Flush(dst []alerting.Alert, now time.Time) []alerting.Alert {
	for t.phead < len(t.pending) {
		dst = t.process(dst, t.phead)
		t.phead++
	}
	t.pending, t.phead = t.pending[:0], 0
	n := now.UnixNano()
	for i := range t.groups {
		g := &t.groups[i]
		if !g.used {
			continue
		}
		if g.raised {
			dst = t.event(dst, g, alerting.StateCleared, max(n, g.last))
			t.stats.Cleared++
		} else {
			t.stats.Expired++
		}
		t.free(g)
	}
	t.nring = 0
	return dst
}

// drain processes the held bursts that ended by limit (ns).
func (t *Tracker) drain(dst []alerting.Alert, limit int64) []alerting.Alert {
	for t.phead < len(t.pending) {
		b := &t.pending[t.phead]
		if b.Start.UnixNano()+int64(b.Duration) > limit {
			break
		}
		dst = t.process(dst, t.phead)
		t.phead++
	}
	if t.phead == len(t.pending) {
		t.pending, t.phead = t.pending[:0], 0
	}
	return dst
}

// process groups pending[i] and appends the events it causes.
func (t *Tracker) process(dst []alerting.Alert, i int) []alerting.Alert {
	b := &t.pending[i]
	start := b.Start.UnixNano()
	end := start + int64(b.Duration)
	if math.IsNaN(b.Freq) || math.IsInf(b.Freq, 0) || b.Duration < 0 || int(b.Class) > int(dsp.ClassOverload) {
		t.stats.Ignored++
		return dst
	}
	switch {
	case b.Class == dsp.ClassInterference, b.Class == dsp.ClassUnknown && !t.cfg.AllowUnknown:
		t.remember(b, start, end)
		t.stats.Ignored++
		return dst
	case b.Class != dsp.ClassOverload && !b.Rhythm && t.ghost(b, i, start, end):
		t.stats.Ghosts++
		return dst
	}
	if !b.Rhythm {
		t.remember(b, start, end)
	}
	var g *group
	r, s, snr := 0.5, clamp01(b.Score), b.SNR
	absorbed := false
	switch b.Class {
	case dsp.ClassGSM:
		if b.Rhythm {
			var leak bool
			if g, leak = t.joinTrain(b, start, end); leak {
				t.stats.Leaks++
				return dst
			}
			r = 1
			break
		}
		if b.Kind == "access" {
			// A RACH burst is sent on timeslot 0 before the phone has its
			// channel and timing: it says nothing of the call's phase.
			g = t.joinNear(b, dsp.ClassGSM)
			break
		}
		if t.imageOfCall(b, start) {
			t.stats.Ghosts++
			return dst
		}
		var k int64
		var byPhase, outlier bool
		g, k, byPhase, outlier = t.joinGSM(b, start)
		switch {
		case byPhase && k == 0:
			// A second burst in the same timeslot of the same frame: one
			// phone sends one burst per slot, so one of the two is a
			// fragment or an echo. The louder one's channel counts.
			if lvl := levelOf(b); lvl > g.lastLvl {
				g.uncount(g.lastKey)
				g.lastKey, g.lastLvl = g.count(b.Freq), lvl
			}
			t.stats.Ghosts++
			return dst
		case outlier:
			t.stats.Outliers++
			return dst
		case byPhase:
			r = 1
		}
		if g != nil {
			t.follow(g, start, k, byPhase)
		}
	case dsp.ClassLTE:
		var k int64
		if g, k = t.absorb(b, start); g != nil {
			t.stats.Absorbed++
			if k == 0 {
				return dst // the call's burst itself, classified twice
			}
			t.follow(g, start, k, true)
			r, s, absorbed = 1, 0.5, true
			break
		}
		g = t.joinLTE(b)
		if g != nil && g.onGrid(start, end) {
			r = 1
		}
	case dsp.ClassUMTS:
		g = t.joinUMTS(b)
		if b.Duration >= umtsSegment {
			// A continuous wideband segment is its own rhythm, and its
			// SNR is measured over its whole length: it weighs as one
			// burst per 250 ms, up to 4.
			r = math.Min(float64(b.Duration)/float64(umtsWeight), 4)
			snr = math.Max(snr, snrFull)
		}
	case dsp.ClassOverload:
		g = t.joinOverload(b)
	case dsp.ClassUnknown:
		g = t.joinNear(b, dsp.ClassUnknown)
		s = 0.5 // the classifier's score is its confidence in "unknown"
	}
	if g == nil {
		if dst, g = t.newGroup(dst, b, start); g == nil {
			return dst
		}
	}
	t.addTo(g, b, start, end, s*quality(snr, b.Rhythm)*r, absorbed)
	if t.onJoin != nil {
		t.onJoin(b, t.slot(g))
	}
	return t.check(dst, g, end)
}

// clamp01 limits v to [0, 1], NaN to 0.
func clamp01(v float64) float64 {
	if !(v > 0) {
		return 0
	}
	return math.Min(v, 1)
}

// quality is the SNR factor of a burst's evidence: clamp(SNR/10 dB, 0.2,
// 1). A rhythm train's per-burst SNR is below 0 dB by nature; the comb's
// own false-alarm control stands for it, so it counts fully.
func quality(snr float64, rhythm bool) float64 {
	if rhythm {
		return 1
	}
	if !(snr > 0) {
		return 0.2
	}
	return math.Max(0.2, math.Min(snr/snrFull, 1))
}

// remember keeps a processed burst for the ghost check.
func (t *Tracker) remember(b *dsp.Burst, start, end int64) {
	t.ring[t.nring%ringSize] = ringEntry{start: start, end: end, lo: b.FreqLow, hi: b.FreqHigh, center: b.Center, snr: b.SNR}
	t.nring++
}

// ghost reports whether pending[i] is the image or echo of a stronger
// burst it coincides with, among those processed and those still held.
func (t *Tracker) ghost(b *dsp.Burst, i int, start, end int64) bool {
	mirror := 2*b.Center - b.Freq
	twin := func(e *ringEntry) bool {
		if e.center != b.Center || e.start >= end || start >= e.end {
			return false
		}
		return e.snr-b.SNR >= t.cfg.GhostMarginDB && e.lo-nearChannel <= mirror && mirror <= e.hi+nearChannel
	}
	for k := range min(t.nring, ringSize) {
		if twin(&t.ring[k]) {
			return true
		}
	}
	for k := t.phead; k < len(t.pending); k++ {
		p := &t.pending[k]
		if k == i || p.Rhythm {
			continue
		}
		ps := p.Start.UnixNano()
		if ps >= end {
			break // sorted by start
		}
		e := ringEntry{start: ps, end: ps + int64(p.Duration), lo: p.FreqLow, hi: p.FreqHigh, center: p.Center, snr: p.SNR}
		if twin(&e) {
			return true
		}
	}
	return false
}

// phaseErr returns how far dt (ns) is from a whole number k of TDMA frames,
// in ns, and k.
func phaseErr(dt float64) (float64, int64) {
	f := dt / tdmaFrameNs
	k := math.Round(f)
	return math.Abs(f-k) * tdmaFrameNs, int64(k)
}

// phaseTol is the phase tolerance for a burst of SNR snr (dB) dt ns after
// the phase reference: PhaseTolerance, widened for weak bursts (an energy
// detector times a burst's start to σ ∝ 1/√SNR: ×√(10^((15 − SNR)/10)),
// at most 3× from 5.5 dB down), plus the clock drift over dt.
func (t *Tracker) phaseTol(dt, snr float64) float64 {
	f := 1.0
	if !(snr >= 15) {
		f = 3
		if snr > 5.5 {
			f = math.Sqrt(math.Pow(10, (15-snr)/10))
		}
	}
	return float64(t.cfg.PhaseTolerance)*f + t.cfg.ClockPPM*1e-6*math.Abs(dt)
}

// byPhase returns the GSM call whose TDMA phase explains a burst starting
// at start (ns) on a band overlapping [lo, hi], with the frame count k from
// its phase reference; nil if none. Only raised calls heard within
// horizon are considered when raised is set.
func (t *Tracker) byPhase(start int64, lo, hi, lvl, snr float64, horizon time.Duration, raised bool) (*group, int64) {
	var best *group
	var bestK int64
	bestErr := math.Inf(1)
	for i := range t.groups {
		g := &t.groups[i]
		if !g.used || g.class != dsp.ClassGSM || !g.hasPhase || raised && !g.raised {
			continue
		}
		dt := float64(start) - g.phaseRef
		if math.Abs(dt) > float64(horizon) || hi < g.firstF-gsmHopSpan || lo > g.firstF+gsmHopSpan || !g.levelFits(lvl) {
			continue
		}
		e, k := phaseErr(dt)
		if e <= t.phaseTol(dt, snr) && e < bestErr {
			best, bestK, bestErr = g, k, e
		}
	}
	return best, bestK
}

// joinGSM finds the call of a single GSM burst: by TDMA phase (byPhase
// true, k frames from the phase reference); else, unless the burst is a
// badly timed burst of a live call (outlier), an activity on its channel
// whose phase is stale or unknown (a train-only call, or one not heard for
// phaseHorizon) — a raised one first, then the one with most bursts, so
// that a stray burst does not carry a phone's next session away from its
// alert. g nil and not outlier: a new activity.
func (t *Tracker) joinGSM(b *dsp.Burst, start int64) (g *group, k int64, byPhase, outlier bool) {
	lvl := levelOf(b)
	if g, k := t.byPhase(start, b.Freq, b.Freq, lvl, b.SNR, phaseHorizon, false); g != nil {
		return g, k, true, false
	}
	if t.nearMiss(b, start) {
		return nil, 0, false, true
	}
	for i := range t.groups {
		c := &t.groups[i]
		if !c.used || c.class != dsp.ClassGSM || !c.near(b.Freq) || !c.levelFits(lvl) {
			continue
		}
		if c.hasPhase && math.Abs(float64(start)-c.phaseRef) <= float64(phaseHorizon) {
			continue // a live phase that does not fit: another phone
		}
		if g == nil || c.raised != g.raised && c.raised || c.raised == g.raised && (c.n > g.n || c.n == g.n && c.last > g.last) {
			g = c
		}
	}
	return g, 0, false, false
}

// imageOfCall reports whether a GSM burst is the IQ image of a louder
// call: at the call's TDMA phase, at the mirror about the tuning of one of
// its channels, GhostMarginDB or more below its power. This catches the
// images whose twin the pipeline did not report (or reported too late for
// its own check).
func (t *Tracker) imageOfCall(b *dsp.Burst, start int64) bool {
	mirror := 2*b.Center - b.Freq
	lvl := levelOf(b)
	for i := range t.groups {
		g := &t.groups[i]
		if !g.used || g.class != dsp.ClassGSM || !g.hasPhase || g.center != b.Center || !(g.level-lvl >= t.cfg.GhostMarginDB) || !g.near(mirror) {
			continue
		}
		dt := float64(start) - g.phaseRef
		if math.Abs(dt) > float64(phaseHorizon) {
			continue
		}
		if e, _ := phaseErr(dt); e <= t.phaseTol(dt, b.SNR) {
			return true
		}
	}
	return false
}

// nearMiss reports whether a GSM burst that no phase explains falls within
// outlierFactor phase tolerances of a live call on its channel: that
// call's burst, timed badly (a burst glued to or split from another),
// rather than a phone of its own, which would be at least a timeslot away
// if in the same cell.
func (t *Tracker) nearMiss(b *dsp.Burst, start int64) bool {
	for i := range t.groups {
		g := &t.groups[i]
		if !g.used || g.class != dsp.ClassGSM || !g.hasPhase || !g.near(b.Freq) || !g.levelFits(levelOf(b)) {
			continue
		}
		dt := float64(start) - g.phaseRef
		if math.Abs(dt) > float64(phaseHorizon) {
			continue
		}
		if e, _ := phaseErr(dt); e <= outlierFactor*t.phaseTol(dt, b.SNR) {
			return true
		}
	}
	return false
}

// follow moves a call's phase reference to a burst k frames on that
// joined it (by phase, or re-anchoring a stale phase), and counts runs of
// consecutive frames.
func (t *Tracker) follow(g *group, start int64, k int64, byPhase bool) {
	if !byPhase || !g.hasPhase {
		g.hasPhase, g.phaseRef, g.run = true, float64(start), 1
		g.maxRun = max(g.maxRun, 1)
		return
	}
	if k < 0 {
		return // an older burst, late: the reference stays
	}
	pred := g.phaseRef + float64(k)*tdmaFrameNs
	g.phaseRef = pred + phaseAlpha*(float64(start)-pred)
	if k == 1 {
		g.run++
	} else {
		g.run = 1
	}
	g.maxRun = max(g.maxRun, g.run)
}

// absorb returns the GSM call whose timing and channel explain a burst
// classified as another handset technology, and the frame count. Only an
// alert already raised may claim it: the claim is that the classifier was
// wrong, which takes an established call.
func (t *Tracker) absorb(b *dsp.Burst, start int64) (*group, int64) {
	g, k := t.byPhase(start, b.FreqLow, b.FreqHigh, levelOf(b), b.SNR, absorbHorizon, true)
	if g == nil {
		return nil, 0
	}
	for i := range g.nchans {
		f := float64(g.chans[i].key) * g.raster
		if f >= b.FreqLow-nearChannel && f <= b.FreqHigh+nearChannel {
			return g, k
		}
	}
	return nil, 0
}

// joinTrain finds the call a rhythm train belongs to: the GSM activity on
// its channel heard within Window. leak reports a train to drop: a call
// LeakMarginDB stronger on another channel was heard on the same tuning
// while the train integrated (checked before joining a weak activity on
// the train's channel, which may itself be made of leakage).
func (t *Tracker) joinTrain(b *dsp.Burst, start, end int64) (g *group, leak bool) {
	for i := range t.groups {
		c := &t.groups[i]
		if c.used && c.class == dsp.ClassGSM && c.near(b.Freq) && start-c.last <= int64(t.cfg.Window) && (g == nil || c.last > g.last) {
			g = c
		}
	}
	if g != nil && g.maxSNR-b.SNR >= t.cfg.LeakMarginDB {
		return g, false // the loud call itself
	}
	for i := range t.groups {
		c := &t.groups[i]
		if c.used && c.class == dsp.ClassGSM && c != g && c.center == b.Center && c.last >= start && c.first <= end && c.maxSNR-b.SNR >= t.cfg.LeakMarginDB {
			return nil, true
		}
	}
	return g, false
}

// levelOf is a burst's power: dBm when calibrated, else dBFS.
func levelOf(b *dsp.Burst) float64 {
	if known(b.PowerDBm) {
		return b.PowerDBm
	}
	return b.PowerDBFS
}

// levelFits reports whether a power is within levelTolDB of the
// activity's recent power (or either is unknown).
func (g *group) levelFits(lvl float64) bool {
	return !known(lvl) || !known(g.level) || math.Abs(lvl-g.level) <= levelTolDB
}

// psdOf is a burst's power spectral density per 180 kHz resource block:
// dBm when calibrated, else dBFS.
func psdOf(b *dsp.Burst) float64 {
	p := b.PowerDBm
	if math.IsNaN(p) || math.IsInf(p, 0) {
		p = b.PowerDBFS
	}
	return p - 10*math.Log10(math.Max(b.Bandwidth(), 180e3)/180e3)
}

// joinLTE finds the LTE activity of a burst: within one carrier's span and
// PSDToleranceDB of its PSD; of several, the one with the most bursts (the
// closest in PSD would let one UE's PUSCH and SRS, a few dB apart, or its
// odd bursts, grow into two activities).
func (t *Tracker) joinLTE(b *dsp.Burst) *group {
	psd := psdOf(b)
	var g *group
	for i := range t.groups {
		c := &t.groups[i]
		if !c.used || c.class != dsp.ClassLTE || math.Max(c.hi, b.FreqHigh)-math.Min(c.lo, b.FreqLow) > lteMaxSpan {
			continue
		}
		d := math.Abs(psd - c.psd)
		if math.IsNaN(c.psd) || math.IsNaN(psd) {
			d = 0 // no power known: frequency and time only
		}
		if d <= t.cfg.PSDToleranceDB && (g == nil || c.n > g.n) {
			g = c
		}
	}
	return g
}

// onGrid reports whether a burst starts or ends on the activity's 0.5 ms
// slot grid, and moves the grid reference to it; the first burst sets it.
func (g *group) onGrid(start, end int64) bool {
	if !g.hasGrid {
		g.hasGrid, g.gridRef = true, float64(end)
		return false
	}
	off := func(x int64) float64 {
		d := math.Mod(float64(x)-g.gridRef, lteSlotNs)
		if d < 0 {
			d += lteSlotNs
		}
		return math.Min(d, lteSlotNs-d)
	}
	switch {
	case off(end) <= lteGridTolNs:
		g.gridRef = float64(end)
	case off(start) <= lteGridTolNs:
		g.gridRef = float64(start)
	default:
		return false
	}
	return true
}

// joinUMTS finds the UMTS activity on the burst's 5 MHz carrier.
func (t *Tracker) joinUMTS(b *dsp.Burst) *group {
	var g *group
	for i := range t.groups {
		c := &t.groups[i]
		if c.used && c.class == dsp.ClassUMTS && math.Abs(b.Freq-c.firstF) <= umtsHalfBand && (g == nil || c.last > g.last) {
			g = c
		}
	}
	return g
}

// joinOverload finds the overload activity of the burst's tuning.
func (t *Tracker) joinOverload(b *dsp.Burst) *group {
	for i := range t.groups {
		c := &t.groups[i]
		if c.used && c.class == dsp.ClassOverload && c.center == b.Center {
			return c
		}
	}
	return nil
}

// joinNear finds the activity of class c on the burst's channel heard
// last.
func (t *Tracker) joinNear(b *dsp.Burst, class dsp.Class) *group {
	var g *group
	for i := range t.groups {
		c := &t.groups[i]
		if c.used && c.class == class && c.near(b.Freq) && (g == nil || c.last > g.last) {
			g = c
		}
	}
	return g
}

// near reports whether the activity heard a channel within nearChannel of f.
func (g *group) near(f float64) bool {
	for i := range g.nchans {
		if math.Abs(float64(g.chans[i].key)*g.raster-f) <= nearChannel {
			return true
		}
	}
	return false
}

// newGroup starts an activity for b. When the table is full it evicts
// the candidate heard least recently, or else the alert heard least
// recently if it has been quiet for Window (it is cleared); failing both,
// g is nil and the burst is dropped: an unproven burst never ends an
// alert that is still being heard.
func (t *Tracker) newGroup(dst []alerting.Alert, b *dsp.Burst, start int64) ([]alerting.Alert, *group) {
	var g, oldCand, oldOpen *group
	for i := range t.groups {
		c := &t.groups[i]
		switch {
		case !c.used:
			if g == nil {
				g = c
			}
		case !c.raised:
			if oldCand == nil || c.last < oldCand.last {
				oldCand = c
			}
		default:
			if oldOpen == nil || c.last < oldOpen.last {
				oldOpen = c
			}
		}
	}
	if g == nil {
		switch {
		case oldCand != nil:
			g = oldCand
		case oldOpen != nil && start-oldOpen.last >= int64(t.cfg.Window):
			g = oldOpen
			dst = t.event(dst, g, alerting.StateCleared, max(t.horizon, g.last))
			t.stats.Cleared++
		default:
			t.stats.Dropped++
			return dst, nil
		}
		t.stats.Evicted++
		t.free(g)
	}
	raster := gsmRaster
	if b.Class == dsp.ClassLTE {
		raster = lteRaster
	}
	f := b.Freq
	if b.Class == dsp.ClassOverload {
		f = b.Center
	}
	*g = group{
		used: true, class: b.Class, raster: raster, center: b.Center,
		first: start, last: start, firstF: math.Round(f/raster) * raster,
		psd: psdOf(b), level: math.NaN(), mode: t.mode,
		maxDBm: math.NaN(), maxDBFS: math.NaN(), maxSNR: math.NaN(),
		lo: b.FreqLow, hi: b.FreqHigh, evAt: start,
	}
	if b.Class == dsp.ClassGSM && !b.Rhythm && b.Kind != "access" {
		g.hasPhase, g.phaseRef, g.run, g.maxRun = true, float64(start), 1, 1
	}
	if b.Class == dsp.ClassLTE {
		g.onGrid(start, start+int64(b.Duration))
	}
	return dst, g
}

// slot is the index of g in the table.
func (t *Tracker) slot(g *group) int {
	for i := range t.groups {
		if &t.groups[i] == g {
			return i
		}
	}
	return -1
}

// free returns an activity's slot to the table.
func (t *Tracker) free(g *group) { g.used, g.raised, g.id = false, false, "" }

// maxNaN is max that ignores NaN operands.
func maxNaN(a, b float64) float64 {
	if math.IsNaN(a) || b > a {
		return b
	}
	return a
}

// addTo adds a burst with evidence e to an activity. An absorbed burst
// (classified as another technology) counts on the call's latest channel:
// its own frequency was measured on the wrong shape.
func (t *Tracker) addTo(g *group, b *dsp.Burst, start, end int64, e float64, absorbed bool) {
	w := float64(t.cfg.Window)
	if end >= g.evAt {
		g.ev = g.ev*math.Exp(-float64(end-g.evAt)/w) + e
		g.evAt = end
	} else {
		g.ev += e * math.Exp(-float64(g.evAt-end)/w)
	}
	g.conf = math.Max(g.conf, 1-math.Exp(-g.ev/evidenceScale))
	g.times[g.ti%t.cfg.MinBursts] = end
	g.ti++
	g.n++
	g.first = min(g.first, start)
	g.last = max(g.last, end)
	if b.Rhythm {
		g.kinds |= seenTrain
	} else {
		switch b.Kind {
		case "normal":
			g.kinds |= seenNormal
		case "access":
			g.kinds |= seenAccess
		case "pusch":
			g.kinds |= seenPUSCH
		case "prach":
			g.kinds |= seenPRACH
		default:
			g.kinds |= seenOther
		}
	}
	if known(b.PowerDBm) {
		g.maxDBm = maxNaN(g.maxDBm, b.PowerDBm)
		g.recent[g.nrecent%recentN] = b.PowerDBm
		g.nrecent++
	}
	if known(b.PowerDBFS) {
		g.maxDBFS = maxNaN(g.maxDBFS, b.PowerDBFS)
	}
	if l := levelOf(b); known(l) {
		if !known(g.level) {
			g.level = l
		} else {
			g.level += (l - g.level) / float64(min(g.n, recentN))
		}
	}
	if !math.IsNaN(b.SNR) && !math.IsInf(b.SNR, 0) {
		g.maxSNR = maxNaN(g.maxSNR, b.SNR)
	}
	g.clipped = g.clipped || b.Clipped
	if b.FreqLow < g.lo {
		g.lo = b.FreqLow
	}
	if b.FreqHigh > g.hi {
		g.hi = b.FreqHigh
	}
	f := b.Freq
	switch g.class {
	case dsp.ClassOverload:
		f = b.Center
		g.overload += b.Duration
		g.scoreSum += clamp01(b.Score)
	case dsp.ClassLTE:
		// Running mean of the PSD over the last 16 bursts or so, so that
		// one odd burst does not drag it.
		switch p := psdOf(b); {
		case math.IsNaN(p) || math.IsInf(p, 0):
		case math.IsNaN(g.psd):
			g.psd = p
		default:
			g.psd += (p - g.psd) / float64(min(g.n, 16))
		}
	}
	if absorbed {
		f = float64(g.lastKey) * g.raster
	}
	key := g.count(f)
	if g.class == dsp.ClassGSM && !b.Rhythm {
		g.lastKey, g.lastLvl = key, levelOf(b)
	}
	g.dirty = true
}

// known reports whether a level is a real measurement: finite and within
// the schema's −250…100 dB.
func known(v float64) bool { return v >= -250 && v <= 100 }

// count adds one burst heard on the channel of f (up to maxChans channels)
// and returns the channel's key.
func (g *group) count(f float64) int64 {
	key := int64(math.Round(f / g.raster))
	for i := range g.nchans {
		if g.chans[i].key == key {
			g.chans[i].n++
			return key
		}
	}
	if g.nchans < maxChans {
		g.chans[g.nchans] = chanCount{key: key, n: 1}
		g.nchans++
	}
	return key
}

// uncount takes back one burst counted on channel key.
func (g *group) uncount(key int64) {
	for i := range g.nchans {
		if g.chans[i].key == key && g.chans[i].n > 0 {
			g.chans[i].n--
			return
		}
	}
}

// check raises the activity if its evidence passed the bar, or emits an
// update if one is due, at time at (ns).
func (t *Tracker) check(dst []alerting.Alert, g *group, at int64) []alerting.Alert {
	if g.raised {
		if at-g.lastEvent >= int64(t.cfg.UpdateInterval) {
			dst = t.event(dst, g, alerting.StateUpdated, at)
			t.stats.Updated++
		}
		return dst
	}
	ok := false
	if g.class == dsp.ClassOverload {
		ok = g.n >= 2 && g.overload >= t.cfg.OverloadMin
	} else {
		m := t.cfg.MinBursts
		ok = g.conf >= t.cfg.RaiseConfidence && g.ti >= m && g.times[g.ti%m] >= at-int64(t.cfg.Window)
	}
	if !ok {
		return dst
	}
	g.raised = true
	g.id = t.newID(g)
	t.stats.Raised[g.class]++
	return t.event(dst, g, alerting.StateRaised, at)
}

// confidence is what an alert reports: the highest confidence reached, or
// for overload the mean score of the overload reports.
func (g *group) confidence() float64 {
	c := g.conf
	if g.class == dsp.ClassOverload && g.n > 0 {
		c = g.scoreSum / float64(g.n)
	}
	return math.Round(clamp01(c)*1000) / 1000
}

// kind names the activity when its bursts tell.
func (g *group) kind() string {
	switch g.class {
	case dsp.ClassGSM:
		switch {
		case g.maxRun >= callRun || g.kinds&seenTrain != 0:
			return "call"
		case g.kinds&(seenNormal|seenOther) != 0 && g.last-g.first > int64(signallingSpan):
			// Normal bursts for longer than a 51-frame multiframe and
			// never a call's run: SDCCH (SMS, location update).
			return "signalling"
		case g.kinds == seenAccess:
			return "access"
		}
	case dsp.ClassLTE:
		switch {
		case g.kinds&seenPUSCH != 0:
			return "data"
		case g.kinds == seenPRACH:
			return "access"
		default:
			return "control"
		}
	}
	return ""
}

// level converts a dB value to an alerting.Level, unknown when unmeasured
// or out of the schema's range.
func level(v float64) alerting.Level {
	if !known(v) {
		return alerting.Unknown
	}
	return alerting.Level(v)
}

// timeOf converts ns since the Unix epoch to a UTC time.
func timeOf(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// event appends one lifecycle event of g at time at (ns).
func (t *Tracker) event(dst []alerting.Alert, g *group, state string, at int64) []alerting.Alert {
	a := alerting.Alert{
		Schema: alerting.SchemaAlert, Origin: t.origin,
		ID: g.id, Rev: g.rev, State: state, Mode: g.mode, Time: timeOf(at),
		Class: g.class.String(), Kind: g.kind(),
		FirstSeen: timeOf(g.first), LastSeen: timeOf(g.last), Bursts: g.n,
		PowerDBm: level(g.maxDBm), RecentDBm: alerting.Unknown, PowerDBFS: level(g.maxDBFS), SNR: level(g.maxSNR),
		Clipped: g.clipped, Confidence: g.confidence(),
	}
	var top int32
	a.FreqsHz = make([]float64, 0, g.nchans)
	for i := range g.nchans {
		c := g.chans[i]
		if c.n == 0 {
			continue
		}
		f := float64(c.key) * g.raster
		if c.n > top {
			top, a.FreqHz = c.n, f
		}
		a.FreqsHz = append(a.FreqsHz, f)
	}
	sortFloats(a.FreqsHz)
	switch g.class {
	case dsp.ClassGSM:
		a.BandwidthHz = gsmRaster
	default:
		a.BandwidthHz = math.Max(0, math.Round(g.hi-g.lo))
	}
	if n := min(g.nrecent, recentN); n > 0 {
		var s float64
		for i := range n {
			s += g.recent[i]
		}
		a.RecentDBm = alerting.Level(math.Round(s/float64(n)*100) / 100)
	}
	g.rev++
	g.lastEvent = at
	g.dirty = false
	return append(dst, a)
}

// sortFloats sorts a short slice in place (insertion sort: no allocation,
// at most maxChans values).
func sortFloats(v []float64) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

// Open returns the number of alerts open now.
func (t *Tracker) Open() int {
	n := 0
	for i := range t.groups {
		if t.groups[i].used && t.groups[i].raised {
			n++
		}
	}
	return n
}
