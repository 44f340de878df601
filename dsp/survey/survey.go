package survey

import (
	"fmt"
	"math"
	"time"

	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/channelize"
	"github.com/cellsentry/cellsentry/dsp/detect"
	"github.com/cellsentry/cellsentry/dsp/noise"
	"github.com/cellsentry/cellsentry/sdr"
)

// Config sets up a Survey. Zero fields take defaults.
type Config struct {
	// Channelizer is the frame geometry; it must be the pipeline's, so
	// that the statistic is the detector's (default 256 bins, Tukey).
	Channelizer channelize.Config
	// SpurHz are the spur offsets the configuration already masks (the
	// noise floor masks them, as in the pipeline).
	SpurHz []float64
	// Templates are the detector's (default detect.DefaultTemplates).
	Templates []detect.Template
	// Raster is the channel raster, Hz (default 200 kHz, GSM's).
	Raster float64
	// Duration is the planned length of the survey: the waterfall's rows
	// share it (default 10 min; frames after it go to the last row).
	Duration time.Duration
	// Rows is the number of waterfall rows per centre (default 120).
	Rows int
	// EmitterDB is how far a bin's median must stand over the background
	// to belong to a persistent emitter (default 3 dB).
	EmitterDB float64
	// OccupancyDB is the X of "occupied": power X dB over the background
	// (default 6 dB).
	OccupancyDB float64
}

// Histogram layouts.
const (
	powMin   = -130.0 // dBFS per bin, lower edge of the power histogram
	powStep  = 0.5    // dB
	powN     = 280    // up to +10 dBFS
	chanMin  = -10.0  // dB over the floor, channel histogram
	chanStep = 0.25
	chanN    = 240  // up to +50 dB
	statStep = 0.02 // dB, the threshold grid
	statN    = 1001 // thresholds 0 to 20 dB
	// dcBins each side of the centre bin are left out of the emitter search.
	dcBins = 2
	// maskEvery: a centre's emitter mask is refreshed this often (frames).
	maskEvery = 2048
	// warmFrames of a centre are heard before its statistic counts.
	warmFrames = 4096
	// minStarts is the count below which a rate is extrapolated.
	minStarts = 10
)

// Survey accumulates the statistics. Not safe for concurrent use.
type Survey struct {
	cfg     Config
	ch      *channelize.Channelizer
	floor   *noise.Floor
	bins    int
	hop     int
	tm      []tmplGeom
	groups  []groupGeom
	maxD    int
	gap     int
	centres map[float64]*centre
	order   []*centre // in order of first visit
	last    *centre
	band    string // band of the block being processed
	start   time.Time
	started bool
	bursts  map[string]*burstStats
	// scratch for mask refreshes
	med, bg, tmp []float64
}

type tmplGeom struct {
	w, d int
}

// groupGeom is the templates of one width, tested at the same positions.
type groupGeom struct {
	w     int
	pos   []int
	depth int
	tmpls []int // indices into Survey.tm
}

// centre is everything learnt at one tuned centre.
type centre struct {
	band         string
	center, rate float64
	frames       int64
	hist         []uint32 // [bin][powN]
	maxHold      []float32
	wf           []float32 // [row][bin], max per slice; -1 where nothing fell
	chanLo       []int     // first bin of each raster channel in the window
	chanHi       []int
	chanF        []float64 // channel centre frequencies
	chanHist     []uint32  // [channel][chanN]
	chanBg       []float32 // each channel's mean noise power (background) at the last mask refresh
	neutral      []bool    // bins pinned at z = 1: emitters found so far
	maskReady    bool
	sinceMask    int
	z, cum       []float32
	grp          []groupState
	t            int64     // frames since the last reset
	recent       []float32 // M of the last gap frames, ring
	diff         []int64   // starts per threshold, as a difference array
	statFrames   int64     // frames whose statistic was counted
	pending      []start   // starts waiting for the pipeline's bursts, ring
	pHead, pLen  int
	clipped      int64 // frames with clipped samples
	floorDBFSSum float64
	floorDBFSN   int64
}

