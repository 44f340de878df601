package fusion

import (
	"math"
	"testing"
)

// TestLogPhi checks log Φ and the inverse Mills ratio against reference
// values (Φ from Abramowitz & Stegun 26.2 tables / scipy.stats.norm.cdf,
// φ(0) = 1/√(2π)), through the table and the asymptotic series.
func TestLogPhi(t *testing.T) {
	cases := []struct {
		name string
		z    float64
		cdf  float64 // Φ(z)
		pdf  float64 // φ(z)
	}{
		{"0", 0, 0.5, 0.3989422804014327},
		{"+2", 2, 0.9772498680518208, 0.05399096651318806},
		{"-1", -1, 0.15865525393145707, 0.24197072451914337},
		{"-3.3", -3.3, 4.834241423837772e-4, 1.7225689390536573e-3},
		{"-10", -10, 7.619853024160527e-24, 7.69459862670642e-23},
		{"-40", -40, 0, 0}, // checked through the series below
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lp, lam := logPhi(c.z)
			if c.cdf == 0 {
				// Mills ratio asymptote: λ(z) → −z, log Φ ≈ −z²/2 − log(−z√(2π)).
				if math.Abs(lam+c.z)/(-c.z) > 1e-3 || math.Abs(lp-(-c.z*c.z/2-math.Log(-c.z*math.Sqrt(2*math.Pi)))) > 1e-2 {
					t.Errorf("z %g: log Φ %g, λ %g", c.z, lp, lam)
				}
				return
			}
			if d := math.Abs(lp - math.Log(c.cdf)); d > 2e-4 {
				t.Errorf("log Φ(%g) = %.8g, want %.8g", c.z, lp, math.Log(c.cdf))
			}
			if want := c.pdf / c.cdf; math.Abs(lam-want) > 2e-4*math.Max(1, want) {
				t.Errorf("λ(%g) = %.8g, want %.8g", c.z, lam, want)
			}
		})
	}
	if lp, lam := logPhi(7); lp != 0 || lam != 0 {
		t.Errorf("beyond the tail cut: %g %g", lp, lam)
	}
}

func TestFreeSpace(t *testing.T) {
	cases := []struct {
		f, want float64
	}{{900e6, 31.53}, {1800e6, 37.55}, {750e6, 29.95}}
	for _, c := range cases {
		if got := freeSpace1m(c.f); math.Abs(got-c.want) > 0.01 {
			t.Errorf("freeSpace1m(%g) = %.3f, want %.2f", c.f, got, c.want)
		}
	}
}

func TestGeometry(t *testing.T) {
	rect := []Point{{0, 0}, {30, 0}, {30, 10}, {0, 10}}
	if g := gridIn(rect, 2); len(g) != 75 || g[0] != (Point{1, 1}) {
		t.Errorf("2 m grid of 30 × 10 m: %d points from %v, want 75 from (1, 1)", len(g), g[0])
	}
	if g := gridIn([]Point{{0, 0}, {0.5, 0}, {0, 0.5}}, 2); len(g) != 1 {
		t.Errorf("tiny wing: %v, want its vertex mean", g)
	}
	out := outsideGrid(rect, 5, 20)
	for _, p := range out {
		if inPolygon(p, rect) || polygonDist(p, rect) > 20 {
			t.Fatalf("outside candidate %v inside or beyond reach", p)
		}
	}
	if len(out) < 50 {
		t.Errorf("%d outside candidates", len(out))
	}
	cross := []struct {
		name       string
		p, q, a, b Point
		want       bool
	}{
		{"through", Point{0, -1}, Point{0, 1}, Point{-1, 0}, Point{1, 0}, true},
		{"touches the end", Point{1, -1}, Point{1, 1}, Point{-1, 0}, Point{1, 0}, false},
		{"along", Point{-2, 0}, Point{2, 0}, Point{-1, 0}, Point{1, 0}, false},
		{"short of it", Point{0, -2}, Point{0, -1}, Point{-1, 0}, Point{1, 0}, false},
	}
	for _, c := range cross {
		if got := segmentsCross(c.p, c.q, c.a, c.b); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
	if a := polygonArea(rect); a != 300 {
		t.Errorf("area %g", a)
	}
}

// TestLocateNoAllocs: a localization allocates nothing once the fuser's
// scratch exists.
func TestLocateNoAllocs(t *testing.T) {
	f := newTest(t, Config{})
	obs := make([]observation, 4)
	obs[0] = observation{kind: obsLevel, db: -60, sigma: f.m.sigmaLvl}
	obs[1] = observation{kind: obsAtLeast, db: -55, sigma: f.m.sigmaLvl}
	obs[2] = observation{kind: obsBelow, db: -110, sigma: f.m.sigmaDet}
	f.m.locate(obs, 902.4e6, "gsm")
	if n := testing.AllocsPerRun(20, func() { f.m.locate(obs, 902.4e6, "gsm") }); n != 0 {
		t.Errorf("%.1f allocations per localization", n)
	}
}
