package detect

import (
	"fmt"
	"math"
	"time"

	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/channelize"
	"github.com/cellsentry/cellsentry/dsp/internal/order"
)

// GSM TDMA timing: a frame is 60/13 ms (8 slots of 15/26 ms), and a phone in
// a call sends one burst per frame in its slot.
const TDMAFrame = 60.0 / 13 * 1e-3 // s

// dtxCycle is the 104-frame (480 ms) multiframe that paces a call in DTX
// silence: only the SACCH (one frame in 26) and the SID frames (8 in 104)
// are sent then, 12 bursts per 104 frames (TS 45.008 §8.3).
const dtxCycle = 104

// dtxFrames lists the frames of the 104-multiframe sent in DTX silence,
// counted from the first SACCH frame: SACCH at 0, 26, 52, 78 (FN mod 26 =
// 12) and SID at FN mod 104 = 52…59, i.e. 40…47 from the first SACCH.
var dtxFrames = [12]int{0, 26, 52, 78, 40, 41, 42, 43, 44, 45, 46, 47}

// clipZ caps one frame's mean normalised cell in a channel before it is
// folded: a −8 dB burst adds 0.16, noise wanders by a few tenths, but an
// impulse or a passing sweep can add hundreds in a single frame and would
// otherwise paint a phase by itself.
const clipZ = 4

// CombConfig sets up a rhythm integrator; geometry as for Config.
type CombConfig struct {
	Bins   int
	Hop    int
	Rate   float64
	Window []float32
	// FalsePerHour for trains (default 0.5).
	FalsePerHour float64
	// Block is one integration step (default 0.5 s of dwell); the comb
	// decides on the last block and on the last Blocks of them.
	Block  time.Duration
	Blocks int // default 4 (2 s)
}

// Comb finds GSM calls too weak for any single burst. For every 200 kHz
// channel it folds the channel's energy modulo the TDMA frame, so that a
// burst repeating every 4.615 ms adds up in one phase while noise spreads
// evenly over all of them; and, for calls in DTX silence, it also keeps the
// frames apart by their place in the 104-frame multiframe, so the twelve
// bursts a silent call still sends there can be summed without the 92
// empty frames' noise. The statistic is the contrast between the best
// burst-long stretch of phases and the median one, which a floor estimate
// slightly off cannot fake and steady or randomly timed energy (CW, LTE,
// UMTS) does not produce.
type Comb struct {
	cfg        CombConfig
	w, stride  int
	pos        []int
	phases     int // phase bins per TDMA frame
	box        int // phase bins per burst
	frameDur   float64
	blockFr    int // frames per block
	looksCell  float64
	tau1       float64 // threshold on one block
	tauN       float64 // threshold on Blocks blocks
	tauDTX     float64 // threshold for the DTX pattern on Blocks blocks
	tauPre     float64 // gate on the plain fold for the DTX search
	states     map[float64]*combState
	lastCenter float64
	last       *combState // the state looked up last (a map lookup per frame costs)
	// scratch
	sum      []float64 // [pos][cycle][phase] over the window
	cnt      []float64 // [cycle][phase]
	boxes    []float64
	boxE     []float64 // [cycle][phase] box sums of one position
	boxN     []float64 // [cycle][phase] box counts
	phE, phN []float64 // per phase, the plain fold of one position
	patE     []float64 // [alignment][phase] DTX pattern sums
	patN     []float64
	contrast []float64
	pre      []bool    // per position: the plain long fold passed the gate
	run      []float64 // per phase: dtxPattern's running SID sum
}

type combState struct {
	acc    [][]float32 // [block][pos][cycle][phase]
	cnt    [][]float32 // [block][cycle][phase]
	tot    []float64   // Σ acc over the blocks in the ring (kept running)
	totN   []float64   // Σ cnt likewise
	blocks int         // blocks completed, for the periodic re-sum
	cur    int
	filled int
	frames int
	start  []int64 // stream offset of each block's first frame
	startT []time.Time
}

