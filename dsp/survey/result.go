package survey

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/cellsentry/cellsentry/dsp"
)

// edgeDB is where an emitter's skirts end for the statistic's mask: a
// bin's median this much over the background (noise medians scatter by
// about 0.1 dB after a mask refresh's 2048 frames).
const edgeDB = 1

// bgHalf is the half-width of the background's neighbourhood, bins.
const bgHalf = 64

// bgQuantile is the quantile of the neighbours' medians taken as the
// background: low enough that emitters covering most of the
// neighbourhood's upper part do not lift it.
const bgQuantile = 0.2

// histQuantile returns the q-quantile of a histogram of total counts whose
// bin i covers [lo + i·step, lo + (i+1)·step), interpolating inside the bin.
func histQuantile(h []uint32, total int64, q, lo, step float64) float64 {
	if total <= 0 {
		return math.NaN()
	}
	want := q * float64(total)
	var acc float64
	for i, n := range h {
		if n == 0 {
			continue
		}
		if acc+float64(n) >= want {
			frac := (want - acc) / float64(n)
			return lo + (float64(i)+frac)*step
		}
		acc += float64(n)
	}
	return lo + float64(len(h))*step
}

// histAbove is the fraction of counts at or above level.
func histAbove(h []uint32, total int64, level, lo, step float64) float64 {
	if total <= 0 {
		return 0
	}
	x := (level - lo) / step
	i := int(math.Floor(x))
	var n float64
	for j := max(i+1, 0); j < len(h); j++ {
		n += float64(h[j])
	}
	if i >= 0 && i < len(h) {
		n += float64(h[i]) * (1 - (x - float64(i)))
	}
	return n / float64(total)
}

// medians fills med with each bin's median power (dBFS) and bg with the
// background; scratch is a work slice of at least 2·bgHalf+1.
func (s *Survey) medians(c *centre, med, bg, scratch []float64) {
	n := s.bins
	for k := range n {
		med[k] = histQuantile(c.hist[k*powN:(k+1)*powN], c.frames, 0.5, powMin, powStep)
	}
	for k := range n {
		v := scratch[:0]
		for j := max(0, k-bgHalf); j < min(n, k+bgHalf+1); j++ {
			if j >= n/2-dcBins && j <= n/2+dcBins {
				continue
			}
			v = append(v, med[j])
		}
		slices.Sort(v)
		bg[k] = v[int(bgQuantile*float64(len(v)-1)+0.5)]
	}
}

// refreshMask pins the bins of the emitters found so far at z = 1 in the
// statistic.
func (s *Survey) refreshMask(c *centre) {
	if len(s.tmp) < 2*bgHalf+1 {
		s.tmp = make([]float64, 2*bgHalf+1)
	}
	s.medians(c, s.med, s.bg, s.tmp)
	n := s.bins
	clear(c.neutral)
	// An emitter's bins, out to where its skirts fall within edgeDB of
	// the background, and one more bin each side.
	for k := range n {
		if s.med[k]-s.bg[k] < s.cfg.EmitterDB || c.neutral[k] {
			continue
		}
		a, b := k, k
		for a > 0 && s.med[a-1]-s.bg[a-1] >= edgeDB {
			a--
		}
		for b < n-1 && s.med[b+1]-s.bg[b+1] >= edgeDB {
			b++
		}
		for j := max(0, a-1); j <= min(n-1, b+1); j++ {
			c.neutral[j] = true
		}
	}
	// The channels' background, as mean noise power: the median of
	// exponential cells is ln 2 of their mean.
	for i := range c.chanLo {
		var b float64
		for k := c.chanLo[i]; k < c.chanHi[i]; k++ {
			b += math.Pow(10, s.bg[k]/10) / math.Ln2
		}
		c.chanBg[i] = float32(b)
	}
	c.maskReady = true
}

// medianToMeanDB converts the median of exponential cells (noise bins) to
// their mean: 10·log10(1/ln 2).
var medianToMeanDB = -10 * math.Log10(math.Ln2)

// Result is what a survey learnt.
type Result struct {
	Seconds  float64 // signal heard, all centres
	Centres  []Centre
	Bands    []Band
	Emitters []Emitter
	// OccupancyDB and EmitterDB are the levels used (Config).
	OccupancyDB, EmitterDB float64
}