// start is a false-burst start waiting to be committed: if the pipeline
// reports a burst over it (a phone, a radio: a real signal at the
// configuration's thresholds), it was no false alarm and is dropped.
type start struct {
	offset    int64   // stream sample index of the frame
	fLo, fHi  float64 // the band of the template that peaked, Hz
	lo, hi    int     // the thresholds it counts for, [lo, hi]
	cancelled bool
}

// pendingCap bounds the starts waiting per centre; commitDelay is how long
// they wait (s): the pipeline reports a burst when it ends, up to its
// 1 s segment length later.
const (
	pendingCap  = 1024
	commitDelay = 1.2
)

type groupState struct {
	ring []float32 // [slot][position]: band sums of the last depth frames
	run  []float32 // [template][position]: running sums
	v    []float32
}

// burstStats counts the pipeline's bursts of one band.
type burstStats struct {
	byClass  [8]int64
	phonesBy map[int64]int64 // phone bursts per raster channel index
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*Survey, error) {
	ch, err := channelize.New(cfg.Channelizer)
	if err != nil {
		return nil, fmt.Errorf("survey: %w", err)
	}
	n := ch.Size()
	fl, err := noise.New(noise.Config{Bins: n, SpurHz: cfg.SpurHz})
	if err != nil {
		return nil, fmt.Errorf("survey: %w", err)
	}
	if cfg.Templates == nil {
		cfg.Templates = detect.DefaultTemplates
	}
	if cfg.Raster == 0 {
		cfg.Raster = 200e3
	}
	if cfg.Duration <= 0 {
		cfg.Duration = 10 * time.Minute
	}
	if cfg.Rows <= 0 {
		cfg.Rows = 120
	}
	if cfg.EmitterDB == 0 {
		cfg.EmitterDB = 3
	}
	if cfg.OccupancyDB == 0 {
		cfg.OccupancyDB = 6
	}
	if cfg.Raster < 0 || cfg.EmitterDB < 0 || cfg.OccupancyDB < 0 {
		return nil, fmt.Errorf("survey: raster %g Hz, emitter %g dB, occupancy %g dB: must be positive", cfg.Raster, cfg.EmitterDB, cfg.OccupancyDB)
	}
	s := &Survey{
		cfg: cfg, ch: ch, floor: fl, bins: n, hop: ch.Hop(),
		centres: map[float64]*centre{}, bursts: map[string]*burstStats{},
		med: make([]float64, n), bg: make([]float64, n), tmp: make([]float64, n),
	}
	return s, nil
}

// geometry resolves the templates at the first frame's rate, as the
// detector does (widths rounded to bins, durations to frames, positions
// every quarter width plus the last).
func (s *Survey) geometry(rate float64) {
	binHz := rate / float64(s.bins)
	frame := float64(s.hop) / rate
	s.tm = s.tm[:0]
	s.groups = s.groups[:0]
	s.maxD = 0
	for _, t := range s.cfg.Templates {
		w := min(max(1, int(math.Round(t.WidthHz/binHz))), s.bins)
		d := max(1, int(math.Round(t.Duration.Seconds()/frame)))
		gi := -1
		for i := range s.groups {
			if s.groups[i].w == w {
				gi = i
			}
		}
		if gi < 0 {
			s.groups = append(s.groups, groupGeom{w: w, pos: detect.Positions(s.bins, w)})
			gi = len(s.groups) - 1
		}
		g := &s.groups[gi]
		g.depth = max(g.depth, d)
		g.tmpls = append(g.tmpls, len(s.tm))
		s.tm = append(s.tm, tmplGeom{w: w, d: d})
		s.maxD = max(s.maxD, d)
	}
	// One noise excursion lasts as long as the longest template holds it,
	// and the detector ends a burst after two quiet frames.
	s.gap = s.maxD + 2
}

// Process feeds one block heard on band (the hop plan's band of the
// block's centre). Settling blocks are skipped, as the pipeline skips
// them. It allocates nothing once the block's centre has been seen.
func (s *Survey) Process(band string, b *sdr.Block) {
	s.band = band
	s.ch.Process(b, s)
}

