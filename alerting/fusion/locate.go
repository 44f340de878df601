package fusion

import (
	"math"
	"slices"
	"strings"
)

// OutsideWing names the hypothesis "beyond the site's outer walls" in an
// incident's Wings.
const OutsideWing = "outside"

// speedOfLight in m/s.
const speedOfLight = 299792458.0

// freeSpace1m is the free-space path loss at 1 m for frequency f (Hz), dB:
// 20·log10(4π·(1 m)·f/c). 31.5 dB at 900 MHz, 37.5 dB at 1800 MHz.
func freeSpace1m(f float64) float64 {
	return 20 * math.Log10(4*math.Pi*f/speedOfLight)
}

// txRange is the transmit power a handset of a class can have, dBm
// (3GPP TS 45.005 for GSM: +33 down to 0 dBm across 900 and 1800;
// TS 36.101 for LTE: +23 down to −40 dBm; TS 25.101 for UMTS: +24 down to
// −50 dBm). The fitted power is held inside it: a level that needs a phone
// quieter than any handset can be at a candidate position rules that
// position out, which is what tells a phone outside the walls (strong,
// far) from one in a cell (weak, near).
func txRange(class string) (lo, hi float64) {
	switch class {
	case "gsm":
		return 0, 33
	case "lte":
		return -40, 23
	case "umts":
		return -50, 24
	}
	return -50, 33
}

// obsKind says what a sensor's report means for the localization.
type obsKind uint8

const (
	obsNone    obsKind = iota // says nothing (not listening, no floor known, …)
	obsLevel                  // heard at db (dBm)
	obsAtLeast                // heard at db or more (clipped; or heard with no level: db is its floor)
	obsBelow                  // not heard though listening: its level is under db (its floor)
)

// observation is what one sensor of the site says about an emitter.
type observation struct {
	kind  obsKind
	db    float64
	sigma float64 // of the level's error about the model, dB
}

// model is the localization's precomputed geometry: candidate positions
// on a grid in every wing (and beyond the perimeter), and for each the
// loss to every sensor without the frequency-dependent reference loss.
type model struct {
	nSensors int
	hyps     []string // wing names, then OutsideWing when enabled
	hypStart []int    // candidates of hypothesis h are hypStart[h]:hypStart[h+1]
	logPrior []float64

	cands []candidate
	// geo[c*nSensors+s] = 10·n·log10(d) + walls + floors between candidate
	// c and sensor s, dB; geoT[s*len(cands)+c] is the same, sensor-major.
	geo      []float32
	geoT     []float32
	refLoss  float64 // PL0 override, 0: free space at the frequency
	sigmaLvl float64 // shadowing and measurement, for heard levels
	sigmaDet float64 // shadowing and the detector's soft threshold, for floors

	// scratch, one element per candidate (or hypothesis), made by
	// newModel and reused by locate (a Fuser is single-goroutine)
	logL      []float64
	probs     []float64
	upper     []float64 // bound of logL from the heard levels alone
	p0        []float64 // the power of that bound
	swa, swaa []float64 // Σ w·a and Σ w·a² of the heard levels, per candidate
	done      []bool
	rank      []scored
	terms     terms
	near      terms // m.terms without the silences out of a candidate's reach
	// best is the largest log-likelihood of the last locate over the
	// candidates (each at its fitted power), nats.
	best float64
}

type candidate struct {
	p     Point
	floor int
	hyp   int
}

