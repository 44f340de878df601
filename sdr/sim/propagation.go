package sim

import (
	"math"
)

// speedOfLight in m/s.
const speedOfLight = 299792458.0

// FreeSpaceLoss1m is the free-space path loss at 1 m for frequency f (Hz),
// dB: 20·log10(4π·(1 m)·f/c). 31.5 dB at 900 MHz, 37.5 dB at 1800 MHz.
func FreeSpaceLoss1m(f float64) float64 {
	return 20 * math.Log10(4*math.Pi*f/speedOfLight)
}

// exponent is n with its default.
func (p *Propagation) exponent() float64 {
	if p.Exponent == 0 {
		return 3
	}
	return p.Exponent
}

// PathLoss is the deterministic part of the loss from a to b at frequency
// f (Hz), dB: the reference loss at 1 m, the distance term, walls and
// floors crossed on the straight line. Shadow fading is not included (see
// Scene.ShadowFade). Distances under 1 m use the free-space exponent 2,
// and distances under 10 cm count as 10 cm (a phone lying on the sensor).
func (s *Scene) PathLoss(a, b Point, f float64) float64 {
	p := &s.Propagation
	pl0 := p.RefLoss
	if pl0 == 0 {
		pl0 = FreeSpaceLoss1m(f)
	}
	d := math.Sqrt((a.X-b.X)*(a.X-b.X) + (a.Y-b.Y)*(a.Y-b.Y) + (a.Z-b.Z)*(a.Z-b.Z))
	d = math.Max(d, 0.1)
	var dist float64
	if d < 1 {
		dist = 20 * math.Log10(d)
	} else {
		dist = 10 * p.exponent() * math.Log10(d)
	}
	return pl0 + dist + s.Site.wallLoss(a, b) + s.Site.floorLoss(a, b)
}

// wallLoss sums the loss of the walls whose segment the plan projection of
// a→b crosses. A path that only touches a wall's end or runs along it
// does not count.
func (s *Site) wallLoss(a, b Point) float64 {
	var loss float64
	p, q := XY{a.X, a.Y}, XY{b.X, b.Y}
	for _, w := range s.Walls {
		if segmentsCross(p, q, w.A, w.B) {
			loss += w.Loss
		}
	}
	return loss
}

// floorLoss sums the loss of the slabs strictly between the heights of a
// and b (a slab at exactly an end point's height is the floor it stands on).
func (s *Site) floorLoss(a, b Point) float64 {
	lo, hi := math.Min(a.Z, b.Z), math.Max(a.Z, b.Z)
	var loss float64
	for _, f := range s.Floors {
		if f.Height > lo && f.Height < hi {
			loss += f.Loss
		}
	}
	return loss
}

// cross2 is the z component of (b−a)×(c−a): positive when c is left of a→b.
func cross2(a, b, c XY) float64 {
	return (b.X-a.X)*(c.Y-a.Y) - (b.Y-a.Y)*(c.X-a.X)
}

// segmentsCross reports whether segments pq and ab properly intersect:
// each segment's ends lie strictly on opposite sides of the other's line.
func segmentsCross(p, q, a, b XY) bool {
	d1 := cross2(a, b, p)
	d2 := cross2(a, b, q)
	d3 := cross2(p, q, a)
	d4 := cross2(p, q, b)
	return (d1 > 0 && d2 < 0 || d1 < 0 && d2 > 0) && (d3 > 0 && d4 < 0 || d3 < 0 && d4 > 0)
}

// inPolygon reports whether p is inside poly (even-odd rule).
func inPolygon(p XY, poly []XY) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a.Y > p.Y) != (b.Y > p.Y) && p.X < (b.X-a.X)*(p.Y-a.Y)/(b.Y-a.Y)+a.X {
			in = !in
		}
	}
	return in
}

// WingAt names the first wing whose polygon contains the plan position of
// p, or "" when p is outside every wing.
func (s *Site) WingAt(p Point) string {
	for _, w := range s.Wings {
		if inPolygon(XY{p.X, p.Y}, w.Polygon) {
			return w.Name
		}
	}
	return ""
}

// ShadowFade is the log-normal shadow fade between an emitter and a sensor,
// dB (added to the path loss): N(0, ShadowSigma²), drawn from the scene seed
// and the two IDs, so it is fixed for the scene and independent of the
// order of emitters and sensors.
func (s *Scene) ShadowFade(emitterID, sensorID string) float64 {
	if s.Propagation.ShadowSigma == 0 {
		return 0
	}
	h := hashSeed(s.Seed, "shadow", emitterID, sensorID)
	// Box–Muller from two uniforms in (0, 1].
	u1 := (float64(h>>11) + 1) / (1 << 53)
	u2 := float64(splitmix(h)>>11) / (1 << 53)
	return s.Propagation.ShadowSigma * math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// splitmix is one step of SplitMix64, a bijective 64-bit mixer.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hashSeed derives a 64-bit seed from the scene seed and a path of names
// (FNV-1a over the names, separated, then mixed), so that every random
// stream in a scene depends only on what it is for.
func hashSeed(seed uint64, parts ...string) uint64 {
	h := uint64(14695981039346656037)
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h ^= uint64(p[i])
			h *= 1099511628211
		}
		h ^= 0xff
		h *= 1099511628211
	}
	return splitmix(h ^ splitmix(seed))
}