// Frame takes one channelizer frame (channelize.Sink); Process calls it.
func (s *Survey) Frame(f *channelize.Frame) {
	if !s.started {
		s.start, s.started = f.Time, true
		s.geometry(f.Rate)
	}
	c := s.last
	if c == nil || c.center != f.Center {
		c = s.centres[f.Center]
		if c == nil || c.rate != f.Rate {
			c = s.newCentre(f.Center, f.Rate)
		}
		s.last = c
	}
	if f.Reset {
		c.reset()
	}
	c.frames++
	if f.Clipped > 0 {
		c.clipped++
	}
	n := s.bins
	p := f.Power[:n]
	hist := c.hist
	for k, v := range p {
		hist[k*powN+powIndex(v)]++
		if v > c.maxHold[k] {
			c.maxHold[k] = v
		}
	}
	row := s.row(f.Time)
	wf := c.wf[row*n : (row+1)*n]
	for k, v := range p {
		if v > wf[k] {
			wf[k] = v
		}
	}
	if c.maskReady {
		// Channel occupancy: the channel's power over its emitter-free
		// background (the noise estimator's floor takes persistent
		// emitters in, so it cannot serve).
		for i := range c.chanLo {
			var ps float32
			for k := c.chanLo[i]; k < c.chanHi[i]; k++ {
				ps += p[k]
			}
			if bs := c.chanBg[i]; bs > 0 {
				idx := int((fastDB(ps/bs) - chanMin) / chanStep)
				c.chanHist[i*chanN+min(max(idx, 0), chanN-1)]++
			}
		}
	}
	fl := s.floor.Floor(f.Center)
	if fl != nil {
		inv, one, _ := s.floor.Normalizers(f.Center)
		s.statistic(c, p, inv, one, f.Offset)
	}
	s.floor.Update(f.Center, f.Rate, p)
	if c.pLen > 0 {
		s.commit(c, f.Offset)
	}
	c.sinceMask++
	if c.sinceMask >= maskEvery {
		c.sinceMask = 0
		s.refreshMask(c)
		// The estimator's level (a median over the bins: not every frame).
		if l := s.floor.LevelDBFS(f.Center); !math.IsNaN(l) {
			c.floorDBFSSum += l
			c.floorDBFSN++
		}
	}
}

// row is the waterfall row of time t.
func (s *Survey) row(t time.Time) int {
	r := int(float64(t.Sub(s.start)) / float64(s.cfg.Duration) * float64(s.cfg.Rows))
	return min(max(r, 0), s.cfg.Rows-1)
}

func (s *Survey) newCentre(center, rate float64) *centre {
	n := s.bins
	c := &centre{
		band: s.band, center: center, rate: rate,
		hist:    make([]uint32, n*powN),
		maxHold: make([]float32, n),
		wf:      make([]float32, n*s.cfg.Rows),
		neutral: make([]bool, n),
		z:       make([]float32, n),
		cum:     make([]float32, n+1),
		recent:  make([]float32, s.gap),
		pending: make([]start, pendingCap),
		diff:    make([]int64, statN+1),
	}
	for i := range c.wf {
		c.wf[i] = -1
	}
	binHz := rate / float64(n)
	// Raster channels whose whole 200 kHz lie inside the window.
	lo := center - rate/2
	first := math.Ceil((lo + s.cfg.Raster/2) / s.cfg.Raster)
	for k := first; ; k++ {
		fc := k * s.cfg.Raster
		a := int(math.Round((fc-s.cfg.Raster/2-center)/binHz)) + n/2
		b := int(math.Round((fc+s.cfg.Raster/2-center)/binHz)) + n/2
		if b > n {
			break
		}
		if a >= 0 && b > a {
			c.chanLo = append(c.chanLo, a)
			c.chanHi = append(c.chanHi, b)
			c.chanF = append(c.chanF, fc)
		}
	}
	c.chanHist = make([]uint32, len(c.chanLo)*chanN)
	c.chanBg = make([]float32, len(c.chanLo))
	for _, g := range s.groups {
		row := len(g.pos)
		c.grp = append(c.grp, groupState{
			ring: make([]float32, row*g.depth),
			run:  make([]float32, row*len(g.tmpls)),
			v:    make([]float32, row),
		})
	}
	c.reset()
	s.centres[center] = c
	s.order = append(s.order, c)
	return c
}