// newModel lays the candidate grid and computes the geometric losses.
func newModel(s *Site, cfg *Config) *model {
	pl := s.PathLoss.withDefaults()
	m := &model{nSensors: len(s.Sensors), refLoss: pl.RefLossDB}
	m.sigmaLvl = math.Hypot(pl.ShadowSigmaDB, cfg.MeasureSigmaDB)
	m.sigmaDet = math.Hypot(pl.ShadowSigmaDB, cfg.DetectSigmaDB)
	for wi, w := range s.Wings {
		m.hyps = append(m.hyps, w.Name)
		m.hypStart = append(m.hypStart, len(m.cands))
		for _, p := range gridIn(w.Polygon, cfg.GridM) {
			m.cands = append(m.cands, candidate{p: p, floor: w.Floor, hyp: wi})
		}
	}
	if !cfg.NoOutside {
		per := s.Perimeter
		if len(per) == 0 {
			var all []Point
			for _, w := range s.Wings {
				all = append(all, w.Polygon...)
			}
			lo, hi := bounds(all)
			per = []Point{lo, {hi.X, lo.Y}, hi, {lo.X, hi.Y}}
		}
		// Outside phones are on the ground floor: the lowest wing's.
		floor := s.Wings[0].Floor
		for _, w := range s.Wings {
			floor = min(floor, w.Floor)
		}
		pts := outsideGrid(per, cfg.OutsideGridM, cfg.OutsideRangeM)
		if len(pts) > 0 {
			h := len(m.hyps)
			m.hyps = append(m.hyps, OutsideWing)
			m.hypStart = append(m.hypStart, len(m.cands))
			for _, p := range pts {
				m.cands = append(m.cands, candidate{p: p, floor: floor, hyp: h})
			}
		}
	}
	m.hypStart = append(m.hypStart, len(m.cands))

	// Priors: the outside hypothesis gets cfg.OutsidePrior, the wings share
	// the rest in proportion to their areas (a phone is as likely in any
	// square metre inside).
	var area float64
	for _, w := range s.Wings {
		area += polygonArea(w.Polygon)
	}
	m.logPrior = make([]float64, len(m.hyps))
	inside := 1.0
	if len(m.hyps) > len(s.Wings) {
		inside = 1 - cfg.OutsidePrior
		m.logPrior[len(s.Wings)] = math.Log(cfg.OutsidePrior)
	}
	for i, w := range s.Wings {
		m.logPrior[i] = math.Log(inside * polygonArea(w.Polygon) / area)
	}

	walls := append([]Wall(nil), s.Walls...)
	if s.PerimeterLossDB > 0 {
		for i, j := 0, len(s.Perimeter)-1; i < len(s.Perimeter); j, i = i, i+1 {
			walls = append(walls, Wall{Name: "perimeter", A: s.Perimeter[j], B: s.Perimeter[i], LossDB: s.PerimeterLossDB})
		}
	}
	m.geo = make([]float32, len(m.cands)*m.nSensors)
	for c, cd := range m.cands {
		for si := range s.Sensors {
			sn := &s.Sensors[si]
			h := sn.HeightM
			if h == 0 {
				h = DefaultSensorHeightM
			}
			dz := float64(sn.Floor-cd.floor)*pl.FloorHeightM + h - phoneHeightM
			d := math.Sqrt((cd.p.X-sn.X)*(cd.p.X-sn.X) + (cd.p.Y-sn.Y)*(cd.p.Y-sn.Y) + dz*dz)
			loss := 10 * pl.Exponent * math.Log10(math.Max(d, 1))
			for _, w := range walls {
				if segmentsCross(cd.p, Point{sn.X, sn.Y}, w.A, w.B) {
					loss += w.LossDB
				}
			}
			loss += pl.FloorLossDB * math.Abs(float64(sn.Floor-cd.floor))
			m.geo[c*m.nSensors+si] = float32(loss)
		}
	}
	// The same losses sensor-major, for the bounds' loops over all
	// candidates of one sensor.
	nc := len(m.cands)
	m.geoT = make([]float32, len(m.geo))
	for c := range nc {
		for si := range m.nSensors {
			m.geoT[si*nc+c] = m.geo[c*m.nSensors+si]
		}
	}
	m.logL = make([]float64, nc)
	m.upper = make([]float64, nc)
	m.p0 = make([]float64, nc)
	m.swa = make([]float64, nc)
	m.swaa = make([]float64, nc)
	m.done = make([]bool, nc)
	m.probs = make([]float64, len(m.hyps))
	m.rank = make([]scored, len(m.hyps))
	m.terms = terms{
		level:   make([]term, 0, m.nSensors),
		atLeast: make([]term, 0, m.nSensors),
		below:   make([]term, 0, m.nSensors),
	}
	m.near.below = make([]term, 0, m.nSensors)
	return m
}