// NewComb resolves the channel positions and thresholds.
func NewComb(cfg CombConfig) (*Comb, error) {
	if cfg.Bins < 16 || cfg.Rate <= 0 || cfg.Hop <= 0 || len(cfg.Window) != cfg.Bins {
		return nil, fmt.Errorf("detect: comb: bad geometry (bins %d, hop %d, rate %g)", cfg.Bins, cfg.Hop, cfg.Rate)
	}
	if cfg.FalsePerHour == 0 {
		cfg.FalsePerHour = 0.5
	}
	if cfg.Block == 0 {
		cfg.Block = 500 * time.Millisecond
	}
	if cfg.Blocks == 0 {
		cfg.Blocks = 4
	}
	c := &Comb{cfg: cfg, states: map[float64]*combState{}}
	c.frameDur = float64(cfg.Hop) / cfg.Rate
	binHz := cfg.Rate / float64(cfg.Bins)
	c.w = max(1, int(math.Round(200e3/binHz)))
	c.stride = max(1, c.w/2)
	for s := 0; s+c.w <= cfg.Bins; s += c.stride {
		c.pos = append(c.pos, s)
	}
	c.phases = int(math.Ceil(TDMAFrame / c.frameDur))
	c.box = max(1, int(math.Round(546e-6/(TDMAFrame/float64(c.phases)))))
	c.blockFr = int(cfg.Block.Seconds() / c.frameDur)
	bc := binCorr(cfg.Window)
	fc := frameCorr(cfg.Window, cfg.Hop)
	c.looksCell = looks(bc, fc, c.w, 1)
	// Tests per hour: every position and phase, once per block for each of
	// the two integration lengths, and every multiframe alignment for the
	// DTX pattern.
	perHour := 3600 / cfg.Block.Seconds() * float64(len(c.pos)) * float64(c.phases)
	alpha := cfg.FalsePerHour / (perHour * (2 + dtxCycle))
	framesPerPhase := float64(c.blockFr) / float64(c.phases)
	c.tau1 = c.contrastThreshold(framesPerPhase*float64(c.box), alpha)
	c.tauN = c.contrastThreshold(framesPerPhase*float64(c.box)*float64(cfg.Blocks), alpha)
	dtxFramesPerPhase := framesPerPhase * float64(cfg.Blocks) * float64(len(dtxFrames)) / dtxCycle
	c.tauDTX = c.contrastThreshold(dtxFramesPerPhase*float64(c.box), alpha)
	// Gate for the DTX search: the plain 2 s fold above its noise at a 5 %
	// false rate.
	c.tauPre = c.contrastThreshold(framesPerPhase*float64(c.box)*float64(cfg.Blocks), 0.05)
	n := len(c.pos) * dtxCycle * c.phases
	c.sum = make([]float64, n)
	c.cnt = make([]float64, dtxCycle*c.phases)
	c.boxes = make([]float64, c.phases)
	c.boxE = make([]float64, dtxCycle*c.phases)
	c.boxN = make([]float64, dtxCycle*c.phases)
	c.phE = make([]float64, c.phases)
	c.phN = make([]float64, c.phases)
	c.patE = make([]float64, dtxCycle*c.phases)
	c.patN = make([]float64, dtxCycle*c.phases)
	c.contrast = make([]float64, len(c.pos))
	c.pre = make([]bool, len(c.pos))
	c.run = make([]float64, c.phases)
	return c, nil
}

// contrastThreshold is the threshold on max/median for a box of the given
// number of frames. The median of many boxes is itself noisy; its variance
// adds to the max's.
func (c *Comb) contrastThreshold(frames, alpha float64) float64 {
	m := frames * c.looksCell
	return gammaThreshold(m, math.Sqrt(1/(m*float64(c.phases)/float64(c.box))), alpha)
}

func (c *Comb) state(center float64) *combState {
	if c.last != nil && center == c.lastCenter {
		return c.last
	}
	s := c.states[center]
	if s == nil {
		s = &combState{start: make([]int64, c.cfg.Blocks), startT: make([]time.Time, c.cfg.Blocks),
			tot: make([]float64, len(c.pos)*dtxCycle*c.phases), totN: make([]float64, dtxCycle*c.phases)}
		for range c.cfg.Blocks {
			s.acc = append(s.acc, make([]float32, len(c.pos)*dtxCycle*c.phases))
			s.cnt = append(s.cnt, make([]float32, dtxCycle*c.phases))
		}
		c.states[center] = s
	}
	c.lastCenter, c.last = center, s
	return s
}