// reset starts the statistic afresh after a retune or a gap, as the
// detector does.
func (c *centre) reset() {
	c.t = 0
	for i := range c.grp {
		clear(c.grp[i].ring)
		clear(c.grp[i].run)
	}
	for i := range c.recent {
		c.recent[i] = 0
	}
}

// statistic computes M_t, the largest template mean of this frame, and
// counts the false-burst starts it makes for every threshold.
func (s *Survey) statistic(c *centre, p, inv, one []float32, off int64) {
	if inv == nil || !c.maskReady || c.frames < warmFrames {
		return
	}
	n := s.bins
	z, cum := c.z[:n], c.cum[:n+1]
	cum[0] = 0
	var acc float32
	for k := range n {
		v := p[k]*inv[k] + one[k]
		if c.neutral[k] {
			v = 1
		}
		z[k] = v
		acc += v
		cum[k+1] = acc
	}
	t := c.t
	c.t++
	var m float32
	mLo, mHi := 0, 0
	for gi := range s.groups {
		g := &s.groups[gi]
		st := &c.grp[gi]
		row := len(g.pos)
		rp := int(t % int64(g.depth))
		for i, ps := range g.pos {
			st.v[i] = cum[ps+g.w] - cum[ps]
		}
		for j, ti := range g.tmpls {
			d := s.tm[ti].d
			leave := st.ring[((rp-d+g.depth)%g.depth)*row:][:row]
			run := st.run[j*row:][:row]
			full := t+1 >= int64(d)
			den := 1 / float32(g.w*d)
			for i := range run {
				run[i] += st.v[i] - leave[i]
				if full && run[i]*den > m {
					m = run[i] * den
					mLo, mHi = g.pos[i], g.pos[i]+g.w
				}
			}
		}
		copy(st.ring[rp*row:(rp+1)*row], st.v)
	}
	if t%4096 == 4095 {
		s.resum(c)
	}
	var prev float32
	for _, v := range c.recent {
		prev = max(prev, v)
	}
	c.recent[int(t%int64(len(c.recent)))] = m
	c.statFrames++
	if m <= prev || m < 1 {
		return
	}
	// Thresholds τ_j = j·statStep dB with prev < τ_j ≤ m see a start.
	hi := int(math.Floor(dbOf(m) / statStep))
	lo := 0
	if prev >= 1 {
		lo = int(math.Floor(dbOf(prev)/statStep)) + 1
	}
	hi = min(hi, statN-1)
	if lo > hi {
		return
	}
	if c.pLen == len(c.pending) {
		s.commitOne(c)
	}
	binHz := c.rate / float64(n)
	c.pending[(c.pHead+c.pLen)%len(c.pending)] = start{
		offset: off,
		fLo:    c.center + float64(mLo-n/2)*binHz - binHz/2,
		fHi:    c.center + float64(mHi-1-n/2)*binHz + binHz/2,
		lo:     lo, hi: hi,
	}
	c.pLen++
}

// commitOne counts the oldest pending start unless a burst cancelled it.
func (s *Survey) commitOne(c *centre) {
	st := &c.pending[c.pHead]
	if !st.cancelled {
		c.diff[st.lo]++
		c.diff[st.hi+1]--
	}
	c.pHead = (c.pHead + 1) % len(c.pending)
	c.pLen--
}

// commit counts the pending starts older than commitDelay at stream
// index now (all of them when now < 0).
func (s *Survey) commit(c *centre, now int64) {
	limit := int64(commitDelay * c.rate)
	for c.pLen > 0 && (now < 0 || now-c.pending[c.pHead].offset > limit) {
		s.commitOne(c)
	}
}