// pruneNats: candidates whose likelihood is this far (in natural log
// units) under the best are left out of the full computation: they weigh
// less than e⁻²⁰ ≈ 2·10⁻⁹ of it in any marginal.
const pruneNats = 20

// negligibleNats: in a hypothesis's Σ exp(ℓ_c − max ℓ) the largest term
// is 1, so terms under e⁻⁴⁰ ≈ 4·10⁻¹⁸ are left out: all of them together
// (at most one per candidate) move the sum by under 10⁻¹⁴ of itself,
// far under the answers' precision, and most candidates of a site are
// that far under the best of their hypothesis.
const negligibleNats = -40

// locate computes the probability of every hypothesis (wings, then
// outside) given one observation per site sensor, for an emitter of the
// class at freqHz. The result is in m.probs, valid until the next call.
//
// For each candidate position c the transmit power P is fitted by maximum
// likelihood within the class's txRange, then
//
//	ℓ_c = max_P Σ_s log p(obs_s | μ_s = P − PL0(f) − geo[c][s])
//
// with p the normal density N(μ_s, σ_lvl²) for a heard level, its upper
// tail Φ((μ_s − r)/σ_lvl) for a clipped level r (a lower bound), and its
// lower tail Φ((F − μ_s)/σ_det) for a sensor that listens on the frequency
// and did not hear the emitter (F its detection floor). The log-likelihood
// is concave in P, so a few Newton steps from the best fit of the heard
// levels alone find the maximum. A hypothesis's marginal likelihood is the
// mean of exp(ℓ_c) over its candidates (a uniform prior over its area);
// with the hypotheses' priors (Config.OutsidePrior for outside, the rest
// shared by the wings in proportion to their areas) the softmax of the log
// posteriors gives their probabilities.
//
// The fit of the heard levels alone, in closed form, bounds ℓ_c from
// above (the tail terms are logs of probabilities, ≤ 0); candidates whose
// bound is pruneNats under the best full ℓ keep their bound and skip the
// Newton steps.
//
// Where no clipped level and no silence can count, the bound is the
// likelihood and the Newton steps are skipped.
//
// Cost: the bounds take O(candidates × heard levels) over the sensor-major
// copy of the geometry (one contiguous column per heard sensor), the
// Newton steps O(refined candidates × observations); nothing is
// allocated.
func (m *model) locate(obs []observation, freqHz float64, class string) []float64 {
	pl0 := m.refLoss
	if pl0 == 0 {
		pl0 = freeSpace1m(freqHz)
	}
	lo, hi := txRange(class)
	n := m.nSensors
	m.terms.set(obs)
	maxU := m.bounds(pl0, lo, hi)
	done := m.done
	clear(done)
	best := math.Inf(-1)
	for thr := maxU - pruneNats; ; {
		for c, u := range m.upper {
			if done[c] || u < thr {
				continue
			}
			geo := m.geo[c*n : (c+1)*n]
			l := m.upper[c]
			if t := m.reach(geo, pl0, hi); len(t.atLeast) > 0 || len(t.below) > 0 {
				l = fitPower(t, geo, pl0, lo, hi, m.p0[c])
			}
			// else only the heard levels count here: ℓ is a parabola in P
			// whose maximum in [lo, hi] is the bound, in closed form (the
			// Newton steps would stop at once at p0, where it is; the two
			// sums differ by rounding, ~10⁻¹³).
			m.logL[c] = l
			done[c] = true
			// As math.Max: a NaN sticks.
			if l > best || l != l {
				best = l
			}
		}
		// Candidates left have bounds under thr; go on only if some may
		// still matter (written so that a NaN stops it).
		next := best - pruneNats
		if !(next < thr) {
			break
		}
		thr = next
	}
	m.best = best
	for c, d := range done {
		if !d {
			m.logL[c] = m.upper[c]
		}
	}
	for h := range m.hyps {
		a, b := m.hypStart[h], m.hypStart[h+1]
		if a == b {
			m.probs[h] = math.Inf(-1)
			continue
		}
		// log mean exp: mx + log(Σ exp(ℓ − mx) / N).
		ls := m.logL[a:b]
		mx := maxOf(ls)
		var s float64
		for _, l := range ls {
			if d := l - mx; !(d < negligibleNats) {
				s += math.Exp(d)
			}
		}
		m.probs[h] = m.logPrior[h] + mx + math.Log(s/float64(b-a))
	}
	softmax(m.probs)
	return m.probs
}