// Centre is what was learnt at one tuned centre. Per-bin slices are in
// frequency order (bin Bins/2 at Center), powers in dBFS per bin.
type Centre struct {
	Band         string
	Center, Rate float64
	BinHz        float64
	Frames       int64
	Seconds      float64
	ClippedShare float64 // frames with clipped samples
	// FloorDBFS is the noise estimator's mean floor, whole window, dBFS.
	FloorDBFS float64
	Median    []float64 // per bin
	Q10, Q90  []float64
	Max       []float64 // max hold
	// Background is the emitter-free level each bin is compared with.
	Background []float64
	// Occupancy is the fraction of frames with the bin OccupancyDB over
	// the mean noise of its background (1.6 dB over its median).
	Occupancy []float64
	Channels  []Channel
	// Waterfall is [row][bin]: the max per time slice, NaN where no
	// frame fell.
	Waterfall [][]float64
}

// Freq is the frequency of bin k, Hz.
func (c *Centre) Freq(k int) float64 { return c.Center + float64(k-len(c.Median)/2)*c.BinHz }

// Channel is one raster channel inside a centre's window.
type Channel struct {
	Freq float64
	// Occupancy is the fraction of frames whose channel power stands
	// OccupancyDB over the channel's background noise.
	Occupancy float64
	// MedianDB is the median channel power over its background, dB.
	MedianDB float64
}

// Emitter kinds.
const (
	KindSpur  = "spur"  // the dongle's: a fixed offset from the tuned centre
	KindFixed = "fixed" // a transmitter at a fixed frequency
	KindImage = "image" // the dongle's IQ image of a stronger emitter
)

// Emitter is a persistent emitter.
type Emitter struct {
	Kind string
	// Freq is the absolute frequency (for a spur, where it was strongest)
	// and Offset its offset from the tuned centre, Hz.
	Freq, Offset float64
	Bandwidth    float64 // Hz
	LevelDBFS    float64 // power over the background, summed over its bins
	PeakDB       float64 // its strongest bin's median over the background
	Duty         float64 // fraction of frames it was present
	Band         string
	Centres      int // hop centres it was seen at
}

// Low and High bound the emitter, Hz.
func (e *Emitter) Low() float64  { return e.Freq - e.Bandwidth/2 }
func (e *Emitter) High() float64 { return e.Freq + e.Bandwidth/2 }

// Band is one scan band's statistics.
type Band struct {
	Name    string
	Centres int
	Seconds float64 // heard
	// Bursts counts the pipeline's bursts by class; PerHour is the same
	// per hour heard.
	Bursts  map[dsp.Class]int64
	PerHour map[dsp.Class]float64
	// Curve predicts the false-burst rate for any threshold.
	Curve Curve
	// FloorDBFS is the median of the centres' floors.
	FloorDBFS float64
}

// Curve is the count of false-burst starts per threshold: Starts[j] at
// j·StepDB dB over the floor, in Hours of listening.
type Curve struct {
	StepDB float64
	Starts []int64
	Hours  float64
}

// Result computes what the survey learnt so far. It may be called at any
// time (Ctrl-C ends a survey early) and allocates.
func (s *Survey) Result() *Result { return s.result(true) }

// Emitters returns the persistent emitters found so far (Result's, for a
// progress display: it skips the per-bin statistics and the waterfall).
func (s *Survey) Emitters() []Emitter { return s.result(false).Emitters }

