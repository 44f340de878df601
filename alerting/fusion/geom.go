package fusion

import "math"

// polygonArea is the area enclosed by a simple polygon (shoelace formula),
// m², whatever its orientation.
func polygonArea(poly []Point) float64 {
	var a float64
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a += poly[j].X*poly[i].Y - poly[i].X*poly[j].Y
	}
	return math.Abs(a) / 2
}

// inPolygon reports whether p is inside poly (even-odd rule; points on an
// edge may go either way).
func inPolygon(p Point, poly []Point) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		a, b := poly[i], poly[j]
		if (a.Y > p.Y) != (b.Y > p.Y) && p.X < (b.X-a.X)*(p.Y-a.Y)/(b.Y-a.Y)+a.X {
			in = !in
		}
	}
	return in
}

// cross2 is the z component of (b−a)×(c−a): positive when c is left of a→b.
func cross2(a, b, c Point) float64 {
	return (b.X-a.X)*(c.Y-a.Y) - (b.Y-a.Y)*(c.X-a.X)
}

// segmentsCross reports whether segments pq and ab properly intersect:
// each segment's ends lie strictly on opposite sides of the other's line.
// A path that only touches a wall's end or runs along it does not cross it.
func segmentsCross(p, q, a, b Point) bool {
	d1 := cross2(a, b, p)
	d2 := cross2(a, b, q)
	d3 := cross2(p, q, a)
	d4 := cross2(p, q, b)
	return (d1 > 0 && d2 < 0 || d1 < 0 && d2 > 0) && (d3 > 0 && d4 < 0 || d3 < 0 && d4 > 0)
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

// polygonDist is the distance from p to the outline of poly, m.
func polygonDist(p Point, poly []Point) float64 {
	d := math.Inf(1)
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		d = math.Min(d, segmentDist(p, poly[j], poly[i]))
	}
	return d
}

// bounds returns the bounding box of the points.
func bounds(pts []Point) (lo, hi Point) {
	lo = Point{math.Inf(1), math.Inf(1)}
	hi = Point{math.Inf(-1), math.Inf(-1)}
	for _, p := range pts {
		lo.X, lo.Y = math.Min(lo.X, p.X), math.Min(lo.Y, p.Y)
		hi.X, hi.Y = math.Max(hi.X, p.X), math.Max(hi.Y, p.Y)
	}
	return lo, hi
}

// gridIn returns the centres of a square grid of the given step that fall
// inside poly, or the polygon's vertex mean when none does (a wing smaller
// than one grid cell still gets a candidate). The grid is aligned on the
// polygon's bounding box so that a rectangle is covered symmetrically.
func gridIn(poly []Point, step float64) []Point {
	lo, hi := bounds(poly)
	nx := max(1, int(math.Ceil((hi.X-lo.X)/step-1e-9)))
	ny := max(1, int(math.Ceil((hi.Y-lo.Y)/step-1e-9)))
	// Centre the grid in the box: cells of width (hi−lo)/n ≤ step.
	sx, sy := (hi.X-lo.X)/float64(nx), (hi.Y-lo.Y)/float64(ny)
	var out []Point
	for i := range nx {
		for j := range ny {
			p := Point{lo.X + (float64(i)+0.5)*sx, lo.Y + (float64(j)+0.5)*sy}
			if inPolygon(p, poly) {
				out = append(out, p)
			}
		}
	}
	if len(out) == 0 {
		var c Point
		for _, p := range poly {
			c.X += p.X
			c.Y += p.Y
		}
		out = append(out, Point{c.X / float64(len(poly)), c.Y / float64(len(poly))})
	}
	return out
}

// outsideGrid returns the points of a square grid of the given step that
// lie outside the perimeter polygon and within reach metres of it.
func outsideGrid(perimeter []Point, step, reach float64) []Point {
	lo, hi := bounds(perimeter)
	lo.X, lo.Y = lo.X-reach, lo.Y-reach
	hi.X, hi.Y = hi.X+reach, hi.Y+reach
	nx := max(1, int(math.Ceil((hi.X-lo.X)/step)))
	ny := max(1, int(math.Ceil((hi.Y-lo.Y)/step)))
	var out []Point
	for i := range nx {
		for j := range ny {
			p := Point{lo.X + (float64(i)+0.5)*step, lo.Y + (float64(j)+0.5)*step}
			if inPolygon(p, perimeter) {
				continue
			}
			if polygonDist(p, perimeter) <= reach {
				out = append(out, p)
			}
		}
	}
	return out
}