// reach returns the observations of m.terms that may count at a
// candidate (geo: its losses): all but the silent sensors it cannot
// reach. logLik skips a silence whose z = (F − q + geo)/σ exceeds tailCut
// at the power tried; q = P − PL0 ≤ hi − PL0 and rounding is monotonic,
// so a silence whose z at P = hi already exceeds it is skipped at every
// power the fit tries, and leaving it out changes no bit of the sums.
// The result is in m's scratch, valid until the next call.
func (m *model) reach(geo []float32, pl0, hi float64) *terms {
	qmax := hi - pl0
	near := m.near.below[:0]
	for _, x := range m.terms.below {
		if z := (x.db - qmax + float64(geo[x.s])) / x.sigma; !(z > tailCut) {
			near = append(near, x)
		}
	}
	m.near = terms{level: m.terms.level, atLeast: m.terms.atLeast, below: near}
	return &m.near
}

// maxOf is the largest of v (−Inf when empty), NaN when one is NaN, as a
// fold of math.Max (whose signed-zero care does not matter here) but
// without its call per element.
func maxOf(v []float64) float64 {
	mx := math.Inf(-1)
	for _, x := range v {
		if x > mx {
			mx = x
		} else if x != x {
			return x
		}
	}
	return mx
}

// bounds fills m.upper and m.p0 with every candidate's fit of the heard
// levels alone and returns the largest bound.
//
// With levels r_s (weights w_s = 1/σ_s²) the powers they imply at
// candidate c are a_cs = r_s + PL0 + geo[c][s], dBm; the weighted least
// squares power is P_c = Σw·a/Σw held in [lo, hi], and the log-likelihood
// of the levels there, −½ Σ w (a − P)² = −½ (Σwa² − 2PΣwa + P²Σw), bounds
// the full one from above (the tail terms are ≤ 0). Σw is the same for
// every candidate; Σwa and Σwa² accumulate one heard sensor at a time
// along its contiguous column of m.geoT, in the sensors' order, so that
// every sum is the one a loop over each candidate's sensors makes.
// Without heard levels the bound is 0 and the power the largest one a
// clipped level implies (or the middle of the range).
func (m *model) bounds(pl0, lo, hi float64) float64 {
	nc := len(m.cands)
	upper, p0 := m.upper, m.p0
	clamp := func(p float64) float64 {
		if p < lo {
			return lo
		}
		if p > hi {
			return hi
		}
		return p
	}
	t := &m.terms
	if len(t.level) == 0 {
		if len(t.atLeast) == 0 {
			for c := range upper {
				upper[c], p0[c] = 0, (lo+hi)/2
			}
			return 0
		}
		for c := range p0 {
			p0[c] = math.Inf(-1)
		}
		for _, x := range t.atLeast {
			k := x.db + pl0
			for c, g := range m.geoT[x.s*nc : (x.s+1)*nc] {
				if a := k + float64(g); a > p0[c] {
					p0[c] = a
				}
			}
		}
		for c := range upper {
			upper[c], p0[c] = 0, clamp(p0[c])
		}
		return 0
	}
	swa, swaa := m.swa, m.swaa[:len(m.swa)]
	var sw float64
	lv := t.level
	// The first term sets the sums, then two terms per pass (half the
	// loads and stores of the sums; each sum still adds the terms one at
	// a time in the sensors' order).
	{
		x := lv[0]
		w := 1 / (x.sigma * x.sigma)
		k := x.db + pl0
		sw += w
		col := m.geoT[x.s*nc : (x.s+1)*nc]
		col = col[:len(swa)]
		for c, g := range col {
			a := k + float64(g)
			swa[c] = w * a
			swaa[c] = w * a * a
		}
		lv = lv[1:]
	}
	for ; len(lv) >= 2; lv = lv[2:] {
		x, y := lv[0], lv[1]
		wx, wy := 1/(x.sigma*x.sigma), 1/(y.sigma*y.sigma)
		kx, ky := x.db+pl0, y.db+pl0
		sw += wx
		sw += wy
		cx := m.geoT[x.s*nc : (x.s+1)*nc]
		cy := m.geoT[y.s*nc : (y.s+1)*nc]
		cx, cy = cx[:len(swa)], cy[:len(swa)]
		for c, g := range cx {
			a, b := kx+float64(g), ky+float64(cy[c])
			swa[c] = swa[c] + wx*a + wy*b
			swaa[c] = swaa[c] + wx*a*a + wy*b*b
		}
	}
	if len(lv) == 1 {
		x := lv[0]
		w := 1 / (x.sigma * x.sigma)
		k := x.db + pl0
		sw += w
		col := m.geoT[x.s*nc : (x.s+1)*nc]
		col = col[:len(swa)]
		for c, g := range col {
			a := k + float64(g)
			swa[c] += w * a
			swaa[c] += w * a * a
		}
	}
	maxU := math.Inf(-1)
	upper = upper[:len(swa)]
	p0 = p0[:len(swa)]
	for c, sa := range swa {
		p := clamp(sa / sw)
		u := -(swaa[c] - 2*p*sa + p*p*sw) / 2
		upper[c], p0[c] = u, p
		if u > maxU || u != u {
			maxU = u
		}
	}
	return maxU
}

