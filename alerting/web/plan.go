package web

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// planWidth is the width of every floor's SVG in user units; heights
// follow the plan's aspect ratio.
const planWidth = 1000.0

// planView is one building floor drawn as SVG.
type planView struct {
	Title         string
	Width, Height float64
	Wings         []wingView
	Sensors       []sensorDot
}

type wingView struct {
	Name           string
	Points         string // SVG polygon points
	LabelX, LabelY float64
	Alarm          string // worst alarm of its open incidents, "" when none
	Summary        string // "2 open · 1 to acknowledge" or "No open incident"
	Line1, Line2   string // the summary on two lines, to fit narrow wings
	NameSize       float64
	StateSize      float64
	Image          int // index of its floor-plan image, or −1
	ImgX, ImgY     float64
	ImgW, ImgH     float64
}

type sensorDot struct {
	ID             string
	X, Y           float64
	Status, Text   string
	LabelX, LabelY float64
}

// floorKey groups wings and sensors into one drawing per building floor.
type floorKey struct {
	building string
	floor    int
}

// wingTally counts a wing's open incidents.
type wingTally struct {
	open, needAck int
	worst         string
}

// plans draws the site: wings coloured by their open incidents' worst
// alarm, sensors with their status. Incidents outside the walls or without
// a wing are not drawn (the list and the summary line say them).
func (s *Server) plans(open []*incidentView, states map[string]SensorState, now time.Time) []planView {
	tally := map[string]*wingTally{}
	for _, v := range open {
		if v.Outside || v.Wing == "" {
			continue
		}
		t := tally[v.Wing]
		if t == nil {
			t = &wingTally{}
			tally[v.Wing] = t
		}
		t.open++
		if needsAck(v.Alarm) {
			t.needAck++
		}
		if alarmRank(v.Alarm) > alarmRank(t.worst) {
			t.worst = v.Alarm
		}
	}
	var order []floorKey
	wingsOf := map[floorKey][]int{}
	sensorsOf := map[floorKey][]SensorPlan{}
	for i, w := range s.cfg.Plan.Wings {
		k := floorKey{w.Building, w.Floor}
		if _, seen := wingsOf[k]; !seen {
			order = append(order, k)
		}
		wingsOf[k] = append(wingsOf[k], i)
	}
	for _, sp := range s.cfg.Plan.Sensors {
		k := floorKey{floor: sp.Floor}
		if w, ok := s.wings[sp.Wing]; ok {
			k.building = w.Building
		}
		if _, seen := wingsOf[k]; !seen {
			order = append(order, k)
			wingsOf[k] = nil
		}
		sensorsOf[k] = append(sensorsOf[k], sp)
	}
	out := make([]planView, 0, len(order))
	for _, k := range order {
		out = append(out, s.drawFloor(k, wingsOf[k], sensorsOf[k], tally, states, now))
	}
	return out
}

