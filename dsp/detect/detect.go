package detect

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/channelize"
)

// Template is the footprint of a transmission the detector looks for.
type Template struct {
	Name     string
	WidthHz  float64
	Duration time.Duration
}

// DefaultTemplates covers handset uplink bursts: a GSM channel (200 kHz)
// for an access burst (325 µs) and a normal burst (546 µs); LTE
// allocations of 2 and 6 PRB (360 kHz, 1.08 MHz, also PRACH) over a slot and
// a subframe. A 1-PRB LTE slot is found by the 200 kHz templates (it fills
// 90 % of them). Wider and longer energy (UMTS, continuous interference) is
// found by all of them.
var DefaultTemplates = []Template{
	{"gsm-access", 200e3, 325 * time.Microsecond},
	{"gsm-normal", 200e3, 546 * time.Microsecond},
	{"narrow-subframe", 200e3, 1000 * time.Microsecond},
	{"2prb-slot", 360e3, 500 * time.Microsecond},
	{"6prb-slot", 1080e3, 500 * time.Microsecond},
	{"6prb-subframe", 1080e3, 1000 * time.Microsecond},
}

// Config sets up a Detector. Bins, Rate and Hop describe the channelizer's
// frames; Window is its window (for the bin correlation). Zero fields take
// defaults.
type Config struct {
	Bins   int
	Hop    int
	Rate   float64
	Window []float32

	// FalsePerHour is the false-burst rate the thresholds are set for
	// (default 0.5: below the product's promise of one per hour).
	FalsePerHour float64
	// ThresholdDB, when > 0, replaces every template's computed threshold
	// with this many dB over the floor (a technician's per-band override).
	ThresholdDB float64
	// FloorSigma is the relative scatter of the noise-floor estimate
	// (default 0.015).
	FloorSigma float64
	// ContinuePfa is the per-frame false-alarm probability of the lower,
	// hysteresis threshold that keeps a burst going (default 1e-3).
	ContinuePfa float64
	// GapFrames is how many quiet frames end a burst (default: 100 µs).
	GapFrames int
	// MaxDuration splits longer activity into segments (default 1 s), so
	// continuous emitters are reported while they last.
	MaxDuration time.Duration
	Templates   []Template
}

// tmpl is a template resolved to bins and frames.
type tmpl struct {
	Template
	w, d   int     // bins, frames
	tau    float32 // threshold on the mean normalised cell
	tauSum float32 // the same on the sum of the w·d cells
	m      float64 // equivalent looks
}

// group is the templates of one width, evaluated at the same positions.
// The ring and the running sums are laid out position-minor (one row per
// frame slot, one row per template), so that each frame's update is a few
// straight passes over rows rather than a re-slicing per position. Rows
// are row positions long, a multiple of 4 for the vector kernels; the
// padding stays 0 and never reaches a threshold.
type group struct {
	w      int
	pos    []int     // first bin of each position (stride w/4)
	row    int       // len(pos) rounded up to a multiple of 4
	depth  int       // frames kept: the longest template's
	ring   []float32 // [slot][position]: the last depth band sums
	tmpls  []int     // indices into Detector.tmpls
	d      []int     // each template's frames
	tauSum []float32 // each template's threshold on its sum
	den    []float32 // each template's cells, w·d: the sum over it is the mean
	run    []float32 // [template][position]: running sums
	v      []float32 // this frame's band sums, per position
	hits   []uint8   // per position, bit i set: template i crossed its threshold this frame
}

// nan32 is a threshold nothing reaches.
var nan32 = float32(math.NaN())

const historyFrames = 512 // frames of z kept for refining burst edges

// earlyFrames: a burst this many frames old has its level snapshotted (3.4 ms
// at 2.4 MS/s), and one four times longer is measured on that snapshot.
const earlyFrames = 32

// Detector is the CFAR detector. Not safe for concurrent use.
type Detector struct {
	cfg       Config
	bins      int
	frameDur  float64 // seconds between frame starts
	binHz     float64
	tmpls     []tmpl
	groups    []group
	maxD      int
	bc, fc    []float64
	contLooks int // frames in the continuation statistic
	contTaus  []float32
	cumW2     []float64 // cumulative window energy, 0..1
	floor     []float32 // the floor of the current frame
	one       []float32 // its mask (1 = masked)
	prof      []float32 // scratch for finish
	exc       []float32 // scratch for finish: a burst's excess per frame
	exe       []float64 // the same for edges

	z     []float32 // this frame's normalised cells
	cum   []float32 // prefix sums of z
	hist  [][]float32
	histC []int   // clipped samples per history frame
	histO []int64 // sample offset of each history frame
	histT []time.Time
	t     int64 // frames since the last reset

	active []*active
	free   []*active
	spare  *active // scratch for the pieces of a split burst
	// The burst the last hit merged into at frame lastHitT, when no
	// burst before it in active touches it (see noteHit); nil if none.
	lastHit    *active
	lastHitT   int64
	noShortcut bool // tests: always scan (see TestTriggerShortcut)

	center float64
	rate   float64
	// Overload tracking.
	ovl overload
}