func (s *Survey) result(full bool) *Result {
	for _, c := range s.order {
		// What is still pending counts: no burst came for it so far.
		for i := 0; i < c.pLen; i++ {
			st := &c.pending[(c.pHead+i)%len(c.pending)]
			if !st.cancelled {
				c.diff[st.lo]++
				c.diff[st.hi+1]--
			}
		}
	}
	defer func() {
		// ... and is taken back out, so that the survey can go on.
		for _, c := range s.order {
			for i := 0; i < c.pLen; i++ {
				st := &c.pending[(c.pHead+i)%len(c.pending)]
				if !st.cancelled {
					c.diff[st.lo]--
					c.diff[st.hi+1]++
				}
			}
		}
	}()
	r := &Result{OccupancyDB: s.cfg.OccupancyDB, EmitterDB: s.cfg.EmitterDB}
	n := s.bins
	type det struct {
		Emitter
		ci int
	}
	var dets []det
	scratch := make([]float64, 2*bgHalf+1)
	for ci, c := range s.order {
		cr := Centre{
			Band: c.band, Center: c.center, Rate: c.rate, BinHz: c.rate / float64(n), Frames: c.frames,
			Seconds: float64(c.frames) * float64(s.hop) / c.rate,
			Median:  make([]float64, n), Background: make([]float64, n),
			Q10: make([]float64, n), Q90: make([]float64, n), Max: make([]float64, n), Occupancy: make([]float64, n),
			FloorDBFS: math.NaN(),
		}
		if c.frames > 0 {
			cr.ClippedShare = float64(c.clipped) / float64(c.frames)
		}
		if c.floorDBFSN > 0 {
			cr.FloorDBFS = c.floorDBFSSum / float64(c.floorDBFSN)
		}
		s.medians(c, cr.Median, cr.Background, scratch)
		for k := range n {
			if !full {
				break
			}
			h := c.hist[k*powN : (k+1)*powN]
			cr.Q10[k] = histQuantile(h, c.frames, 0.1, powMin, powStep)
			cr.Q90[k] = histQuantile(h, c.frames, 0.9, powMin, powStep)
			cr.Max[k] = dbOf(c.maxHold[k])
			cr.Occupancy[k] = histAbove(h, c.frames, cr.Background[k]+medianToMeanDB+s.cfg.OccupancyDB, powMin, powStep)
		}
		for i := range c.chanLo {
			if !full {
				break
			}
			h := c.chanHist[i*chanN : (i+1)*chanN]
			var tot int64
			for _, v := range h {
				tot += int64(v)
			}
			cr.Channels = append(cr.Channels, Channel{
				Freq:      c.chanF[i],
				Occupancy: histAbove(h, tot, s.cfg.OccupancyDB, chanMin, chanStep),
				MedianDB:  histQuantile(h, tot, 0.5, chanMin, chanStep),
			})
		}
		for row := 0; row < s.cfg.Rows && full; row++ {
			line := make([]float64, n)
			for k, v := range c.wf[row*n : (row+1)*n] {
				if v < 0 {
					line[k] = math.NaN()
				} else {
					line[k] = dbOf(v)
				}
			}
			cr.Waterfall = append(cr.Waterfall, line)
		}
		r.Centres = append(r.Centres, cr)
		r.Seconds += cr.Seconds
		if c.frames < maskEvery {
			continue // too little to call anything persistent
		}
		for _, e := range s.findEmitters(c, &cr) {
			if s.nearer(e.Freq, c) {
				// Another centre hears it nearer the middle of its
				// window, where it is cleaner (the edges hold wrapped
				// and rolled-off energy).
				continue
			}
			dets = append(dets, det{e, ci})
		}
	}
	// Images: weak emitters mirroring a much stronger one about their
	// centre.
	for i := range dets {
		for j := range dets {
			a, b := &dets[i], &dets[j]
			if i == j || a.ci != b.ci {
				continue
			}
			binHz := r.Centres[a.ci].BinHz
			if math.Abs(a.Offset+b.Offset) <= 2*binHz && b.PeakDB-a.PeakDB >= 15 {
				a.Kind = KindImage
			}
		}
	}
	// Spurs: the same offset at two or more centres. Fixed emitters: the
	// same absolute frequency, once however many centres saw it.
	used := make([]bool, len(dets))
	for i := range dets {
		if used[i] || dets[i].Kind == KindImage {
			continue
		}
		a := dets[i].Emitter
		binHz := r.Centres[dets[i].ci].BinHz
		var sameOff, sameAbs []int
		for j := range dets {
			if used[j] || dets[j].Kind == KindImage {
				continue
			}
			if math.Abs(dets[j].Offset-a.Offset) <= 1.5*binHz && (j == i || dets[j].ci != dets[i].ci) {
				sameOff = append(sameOff, j)
			}
			if math.Abs(dets[j].Freq-a.Freq) <= 1.5*binHz+math.Max(dets[j].Bandwidth, a.Bandwidth)/4 {
				sameAbs = append(sameAbs, j)
			}
		}
		group, kind := sameAbs, KindFixed
		if len(sameOff) >= 2 && len(sameOff) > len(sameAbs) {
			group, kind = sameOff, KindSpur
		}
		e := a
		e.Kind = kind
		e.Centres = 0
		var offs []float64
		for _, j := range group {
			used[j] = true
			d := dets[j].Emitter
			e.Centres++
			offs = append(offs, d.Offset)
			if d.PeakDB > e.PeakDB {
				e.Freq, e.LevelDBFS, e.PeakDB, e.Duty, e.Band = d.Freq, d.LevelDBFS, d.PeakDB, d.Duty, d.Band
			}
			if kind == KindFixed {
				lo, hi := math.Min(e.Low(), d.Low()), math.Max(e.High(), d.High())
				e.Freq, e.Bandwidth = (lo+hi)/2, hi-lo
			}
			e.Bandwidth = math.Max(e.Bandwidth, d.Bandwidth)
		}
		if kind == KindSpur {
			slices.Sort(offs)
			e.Offset = offs[len(offs)/2]
		}
		r.Emitters = append(r.Emitters, e)
	}
	for i := range dets {
		if dets[i].Kind == KindImage {
			e := dets[i].Emitter
			e.Centres = 1
			r.Emitters = append(r.Emitters, e)
		}
	}
	sort.SliceStable(r.Emitters, func(i, j int) bool { return r.Emitters[i].Freq < r.Emitters[j].Freq })
	r.Bands = s.bands(r)
	return r
}