// Process adds one frame, given as the prefix sums of its normalised cells
// (Detector.Cells) and the floor; at the end of each block it appends the
// trains found. Frames taken while the receiver is overloaded are skipped.
func (c *Comb) Process(dst []dsp.Burst, f *channelize.Frame, cum, floor []float32, overloaded bool) []dsp.Burst {
	if overloaded || floor == nil {
		return dst
	}
	s := c.state(f.Center)
	if s.frames == 0 {
		s.start[s.cur] = f.Offset
		s.startT[s.cur] = f.Time
		// The block leaving the ring leaves the running total.
		for j, v := range s.acc[s.cur] {
			s.tot[j] -= float64(v)
		}
		for j, v := range s.cnt[s.cur] {
			s.totN[j] -= float64(v)
		}
		clear(s.acc[s.cur])
		clear(s.cnt[s.cur])
	}
	// Place of the frame's centre on the TDMA grid, from its absolute
	// stream position so that visits to this centre line up.
	cyc, ph := c.phase(f.Offset+int64(c.cfg.Hop)/2, f.Rate)
	idx := cyc*c.phases + ph
	acc := s.acc[s.cur]
	stride := dtxCycle * c.phases
	lim := float32(clipZ * c.w)
	for pi, lo := range c.pos {
		acc[pi*stride+idx] += min(cum[lo+c.w]-cum[lo], lim)
	}
	s.cnt[s.cur][idx]++
	s.frames++
	if s.frames < c.blockFr {
		return dst
	}
	// Block complete: into the running total (re-summed from the ring
	// now and then, so rounding cannot build up over months).
	s.frames = 0
	s.filled = min(s.filled+1, c.cfg.Blocks)
	s.blocks++
	if s.blocks%256 == 0 {
		clear(s.tot)
		clear(s.totN)
		for b := range s.acc {
			if b == s.cur {
				continue
			}
			for j, v := range s.acc[b] {
				s.tot[j] += float64(v)
			}
			for j, v := range s.cnt[b] {
				s.totN[j] += float64(v)
			}
		}
	}
	for j, v := range s.acc[s.cur] {
		s.tot[j] += float64(v)
	}
	for j, v := range s.cnt[s.cur] {
		s.totN[j] += float64(v)
	}
	dst = c.decide(dst, s, f, floor, 1)
	if s.filled == c.cfg.Blocks {
		dst = c.decide(dst, s, f, floor, c.cfg.Blocks)
	}
	s.cur = (s.cur + 1) % c.cfg.Blocks
	return dst
}

// phase returns the place of stream sample off on the TDMA grid: the TDMA
// frame number modulo the 104-multiframe (counted from the stream's
// start, since the real frame number is unknown) and the phase bin within
// the frame. When the rate is a whole number of Hz the frame (60/13 ms) is
// exactly rate·60/13000 samples, and integer arithmetic keeps the phase
// exact over any stream length.
func (c *Comb) phase(off int64, rate float64) (int, int) {
	var fn int64
	var frac float64
	if r := int64(rate); float64(r) == rate && r < 1<<40 && off < 1<<42 {
		period := r * 60 // the TDMA frame in units of 1/13000 sample
		x := off * 13000
		fn = x / period
		frac = float64(x%period) / float64(period)
	} else {
		t := float64(off) / rate / TDMAFrame
		fn = int64(t)
		frac = t - float64(fn)
	}
	return int(fn % dtxCycle), min(int(frac*float64(c.phases)), c.phases-1)
}

// decide evaluates the last nb blocks: the plain TDMA fold (every frame)
// and, on the long window, the DTX pattern.
func (c *Comb) decide(dst []dsp.Burst, s *combState, f *channelize.Frame, floor []float32, nb int) []dsp.Burst {
	first := s.cur
	if nb == 1 {
		for j, v := range s.acc[s.cur] {
			c.sum[j] = float64(v)
		}
		for j, v := range s.cnt[s.cur] {
			c.cnt[j] = float64(v)
		}
	} else {
		first = (s.cur - nb + 1 + c.cfg.Blocks) % c.cfg.Blocks
		copy(c.sum, s.tot)
		copy(c.cnt, s.totN)
	}
	tau := c.tau1
	if nb > 1 {
		tau = c.tauN
	}
	dst = c.report(dst, s, f, floor, nb, first, tau, false)
	if nb > 1 {
		dst = c.report(dst, s, f, floor, nb, first, c.tauDTX, true)
	}
	return dst
}

