package noise

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/cellsentry/cellsentry/dsp/internal/order"
)

// Config sets the estimator's time constants, in frames. Zero fields take
// defaults.
type Config struct {
	Bins    int // bins per frame (required)
	Short   int // frames per short average; default 16
	Sub     int // short averages per sub-window; default 32
	Windows int // sub-windows in the sliding window; default 8
	// DCBins masks this many bins each side of the centre bin (the DC spike
	// and LO leakage); default 1 (so 3 bins in all). Negative: mask none.
	DCBins int
	// SpurHz lists tuner spur offsets from the tuned centre, Hz; each masks
	// the bin it falls in and its neighbours.
	SpurHz []float64
	// PersistDB marks a bin as a persistent carrier (masked) when its floor
	// exceeds the median floor of its neighbourhood by this much; default 6.
	PersistDB float64
}

// Floor keeps one estimator per tuned centre.
type Floor struct {
	cfg     Config
	bias    float64 // E[min]/mean for a full window
	biasSub float64 // same for a single sub-window (warm-up)
	states  map[float64]*state
	scratch []float32
	// The state of the centre looked up last: the pipeline asks for the
	// same centre several times per frame, and a map lookup with a
	// float64 key costs more than the rest of some of those calls.
	lastCenter float64
	last       *state
}

type state struct {
	acc      []float32 // running sum of the current short average
	nacc     int
	subMin   []float32 // min of short averages in the current sub-window
	nsub     int
	ring     [][]float32 // minima of finished sub-windows
	nring    int         // how many ring slots are valid
	ringPos  int
	floor    []float32 // current estimate (mean noise power per bin)
	inv      []float32 // 1/floor, 0 where masked
	base     []float32 // slow floor: the lowest floor, rising at most BaselineRise
	baseInv  []float32 // 1/base, 0 where masked
	rise     float32   // factor base may rise by per estimate
	maskOne  []float32 // 1 where masked, else 0
	nMasked  int
	mask     []bool
	ready    bool
	fixed    []bool // DC and spur masks (static)
	frames   int64
	rateSeen float64
}

// New validates cfg and precomputes the bias factors.
func New(cfg Config) (*Floor, error) {
	if cfg.Bins < 8 {
		return nil, fmt.Errorf("noise: bins %d: need at least 8", cfg.Bins)
	}
	if cfg.Short == 0 {
		cfg.Short = 16
	}
	if cfg.Sub == 0 {
		cfg.Sub = 32
	}
	if cfg.Windows == 0 {
		cfg.Windows = 8
	}
	if cfg.DCBins == 0 {
		cfg.DCBins = 1
	}
	if cfg.PersistDB == 0 {
		cfg.PersistDB = 6
	}
	if cfg.Short < 1 || cfg.Sub < 1 || cfg.Windows < 2 {
		return nil, fmt.Errorf("noise: short %d, sub %d, windows %d: need short ≥ 1, sub ≥ 1, windows ≥ 2", cfg.Short, cfg.Sub, cfg.Windows)
	}
	f := &Floor{
		cfg:     cfg,
		states:  make(map[float64]*state),
		scratch: make([]float32, cfg.Bins),
	}
	// The window holds between (Windows−1)·Sub and Windows·Sub averages
	// as it slides; take the middle.
	f.bias = MinBias(cfg.Short, int(float64(cfg.Sub)*(float64(cfg.Windows)-0.5)))
	f.biasSub = MinBias(cfg.Short, cfg.Sub)
	return f, nil
}

// MinBias returns E[min of d independent averages of k unit-mean
// exponential variables], i.e. the factor by which the minimum of d
// short averages of pure noise underestimates its mean. Each average is
// Gamma(k, k); E[min] = ∫₀^∞ (1 − F(x))^d dx, integrated numerically.
func MinBias(k, d int) float64 {
	g := distuv.Gamma{Alpha: float64(k), Beta: float64(k)}
	// The integrand vanishes beyond the mean for large d, and well before
	// 4 for any d ≥ 1 and k ≥ 1 within float precision of the sum.
	const upper, steps = 6.0, 6000
	h := upper / steps
	var sum float64
	for i := 0; i <= steps; i++ {
		x := float64(i) * h
		v := math.Pow(1-g.CDF(x), float64(d))
		if i == 0 || i == steps {
			v /= 2
		}
		sum += v
	}
	return sum * h
}