// nearer reports whether another centre, which covers f, is nearer to f
// than c.
func (s *Survey) nearer(f float64, c *centre) bool {
	for _, o := range s.order {
		if o != c && o.frames >= maskEvery && math.Abs(f-o.center) < math.Abs(f-c.center) && math.Abs(f-o.center) < o.rate/2 {
			return true
		}
	}
	return false
}

// findEmitters finds the runs of bins whose median stands EmitterDB over
// the background (the DC bins left out).
func (s *Survey) findEmitters(c *centre, cr *Centre) []Emitter {
	n := s.bins
	hot := func(k int) bool {
		if k >= n/2-dcBins && k <= n/2+dcBins {
			return false
		}
		return cr.Median[k]-cr.Background[k] >= s.cfg.EmitterDB
	}
	var out []Emitter
	for k := 0; k < n; {
		if !hot(k) {
			k++
			continue
		}
		a := k
		b := k + 1
		// A run may dip below the level for a bin or two (a wide
		// emitter's ripple).
		for b < n && (hot(b) || (b+1 < n && hot(b+1)) || (b+2 < n && hot(b+2))) {
			b++
		}
		for b > a+1 && !hot(b-1) {
			b--
		}
		k = b
		var sum, fsum float64
		peak, peakK := math.Inf(-1), a
		for j := a; j < b; j++ {
			ex := math.Pow(10, cr.Median[j]/10) - math.Pow(10, cr.Background[j]/10)
			if ex < 0 {
				ex = 0
			}
			sum += ex
			fsum += ex * cr.Freq(j)
			if d := cr.Median[j] - cr.Background[j]; d > peak {
				peak, peakK = d, j
			}
		}
		if sum <= 0 {
			continue
		}
		f := fsum / sum
		h := c.hist[peakK*powN : (peakK+1)*powN]
		duty := histAbove(h, c.frames, cr.Background[peakK]+peak/2, powMin, powStep)
		out = append(out, Emitter{
			Freq: f, Offset: f - c.center, Bandwidth: float64(b-a) * cr.BinHz,
			LevelDBFS: 10 * math.Log10(sum), PeakDB: peak, Duty: duty, Band: c.band, Centres: 1,
		})
	}
	return out
}

