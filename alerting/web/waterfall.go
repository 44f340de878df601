package web

import (
	"fmt"
	"image"
	"image/color"
	"io"
	"math"
	"strconv"
	"sync"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	plottext "gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/cellsentry/cellsentry/alerting"
)

// burstRec is the part of a burst the waterfall draws.
type burstRec struct {
	t      time.Time
	durS   float32 // s
	freqHz float64
	bwHz   float32
	dbfs   float32 // NaN when unmeasured
}

// burstRing keeps a sensor's newest bursts.
type burstRing struct {
	buf  []burstRec
	next int // where the next burst goes
	n    int // how many are held
}

// burstLog holds a ring per sensor for the technician's waterfall.
type burstLog struct {
	mu    sync.Mutex
	rings map[string]*burstRing
	size  int
}

// maxBurstSensors bounds the log's memory when bursts name many sensors.
const maxBurstSensors = 512

func newBurstLog(size int) *burstLog {
	return &burstLog{rings: map[string]*burstRing{}, size: size}
}

// add keeps b; it allocates only for a sensor's first burst.
func (l *burstLog) add(b *alerting.Burst) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.rings[b.Sensor]
	if r == nil {
		if len(l.rings) >= maxBurstSensors {
			return
		}
		r = &burstRing{buf: make([]burstRec, l.size)}
		l.rings[b.Sensor] = r
	}
	p := float32(math.NaN())
	if b.PowerDBFS.Known() {
		p = float32(b.PowerDBFS)
	}
	r.buf[r.next] = burstRec{t: b.Time, durS: float32(b.DurationS), freqHz: b.FreqHz, bwHz: float32(b.BandwidthHz), dbfs: p}
	r.next = (r.next + 1) % len(r.buf)
	if r.n < len(r.buf) {
		r.n++
	}
}

// since appends to dst the sensor's bursts that start at or after t, in
// the order they arrived (QoS 0 bursts may arrive out of time order).
func (l *burstLog) since(dst []burstRec, sensor string, t time.Time) []burstRec {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.rings[sensor]
	if r == nil {
		return dst
	}
	start := (r.next - r.n + len(r.buf)) % len(r.buf)
	for i := 0; i < r.n; i++ {
		b := r.buf[(start+i)%len(r.buf)]
		if !b.t.Before(t) {
			dst = append(dst, b)
		}
	}
	return dst
}

// waterfallGrid is the waterfall's raster: cell (row, col) holds the
// strongest power (dBFS) of the bursts that cover it, NaN where none did.
// Row 0 is the newest time slice, column 0 the lowest frequency.
type waterfallGrid struct {
	rows, cols       int
	fLoHz, fHiHz     float64
	ageLoS, ageHiS   float64 // row 0 starts at age ageLoS; the last row ends at ageHiS
	cells            []float64
	pMin, pMax       float64 // range of the powers drawn
	count, unmeasure int     // bursts drawn, bursts without a dBFS power
}

// buildGrid rasterises bursts over [now−window, now] × [fLo, fHi]; with
// fLo = fHi = 0 the frequency span is the bursts' own, padded by 10 % and
// at least 1 MHz wide. A burst covers the columns of [f − bw/2, f + bw/2]
// and the rows of [t, t + dur], at least one of each so that a 0.5 ms
// burst in a 10 min window stays visible.
func buildGrid(bursts []burstRec, now time.Time, window time.Duration, fLo, fHi float64, rows, cols int) waterfallGrid {
	g := waterfallGrid{rows: rows, cols: cols, ageLoS: 0, ageHiS: window.Seconds(), pMin: math.Inf(1), pMax: math.Inf(-1)}
	if fLo == 0 && fHi == 0 {
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, b := range bursts {
			lo = math.Min(lo, b.freqHz-float64(b.bwHz)/2)
			hi = math.Max(hi, b.freqHz+float64(b.bwHz)/2)
		}
		if math.IsInf(lo, 0) {
			lo, hi = 0, 0
		}
		pad := math.Max((hi-lo)*0.1, 0)
		lo, hi = lo-pad, hi+pad
		if hi-lo < 1e6 {
			mid := (lo + hi) / 2
			lo, hi = mid-0.5e6, mid+0.5e6
		}
		fLo, fHi = lo, hi
	}
	g.fLoHz, g.fHiHz = fLo, fHi
	g.cells = make([]float64, rows*cols)
	for i := range g.cells {
		g.cells[i] = math.NaN()
	}
	// A span [lo, hi) covers the cells from floor(lo) to ceil(hi) − 1 (in
	// cell units), at least one: an edge on a cell boundary does not
	// spill into the next cell (1e-9 absorbs rounding).
	cellsOf := func(lo, hi float64) (int, int) {
		a, b := int(math.Floor(lo)), int(math.Ceil(hi-1e-9))-1
		return a, max(a, b)
	}
	fScale := float64(cols) / (fHi - fLo)
	tScale := float64(rows) / g.ageHiS
	for _, b := range bursts {
		if math.IsNaN(float64(b.dbfs)) {
			g.unmeasure++
			continue
		}
		c0, c1 := cellsOf((b.freqHz-float64(b.bwHz)/2-fLo)*fScale, (b.freqHz+float64(b.bwHz)/2-fLo)*fScale)
		end := b.t.Add(time.Duration(float64(b.durS) * float64(time.Second)))
		// Newer is a smaller age: the burst's end is its top row.
		r0, r1 := cellsOf(now.Sub(end).Seconds()*tScale, now.Sub(b.t).Seconds()*tScale)
		if c1 < 0 || c0 >= cols || r1 < 0 || r0 >= rows {
			continue
		}
		c0, c1 = max(c0, 0), min(c1, cols-1)
		r0, r1 = max(r0, 0), min(r1, rows-1)
		p := float64(b.dbfs)
		for r := r0; r <= r1; r++ {
			row := g.cells[r*cols : (r+1)*cols]
			for c := c0; c <= c1; c++ {
				if math.IsNaN(row[c]) || p > row[c] {
					row[c] = p
				}
			}
		}
		g.count++
		g.pMin, g.pMax = math.Min(g.pMin, p), math.Max(g.pMax, p)
	}
	if g.count == 0 {
		g.pMin, g.pMax = -60, 0
	}
	if g.pMax-g.pMin < 10 { // a colour scale of at least 10 dB
		g.pMin = g.pMax - 10
	}
	return g
}