type active struct {
	startF, endF int64 // first and last hot frame (detector frame count)
	lo, hi       int   // bins [lo, hi)
	peak         float32
	tmpl         int
	acc          []float32 // Σ(z−1) per bin over the burst's frames
	pw           []float32 // Σ(P−F) per bin: the excess power, with the floor of each frame
	earlyPw      []float32 // pw after earlyFrames frames
	earlyFloor   []float32 // the floor then
	frames       int
	clipped      int
	cont         [3]float32 // band statistic of the last frames
	startOffset  int64
	startTime    time.Time
}

// New resolves the templates and thresholds.
func New(cfg Config) (*Detector, error) {
	if cfg.Bins < 16 || cfg.Rate <= 0 || cfg.Hop <= 0 || len(cfg.Window) != cfg.Bins {
		return nil, fmt.Errorf("detect: bins %d, hop %d, rate %g, window %d: need ≥16 bins, a hop, a rate and a window of bins length", cfg.Bins, cfg.Hop, cfg.Rate, len(cfg.Window))
	}
	if cfg.FalsePerHour == 0 {
		cfg.FalsePerHour = 0.5
	}
	if cfg.FalsePerHour < 0 {
		return nil, fmt.Errorf("detect: false bursts per hour %g: must be positive", cfg.FalsePerHour)
	}
	if cfg.FloorSigma == 0 {
		cfg.FloorSigma = 0.015
	}
	if cfg.ContinuePfa == 0 {
		cfg.ContinuePfa = 1e-3
	}
	if cfg.Templates == nil {
		cfg.Templates = DefaultTemplates
	}
	if cfg.MaxDuration == 0 {
		cfg.MaxDuration = time.Second
	}
	d := &Detector{
		cfg:      cfg,
		bins:     cfg.Bins,
		frameDur: float64(cfg.Hop) / cfg.Rate,
		binHz:    cfg.Rate / float64(cfg.Bins),
		bc:       binCorr(cfg.Window),
		fc:       frameCorr(cfg.Window, cfg.Hop),
		z:        make([]float32, cfg.Bins),
		cum:      make([]float32, cfg.Bins+1),
	}
	if cfg.GapFrames == 0 {
		cfg.GapFrames = max(2, int(math.Ceil(100e-6/d.frameDur)))
		d.cfg.GapFrames = cfg.GapFrames
	}
	framesPerHour := 3600 / d.frameDur
	for _, t := range cfg.Templates {
		w := min(max(1, int(math.Round(t.WidthHz/d.binHz))), cfg.Bins)
		dd := max(1, int(math.Round(t.Duration.Seconds()/d.frameDur)))
		gi := slices.IndexFunc(d.groups, func(g group) bool { return g.w == w })
		if gi < 0 {
			d.groups = append(d.groups, group{w: w, pos: Positions(cfg.Bins, w)})
			gi = len(d.groups) - 1
		}
		g := &d.groups[gi]
		if len(g.tmpls) == 8 {
			return nil, fmt.Errorf("detect: more than 8 templates %g Hz wide", t.WidthHz)
		}
		g.depth = max(g.depth, dd)
		m := looks(d.bc, d.fc, w, dd)
		// Every position is tested at every frame. Sliding sums are
		// correlated, so this overcounts the independent tests a little,
		// on the safe side; counting only disjoint spans (frames/d)
		// measured 2.4× the asked false-alarm rate.
		tests := float64(len(g.pos)) * framesPerHour
		alpha := cfg.FalsePerHour / (float64(len(cfg.Templates)) * tests)
		tau := gammaThreshold(m, cfg.FloorSigma, alpha)
		if cfg.ThresholdDB > 0 {
			tau = math.Pow(10, cfg.ThresholdDB/10)
		}
		g.tmpls = append(g.tmpls, len(d.tmpls))
		g.d = append(g.d, dd)
		g.tauSum = append(g.tauSum, float32(tau*float64(w*dd)))
		g.den = append(g.den, float32(w*dd))
		d.tmpls = append(d.tmpls, tmpl{
			Template: t, w: w, d: dd, tau: float32(tau), tauSum: float32(tau * float64(w*dd)), m: m,
		})
		d.maxD = max(d.maxD, dd)
	}
	for i := range d.groups {
		g := &d.groups[i]
		g.row = (len(g.pos) + 3) &^ 3
		g.ring = make([]float32, g.row*g.depth)
		g.run = make([]float32, g.row*len(g.tmpls))
		g.v = make([]float32, g.row)
		g.hits = make([]uint8, g.row)
	}
	d.contLooks = 3
	d.prof = make([]float32, 0, cfg.Bins)
	d.exc = make([]float32, 0, historyFrames)
	d.exe = make([]float64, 0, historyFrames)
	// Cumulative window energy, for edge refinement.
	d.cumW2 = make([]float64, cfg.Bins+1)
	var sw2 float64
	for _, w := range cfg.Window {
		sw2 += float64(w) * float64(w)
	}
	for i, w := range cfg.Window {
		d.cumW2[i+1] = d.cumW2[i] + float64(w)*float64(w)/sw2
	}
	d.contTaus = make([]float32, cfg.Bins+1)
	for w := 1; w <= cfg.Bins; w++ {
		m := float64(w) * float64(d.contLooks) / d.corrFactor()
		d.contTaus[w] = float32(gammaThreshold(m, cfg.FloorSigma, cfg.ContinuePfa))
	}
	d.hist = make([][]float32, historyFrames)
	for i := range d.hist {
		d.hist[i] = make([]float32, cfg.Bins)
	}
	d.histC = make([]int, historyFrames)
	d.histO = make([]int64, historyFrames)
	d.histT = make([]time.Time, historyFrames)
	const maxActive = 48
	for range maxActive {
		d.free = append(d.free, &active{acc: make([]float32, cfg.Bins), pw: make([]float32, cfg.Bins), earlyPw: make([]float32, cfg.Bins), earlyFloor: make([]float32, cfg.Bins)})
	}
	d.active = make([]*active, 0, maxActive)
	d.spare = &active{acc: make([]float32, cfg.Bins), pw: make([]float32, cfg.Bins), earlyPw: make([]float32, cfg.Bins), earlyFloor: make([]float32, cfg.Bins)}
	d.ovl.init(d)
	return d, nil
}

