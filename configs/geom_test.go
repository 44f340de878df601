package configs

import (
	"math"
	"reflect"
	"testing"
)

var (
	square = Polygon{{0, 0}, {10, 0}, {10, 10}, {0, 10}}
	// lShape is the 10 × 10 square without its top-right 5 × 5 quarter.
	lShape = Polygon{{0, 0}, {10, 0}, {10, 5}, {5, 5}, {5, 10}, {0, 10}}
)

func TestPolygonArea(t *testing.T) {
	for _, tc := range []struct {
		name string
		pg   Polygon
		want float64
	}{
		{"square", square, 100},
		{"square clockwise", Polygon{{0, 0}, {0, 10}, {10, 10}, {10, 0}}, 100},
		{"L", lShape, 75},
		{"right triangle", Polygon{{0, 0}, {4, 0}, {0, 3}}, 6},
		{"in a line", Polygon{{0, 0}, {1, 1}, {2, 2}}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.pg.Area(); math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("area %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPolygonContains(t *testing.T) {
	for _, tc := range []struct {
		name string
		pg   Polygon
		p    Point
		tol  float64
		want bool
	}{
		{"centre", square, Point{5, 5}, 0, true},
		{"outside", square, Point{11, 5}, 0, false},
		{"on an edge", square, Point{10, 5}, 0, true},
		{"a corner", square, Point{0, 0}, 0, true},
		{"just outside, within tolerance", square, Point{10.004, 5}, 0.005, true},
		{"just outside, beyond tolerance", square, Point{10.006, 5}, 0.005, false},
		{"in the notch of the L", lShape, Point{7.5, 7.5}, 0, false},
		{"in the L's leg", lShape, Point{2.5, 7.5}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.pg.Contains(tc.p, tc.tol); got != tc.want {
				t.Errorf("Contains(%v, %v) = %v", tc.p, tc.tol, got)
			}
		})
	}
}

func TestSelfIntersection(t *testing.T) {
	for _, tc := range []struct {
		name   string
		pg     Polygon
		i, j   int
		simple bool
	}{
		{"square", square, 0, 0, true},
		{"L", lShape, 0, 0, true},
		{"triangle", Polygon{{0, 0}, {4, 0}, {0, 3}}, 0, 0, true},
		{"bow tie", Polygon{{0, 0}, {10, 10}, {10, 0}, {0, 10}}, 0, 2, false},
		{"bow tie, last edge", Polygon{{0, 0}, {10, 0}, {0, 10}, {10, 10}}, 1, 3, false},
		{"spike folding back", Polygon{{0, 0}, {10, 0}, {5, 0}, {5, 5}}, 0, 1, false},
		{"spike through the first point", Polygon{{0, 0}, {10, 0}, {10, 10}, {0, 10}, {0, -5}}, 0, 3, false},
		{"touching itself at a vertex", Polygon{{0, 0}, {10, 0}, {5, 5}, {10, 10}, {0, 10}, {5, 5}}, 1, 4, false},
		{"a vertex on another edge", Polygon{{0, 0}, {10, 0}, {10, 10}, {5, 0}, {0, 10}}, 0, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i, j, crossed := tc.pg.selfIntersection()
			if crossed == tc.simple || crossed && (i != tc.i || j != tc.j) {
				t.Errorf("selfIntersection = %d, %d, %v; want %d, %d, %v", i, j, crossed, tc.i, tc.j, !tc.simple)
			}
		})
	}
}

func TestOverlaps(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b Polygon
		want bool
	}{
		{"beside, sharing an edge", square, Polygon{{10, 0}, {20, 0}, {20, 10}, {10, 10}}, false},
		{"sharing part of an edge", square, Polygon{{10, 2}, {20, 2}, {20, 8}, {10, 8}}, false},
		{"sharing a corner", square, Polygon{{10, 10}, {20, 10}, {20, 20}}, false},
		{"far apart", square, Polygon{{30, 30}, {40, 30}, {40, 40}}, false},
		{"in the notch of the L", lShape, Polygon{{5, 5}, {10, 5}, {10, 10}, {5, 10}}, false},
		{"crossing", square, Polygon{{5, 5}, {15, 5}, {15, 15}, {5, 15}}, true},
		{"identical", square, Polygon{{10, 10}, {0, 10}, {0, 0}, {10, 0}}, true},
		{"inside", square, Polygon{{2, 2}, {4, 2}, {4, 4}}, true},
		{"inside, sharing two edges", square, Polygon{{0, 0}, {5, 0}, {5, 10}, {0, 10}}, true},
		{"a hair over the wall", square, Polygon{{9.999, 0}, {20, 0}, {20, 10}, {9.999, 10}}, false},
		{"five centimetres over the wall", square, Polygon{{9.95, 0}, {20, 0}, {20, 10}, {9.95, 10}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.overlaps(tc.b); got != tc.want {
				t.Errorf("a.overlaps(b) = %v, want %v", got, tc.want)
			}
			if got := tc.b.overlaps(tc.a); got != tc.want {
				t.Errorf("b.overlaps(a) = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConvexHull(t *testing.T) {
	for _, tc := range []struct {
		name string
		pts  []Point
		want Polygon
	}{
		{"square with inner and edge points", []Point{{5, 5}, {0, 0}, {10, 10}, {10, 0}, {5, 0}, {0, 10}, {0, 0}},
			Polygon{{0, 0}, {10, 0}, {10, 10}, {0, 10}}},
		{"L", lShape, Polygon{{0, 0}, {10, 0}, {10, 5}, {5, 10}, {0, 10}}},
		{"two points", []Point{{1, 1}, {2, 2}, {1, 1}}, Polygon{{1, 1}, {2, 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := convexHull(tc.pts); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("hull %v, want %v", got, tc.want)
			}
		})
	}
}
