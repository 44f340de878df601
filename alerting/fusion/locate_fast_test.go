package fusion

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLocateMatchesReference: the fast localization (sensor-major bounds,
// no Exp on terms that underflow, scratch reuse) gives the same answer as
// the straightforward one (locateRef) on many random evidence sets: the
// same winning hypothesis (so the same wing and outside flag; another
// only where the reference's first two tie within 10⁻¹²), every
// hypothesis's probability and the best log-likelihood (which the merge
// test uses) within 1e-9. Evidence is either a phone placed on a random
// candidate with levels from the model plus shadowing (what sensors
// report), or arbitrary kinds and levels (what a faulty sensor may send).
func TestLocateMatchesReference(t *testing.T) {
	classes := []string{"gsm", "lte", "umts", "unknown"}
	cases := []struct {
		name string
		site *Site
		cfg  Config
	}{
		{"bench site", benchSite(), Config{}},
		{"bench site, no outside", benchSite(), Config{NoOutside: true}},
		{"test site", testSite(), Config{}},
		{"test site, fixed PL0", func() *Site { s := testSite(); s.PathLoss.RefLossDB = 38; return s }(), Config{}},
	}
	for ci, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := New(c.site, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			m := f.m
			rng := rand.New(rand.NewPCG(uint64(ci), 7))
			n := 150
			if testing.Short() {
				n = 40
			}
			wins := map[string]int{}
			var maxDev float64
			for i := range n {
				obs, freq, class := randomEvidence(rng, m, classes)
				want, wantBest := locateRef(m, obs, freq, class)
				got := m.locate(obs, freq, class)
				r := m.ranked(want)
				wantTop := r[0].name
				gotTop := m.ranked(got)[0].name
				// A different winner only within rounding of a tie (one
				// level alone fits every candidate perfectly).
				if gotTop != wantTop && !(math.Abs(r[0].p-r[1].p) <= 1e-12) {
					t.Fatalf("set %d: winner %s, reference %s (obs %v)", i, gotTop, wantTop, obs)
				}
				wins[wantTop]++
				for h := range want {
					d := math.Abs(got[h] - want[h])
					maxDev = math.Max(maxDev, d)
					if !(d <= 1e-9) {
						t.Fatalf("set %d: P(%s) = %.12g, reference %.12g", i, m.hyps[h], got[h], want[h])
					}
				}
				if !(math.Abs(m.best-wantBest) <= 1e-9*math.Max(1, math.Abs(wantBest))) && !(math.IsInf(wantBest, -1) && math.IsInf(m.best, -1)) {
					t.Fatalf("set %d: best ℓ %.12g, reference %.12g", i, m.best, wantBest)
				}
			}
			// The sets must exercise more than one answer, or the
			// comparison says little.
			if len(wins) < 2 {
				t.Errorf("every set won by %v", wins)
			}
			t.Logf("%d sets, winners %v, largest probability difference %.2g", n, wins, maxDev)
		})
	}
}

// randomEvidence makes one evidence set for m: a third of the time a
// phone on a random candidate heard by the sensors its level reaches
// (some clipped), missed by others below their floor, the rest saying
// nothing; a third the same without the silences (sensors without bands:
// only levels count at most candidates); otherwise random kinds and
// levels.
func randomEvidence(rng *rand.Rand, m *model, classes []string) ([]observation, float64, string) {
	obs := make([]observation, m.nSensors)
	class := classes[rng.IntN(len(classes))]
	freq := 880e6 + rng.Float64()*1000e6
	if mode := rng.IntN(3); mode < 2 {
		c := rng.IntN(len(m.cands))
		power := -10 + 40*rng.Float64()
		pl0 := m.refLoss
		if pl0 == 0 {
			pl0 = freeSpace1m(freq)
		}
		floor := -110 + 10*rng.Float64()
		for s := range obs {
			lv := power - pl0 - float64(m.geo[c*m.nSensors+s]) + 6*rng.NormFloat64()
			switch {
			case rng.IntN(8) == 0: // not listening
			case lv > -40:
				obs[s] = observation{kind: obsAtLeast, db: -40, sigma: m.sigmaLvl}
			case lv > floor:
				obs[s] = observation{kind: obsLevel, db: math.Round(lv*10) / 10, sigma: m.sigmaLvl}
			case mode == 1: // no bands: its silence says nothing
			default:
				obs[s] = observation{kind: obsBelow, db: floor, sigma: m.sigmaDet}
			}
		}
		return obs, freq, class
	}
	for s := range obs {
		k := obsKind(rng.IntN(4))
		sigma := m.sigmaLvl
		if k == obsBelow {
			sigma = m.sigmaDet
		}
		obs[s] = observation{kind: k, db: -120 + 90*rng.Float64(), sigma: sigma}
	}
	return obs, freq, class
}

// TestClampTo: clampTo is math.Max(lo, math.Min(hi, x)), NaN and
// infinities included.
func TestClampTo(t *testing.T) {
	cases := []struct {
		name      string
		x, lo, hi float64
	}{
		{"inside", 3.5, -20, 20},
		{"below", -50, -20, 20},
		{"above", 1e9, -20, 20},
		{"at the bound", 23, -40, 23},
		{"NaN", math.NaN(), 0, 33},
		{"-Inf", math.Inf(-1), 0, 33},
		{"+Inf", math.Inf(1), 0, 33},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, want := clampTo(c.x, c.lo, c.hi), math.Max(c.lo, math.Min(c.hi, c.x))
			if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Errorf("clampTo(%g, %g, %g) = %g, want %g", c.x, c.lo, c.hi, got, want)
			}
		})
	}
}

// TestLogPhiTable: the table's stored differences give the values of the
// plain interpolation between the exact values at its steps, bit for bit
// (a + f·(b − a) with a and b from logPhiExact), across its whole range.
func TestLogPhiTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		z := tableMin - 1 + (tailCut-tableMin+2)*rng.Float64()
		lp, lam := logPhi(z)
		x := (z - tableMin) * tableScale
		var wlp, wlam float64
		switch i := int(x); {
		case x < 0:
			wlp, wlam = logPhiExact(z)
		case i >= int((tailCut-tableMin)*tableScale)+1:
		default:
			f := x - float64(i)
			a0, a1 := logPhiExact(tableMin + float64(i)/tableScale)
			b0, b1 := logPhiExact(tableMin + float64(i+1)/tableScale)
			wlp, wlam = a0+f*(b0-a0), a1+f*(b1-a1)
		}
		if lp != wlp || lam != wlam {
			t.Fatalf("logPhi(%v) = %v, %v; interpolation gives %v, %v", z, lp, lam, wlp, wlam)
		}
	}
}