// Thresholds reports each template's name, size and threshold in dB over
// the floor, for logs and the survey.
func (d *Detector) Thresholds() []TemplateInfo {
	out := make([]TemplateInfo, len(d.tmpls))
	for i, t := range d.tmpls {
		out[i] = TemplateInfo{Name: t.Name, Bins: t.w, Frames: t.d, Looks: t.m, ThresholdDB: 10 * math.Log10(float64(t.tau))}
	}
	return out
}

// TemplateInfo describes one resolved template.
type TemplateInfo struct {
	Name         string
	Bins, Frames int
	Looks        float64
	ThresholdDB  float64
}

// Cells returns the current frame's prefix sums of normalised cells
// (len bins+1): the sum of z over bins [a, b) is cum[b]−cum[a]. Valid until
// the next Process.
func (d *Detector) Cells() []float32 { return d.cum }

// FrameSeconds is the time between frames.
func (d *Detector) FrameSeconds() float64 { return d.frameDur }

// KindDuringOverload marks a burst found while the receiver was swamped:
// the pipeline keeps it only if its waveform proves a handset, and reports
// it as an overload otherwise.
const KindDuringOverload = "during-overload"

// Normalizer is the noise floor as the detector needs it: per bin, the
// floor, 1/floor (0 where masked) and 1 where masked (see
// noise.Floor.Normalizers).
type Normalizer struct {
	Floor, Inv, One []float32
	Masked          int
	// BaseInv is 1/baseline floor (noise.Floor.BaselineInv): the overload
	// check compares the window with what it was before a jammer lifted
	// the (adaptive) floor.
	BaseInv []float32
}