// resum rebuilds the running sums from the rings: float32 sums drift.
func (s *Survey) resum(c *centre) {
	for gi := range s.groups {
		g := &s.groups[gi]
		st := &c.grp[gi]
		row := len(g.pos)
		rp := int((c.t - 1) % int64(g.depth)) // the slot just written
		for j, ti := range g.tmpls {
			d := s.tm[ti].d
			run := st.run[j*row:][:row]
			clear(run)
			for back := 0; back < d && int64(back) < c.t; back++ {
				slot := ((rp-back)%g.depth + g.depth) % g.depth
				for i, v := range st.ring[slot*row:][:row] {
					run[i] += v
				}
			}
		}
	}
}

// signalSNR and signalScore: a burst this strong (dB in its own band), or
// a phone this sure by its waveform, is a signal. Noise bursts found at a
// threshold of 2.3 dB reached 6.1 dB SNR and a score of 0.6 at most (233
// of them, 20 s of the test dongle's noise).
const (
	signalSNR   = 8
	signalScore = 0.8
)

// Burst counts one burst the pipeline found on band. Call it after
// Process has taken the block the burst was found in: when the burst is
// surely a signal (signalSNR, signalScore) the false-alarm starts the
// survey saw under it are then pending, and are dropped.
func (s *Survey) Burst(band string, b *dsp.Burst) {
	bs := s.bursts[band]
	if bs == nil {
		bs = &burstStats{phonesBy: map[int64]int64{}}
		s.bursts[band] = bs
	}
	if int(b.Class) < len(bs.byClass) {
		bs.byClass[b.Class]++
	}
	if b.Class.IsPhone() {
		bs.phonesBy[int64(math.Round(b.Freq/s.cfg.Raster))]++
	}
	// The starts under a burst that is surely a signal were not noise.
	// Only those: a configuration with low thresholds has the pipeline
	// report noise too (up to about 6 dB SNR, some of it even looking
	// like an LTE sounding signal), and dropping those would hide the very
	// false alarms the survey counts. A weak phone left in counts as a
	// false alarm: the suggestion errs on the safe side.
	if b.SNR < signalSNR && !(b.Class.IsPhone() && b.Score >= signalScore) {
		return
	}
	c := s.centres[b.Center]
	if c == nil || s.gap == 0 {
		return
	}
	frame := int64(s.hop)
	from := b.Offset - int64(s.maxD+2)*frame
	to := b.Offset + int64(b.Duration.Seconds()*c.rate) + int64(s.gap+2)*frame
	for i := 0; i < c.pLen; i++ {
		st := &c.pending[(c.pHead+i)%len(c.pending)]
		if st.offset >= from && st.offset <= to && st.fHi >= b.FreqLow && st.fLo <= b.FreqHigh {
			st.cancelled = true
		}
	}
}

// Seconds is the signal heard so far (frames × hop / rate), all centres.
func (s *Survey) Seconds() float64 {
	var t float64
	for _, c := range s.order {
		t += float64(c.frames) * float64(s.hop) / c.rate
	}
	return t
}

// Centres is the number of hop centres heard so far.
func (s *Survey) Centres() int { return len(s.order) }

// dB conversion of powers by their float32 bits: exponent plus a table of
// log2 over the top 7 mantissa bits (within 0.02 dB), so that each bin of
// every frame lands in its histogram without a math.Log10.
var log2Mant [128]float32

func init() {
	for i := range log2Mant {
		log2Mant[i] = float32(math.Log2(1 + (float64(i)+0.5)/128))
	}
}

// db10 is 10·log10(2): dB per octave of power.
const db10 = 3.010299956639812

// fastDB returns 10·log10(v) for v > 0 (normal floats), within 0.02 dB,
// and −Inf for v ≤ 0.
func fastDB(v float32) float32 {
	if !(v > 0) {
		return float32(math.Inf(-1))
	}
	b := math.Float32bits(v)
	e := int32(b>>23&0xff) - 127
	return (float32(e) + log2Mant[b>>16&0x7f]) * db10
}

// powIndex is v's bin in the power histogram.
func powIndex(v float32) int {
	if !(v > 0) {
		return 0
	}
	i := int((fastDB(v) - powMin) / powStep)
	return min(max(i, 0), powN-1)
}

func dbOf(v float32) float64 { return 10 * math.Log10(float64(v)) }