// bands gathers the per-band statistics and false-alarm curves.
func (s *Survey) bands(r *Result) []Band {
	var names []string
	idx := map[string]int{}
	for _, c := range s.order {
		if _, ok := idx[c.band]; !ok {
			idx[c.band] = len(names)
			names = append(names, c.band)
		}
	}
	out := make([]Band, len(names))
	floors := make([][]float64, len(names))
	for i, name := range names {
		out[i] = Band{Name: name, Bursts: map[dsp.Class]int64{}, PerHour: map[dsp.Class]float64{},
			Curve: Curve{StepDB: statStep, Starts: make([]int64, statN)}}
	}
	for ci, c := range s.order {
		b := &out[idx[c.band]]
		b.Centres++
		b.Seconds += r.Centres[ci].Seconds
		b.Curve.Hours += float64(c.statFrames) * float64(s.hop) / c.rate / 3600
		var run int64
		for j := range statN {
			run += c.diff[j]
			b.Curve.Starts[j] += run
		}
		if !math.IsNaN(r.Centres[ci].FloorDBFS) {
			floors[idx[c.band]] = append(floors[idx[c.band]], r.Centres[ci].FloorDBFS)
		}
	}
	for i := range out {
		b := &out[i]
		b.FloorDBFS = math.NaN()
		if f := floors[i]; len(f) > 0 {
			slices.Sort(f)
			b.FloorDBFS = f[len(f)/2]
		}
		if bs := s.bursts[b.Name]; bs != nil {
			for cl, v := range bs.byClass {
				if v > 0 {
					b.Bursts[dsp.Class(cl)] = v
					if b.Seconds > 0 {
						b.PerHour[dsp.Class(cl)] = float64(v) / b.Seconds * 3600
					}
				}
			}
		}
	}
	return out
}

// Rate is the predicted false bursts per hour of listening at threshold db
// (dB over the floor), and whether it was extrapolated beyond what was
// counted. NaN when nothing was counted at all.
func (c *Curve) Rate(db float64) (perHour float64, extrapolated bool) {
	if c.Hours <= 0 || len(c.Starts) == 0 {
		return math.NaN(), true
	}
	j := int(math.Floor(db/c.StepDB + 1e-9))
	if j < c.mode() {
		return math.NaN(), true // below the bulk of the noise: bursts everywhere
	}
	if j < len(c.Starts) && c.Starts[j] >= minStarts {
		return float64(c.Starts[j]) / c.Hours, false
	}
	a, b, ok := c.tail()
	if !ok {
		return math.NaN(), true
	}
	return math.Exp(a+b*math.Pow(10, db/10)) / c.Hours, true
}

// Threshold returns the lowest threshold on the grid (dB over the floor,
// rounded up to 0.1 dB) whose predicted rate does not exceed target (false
// bursts per hour of listening), the rate predicted there, and whether it
// was extrapolated. ok is false when the survey counted too little.
func (c *Curve) Threshold(target float64) (db, predicted float64, extrapolated, ok bool) {
	if c.Hours <= 0 || target <= 0 {
		return math.NaN(), math.NaN(), true, false
	}
	for j := c.mode(); j < len(c.Starts); j++ {
		if c.Starts[j] < minStarts {
			break
		}
		if float64(c.Starts[j])/c.Hours <= target {
			db = math.Ceil(float64(j)*c.StepDB*10-1e-9) / 10
			predicted, extrapolated = c.Rate(db)
			return db, predicted, extrapolated, true
		}
	}
	a, b, ok := c.tail()
	if !ok {
		return math.NaN(), math.NaN(), true, false
	}
	tau := (math.Log(target*c.Hours) - a) / b
	if tau <= 1 {
		tau = 1
	}
	db = math.Ceil(10*math.Log10(tau)*10) / 10
	predicted, extrapolated = c.Rate(db)
	return db, predicted, extrapolated, true
}

// mode is the threshold index with the most starts: below it, the count
// falls because excursions merge, not because they become rarer, and only
// the part above it is a tail.
func (c *Curve) mode() int {
	best := 0
	for j, v := range c.Starts {
		if v > c.Starts[best] {
			best = j
		}
	}
	return best
}

// tail fits log(starts) = a + b·τ (τ linear) over the counted part of the
// upper tail: from the mode on, the points with minStarts to a tenth of
// the mode's starts, each weighted by its count (a Poisson count n has a
// log with variance 1/n, so the well-counted points lead). Measured on the
// test dongle's noise, 60 s surveys extrapolated this way to 2.9–3.1 dB
// predicted 1.1 to 1.8 times what a 600 s survey counted there.
func (c *Curve) tail() (a, b float64, ok bool) {
	m := c.mode()
	top := c.Starts[m] / 10
	var n, sw, sx, sy, sxx, sxy float64
	for j := m; j < len(c.Starts); j++ {
		v := c.Starts[j]
		if v < minStarts || v > top {
			continue
		}
		x := math.Pow(10, float64(j)*c.StepDB/10)
		y := math.Log(float64(v))
		w := float64(v)
		n++
		sw += w
		sx += w * x
		sy += w * y
		sxx += w * x * x
		sxy += w * x * y
	}
	den := sw*sxx - sx*sx
	if n < 3 || den <= 0 {
		return 0, 0, false
	}
	b = (sw*sxy - sx*sy) / den
	a = (sy - b*sx) / sw
	if !(b < 0) {
		return 0, 0, false
	}
	return a, b, true
}