// Process takes one frame with its noise normalizer (Floor nil means the
// floor is not ready yet: the frame is skipped) and appends finished
// bursts to dst. It does not allocate unless dst grows.
func (d *Detector) Process(dst []dsp.Burst, f *channelize.Frame, nz Normalizer) []dsp.Burst {
	floor := nz.Floor
	if f.Reset || f.Center != d.center || f.Rate != d.rate {
		dst = d.flush(dst)
		d.center, d.rate = f.Center, f.Rate
		d.t = 0
		d.lastHit = nil
		for i := range d.groups {
			clear(d.groups[i].ring)
			clear(d.groups[i].run)
		}
		d.ovl.reset()
	}
	// Saturation is judged on the samples alone, so it is reported even
	// before (or without) a noise floor.
	dst = d.ovl.saturation(dst, f)
	if floor == nil {
		return dst
	}
	n := d.bins
	z := d.z[:n]
	p := f.Power[:n]
	d.floor, d.one = floor, nz.One
	cum := d.cum[:n+1]
	normalize(z, cum, p, nz.Inv[:n], nz.One[:n])
	slot := int(d.t % historyFrames)
	copy(d.hist[slot], z)
	d.histC[slot] = f.Clipped
	d.histO[slot] = f.Offset
	d.histT[slot] = f.Time
	t := d.t
	d.t++

	dst = d.ovl.frame(dst, f, nz.BaseInv, n-nz.Masked)

	// Continue or end the active bursts.
	for i := 0; i < len(d.active); i++ {
		a := d.active[i]
		accumulate(a.acc[a.lo:a.hi], a.pw[a.lo:a.hi], z[a.lo:a.hi], floor[a.lo:a.hi])
		s := (cum[a.hi] - cum[a.lo]) / float32(a.hi-a.lo)
		a.cont[0], a.cont[1], a.cont[2] = a.cont[1], a.cont[2], s
		a.frames++
		if a.frames == earlyFrames {
			// Snapshot for long bursts: the floor soon absorbs a
			// continuous emitter, so its level is read from its start.
			copy(a.earlyPw, a.pw)
			copy(a.earlyFloor, floor)
		}
		if f.Clipped > 0 {
			a.clipped++
		}
		mean := (a.cont[0] + a.cont[1] + a.cont[2]) / 3
		if mean >= d.contTau(a.hi-a.lo) {
			a.endF = t
		}
		tooLong := float64(t-a.startF)*d.frameDur >= d.cfg.MaxDuration.Seconds()
		if t-a.endF > int64(d.cfg.GapFrames) || tooLong {
			dst = d.finish(dst, a)
			d.release(i)
			i--
		}
	}

	// Triggers. Templates of one width share the per-frame band sums, kept
	// in a ring as deep as the longest of them; their running sums sit
	// side by side per position.
	for gi := range d.groups {
		g := &d.groups[gi]
		row := g.row
		rp := int(t % int64(g.depth))
		v := g.v[:row]
		bandSums(v[:len(g.pos)], cum, g.pos, g.w)
		hits := g.hits[:row]
		any := false
		for i, di := range g.d {
			// The frame leaving this template's span sits in ring slot
			// rp−d (read before this frame's sums overwrite slot rp).
			leave := (rp - di + g.depth) % g.depth
			tau := g.tauSum[i]
			if t+1 < int64(di) {
				tau = nan32 // the span is not full yet: no hits
			}
			if runSums(g.run[i*row:(i+1)*row], v, g.ring[leave*row:(leave+1)*row], tau, hits, 1<<i) {
				any = true
			}
		}
		copy(g.ring[rp*row:(rp+1)*row], v)
		if any {
			// Trigger in position order, then template order: a burst's
			// band and peak depend on the order its hits merge in.
			la, llo, lhi := d.shortcut(t)
			for pi, m := range hits[:len(g.pos)] {
				if m == 0 {
					continue
				}
				hits[pi] = 0
				s := g.pos[pi]
				// Inside the band of the burst the last hit merged into,
				// which no burst before it in d.active touches (see
				// noteHit), trigger's scan would pick that burst, and only
				// its peak can change.
				inside := la != nil && s >= llo && s+g.w <= lhi
				for ; m != 0; m &= m - 1 {
					i := bits.TrailingZeros8(m)
					stat := g.run[i*row+pi] / g.den[i]
					if inside {
						if stat > la.peak {
							la.peak, la.tmpl = stat, g.tmpls[i]
						}
						continue
					}
					d.trigger(g.tmpls[i], s, s+g.w, t-int64(g.d[i])+1, t, stat, f)
					la, llo, lhi = d.shortcut(t)
					inside = la != nil && s >= llo && s+g.w <= lhi
				}
			}
		}
	}
	// Keep running sums honest: float32 add/subtract drifts, so rebuild
	// them from the rings now and then.
	if t%4096 == 4095 {
		d.resum()
	}
	return dst
}

