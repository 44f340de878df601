package fusion

import "math"

// locateRef is the straightforward localization, kept as the reference the
// fast one (model.locate) must agree with: for every candidate the bound
// from the heard levels (heardFitRef), the refinement of those within
// pruneNats of the best (fitPower), each hypothesis's log-mean-exp with
// math.Max and math.Exp on every candidate, and the softmax. It returns
// the probabilities (a new slice) and the best log-likelihood.
func locateRef(m *model, obs []observation, freqHz float64, class string) ([]float64, float64) {
	pl0 := m.refLoss
	if pl0 == 0 {
		pl0 = freeSpace1m(freqHz)
	}
	lo, hi := txRange(class)
	n := m.nSensors
	nc := len(m.cands)
	upper, p0 := make([]float64, nc), make([]float64, nc)
	done, logL := make([]bool, nc), make([]float64, nc)
	var t terms
	t.set(obs)
	maxU := math.Inf(-1)
	for c := range m.cands {
		upper[c], p0[c] = heardFitRef(&t, m.geo[c*n:(c+1)*n], pl0, lo, hi)
		maxU = math.Max(maxU, upper[c])
	}
	best := math.Inf(-1)
	for thr := maxU - pruneNats; ; {
		for c := range m.cands {
			if done[c] || upper[c] < thr {
				continue
			}
			logL[c] = fitPower(&t, m.geo[c*n:(c+1)*n], pl0, lo, hi, p0[c])
			done[c] = true
			best = math.Max(best, logL[c])
		}
		next := best - pruneNats
		if !(next < thr) {
			break
		}
		thr = next
	}
	for c := range m.cands {
		if !done[c] {
			logL[c] = upper[c]
		}
	}
	probs := make([]float64, len(m.hyps))
	for h := range m.hyps {
		a, b := m.hypStart[h], m.hypStart[h+1]
		if a == b {
			probs[h] = math.Inf(-1)
			continue
		}
		mx := math.Inf(-1)
		for _, l := range logL[a:b] {
			mx = math.Max(mx, l)
		}
		var s float64
		for _, l := range logL[a:b] {
			s += math.Exp(l - mx)
		}
		probs[h] = m.logPrior[h] + mx + math.Log(s/float64(b-a))
	}
	softmax(probs)
	return probs, best
}

// heardFitRef is the closed-form fit of the heard levels for one
// candidate, as model.bounds does it for all candidates at once.
func heardFitRef(t *terms, geo []float32, pl0, lo, hi float64) (float64, float64) {
	var sw, swa, swaa float64
	for _, x := range t.level {
		w := 1 / (x.sigma * x.sigma)
		a := x.db + pl0 + float64(geo[x.s])
		sw += w
		swa += w * a
		swaa += w * a * a
	}
	clamp := func(p float64) float64 {
		if p < lo {
			return lo
		}
		if p > hi {
			return hi
		}
		return p
	}
	if sw > 0 {
		p := clamp(swa / sw)
		return -(swaa - 2*p*swa + p*p*sw) / 2, p
	}
	if len(t.atLeast) > 0 {
		bound := math.Inf(-1)
		for _, x := range t.atLeast {
			if a := x.db + pl0 + float64(geo[x.s]); a > bound {
				bound = a
			}
		}
		return 0, clamp(bound)
	}
	return 0, (lo + hi) / 2
}