// report computes each position's contrast (plain fold, or the DTX
// pattern over every multiframe alignment) and appends a train for each
// position above tau that hears it best.
func (c *Comb) report(dst []dsp.Burst, s *combState, f *channelize.Frame, floor []float32, nb, first int, tau float64, dtx bool) []dsp.Burst {
	stride := dtxCycle * c.phases
	np := c.phases
	if !dtx {
		// All frames: fold the multiframe away first, then take the
		// burst-long boxes of phases.
		phN := c.phN
		clear(phN)
		for cy := range dtxCycle {
			for ph, v := range c.cnt[cy*np : (cy+1)*np] {
				phN[ph] += v
			}
		}
		for pi := range c.pos {
			row := c.sum[pi*stride : (pi+1)*stride]
			phE := c.phE
			clear(phE)
			for cy := range dtxCycle {
				for ph, v := range row[cy*np : (cy+1)*np] {
					phE[ph] += v
				}
			}
			for ph := range np {
				var e, n float64
				for j := 0; j < c.box; j++ {
					q := (ph + j) % np
					e += phE[q]
					n += phN[q]
				}
				c.boxes[ph] = ratio(e, n*float64(c.w))
			}
			c.contrast[pi] = contrast(c.boxes[:np])
			c.pre[pi] = c.contrast[pi] >= c.tauPre
		}
		return c.emitTrains(dst, s, f, floor, nb, first, tau, dtx)
	}
	// Burst-long boxes of phases, per multiframe place: the counts are
	// the same for every position.
	boxN := c.boxN
	c.boxSums(boxN, c.cnt)
	pat, patN := c.patE, c.patN
	c.dtxPattern(patN, boxN)
	for pi := range c.pos {
		if !c.pre[pi] {
			// Nothing on the plain fold either: a silent call's twelve
			// bursts per 104 frames still lift it a little (about 2 %
			// at −8 dB), so the costly alignment search is spent only
			// where the plain fold stands above its noise.
			c.contrast[pi] = 0
			continue
		}
		boxE := c.boxE
		c.boxSums(boxE, c.sum[pi*stride:(pi+1)*stride])
		// The DTX pattern, for every alignment of the multiframe: the
		// contrast is taken among the phases of the same twelve frames,
		// so that energy that comes and goes with time (a sweep passing,
		// a radio keyed, a floor step) lights every phase alike and
		// cancels, while a silent call lights one phase.
		c.dtxPattern(pat, boxE)
		best := 0.0
		for a := range dtxCycle {
			boxes := c.boxes[:c.phases]
			pa, pn := pat[a*c.phases:(a+1)*c.phases], patN[a*c.phases:(a+1)*c.phases]
			for ph := range boxes {
				boxes[ph] = ratio(pa[ph], pn[ph]*float64(c.w))
			}
			best = maxContrast(best, boxes)
		}
		c.contrast[pi] = best
	}
	return c.emitTrains(dst, s, f, floor, nb, first, tau, dtx)
}

// emitTrains appends a train for each position whose contrast reaches tau
// and that hears it best of its neighbours.
func (c *Comb) emitTrains(dst []dsp.Burst, s *combState, f *channelize.Frame, floor []float32, nb, first int, tau float64, dtx bool) []dsp.Burst {
	binHz := f.Rate / float64(c.cfg.Bins)
	kind := "train"
	if dtx {
		kind = "train-dtx"
	}
	for pi, lo := range c.pos {
		v := c.contrast[pi]
		// One report per phone: only the position that hears it best.
		if v < tau || (pi > 0 && c.contrast[pi-1] > v) || (pi+1 < len(c.pos) && c.contrast[pi+1] >= v) {
			continue
		}
		excess := v - 1
		var noise float64
		for k := lo; k < lo+c.w; k++ {
			noise += float64(floor[k])
		}
		fl := f.Center + (float64(lo)-float64(c.cfg.Bins/2))*binHz - binHz/2
		dst = append(dst, dsp.Burst{
			Start:    s.startT[first],
			Offset:   s.start[first],
			Duration: time.Duration(float64(nb) * c.cfg.Block.Seconds() * float64(time.Second)),
			Center:   f.Center,
			FreqLow:  fl,
			FreqHigh: fl + float64(c.w)*binHz,
			Freq:     fl + float64(c.w)*binHz/2,
			// The contrast is the bursts' power over the channel's noise,
			// averaged over the TDMA frames integrated (DTX lowers it).
			SNR:       10 * math.Log10(excess),
			PowerDBFS: 10 * math.Log10(excess*noise),
			Class:     dsp.ClassGSM,
			Kind:      kind,
			Score:     math.Min(1, 0.5+(v-tau)/(tau-1)),
			Rhythm:    true,
			Count:     int(float64(nb) * c.cfg.Block.Seconds() / TDMAFrame),
		})
	}
	return dst
}