// contTau is the hysteresis threshold for a band of w bins averaged over
// the last three frames (precomputed for every width).
func (d *Detector) contTau(w int) float32 { return d.contTaus[w] }

func (d *Detector) corrFactor() float64 {
	// Σ_Δ |ρ(Δ)|² over all Δ ≈ variance inflation of a wide band sum.
	var s float64
	for i, v := range d.bc {
		if i == 0 {
			s += v
		} else if i < len(d.bc)/2 {
			s += 2 * v
		}
	}
	return s
}

// trigger merges a template hit into an active burst or starts one.
// Process takes the shortcut of noteHit before calling it.
func (d *Detector) trigger(ti, lo, hi int, t0, t1 int64, stat float32, f *channelize.Frame) {
	for i, a := range d.active {
		// Merge only into a burst still hot at the previous frame: a
		// template looks back over its whole span, so a new burst just
		// after another (a different phone, 200 µs later) would otherwise
		// be glued to it.
		if d.touches(lo, hi, a.lo, a.hi) && a.endF >= t1-1 {
			if stat > a.peak {
				a.peak = stat
				a.tmpl = ti
			}
			if t1 > a.endF {
				a.endF = t1
			}
			if lo < a.lo || hi > a.hi {
				d.widen(a, lo, hi, t0)
			}
			d.noteHit(i, t1)
			return
		}
	}
	d.lastHit = nil
	if len(d.free) == 0 {
		return // saturated with bursts: the overload logic reports it
	}
	a := d.free[len(d.free)-1]
	d.free = d.free[:len(d.free)-1]
	a.startF, a.endF = t0, t1
	a.lo, a.hi = lo, hi
	a.peak, a.tmpl = stat, ti
	clear(a.acc)
	clear(a.pw)
	a.frames, a.clipped = 0, 0
	a.cont = [3]float32{stat, stat, stat}
	// Accumulate the frames the template already covers (and a margin
	// before it for the edge search) from history.
	from := max(t0, d.t-historyFrames+1)
	for tt := from; tt <= t1; tt++ {
		slot := int(tt % historyFrames)
		// History keeps z only: the floor moves slowly.
		accumulate(a.acc[lo:hi], a.pw[lo:hi], d.hist[slot][lo:hi], d.floor[lo:hi])
		a.frames++
		if d.histC[slot] > 0 {
			a.clipped++
		}
	}
	a.startOffset = d.histO[int(from%historyFrames)]
	a.startTime = d.histT[int(from%historyFrames)]
	a.startF = from
	d.active = append(d.active, a)
	d.noteHit(len(d.active)-1, t1)
}

// shortcut returns the burst noteHit remembered for frame t and its band,
// or nil.
func (d *Detector) shortcut(t int64) (*active, int, int) {
	if a := d.lastHit; a != nil && d.lastHitT == t && !d.noShortcut {
		return a, a.lo, a.hi
	}
	return nil, 0, 0
}

// noteHit remembers d.active[i], which a hit at frame t1 has just merged
// into or started, for the hits that follow in the same frame: if no
// burst before it in d.active is hot (endF ≥ t1−1) and touches its band,
// then no such burst touches any band inside it either, so trigger's scan
// would pick it for every hit inside its band. Bursts before it change
// only through hits that merge into them, which replace the note; bursts
// appended later come after it.
func (d *Detector) noteHit(i int, t1 int64) {
	a := d.active[i]
	d.lastHit = nil
	for _, b := range d.active[:i] {
		if b.endF >= t1-1 && d.touches(a.lo, a.hi, b.lo, b.hi) {
			return
		}
	}
	d.lastHit, d.lastHitT = a, t1
}

// widen extends a burst's band, back-filling the new bins from history.
func (d *Detector) widen(a *active, lo, hi int, _ int64) {
	nlo, nhi := min(lo, a.lo), max(hi, a.hi)
	from := max(a.startF, d.t-historyFrames)
	for tt := from; tt < d.t; tt++ {
		h := d.hist[int(tt%historyFrames)]
		// The new bins below and above the band; history keeps z only:
		// the floor moves slowly.
		if nlo < a.lo {
			accumulate(a.acc[nlo:a.lo], a.pw[nlo:a.lo], h[nlo:a.lo], d.floor[nlo:a.lo])
		}
		if nhi > a.hi {
			accumulate(a.acc[a.hi:nhi], a.pw[a.hi:nhi], h[a.hi:nhi], d.floor[a.hi:nhi])
		}
	}
	a.lo, a.hi = nlo, nhi
}

