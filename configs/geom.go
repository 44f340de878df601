package configs

import (
	"math"
	"sort"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Point is a position on a site plan in metres: X east, Y north of the
// site's origin. A file writes it [x, y].
type Point struct {
	X, Y float64
}

// decodeNode reads [x, y].
func (p *Point) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind != yaml.SequenceNode || len(n.Content) != 2 {
		what := describe(n)
		if n.Kind == yaml.SequenceNode {
			what = "a list of " + strconv.Itoa(len(n.Content))
		}
		d.fail(n, path, "%s: want a point [x, y] in metres, not %s", path, what)
		return
	}
	var xy [2]float64
	for i, c := range n.Content {
		c = d.deref(c)
		if c == nil {
			return
		}
		var f float64
		if c.Kind != yaml.ScalarNode || c.Decode(&f) != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.fail(c, path, "%s: want a point [x, y] in metres: %s is %s, not a number", path, "xy"[i:i+1], describe(c))
			return
		}
		xy[i] = f
	}
	p.X, p.Y = xy[0], xy[1]
}

// MarshalYAML writes [x, y] on one line.
func (p Point) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(p.X, 'g', -1, 64)},
		{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(p.Y, 'g', -1, 64)},
	}}, nil
}

// Polygon is a closed outline: its points in order around it, the last
// joined to the first.
type Polygon []Point

// MarshalYAML writes the points on one line: [[0, 0], [10, 0], [10, 5]].
func (pg Polygon) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, p := range pg {
		pn, _ := p.MarshalYAML()
		n.Content = append(n.Content, pn.(*yaml.Node))
	}
	return n, nil
}

// Area is the area the polygon encloses, m², by the shoelace formula
// A = ½·|Σ (x_j·y_i − x_i·y_j)| over the edges j→i, whatever its
// orientation (only meaningful for a simple polygon).
func (pg Polygon) Area() float64 {
	var a float64
	for i, j := 0, len(pg)-1; i < len(pg); j, i = i, i+1 {
		a += pg[j].X*pg[i].Y - pg[i].X*pg[j].Y
	}
	return math.Abs(a) / 2
}

// Contains reports whether p is inside the polygon (even-odd rule; a point
// within tol metres of the outline counts as inside).
func (pg Polygon) Contains(p Point, tol float64) bool {
	return pg.dist(p) <= tol || pg.strictlyContains(p, 0)
}

// strictlyContains reports whether p is inside the polygon and more than
// tol metres from its outline.
func (pg Polygon) strictlyContains(p Point, tol float64) bool {
	in := false
	for i, j := 0, len(pg)-1; i < len(pg); j, i = i, i+1 {
		a, b := pg[i], pg[j]
		if (a.Y > p.Y) != (b.Y > p.Y) && p.X < (b.X-a.X)*(p.Y-a.Y)/(b.Y-a.Y)+a.X {
			in = !in
		}
	}
	return in && pg.dist(p) > tol
}

// dist is the distance from p to the polygon's outline, m.
func (pg Polygon) dist(p Point) float64 {
	d := math.Inf(1)
	for i, j := 0, len(pg)-1; i < len(pg); j, i = i, i+1 {
		d = math.Min(d, segmentDist(p, pg[j], pg[i]))
	}
	return d
}

// segmentDist is the distance from p to the segment ab, m.
func segmentDist(p, a, b Point) float64 {
	dx, dy := b.X-a.X, b.Y-a.Y
	l2 := dx*dx + dy*dy
	t := 0.0
	if l2 > 0 {
		t = math.Max(0, math.Min(1, ((p.X-a.X)*dx+(p.Y-a.Y)*dy)/l2))
	}
	return math.Hypot(p.X-a.X-t*dx, p.Y-a.Y-t*dy)
}

// cross is the z component of (b−a)×(c−a): positive when c is left of
// a→b, zero when the three are in line.
func cross(a, b, c Point) float64 {
	return (b.X-a.X)*(c.Y-a.Y) - (b.Y-a.Y)*(c.X-a.X)
}

// geomEps is the tolerance of a cross product of plan coordinates, m²:
// relative to the square of the largest coordinate, so that points a
// floating-point rounding off a line still count as on it.
func geomEps(pts ...Point) float64 {
	m := 1.0
	for _, p := range pts {
		m = math.Max(m, math.Max(math.Abs(p.X), math.Abs(p.Y)))
	}
	return 1e-12 * m * m
}

// sign is the side of a cross product: −1, 0 (in line within eps) or 1.
func sign(v, eps float64) int {
	switch {
	case v > eps:
		return 1
	case v < -eps:
		return -1
	}
	return 0
}

// within reports whether c, in line with a and b, lies on the segment ab.
func within(a, b, c Point) bool {
	return math.Min(a.X, b.X) <= c.X && c.X <= math.Max(a.X, b.X) &&
		math.Min(a.Y, b.Y) <= c.Y && c.Y <= math.Max(a.Y, b.Y)
}

// segmentsMeet reports whether the closed segments pq and ab have a point
// in common: they cross, one ends on the other, or they overlap in line.
func segmentsMeet(p, q, a, b Point) bool {
	eps := geomEps(p, q, a, b)
	d1, d2 := sign(cross(a, b, p), eps), sign(cross(a, b, q), eps)
	d3, d4 := sign(cross(p, q, a), eps), sign(cross(p, q, b), eps)
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	return d1 == 0 && within(a, b, p) || d2 == 0 && within(a, b, q) ||
		d3 == 0 && within(p, q, a) || d4 == 0 && within(p, q, b)
}