// dtxPattern sets dst[a·phases+ph] to the sum of box[cy·phases+ph] over the
// frames a call in DTX silence sends when its multiframe starts at place
// a: the SACCH every 26 frames (the same four places for a, a+26, a+52,
// a+78) and the SID run of eight, summed with a sliding window. It works
// a row of phases at a time (rows are contiguous), each phase's sums
// taken in the same order as one phase at a time would.
func (c *Comb) dtxPattern(dst, box []float64) {
	np := c.phases
	row := func(x []float64, cy int) []float64 { return x[cy*np : (cy+1)*np] }
	// SACCH: depends on a mod 26 only.
	for a := range 26 {
		v := row(dst, a)
		clear(v)
		for j := 0; j < 4; j++ {
			b := row(box, (a+26*j)%dtxCycle)[:len(v)]
			for ph, x := range b {
				v[ph] += x
			}
		}
		for k := a + 26; k < dtxCycle; k += 26 {
			copy(row(dst, k), v)
		}
	}
	// SID: frames a+40 … a+47, a running sum per phase.
	run := c.run[:np]
	clear(run)
	for j := 40; j < 48; j++ {
		b := row(box, j%dtxCycle)[:len(run)]
		for ph, x := range b {
			run[ph] += x
		}
	}
	for a := range dtxCycle {
		d := row(dst, a)[:len(run)]
		in, out := row(box, (a+48)%dtxCycle)[:len(run)], row(box, (a+40)%dtxCycle)[:len(run)]
		for ph, r := range run {
			d[ph] += r
			run[ph] = r + (in[ph] - out[ph])
		}
	}
}

// boxSums sets dst[cy·phases+ph] to the sum of src over the box of phases
// starting at ph (wrapping within the frame), for every multiframe place.
func (c *Comb) boxSums(dst, src []float64) {
	for cy := range dtxCycle {
		row := src[cy*c.phases : (cy+1)*c.phases]
		out := dst[cy*c.phases : (cy+1)*c.phases]
		var run float64
		for j := 0; j < c.box; j++ {
			run += row[j%c.phases]
		}
		for ph := range c.phases {
			out[ph] = run
			run += row[(ph+c.box)%c.phases] - row[ph]
		}
	}
}

// maxContrast returns math.Max(cur, contrast(v)), skipping the median when
// it cannot matter. contrast(v) is 0 or max/median, and IEEE division is
// monotonic: for any y ≤ median, max/median ≤ max/y. The smallest value is
// such a y; so is any y below which at most half the values lie (median
// index n/2). If max/y ≤ cur for one of them, the result is cur whatever
// the median is; only the alignments that raise the maximum pay for it.
func maxContrast(cur float64, v []float64) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		if x != x {
			return math.Max(cur, contrast(v)) // NaN: no bound
		}
		lo, hi = min(lo, x), max(hi, x)
	}
	if lo > 0 && hi/lo <= cur {
		return cur
	}
	if cur > 0 && hi > 0 {
		// y with hi/y ≤ cur, as small as the rounding allows.
		y := hi / cur
		for hi/y > cur {
			y = math.Nextafter(y, math.Inf(1))
		}
		below := 0
		for _, x := range v {
			if x < y {
				below++
			}
		}
		if below <= len(v)/2 {
			return cur // y ≤ median
		}
	}
	return math.Max(cur, contrast(v))
}

// contrast is the largest value over the median (v is reordered), or 0
// when the other timeslots of the TDMA frame are lit as well: a
// handset sends in one slot (a few, for data) of eight, while a carrier
// that fills every slot — a base station's BCCH heard in the window —
// lights the whole frame and shows only the ripple of its guard periods.
func contrast(v []float64) float64 {
	bi := 0
	for i, x := range v {
		if x > v[bi] {
			bi = i
		}
	}
	best := v[bi]
	// Slots two, four and six away (a quarter, half and three quarters
	// of the frame), each the best of three neighbouring phases since the
	// slot grid need not fall on the phase grid.
	n := len(v)
	var others float64
	for _, k := range [3]int{2, 4, 6} {
		c := bi + int(math.Round(float64(k*n)/8))
		others += max(v[(c-1+n)%n], v[c%n], v[(c+1)%n])
	}
	others /= 3
	med := order.Select(v, len(v)/2)
	if med <= 0 || others-med > 0.5*(best-med) {
		return 0
	}
	return best / med
}

func ratio(e, n float64) float64 {
	if n <= 0 {
		return 1
	}
	return e / n
}

// Flush drops partial blocks (a train needs a whole block).
func (c *Comb) Flush(dst []dsp.Burst) []dsp.Burst { return dst }