func (d *Detector) release(i int) {
	a := d.active[i]
	d.lastHit = nil
	d.active = append(d.active[:i], d.active[i+1:]...)
	d.free = append(d.free, a)
}

// flush ends every active burst (at a retune or the end of the stream).
func (d *Detector) flush(dst []dsp.Burst) []dsp.Burst {
	for len(d.active) > 0 {
		dst = d.finish(dst, d.active[0])
		d.release(0)
	}
	return d.ovl.flush(dst)
}

// Flush ends every active burst; call it at the end of a stream.
func (d *Detector) Flush(dst []dsp.Burst) []dsp.Burst { return d.flush(dst) }

// finish appends a finished burst — or, when its band's energy fell to the
// noise for a frame or more inside it, the separate bursts it holds (two
// phones a slot apart on neighbouring channels, glued by the hysteresis).
func (d *Detector) finish(dst []dsp.Burst, a *active) []dsp.Burst {
	if a.startF < d.t-historyFrames+1 || a.endF-a.startF < 4 {
		return d.finishOne(dst, a)
	}
	// The band's excess per frame, computed once: ex[tt−startF].
	ex := d.exc[:0]
	var top float32
	for tt := a.startF; tt <= a.endF; tt++ {
		var s float32
		for _, v := range d.hist[int(tt%historyFrames)][a.lo:a.hi] {
			s += v - 1
		}
		ex = append(ex, s)
		top = max(top, s)
	}
	d.exc = ex[:0]
	// The noise in a frame's band excess is about √(band bins); a gap is
	// a frame below a fifth of the strongest and within three of those
	// standard deviations of nothing.
	sigma := float32(math.Sqrt(float64(a.hi - a.lo)))
	lim := max(top/5, 3*sigma)
	if top < 8*sigma {
		// Too weak to tell a gap from noise, and pieces of weak
		// energy would only be guessed at by their size.
		return d.finishOne(dst, a)
	}
	p0, inGap, pieces := a.startF, true, 0
	flushPiece := func(t0, t1 int64) {
		if t1-t0 < 1 {
			return
		}
		tmp := d.spare
		clear(tmp.acc)
		clear(tmp.pw)
		tmp.frames, tmp.clipped = 0, 0
		for tt := t0; tt <= t1; tt++ {
			slot := int(tt % historyFrames)
			accumulate(tmp.acc[a.lo:a.hi], tmp.pw[a.lo:a.hi], d.hist[slot][a.lo:a.hi], d.floor[a.lo:a.hi])
			tmp.frames++
			if d.histC[slot] > 0 {
				tmp.clipped++
			}
		}
		tmp.lo, tmp.hi = a.lo, a.hi
		tmp.startF, tmp.endF = t0, t1
		tmp.startOffset = d.histO[int(t0%historyFrames)]
		tmp.startTime = d.histT[int(t0%historyFrames)]
		tmp.peak, tmp.tmpl = a.peak, a.tmpl
		dst = d.finishOne(dst, tmp)
		pieces++
	}
	for tt := a.startF; tt <= a.endF; tt++ {
		quiet := ex[tt-a.startF] < lim
		switch {
		case quiet && !inGap:
			flushPiece(p0, tt-1)
			inGap = true
		case !quiet && inGap:
			p0, inGap = tt, false
		}
	}
	if pieces == 0 {
		return d.finishOne(dst, a)
	}
	if !inGap {
		flushPiece(p0, a.endF)
	}
	return dst
}