func (s *Server) drawFloor(k floorKey, wingIdx []int, sensors []SensorPlan, tally map[string]*wingTally,
	states map[string]SensorState, now time.Time) planView {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	grow := func(x, y float64) {
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		minY, maxY = math.Min(minY, y), math.Max(maxY, y)
	}
	for _, i := range wingIdx {
		for _, p := range s.cfg.Plan.Wings[i].Polygon {
			grow(p[0], p[1])
		}
	}
	for _, sp := range sensors {
		grow(sp.X, sp.Y)
	}
	span := math.Max(maxX-minX, maxY-minY)
	pad := span*0.05 + 1 // metres
	scale := planWidth / (maxX - minX + 2*pad)
	// x east to the right, y north up (SVG's y runs down).
	tx := func(x float64) float64 { return round1((x - minX + pad) * scale) }
	ty := func(y float64) float64 { return round1((maxY - y + pad) * scale) }

	title := "Floor " + strconv.Itoa(k.floor)
	if k.building != "" {
		title = k.building + " · floor " + strconv.Itoa(k.floor)
	}
	pv := planView{Title: title, Width: planWidth, Height: round1((maxY - minY + 2*pad) * scale)}
	for _, i := range wingIdx {
		w := s.cfg.Plan.Wings[i]
		var pts strings.Builder
		bx0, by0, bx1, by1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for j, p := range w.Polygon {
			if j > 0 {
				pts.WriteByte(' ')
			}
			fmt.Fprintf(&pts, "%g,%g", tx(p[0]), ty(p[1]))
			bx0, bx1 = math.Min(bx0, p[0]), math.Max(bx1, p[0])
			by0, by1 = math.Min(by0, p[1]), math.Max(by1, p[1])
		}
		// The label sits under the wing's top edge, centred on its
		// centroid's x, so that a sensor in the middle does not hide it.
		cx, _ := centroid(w.Polygon)
		// Type scales with the wing's width (in SVG units) so that the
		// labels of narrow wings stay inside them.
		width := (bx1 - bx0) * scale
		wv := wingView{Name: w.Name, Points: pts.String(), Image: -1, Line1: "No open incident",
			NameSize: round1(clamp(width/6, 14, 34)), StateSize: round1(clamp(width/12, 10, 24))}
		wv.LabelX, wv.LabelY = tx(cx), ty(by1)+wv.NameSize*1.4
		if t := tally[w.Name]; t != nil {
			wv.Alarm = t.worst
			wv.Line1 = fmt.Sprintf("%d open", t.open)
			if t.needAck > 0 {
				wv.Line2 = fmt.Sprintf("%d to acknowledge", t.needAck)
			} else {
				wv.Line2 = strings.ToLower(alarmText(t.worst))
			}
		}
		wv.Summary = wv.Line1
		if wv.Line2 != "" {
			wv.Summary += " · " + wv.Line2
		}
		if w.Image != "" {
			wv.Image = i
			wv.ImgX, wv.ImgY = tx(bx0), ty(by1)
			wv.ImgW, wv.ImgH = round1((bx1-bx0)*scale), round1((by1-by0)*scale)
		}
		pv.Wings = append(pv.Wings, wv)
	}
	for _, sp := range sensors {
		st, known := states[sp.ID]
		status := sensorStatus(st, known, now)
		text := sp.ID
		if status != statusOK {
			text += " " + strings.ToLower(statusText(status))
		}
		pv.Sensors = append(pv.Sensors, sensorDot{ID: sp.ID, X: tx(sp.X), Y: ty(sp.Y), Status: status, Text: text,
			LabelX: tx(sp.X) + 16, LabelY: ty(sp.Y) + 6})
	}
	return pv
}

// centroid is the area centroid of a simple polygon (shoelace formula:
// A = ½ Σ (xᵢ yᵢ₊₁ − xᵢ₊₁ yᵢ), Cx = Σ (xᵢ + xᵢ₊₁)(xᵢ yᵢ₊₁ − xᵢ₊₁ yᵢ) / 6A),
// or the mean of the vertices when the area is nil.
func centroid(poly [][2]float64) (float64, float64) {
	var a, cx, cy, mx, my float64
	for i, p := range poly {
		q := poly[(i+1)%len(poly)]
		cross := p[0]*q[1] - q[0]*p[1]
		a += cross
		cx += (p[0] + q[0]) * cross
		cy += (p[1] + q[1]) * cross
		mx += p[0]
		my += p[1]
	}
	n := float64(len(poly))
	if math.Abs(a) < 1e-9 {
		return mx / n, my / n
	}
	return cx / (3 * a), cy / (3 * a)
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

// coverageGap is a band some sensors cannot hear.
type coverageGap struct {
	Band, Why string
	Sensors   []string // who cannot hear it; nil when none can
}

// coverageGaps groups the plan's unheard bands so that the live view can
// say them in one line each: "B1 2100 MHz: not heard by any sensor
// (beyond the dongle's 1766 MHz)".
func (s *Server) coverageGaps() []coverageGap {
	type key struct{ band, why string }
	who := map[key][]string{}
	var order []key
	for _, sp := range s.cfg.Plan.Sensors {
		for _, g := range sp.NotHeard {
			k := key{g.Band, g.Why}
			if _, seen := who[k]; !seen {
				order = append(order, k)
			}
			if !slices.Contains(who[k], sp.ID) {
				who[k] = append(who[k], sp.ID)
			}
		}
	}
	out := make([]coverageGap, 0, len(order))
	for _, k := range order {
		g := coverageGap{Band: k.band, Why: k.why}
		if len(who[k]) < len(s.cfg.Plan.Sensors) {
			g.Sensors = who[k]
			sort.Strings(g.Sensors)
		}
		out = append(out, g)
	}
	return out
}

// outsideSummary counts open incidents the plan cannot draw.
type outsideSummary struct {
	Outside, NoWing int
	OutsideAlarm    string
	NoWingAlarm     string
}

func summarizeUndrawn(open []*incidentView) outsideSummary {
	var o outsideSummary
	for _, v := range open {
		switch {
		case v.Outside:
			o.Outside++
			if alarmRank(v.Alarm) > alarmRank(o.OutsideAlarm) {
				o.OutsideAlarm = v.Alarm
			}
		case v.Wing == "":
			o.NoWing++
			if alarmRank(v.Alarm) > alarmRank(o.NoWingAlarm) {
				o.NoWingAlarm = v.Alarm
			}
		}
	}
	return o
}