// softmax turns log weights into probabilities in place.
func softmax(v []float64) {
	mx := math.Inf(-1)
	for _, x := range v {
		mx = math.Max(mx, x)
	}
	if math.IsInf(mx, -1) {
		for i := range v {
			v[i] = 1 / float64(len(v))
		}
		return
	}
	var s float64
	for i, x := range v {
		v[i] = math.Exp(x - mx)
		s += v[i]
	}
	for i := range v {
		v[i] /= s
	}
}

// term is one sensor's observation in the form the fit loops over.
type term struct {
	s     int     // sensor index
	db    float64 // level, bound or floor, dBm
	sigma float64
}

// terms are the observations of one localization, by kind, so that each
// loop of the fit runs over the sensors that matter to it only.
type terms struct {
	level, atLeast, below []term
}

func (t *terms) set(obs []observation) {
	t.level, t.atLeast, t.below = t.level[:0], t.atLeast[:0], t.below[:0]
	for s, o := range obs {
		x := term{s, o.db, o.sigma}
		switch o.kind {
		case obsLevel:
			t.level = append(t.level, x)
		case obsAtLeast:
			t.atLeast = append(t.atLeast, x)
		case obsBelow:
			t.below = append(t.below, x)
		}
	}
}

// fitPower maximises the log-likelihood of the observations over the
// transmit power P in [lo, hi] for one candidate (geo: its losses to each
// sensor, pl0 the reference loss) by Newton steps from p, and returns the
// maximum.
func fitPower(t *terms, geo []float32, pl0, lo, hi, p float64) float64 {
	l, d1, d2 := logLik(t, geo, pl0, p)
	for range 8 {
		if d2 >= 0 {
			break
		}
		step := clampTo(-d1/d2, -20, 20)
		np := clampTo(p+step, lo, hi)
		if math.Abs(np-p) < 0.05 {
			break
		}
		p = np
		l, d1, d2 = logLik(t, geo, pl0, p)
	}
	return l
}

// clampTo is math.Max(lo, math.Min(hi, x)) for lo ≤ hi (NaN stays NaN;
// only the sign of a zero may differ, which no later step sees) without
// their calls.
func clampTo(x, lo, hi float64) float64 {
	if x < lo {
		return lo
	}
	if x > hi {
		return hi
	}
	return x
}