// finishOne refines a burst's extent and appends it.
func (d *Detector) finishOne(dst []dsp.Burst, a *active) []dsp.Burst {
	// Frequency extent: from the peak of the (3-bin smoothed) excess,
	// go out as far as the running sum of excess − level keeps its
	// maximum, the level a quarter of the burst's plateau (the mean of the
	// bins around the peak). Like a threshold crossing, but a dip (one
	// frame of noise over a short burst, a GMSK skirt) does not cut the
	// band short. Masked bins count as the level: they neither add nor
	// take away.
	lo, hi := a.lo, a.hi
	sm := func(k int) float32 {
		s, c := a.acc[k], float32(1)
		if k > lo {
			s += a.acc[k-1]
			c++
		}
		if k < hi-1 {
			s += a.acc[k+1]
			c++
		}
		return s / c
	}
	prof := d.prof[:0]
	peakK, peakV := lo, float32(math.Inf(-1))
	for k := lo; k < hi; k++ {
		v := sm(k)
		prof = append(prof, v)
		if v > peakV && !d.masked(k) {
			peakK, peakV = k, v
		}
	}
	// The plateau: around the peak (the band may be wider than the burst,
	// when a wide template triggered, so not the upper half of it).
	var plateau float32
	var np int
	for k := max(lo, peakK-3); k <= min(hi-1, peakK+3); k++ {
		if !d.masked(k) {
			plateau += prof[k-lo]
			np++
		}
	}
	plateau /= float32(max(np, 1))
	level := plateau / 4
	val := func(k int) float32 {
		if d.masked(k) {
			return 0
		}
		return prof[k-lo] - level
	}
	bl, bh := peakK, peakK+1
	var run, best float32
	for k := peakK - 1; k >= lo; k-- {
		if run += val(k); run > best {
			best, bl = run, k
		}
	}
	run, best = 0, 0
	for k := peakK + 1; k < hi; k++ {
		if run += val(k); run > best {
			best, bh = run, k+1
		}
	}
	// Power and SNR over the refined band.
	var sig, noiseBand float64
	for k := bl; k < bh; k++ {
		sig += float64(a.pw[k])
		noiseBand += float64(d.floor[k])
	}
	frames := float64(a.frames)
	if frames < 1 {
		frames = 1
	}
	sig /= frames
	long := a.frames >= 4*earlyFrames
	if long {
		// A long burst's level and SNR are those of its first frames,
		// before the floor estimate started to take it in.
		sig, noiseBand = 0, 0
		for k := bl; k < bh; k++ {
			sig += float64(a.earlyPw[k])
			noiseBand += float64(a.earlyFloor[k])
		}
		sig /= earlyFrames
	}
	// Time extent: refine the edges on the band's per-frame excess where
	// history still holds it.
	start, end := d.edges(a, bl, bh)
	b := dsp.Burst{
		Center:   d.center,
		FreqLow:  d.freqOf(bl) - d.binHz/2,
		FreqHigh: d.freqOf(bh-1) + d.binHz/2,
		Clipped:  a.clipped > 0,
		Class:    dsp.ClassUnknown,
	}
	// Power-weighted centre.
	var wsum, fsum float64
	for k := bl; k < bh; k++ {
		v := math.Max(float64(a.acc[k]), 0)
		wsum += v
		fsum += v * d.freqOf(k)
	}
	if wsum > 0 {
		b.Freq = fsum / wsum
	} else {
		b.Freq = (b.FreqLow + b.FreqHigh) / 2
	}
	samplesPerFrame := d.frameDur * d.rate
	b.Offset = a.startOffset + int64(math.Round((start-float64(a.startF))*samplesPerFrame))
	b.Start = a.startTime.Add(time.Duration((start - float64(a.startF)) * d.frameDur * float64(time.Second)))
	b.Duration = time.Duration((end - start) * d.frameDur * float64(time.Second))
	// The excess was averaged over all accumulated frames, including the
	// margins outside the refined edges: scale to the burst's own length.
	if dur := end - start; !long && dur > 0.5 && dur < frames {
		sig *= frames / dur
	}
	if sig <= 0 {
		// No excess measurable (the floor rose under it, as in an
		// overload): say it was at most a thousandth of the band's noise
		// rather than report −300 dBFS.
		sig = math.Max(noiseBand*1e-3, 1e-30)
	}
	b.PowerDBFS = 10 * math.Log10(sig)
	if noiseBand > 0 {
		b.SNR = 10 * math.Log10(sig/noiseBand)
	}
	// The score is the classifier's to give; the detector's own strength
	// of evidence is the SNR.
	b.Score = 0
	if d.ovl.active {
		// Found while the receiver is swamped: an overload unless the
		// classifier recognises a handset's waveform in it (a phone next
		// to the sensor is what often swamps it).
		b.Kind = KindDuringOverload
	}
	return append(dst, b)
}