func (f *Floor) newState(center, rate float64) *state {
	n := f.cfg.Bins
	s := &state{
		acc:      make([]float32, n),
		subMin:   make([]float32, n),
		ring:     make([][]float32, f.cfg.Windows),
		floor:    make([]float32, n),
		inv:      make([]float32, n),
		base:     make([]float32, n),
		baseInv:  make([]float32, n),
		maskOne:  make([]float32, n),
		mask:     make([]bool, n),
		fixed:    make([]bool, n),
		rateSeen: rate,
	}
	for i := range s.ring {
		s.ring[i] = make([]float32, n)
	}
	for i := range s.subMin {
		s.subMin[i] = float32(math.Inf(1))
	}
	if f.cfg.DCBins >= 0 {
		for k := n/2 - f.cfg.DCBins; k <= n/2+f.cfg.DCBins; k++ {
			if k >= 0 && k < n {
				s.fixed[k] = true
			}
		}
	}
	binHz := rate / float64(n)
	for _, off := range f.cfg.SpurHz {
		k := int(math.Round(off/binHz)) + n/2
		for j := k - 1; j <= k+1; j++ {
			if j >= 0 && j < n {
				s.fixed[j] = true
			}
		}
	}
	copy(s.mask, s.fixed)
	// Estimates come every Short·Sub frames of bins/rate seconds (no
	// overlap assumed).
	every := float64(f.cfg.Short*f.cfg.Sub) * float64(n) / rate
	s.rise = float32(math.Pow(10, BaselineRiseDBPerMin/10*every/60))
	return s
}

// BaselineRiseDBPerMin bounds how fast the baseline floor follows the
// floor upwards: a jammer or a stuck-on transmitter lifts the floor within a
// second, the baseline only by this much a minute, so the lift stays
// visible (an overload) instead of becoming the new normal; downwards the
// baseline follows at once.
const BaselineRiseDBPerMin = 1.0

// state returns the estimator for center, nil if there is none yet.
func (f *Floor) state(center float64) *state {
	if f.last != nil && center == f.lastCenter {
		return f.last
	}
	s := f.states[center]
	if s != nil {
		f.lastCenter, f.last = center, s
	}
	return s
}

// Update feeds one frame of per-bin power taken at center with sample
// rate rate. It does not allocate once the centre has been seen.
func (f *Floor) Update(center, rate float64, power []float32) {
	s := f.state(center)
	if s == nil {
		s = f.newState(center, rate)
		f.states[center] = s
		f.lastCenter, f.last = center, s
	}
	s.frames++
	addTo(s.acc[:len(power)], power)
	s.nacc++
	if s.nacc < f.cfg.Short {
		return
	}
	inv := 1 / float32(s.nacc)
	for k, a := range s.acc {
		avg := a * inv
		if avg < s.subMin[k] {
			s.subMin[k] = avg
		}
		s.acc[k] = 0
	}
	s.nacc = 0
	s.nsub++
	if s.nsub < f.cfg.Sub {
		return
	}
	// Sub-window done: push its minima into the ring.
	copy(s.ring[s.ringPos], s.subMin)
	s.ringPos = (s.ringPos + 1) % len(s.ring)
	if s.nring < len(s.ring) {
		s.nring++
	}
	for k := range s.subMin {
		s.subMin[k] = float32(math.Inf(1))
	}
	s.nsub = 0
	if s.nring >= 2 {
		m := f.scratch
		for k := range m {
			v := s.ring[0][k]
			for r := 1; r < s.nring; r++ {
				if x := s.ring[r][k]; x < v {
					v = x
				}
			}
			m[k] = v
		}
		bias := f.bias
		if s.nring < len(s.ring) {
			bias = MinBias(f.cfg.Short, s.nring*f.cfg.Sub)
		}
		f.estimate(s, m, bias)
		// Warm-up: trust the floor once half the window is in (about a
		// quarter of a second at 2.4 MS/s): a minimum over fewer
		// sub-windows scatters enough to trip the wide templates. The
		// detector is blind that long when a centre is first visited.
		if s.nring >= len(s.ring)/2 {
			s.ready = true
		}
	}
}