// logLik is the log-likelihood of the observations at transmit power p and
// its first and second derivatives in p. Constant terms (the normal's
// normalisation, the same for every candidate) are left out.
func logLik(t *terms, geo []float32, pl0, p float64) (l, d1, d2 float64) {
	q := p - pl0 // μ_s = q − geo[s]
	for _, x := range t.level {
		e := (x.db - q + float64(geo[x.s])) / x.sigma
		l -= e * e / 2
		d1 += e / x.sigma
		d2 -= 1 / (x.sigma * x.sigma)
	}
	for _, x := range t.atLeast {
		z := (q - float64(geo[x.s]) - x.db) / x.sigma
		if z > tailCut {
			continue
		}
		lp, lam := logPhi(z)
		l += lp
		d1 += lam / x.sigma
		d2 -= lam * (lam + z) / (x.sigma * x.sigma)
	}
	for _, x := range t.below {
		z := (x.db - q + float64(geo[x.s])) / x.sigma
		if z > tailCut {
			continue
		}
		lp, lam := logPhi(z)
		l += lp
		d1 -= lam / x.sigma
		d2 -= lam * (lam + z) / (x.sigma * x.sigma)
	}
	return l, d1, d2
}

// tailCut: above it log Φ(z) and λ(z) are taken as 0 (log Φ(6) =
// −1.0·10⁻⁹): most silent sensors are far out of reach of most candidates,
// and skipping them is most of the speed.
const tailCut = 6

// logPhi returns log Φ(z), Φ the standard normal distribution function,
// and the inverse Mills ratio λ(z) = φ(z)/Φ(z), from a table with linear
// interpolation between tableMin and tailCut (error under 10⁻⁴: both are
// smooth, |d²/dz²| ≤ 1, and the step is 1/64) and from logPhiExact below
// it.
func logPhi(z float64) (float64, float64) {
	x := (z - tableMin) * tableScale
	if x < 0 {
		return logPhiExact(z)
	}
	i := int(x)
	if i >= len(phiTable) {
		return 0, 0
	}
	f := x - float64(i)
	e := &phiTable[i]
	return e.lp + f*e.dlp, e.lam + f*e.dlam
}

// The table of logPhi: log Φ and λ at z = tableMin + i/tableScale.
const (
	tableMin   = -38.0
	tableScale = 64.0
)

// phiEntry is one step of the table: the values at its start and their
// differences to the next step's (b − a, the same subtraction the
// interpolation a + f·(b − a) would make at each call).
type phiEntry struct {
	lp, dlp, lam, dlam float64
}

var phiTable = func() []phiEntry {
	n := int((tailCut-tableMin)*tableScale) + 2
	v := make([][2]float64, n)
	for i := range v {
		v[i][0], v[i][1] = logPhiExact(tableMin + float64(i)/tableScale)
	}
	t := make([]phiEntry, n-1)
	for i := range t {
		a, b := v[i], v[i+1]
		t[i] = phiEntry{a[0], b[0] - a[0], a[1], b[1] - a[1]}
	}
	return t
}()

// logPhiExact computes log Φ(z) and λ(z) with erfc, and below z = −8 with
// the asymptotic series Φ(z) ≈ φ(z)/|z|·(1 − 1/z² + 3/z⁴), where erfc
// would lose its digits.
func logPhiExact(z float64) (float64, float64) {
	const lnSqrt2Pi = 0.9189385332046727
	if z < -8 {
		z2 := z * z
		s := 1 - 1/z2 + 3/(z2*z2)
		return -z2/2 - math.Log(-z) - lnSqrt2Pi + math.Log(s), -z / s
	}
	cdf := 0.5 * math.Erfc(-z/math.Sqrt2)
	pdf := math.Exp(-z*z/2 - lnSqrt2Pi)
	return math.Log(cdf), pdf / cdf
}

// ranked returns the hypotheses with their probabilities, most likely
// first (ties by name, so that the order is stable), in m's scratch:
// valid until the next call.
func (m *model) ranked(probs []float64) []scored {
	out := m.rank[:len(probs)]
	for h, p := range probs {
		out[h] = scored{m.hyps[h], p}
	}
	slices.SortStableFunc(out, func(a, b scored) int {
		if a.p != b.p {
			if a.p > b.p {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	return out
}

type scored struct {
	name string
	p    float64
}