// edges returns the burst's start and end in detector frames (fractional),
// where the band's per-frame excess crosses half its plateau.
func (d *Detector) edges(a *active, bl, bh int) (float64, float64) {
	start, end := float64(a.startF), float64(a.endF+1)
	from := max(a.startF-4, d.t-historyFrames+1, 0)
	to := min(a.endF+4, d.t-1)
	if to-from < 1 {
		return start, end
	}
	// The band's excess per frame of [from, to], computed once.
	exs := d.exe[:0]
	for tt := from; tt <= to; tt++ {
		var s float64
		for _, v := range d.hist[int(tt%historyFrames)][bl:bh] {
			s += float64(v - 1)
		}
		exs = append(exs, s)
	}
	d.exe = exs[:0]
	ex := func(tt int64) float64 { return exs[tt-from] }
	// Plateau: the mean excess of the frames the burst fills. The hot
	// span also holds frames before the burst (a long template that
	// triggered) and after it (the hysteresis runs on), so take the frames
	// above half the largest.
	var top float64
	for tt := max(a.startF, from); tt <= min(a.endF, to); tt++ {
		top = math.Max(top, ex(tt))
	}
	var plateau float64
	var n int
	for tt := max(a.startF, from); tt <= min(a.endF, to); tt++ {
		if v := ex(tt); v >= top/2 {
			plateau += v
			n++
		}
	}
	if n == 0 || plateau <= 0 {
		return start, end
	}
	p := plateau / float64(n)
	half := p / 2
	// A frame a fraction c of which the burst covers (at one end) carries
	// the window energy of that part, G(c) = Σ_{n<cN} w²/Σw², not c:
	// invert G to turn the frame's excess back into coverage.
	frac := func(v float64) float64 { return d.coverage(math.Min(math.Max(v/p, 0), 1)) }
	// Frames cover [j, j+1). The frame holding the leading edge carries
	// excess in proportion to how much of it the burst covers. Find the
	// first frame reaching half the plateau (tt): either it holds the edge
	// (and the frame before is empty) or the frame before does (and tt is
	// full); s = tt − frac(ex(tt−1)) + 1 − frac(ex(tt)) is right in both
	// cases.
	if a.startF >= from {
		start = float64(a.startF)
		for tt := from; tt <= to; tt++ {
			if v := ex(tt); v >= half {
				start = float64(tt) + 1 - frac(v)
				if tt > from {
					start -= frac(ex(tt - 1))
				}
				break
			}
		}
	}
	// Trailing edge, symmetrically: e = tt + frac(ex(tt)) + frac(ex(tt+1)).
	for tt := to; tt >= from; tt-- {
		if v := ex(tt); v >= half {
			end = float64(tt) + frac(v)
			if tt < to {
				end += frac(ex(tt + 1))
			}
			break
		}
	}
	if end <= start {
		end = start + 1
	}
	return start, end
}

// masked reports whether bin k is masked in the current floor.
func (d *Detector) masked(k int) bool { return d.one != nil && d.one[k] != 0 }

// touches reports whether bands [lo, hi) and [alo, ahi) overlap or are
// separated only by masked bins (a burst across the DC spike).
func (d *Detector) touches(lo, hi, alo, ahi int) bool {
	if lo < ahi && hi > alo {
		return true
	}
	a, b := ahi, lo // gap [a, b) when the new band is above
	if hi <= alo {
		a, b = hi, alo
	}
	for k := a; k < b; k++ {
		if !d.masked(k) {
			return false
		}
	}
	return true
}

// coverage inverts the window's cumulative energy: the fraction of a
// frame's samples (from one end) that hold a fraction e of its weighted
// energy.
func (d *Detector) coverage(e float64) float64 {
	g := d.cumW2
	i, _ := slices.BinarySearch(g, e)
	switch {
	case i <= 0:
		return 0
	case i >= len(g):
		return 1
	}
	// Linear interpolation between samples i−1 and i.
	return (float64(i-1) + (e-g[i-1])/(g[i]-g[i-1])) / float64(len(g)-1)
}

func (d *Detector) freqOf(k int) float64 {
	return d.center + (float64(k)-float64(d.bins/2))*d.binHz
}

// resum rebuilds every running sum from the rings.
func (d *Detector) resum() {
	for _, g := range d.groups {
		rp := int((d.t - 1) % int64(g.depth)) // slot of the newest frame
		for pi := range g.pos {
			for i, di := range g.d {
				var s float32
				for j := 0; j < di; j++ {
					s += g.ring[((rp-j+g.depth)%g.depth)*g.row+pi]
				}
				g.run[i*g.row+pi] = s
			}
		}
	}
}

// Positions are the first bins of the band placements the detector tests
// a template w bins wide at, in a window of bins: every quarter width
// (so a burst anywhere overlaps one placement by at least three quarters)
// and the last placement flush with the window's edge. The survey
// recomputes the detector's statistic at the same placements.
func Positions(bins, w int) []int {
	var pos []int
	for s := 0; s+w <= bins; s += max(1, w/4) {
		pos = append(pos, s)
	}
	if last := bins - w; len(pos) == 0 || pos[len(pos)-1] != last {
		pos = append(pos, last)
	}
	return pos
}