// Waterfall colours: a dark background where nothing was heard (the page
// is dark), black body from dark red to white for power.
var (
	waterfallBackground = color.RGBA{0x10, 0x14, 0x18, 0xff}
	waterfallInk        = color.RGBA{0xe8, 0xea, 0xed, 0xff}
)

// colorMap returns the power colour map for powers in [pMin, pMax]. The
// map starts a quarter of the span below pMin so that the weakest burst is
// dark red, not black on the dark background.
func colorMap(pMin, pMax float64) palette.ColorMap {
	cm := moreland.ExtendedBlackBody()
	cm.SetMax(pMax)
	cm.SetMin(pMin - 0.25*(pMax-pMin))
	return cm
}

// image paints the grid, one pixel per cell, through a 256-entry table of
// the colour map.
func (g *waterfallGrid) image() *image.RGBA {
	cm := colorMap(g.pMin, g.pMax)
	var lut [256]color.RGBA // index i is the power pMin + (pMax − pMin)·i/255
	for i := range lut {
		c, err := cm.At(g.pMin + (g.pMax-g.pMin)*float64(i)/255)
		if err != nil {
			c = waterfallInk
		}
		lut[i] = color.RGBAModel.Convert(c).(color.RGBA)
	}
	img := image.NewRGBA(image.Rect(0, 0, g.cols, g.rows))
	for r := 0; r < g.rows; r++ {
		for c := 0; c < g.cols; c++ {
			v := g.cells[r*g.cols+c]
			if math.IsNaN(v) {
				img.SetRGBA(c, r, waterfallBackground)
				continue
			}
			i := int(math.Round((v - g.pMin) / (g.pMax - g.pMin) * 255))
			img.SetRGBA(c, r, lut[min(max(i, 0), 255)])
		}
	}
	return img
}

// ageTicks labels the time axis in seconds ago (the axis runs from −window
// at the bottom to 0, now, at the top).
type ageTicks struct{}

func (ageTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = strconv.FormatFloat(math.Abs(ticks[i].Value), 'f', -1, 64)
		}
	}
	return ticks
}

// renderWaterfall draws g as a PNG of w × h pixels: frequency (MHz)
// across, time (seconds ago, newest at the top) down, colour = burst power
// in dBFS with its scale at the right.
func renderWaterfall(out io.Writer, g waterfallGrid, title string, w, h int) error {
	const dpi = 96
	pt := func(px int) vg.Length { return vg.Length(px) * vg.Inch / dpi }
	c := vgimg.NewWith(vgimg.UseWH(pt(w), pt(h)), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(waterfallBackground))
	dc := draw.New(c)

	main := plot.New()
	styleDark(main)
	main.Title.Text = title
	main.X.Label.Text = "frequency (MHz)"
	main.Y.Label.Text = "seconds ago"
	main.Y.Tick.Marker = ageTicks{}
	xLo, xHi := g.fLoHz/1e6, g.fHiHz/1e6
	main.Add(plotter.NewImage(g.image(), xLo, -g.ageHiS, xHi, -g.ageLoS))
	main.X.Min, main.X.Max = xLo, xHi
	main.Y.Min, main.Y.Max = -g.ageHiS, -g.ageLoS

	bar := plot.New()
	styleDark(bar)
	bar.Title.Text = "dBFS"
	bar.HideX()
	bar.Add(&plotter.ColorBar{ColorMap: colorMap(g.pMin, g.pMax), Vertical: true})

	split := dc.Max.X - pt(110)
	main.Draw(draw.Crop(dc, 0, split-dc.Max.X, 0, 0))
	bar.Draw(draw.Crop(dc, split-dc.Min.X+pt(10), 0, 0, 0))
	png := vgimg.PngCanvas{Canvas: c}
	if _, err := png.WriteTo(out); err != nil {
		return fmt.Errorf("waterfall: write PNG: %w", err)
	}
	return nil
}

// styleDark gives a plot light sans-serif ink on the page's dark
// background, large enough to read on the sensor page.
func styleDark(p *plot.Plot) {
	p.BackgroundColor = waterfallBackground
	style := func(st *plottext.Style, size vg.Length) {
		st.Color = waterfallInk
		st.Font.Variant = "Sans"
		st.Font.Size = size
	}
	style(&p.Title.TextStyle, vg.Points(15))
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Color = waterfallInk
		a.Tick.Color = waterfallInk
		style(&a.Label.TextStyle, vg.Points(13))
		style(&a.Tick.Label, vg.Points(12))
	}
}