// segmentsCross reports whether segments pq and ab properly cross: each
// one's ends lie strictly on opposite sides of the other's line. Segments
// that only touch or run along each other (two wings sharing a wall) do
// not cross.
func segmentsCross(p, q, a, b Point) bool {
	eps := geomEps(p, q, a, b)
	d1, d2 := sign(cross(a, b, p), eps), sign(cross(a, b, q), eps)
	d3, d4 := sign(cross(p, q, a), eps), sign(cross(p, q, b), eps)
	return d1*d2 < 0 && d3*d4 < 0
}

// collinear reports whether every point lies on the line through the
// first two (which differ).
func (pg Polygon) collinear() bool {
	eps := geomEps(pg...)
	for _, q := range pg[2:] {
		if sign(cross(pg[0], pg[1], q), eps) != 0 {
			return false
		}
	}
	return true
}

// selfIntersection finds two edges of the polygon that meet anywhere but
// at the vertex they share: edge i runs from point i to point i+1 (the
// last back to point 0). It returns ok false for a simple polygon. Two
// successive edges that fold back along each other meet too.
func (pg Polygon) selfIntersection() (i, j int, ok bool) {
	n := len(pg)
	edge := func(k int) (Point, Point) { return pg[k], pg[(k+1)%n] }
	for i := 0; i < n; i++ {
		a, b := edge(i)
		for j := i + 1; j < n; j++ {
			c, d := edge(j)
			switch {
			case j == i+1 || i == 0 && j == n-1:
				// Neighbours share one vertex; they meet elsewhere only
				// when they lie in line and fold back.
				shared, far1, far2 := b, a, d
				if j != i+1 {
					shared, far1, far2 = a, b, c
				}
				if sign(cross(far1, shared, far2), geomEps(far1, shared, far2)) == 0 &&
					(far2.X-shared.X)*(far1.X-shared.X)+(far2.Y-shared.Y)*(far1.Y-shared.Y) > 0 {
					return i, j, true
				}
			case segmentsMeet(a, b, c, d):
				return i, j, true
			}
		}
	}
	return 0, 0, false
}

// overlapTol is the tolerance of the overlap test, m: plans drawn to the
// centimetre share walls that rounding puts a hair apart. Overlaps less
// than about 3·overlapTol deep are not reported.
const overlapTol = 0.005

// overlaps reports whether two simple polygons share an area: their
// outlines properly cross, or a point just inside one, beside the middle
// of one of its edges, is inside the other. Polygons that only share
// edges or corners do not overlap.
func (pg Polygon) overlaps(other Polygon) bool {
	for i := range pg {
		a, b := pg[i], pg[(i+1)%len(pg)]
		for j := range other {
			if segmentsCross(a, b, other[j], other[(j+1)%len(other)]) {
				return true
			}
		}
	}
	return pg.probeInside(other) || other.probeInside(pg)
}

// probeInside reports whether a point just inside pg, beside the middle of
// one of its edges, or one of pg's vertices, lies well inside other.
func (pg Polygon) probeInside(other Polygon) bool {
	for i := range pg {
		a, b := pg[i], pg[(i+1)%len(pg)]
		if other.strictlyContains(a, overlapTol) {
			return true
		}
		l := math.Hypot(b.X-a.X, b.Y-a.Y)
		if l == 0 {
			continue
		}
		// The unit normal of the edge, and a probe 2·overlapTol off its
		// middle on the side inside pg.
		nx, ny := -(b.Y-a.Y)/l, (b.X-a.X)/l
		m := Point{(a.X + b.X) / 2, (a.Y + b.Y) / 2}
		for _, s := range []float64{1, -1} {
			q := Point{m.X + s*2*overlapTol*nx, m.Y + s*2*overlapTol*ny}
			if pg.strictlyContains(q, 0) && other.strictlyContains(q, overlapTol) {
				return true
			}
		}
	}
	return false
}

// convexHull is the smallest convex polygon holding every point, counter-
// clockwise from the lowest-leftmost point, without points in line on its
// edges (Andrew's monotone chain). Fewer than 3 distinct points give them
// back as they are.
func convexHull(pts []Point) Polygon {
	p := append([]Point(nil), pts...)
	sort.Slice(p, func(i, j int) bool {
		if p[i].X != p[j].X {
			return p[i].X < p[j].X
		}
		return p[i].Y < p[j].Y
	})
	// Drop repeats.
	u := p[:0]
	for i, q := range p {
		if i == 0 || q != u[len(u)-1] {
			u = append(u, q)
		}
	}
	p = u
	if len(p) < 3 {
		return Polygon(p)
	}
	hull := make([]Point, 0, 2*len(p))
	for _, q := range p { // lower hull
		for len(hull) >= 2 && cross(hull[len(hull)-2], hull[len(hull)-1], q) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, q)
	}
	for i, t := len(p)-2, len(hull)+1; i >= 0; i-- { // upper hull
		q := p[i]
		for len(hull) >= t && cross(hull[len(hull)-2], hull[len(hull)-1], q) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, q)
	}
	return Polygon(hull[:len(hull)-1])
}