// Suggestion is a detection configuration for the site.
type Suggestion struct {
	Target float64 // false bursts per hour of listening asked for
	Bands  []BandThreshold
	// SpursHz are the spur offsets to mask, Hz from the tuned centre.
	SpursHz []SpurSuggestion
	// Exclusions are the fixed emitters' ranges.
	Exclusions []Exclusion
}

// BandThreshold is a band's suggested threshold.
type BandThreshold struct {
	Band         string
	ThresholdDB  float64 // NaN: the survey counted too little to say
	Predicted    float64 // false bursts per hour of listening at ThresholdDB
	Extrapolated bool
	Hours        float64 // listening the prediction rests on
	Starts       int64   // false-burst starts counted at ThresholdDB
	Why          string
}

// SpurSuggestion is a spur to mask.
type SpurSuggestion struct {
	OffsetHz float64
	Why      string
}

// Exclusion is a frequency range to exclude from alerts.
type Exclusion struct {
	Name      string
	Low, High float64 // Hz
	Why       string
}

// Suggest turns the result into a configuration for target false bursts
// per hour of listening in every band.
func (r *Result) Suggest(target float64) Suggestion {
	sg := Suggestion{Target: target}
	for i := range r.Bands {
		b := &r.Bands[i]
		bt := BandThreshold{Band: b.Name, Hours: b.Curve.Hours, ThresholdDB: math.NaN(), Predicted: math.NaN()}
		db, pred, ex, ok := b.Curve.Threshold(target)
		if ok {
			bt.ThresholdDB, bt.Predicted, bt.Extrapolated = db, pred, ex
			if j := int(math.Floor(db/b.Curve.StepDB + 1e-9)); j < len(b.Curve.Starts) {
				bt.Starts = b.Curve.Starts[j]
			}
			how := "counted"
			if ex {
				how = "extrapolated from the tail"
			}
			bt.Why = fmt.Sprintf("predicted %.3g false bursts per hour of listening (%s, %.2g h heard, %d starts counted at this threshold)", pred, how, b.Curve.Hours, bt.Starts)
		} else {
			bt.Why = fmt.Sprintf("too little heard (%.2g h) to predict; survey longer", b.Curve.Hours)
		}
		sg.Bands = append(sg.Bands, bt)
	}
	for _, e := range r.Emitters {
		switch e.Kind {
		case KindSpur:
			sg.SpursHz = append(sg.SpursHz, SpurSuggestion{
				OffsetHz: math.Round(e.Offset/100) * 100,
				Why: fmt.Sprintf("dongle spur: %.1f dB over the floor at %+.1f kHz from the centre in %d centres, present %.0f %% of the time",
					e.PeakDB, e.Offset/1e3, e.Centres, 100*e.Duty),
			})
		case KindFixed:
			margin := 2 * r.binHz()
			lo := math.Floor((e.Low()-margin)/1e3) * 1e3
			hi := math.Ceil((e.High()+margin)/1e3) * 1e3
			sg.Exclusions = append(sg.Exclusions, Exclusion{
				Name: fmt.Sprintf("fixed emitter %.3f MHz", e.Freq/1e6),
				Low:  lo, High: hi,
				Why: fmt.Sprintf("fixed emitter at %.4f MHz, %.0f kHz wide, %.1f dBFS (%.1f dB over the floor), present %.0f %% of the time",
					e.Freq/1e6, e.Bandwidth/1e3, e.LevelDBFS, e.PeakDB, 100*e.Duty),
			})
		}
	}
	return sg
}

func (r *Result) binHz() float64 {
	if len(r.Centres) == 0 {
		return 0
	}
	return r.Centres[0].BinHz
}