// estimate sets the floor from per-bin minima, corrects the bias and masks
// the DC, spurs and persistent carriers.
func (f *Floor) estimate(s *state, minima []float32, bias float64) {
	n := len(minima)
	inv := float32(1 / bias)
	for k := range minima {
		s.floor[k] = minima[k] * inv
	}
	// Persistent carriers: compare each bin with the median of its
	// neighbourhood (±half bins, masked bins left out). The median moves
	// slowly with k, so it is taken every medStep bins and held between.
	const half, medStep = 12, 4
	lim := float32(math.Pow(10, f.cfg.PersistDB/10))
	med := f.scratch[:n]
	var window [2*half + 1]float32
	for k0 := 0; k0 < n; k0 += medStep {
		c := min(k0+medStep/2, n-1)
		w := window[:0]
		for j := c - half; j <= c+half; j++ {
			if j >= 0 && j < n && !s.fixed[j] {
				w = append(w, s.floor[j])
			}
		}
		m := float32(0)
		if len(w) > 0 {
			m = median(w)
		}
		for k := k0; k < min(k0+medStep, n); k++ {
			med[k] = m
		}
	}
	for k := 0; k < n; k++ {
		persistent := med[k] > 0 && s.floor[k] > med[k]*lim
		s.mask[k] = s.fixed[k] || persistent
		if s.mask[k] {
			s.floor[k] = med[k]
		}
	}
	// The receiver's floor is smooth across frequency (its IF filter shape
	// changes over hundreds of kHz), while each bin's minimum statistic
	// scatters by about ±1 dB: average over ±smooth unmasked neighbours
	// to cut that scatter three-fold.
	const smooth = 4
	sm := med // reuse the scratch: med is no longer needed
	for k := 0; k < n; k++ {
		var sum float32
		var cnt int
		for j := max(0, k-smooth); j <= min(n-1, k+smooth); j++ {
			if !s.mask[j] {
				sum += s.floor[j]
				cnt++
			}
		}
		if cnt > 0 {
			sm[k] = sum / float32(cnt)
		} else {
			sm[k] = s.floor[k]
		}
	}
	copy(s.floor, sm)
	for k, v := range s.floor {
		if s.base[k] == 0 || v < s.base[k]*s.rise {
			s.base[k] = v
		} else {
			s.base[k] *= s.rise
		}
		s.baseInv[k] = 0
		if !s.mask[k] && s.base[k] > 0 {
			s.baseInv[k] = 1 / s.base[k]
		}
	}
	s.nMasked = 0
	for k, v := range s.floor {
		s.inv[k], s.maskOne[k] = 0, 1
		if !s.mask[k] && v > 0 {
			s.inv[k], s.maskOne[k] = 1/v, 0
		} else {
			s.nMasked++
		}
	}
}

// Normalizers returns, for center, 1/floor per bin (0 where masked), 1
// where masked (else 0) and the number of masked bins, so that
// z = P·inv + one is the normalised cell with masked bins pinned at the
// noise mean — without a division or a branch per bin. The slices are nil
// before Ready.
func (f *Floor) Normalizers(center float64) (inv, one []float32, masked int) {
	s := f.state(center)
	if s == nil || !s.ready {
		return nil, nil, 0
	}
	return s.inv, s.maskOne, s.nMasked
}

// Ready reports whether a floor exists for center.
func (f *Floor) Ready(center float64) bool {
	s := f.state(center)
	return s != nil && s.ready
}

// Floor returns the per-bin noise floor (mean noise power per bin, in the
// frame's power units) for center, or nil before Ready. The slice is owned
// by the estimator and changes on Update.
func (f *Floor) Floor(center float64) []float32 {
	s := f.state(center)
	if s == nil || !s.ready {
		return nil
	}
	return s.floor
}

// Masked returns the per-bin mask for center (true = do not test), or nil.
func (f *Floor) Masked(center float64) []bool {
	s := f.state(center)
	if s == nil {
		return nil
	}
	return s.mask
}

// BaselineInv returns 1/baseline per bin for center (0 where masked), or
// nil before Ready. See BaselineRiseDBPerMin.
func (f *Floor) BaselineInv(center float64) []float32 {
	s := f.state(center)
	if s == nil || !s.ready {
		return nil
	}
	return s.baseInv
}

// LevelDBFS is the median floor across unmasked bins for center expressed
// as noise power in the whole window, dBFS (the number a health message
// reports). NaN before Ready.
func (f *Floor) LevelDBFS(center float64) float64 {
	s := f.state(center)
	if s == nil || !s.ready {
		return math.NaN()
	}
	v := f.scratch[:0]
	for k, x := range s.floor {
		if !s.mask[k] {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	return 10 * math.Log10(float64(v[len(v)/2])*float64(len(s.floor)))
}

// median returns the element a sort of v would put at len(v)/2 (v is
// reordered): Hoare's quickselect, which does a fraction of a sort's
// comparisons, and a sort when v holds a NaN (which sorts first).
func median(v []float32) float32 {
	k := len(v) / 2
	for _, x := range v {
		if x != x {
			slices.Sort(v)
			return v[k]
		}
	}
	return order.Select(v, k)
}
