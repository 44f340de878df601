package main

import (
	"bytes"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/cellsentry/cellsentry/configs"
	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/survey"
)

// plotDPI is the resolution of the report's PNGs.
const plotDPI = 96

// plotGeom says where a PNG's data area lies, in pixels, and what data
// range it shows: the tests read plotted content back through it.
type plotGeom struct {
	File                   string
	W, H                   int
	X0, X1, Y0, Y1         float64 // data area: left, right, top, bottom
	XMin, XMax, YMin, YMax float64
}

// px is the pixel column of data x.
func (g plotGeom) px(x float64) int {
	return int(math.Round(g.X0 + (x-g.XMin)/(g.XMax-g.XMin)*(g.X1-g.X0)))
}

// py is the pixel row of data y.
func (g plotGeom) py(y float64) int {
	return int(math.Round(g.Y1 - (y-g.YMin)/(g.YMax-g.YMin)*(g.Y1-g.Y0)))
}

// savePlot draws p into a PNG of w × h and returns its geometry.
func savePlot(p *plot.Plot, path string, w, h vg.Length) (plotGeom, error) {
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(plotDPI))
	dc := draw.New(c)
	p.Draw(dc)
	da := p.DataCanvas(dc)
	hp := h.Dots(plotDPI)
	g := plotGeom{
		File: filepath.Base(path), W: int(math.Round(w.Dots(plotDPI))), H: int(math.Round(hp)),
		X0: da.Min.X.Dots(plotDPI), X1: da.Max.X.Dots(plotDPI),
		Y0: hp - da.Max.Y.Dots(plotDPI), Y1: hp - da.Min.Y.Dots(plotDPI),
		XMin: p.X.Min, XMax: p.X.Max, YMin: p.Y.Min, YMax: p.Y.Max,
	}
	f, err := os.Create(path)
	if err != nil {
		return g, fmt.Errorf("survey: plot: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(f); err != nil {
		f.Close()
		return g, fmt.Errorf("survey: plot %s: %w", path, err)
	}
	return g, f.Close()
}

// bandSpan is a band's spectrum stitched from its centres: each frequency
// from the centre it lies nearest to (the middle of a window is cleaner
// than its edges).
type bandSpan struct {
	freq []float64 // Hz
	ci   []int     // index into Result.Centres
	k    []int     // bin
}

func stitch(res *survey.Result, band string) bandSpan {
	var cs []int
	for i := range res.Centres {
		if res.Centres[i].Band == band {
			cs = append(cs, i)
		}
	}
	sort.Slice(cs, func(a, b int) bool { return res.Centres[cs[a]].Center < res.Centres[cs[b]].Center })
	var sp bandSpan
	for j, ci := range cs {
		c := &res.Centres[ci]
		lo, hi := math.Inf(-1), math.Inf(1)
		if j > 0 {
			lo = (res.Centres[cs[j-1]].Center + c.Center) / 2
		}
		if j+1 < len(cs) {
			hi = (res.Centres[cs[j+1]].Center + c.Center) / 2
		}
		for k := range c.Median {
			if f := c.Freq(k); f >= lo && f < hi {
				sp.freq = append(sp.freq, f)
				sp.ci = append(sp.ci, ci)
				sp.k = append(sp.k, k)
			}
		}
	}
	return sp
}

// bandNames lists the surveyed bands in the order they were heard.
func bandNames(res *survey.Result) []string {
	var out []string
	for _, b := range res.Bands {
		out = append(out, b.Name)
	}
	return out
}

func xyOf(sp bandSpan, val func(c *survey.Centre, k int) float64, res *survey.Result) plotter.XYs {
	xy := make(plotter.XYs, 0, len(sp.freq))
	for i, f := range sp.freq {
		v := val(&res.Centres[sp.ci[i]], sp.k[i])
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		xy = append(xy, plotter.XY{X: f / 1e6, Y: v})
	}
	return xy
}

var (
	colFloor = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	colMax   = color.RGBA{R: 255, G: 127, B: 14, A: 255}
	colBg    = color.RGBA{R: 120, G: 120, B: 120, A: 255}
	colEmit  = color.RGBA{R: 214, G: 39, B: 40, A: 255}
	colChan  = color.RGBA{R: 44, G: 160, B: 44, A: 255}
)

func fileName(kind, band string) string {
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, band)
	if clean == "" {
		clean = "window"
	}
	return kind + "-" + clean + ".png"
}

// plotSpectrum draws a band's floor (median per bin), max hold and
// background, with the emitters marked.
func plotSpectrum(dir string, res *survey.Result, band string) (plotGeom, error) {
	sp := stitch(res, band)
	p := plot.New()
	p.Title.Text = "Spectrum, " + band + ": floor (median), max hold, emitters"
	p.X.Label.Text = "frequency (MHz)"
	p.Y.Label.Text = "power per bin (dBFS)"
	add := func(name string, col color.Color, dash bool, val func(c *survey.Centre, k int) float64) error {
		l, err := plotter.NewLine(xyOf(sp, val, res))
		if err != nil {
			return err
		}
		l.Color = col
		l.Width = vg.Points(1)
		if dash {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(name, l)
		return nil
	}
	if len(sp.freq) == 0 {
		return plotGeom{}, fmt.Errorf("survey: band %s: nothing heard to plot", band)
	}
	// The background first, so that the floor is drawn over it where
	// they meet (everywhere but under the emitters).
	if err := add("background", colBg, true, func(c *survey.Centre, k int) float64 { return c.Background[k] }); err != nil {
		return plotGeom{}, err
	}
	if err := add("max hold", colMax, false, func(c *survey.Centre, k int) float64 { return c.Max[k] }); err != nil {
		return plotGeom{}, err
	}
	if err := add("floor (median)", colFloor, false, func(c *survey.Centre, k int) float64 { return c.Median[k] }); err != nil {
		return plotGeom{}, err
	}
	var pts plotter.XYs
	var labels []string
	lo, hi := sp.freq[0], sp.freq[len(sp.freq)-1]
	for _, e := range res.Emitters {
		if e.Kind == survey.KindImage {
			continue
		}
		fs := []float64{e.Freq}
		if e.Kind == survey.KindSpur {
			// A spur sits at its offset from every centre of the band.
			fs = fs[:0]
			for i := range res.Centres {
				if c := &res.Centres[i]; c.Band == band {
					fs = append(fs, c.Center+e.Offset)
				}
			}
		}
		for _, f := range fs {
			if f < lo || f > hi {
				continue
			}
			i := sort.SearchFloat64s(sp.freq, f)
			i = min(i, len(sp.freq)-1)
			c := &res.Centres[sp.ci[i]]
			pts = append(pts, plotter.XY{X: f / 1e6, Y: c.Max[sp.k[i]] + 3})
			labels = append(labels, e.Kind)
		}
	}
	if len(pts) > 0 {
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			return plotGeom{}, err
		}
		sc.GlyphStyle.Color = colEmit
		sc.GlyphStyle.Shape = draw.PyramidGlyph{}
		sc.GlyphStyle.Radius = vg.Points(4)
		p.Add(sc)
		p.Legend.Add("emitter", sc)
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: pts, Labels: labels})
		if err == nil {
			p.Add(lb)
		}
	}
	p.Legend.Top = true
	p.X.Min, p.X.Max = lo/1e6, hi/1e6
	p.Y.Min -= 5
	p.Y.Max += 6
	return savePlot(p, filepath.Join(dir, fileName("spectrum", band)), 10*vg.Inch, 4*vg.Inch)
}

// heat maps t in [0, 1] to a dark-blue → red → yellow → white scale.
func heat(t float64) color.RGBA {
	anchors := [...][3]float64{{10, 10, 40}, {40, 40, 160}, {200, 40, 60}, {250, 200, 40}, {255, 255, 255}}
	t = math.Min(math.Max(t, 0), 1) * float64(len(anchors)-1)
	i := min(int(t), len(anchors)-2)
	f := t - float64(i)
	a, b := anchors[i], anchors[i+1]
	return color.RGBA{R: uint8(a[0] + f*(b[0]-a[0])), G: uint8(a[1] + f*(b[1]-a[1])), B: uint8(a[2] + f*(b[2]-a[2])), A: 255}
}

// plotWaterfall draws a band's max per time slice against frequency.
func plotWaterfall(dir string, res *survey.Result, band string, minutes float64) (plotGeom, error) {
	sp := stitch(res, band)
	if len(sp.freq) == 0 {
		return plotGeom{}, fmt.Errorf("survey: band %s: nothing heard to plot", band)
	}
	rows := len(res.Centres[sp.ci[0]].Waterfall)
	var all []float64
	for i := range sp.freq {
		for r := 0; r < rows; r++ {
			if v := res.Centres[sp.ci[i]].Waterfall[r][sp.k[i]]; !math.IsNaN(v) {
				all = append(all, v)
			}
		}
	}
	lo, hi := 0.0, 1.0
	if len(all) > 0 {
		slices.Sort(all)
		lo, hi = all[len(all)/20], all[len(all)-1]
		if hi <= lo {
			hi = lo + 1
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, len(sp.freq), rows))
	for i := range sp.freq {
		for r := 0; r < rows; r++ {
			v := res.Centres[sp.ci[i]].Waterfall[r][sp.k[i]]
			c := color.RGBA{A: 255}
			if !math.IsNaN(v) {
				c = heat((v - lo) / (hi - lo))
			}
			img.SetRGBA(i, rows-1-r, c)
		}
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Waterfall, %s: max per slice, %.0f (dark) to %.0f dBFS (white) per bin", band, lo, hi)
	p.X.Label.Text = "frequency (MHz)"
	p.Y.Label.Text = "minutes from the start"
	x0, x1 := sp.freq[0]/1e6, sp.freq[len(sp.freq)-1]/1e6
	p.Add(plotter.NewImage(img, x0, 0, x1, minutes))
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = x0, x1, 0, minutes
	return savePlot(p, filepath.Join(dir, fileName("waterfall", band)), 10*vg.Inch, 5*vg.Inch)
}

// plotOccupancy draws the time each bin and each raster channel spends
// OccupancyDB over the background.
func plotOccupancy(dir string, res *survey.Result, band string) (plotGeom, error) {
	sp := stitch(res, band)
	if len(sp.freq) == 0 {
		return plotGeom{}, fmt.Errorf("survey: band %s: nothing heard to plot", band)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Occupancy, %s: time %.0f dB over the background", band, res.OccupancyDB)
	p.X.Label.Text = "frequency (MHz)"
	p.Y.Label.Text = "occupied (% of the time)"
	l, err := plotter.NewLine(xyOf(sp, func(c *survey.Centre, k int) float64 { return 100 * c.Occupancy[k] }, res))
	if err != nil {
		return plotGeom{}, err
	}
	l.Color = colFloor
	p.Add(l)
	p.Legend.Add("per bin", l)
	var ch plotter.XYs
	lo, hi := sp.freq[0], sp.freq[len(sp.freq)-1]
	for i := range res.Centres {
		c := &res.Centres[i]
		if c.Band != band {
			continue
		}
		for _, x := range c.Channels {
			// A channel is shown from the centre nearest to it, as the bins.
			j := sort.SearchFloat64s(sp.freq, x.Freq)
			if x.Freq < lo || x.Freq > hi || j >= len(sp.freq) || sp.ci[j] != i {
				continue
			}
			ch = append(ch, plotter.XY{X: x.Freq / 1e6, Y: 100 * x.Occupancy})
		}
	}
	if len(ch) > 0 {
		sc, err := plotter.NewScatter(ch)
		if err != nil {
			return plotGeom{}, err
		}
		sc.GlyphStyle.Color = colChan
		sc.GlyphStyle.Shape = draw.BoxGlyph{}
		p.Add(sc)
		p.Legend.Add("200 kHz channel", sc)
	}
	p.Legend.Top = true
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo/1e6, hi/1e6, 0, 105
	return savePlot(p, filepath.Join(dir, fileName("occupancy", band)), 10*vg.Inch, 3*vg.Inch)
}

// plotFalseAlarms draws a band's predicted false bursts per hour of
// listening against the threshold: counted where the survey counted ten
// starts or more, extrapolated (dashed) beyond, with the suggestion marked.
func plotFalseAlarms(dir string, res *survey.Result, sg *survey.Suggestion, band string) (plotGeom, bool, error) {
	var b *survey.Band
	for i := range res.Bands {
		if res.Bands[i].Name == band {
			b = &res.Bands[i]
		}
	}
	if b == nil || b.Curve.Hours <= 0 {
		return plotGeom{}, false, nil
	}
	var counted, extra plotter.XYs
	var last float64
	for db := 0.0; db <= 12; db += 0.05 {
		r, ex := b.Curve.Rate(db)
		if math.IsNaN(r) || r <= 0 {
			continue
		}
		if r < 0.01 {
			break
		}
		if ex {
			if len(extra) == 0 && len(counted) > 0 {
				extra = append(extra, counted[len(counted)-1])
			}
			extra = append(extra, plotter.XY{X: db, Y: r})
		} else {
			counted = append(counted, plotter.XY{X: db, Y: r})
		}
		last = db
	}
	if len(counted)+len(extra) < 2 {
		return plotGeom{}, false, nil
	}
	p := plot.New()
	p.Title.Text = "Predicted false bursts, " + band
	p.X.Label.Text = "threshold over the floor (dB): band_threshold_db"
	p.Y.Label.Text = "false bursts per hour of listening"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	for _, part := range []struct {
		xy   plotter.XYs
		name string
		dash bool
	}{{counted, "counted", false}, {extra, "extrapolated", true}} {
		if len(part.xy) < 2 {
			continue
		}
		l, err := plotter.NewLine(part.xy)
		if err != nil {
			return plotGeom{}, false, err
		}
		l.Color = colFloor
		l.Width = vg.Points(1.5)
		if part.dash {
			l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(part.name, l)
	}
	for _, x := range sg.Bands {
		if x.Band == band && !math.IsNaN(x.ThresholdDB) && x.Predicted > 0 {
			sc, err := plotter.NewScatter(plotter.XYs{{X: x.ThresholdDB, Y: x.Predicted}})
			if err != nil {
				return plotGeom{}, false, err
			}
			sc.GlyphStyle.Color = colEmit
			sc.GlyphStyle.Radius = vg.Points(4)
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			p.Add(sc)
			p.Legend.Add(fmt.Sprintf("suggested: %.1f dB for %g/h", x.ThresholdDB, sg.Target), sc)
		}
	}
	p.Legend.Top = true
	p.X.Max = math.Max(p.X.Max, last)
	g, err := savePlot(p, filepath.Join(dir, fileName("falsealarms", band)), 8*vg.Inch, 4*vg.Inch)
	return g, err == nil, err
}

// surveyClasses are the burst classes in the burst-rate chart.
var surveyClasses = []dsp.Class{dsp.ClassGSM, dsp.ClassLTE, dsp.ClassUMTS, dsp.ClassUnknown, dsp.ClassInterference, dsp.ClassOverload}

// plotBursts draws the bursts per hour of listening by band and class.
func plotBursts(dir string, res *survey.Result) (plotGeom, error) {
	p := plot.New()
	p.Title.Text = "Bursts per hour of listening, by band and class"
	p.Y.Label.Text = "bursts per hour"
	cols := []color.Color{colFloor, colMax, colChan, colBg, colEmit, color.RGBA{R: 148, G: 103, B: 189, A: 255}}
	w := vg.Points(12)
	for i, cl := range surveyClasses {
		v := make(plotter.Values, len(res.Bands))
		for j, b := range res.Bands {
			v[j] = b.PerHour[cl]
		}
		bc, err := plotter.NewBarChart(v, w)
		if err != nil {
			return plotGeom{}, err
		}
		bc.Color = cols[i]
		bc.LineStyle.Width = 0
		bc.Offset = w * vg.Length(float64(i)-float64(len(surveyClasses)-1)/2)
		p.Add(bc)
		p.Legend.Add(cl.String(), bc)
	}
	p.NominalX(bandNames(res)...)
	p.Legend.Top = true
	p.Y.Min = 0
	p.Y.Max = math.Max(p.Y.Max*1.3, 1)
	return savePlot(p, filepath.Join(dir, "bursts.png"), 8*vg.Inch, 4*vg.Inch)
}

// surveyPlots are a report's images.
type surveyPlots struct {
	Band                                        string
	Spectrum, Waterfall, Occupancy, FalseAlarms plotGeom
	HasFalseAlarms                              bool
}

// writeSurvey writes report.html, its PNGs and suggested.yaml into dir.
func writeSurvey(dir string, cfg *configs.Config, res *survey.Result, sg *survey.Suggestion, st *surveyStats) error {
	_, err := writeSurveyFiles(dir, cfg, res, sg, st)
	return err
}

func writeSurveyFiles(dir string, cfg *configs.Config, res *survey.Result, sg *survey.Suggestion, st *surveyStats) ([]surveyPlots, error) {
	var plots []surveyPlots
	minutes := st.planned / 60
	for _, b := range bandNames(res) {
		sp := surveyPlots{Band: b}
		var err error
		if sp.Spectrum, err = plotSpectrum(dir, res, b); err != nil {
			return nil, err
		}
		if sp.Waterfall, err = plotWaterfall(dir, res, b, minutes); err != nil {
			return nil, err
		}
		if sp.Occupancy, err = plotOccupancy(dir, res, b); err != nil {
			return nil, err
		}
		if sp.FalseAlarms, sp.HasFalseAlarms, err = plotFalseAlarms(dir, res, sg, b); err != nil {
			return nil, err
		}
		plots = append(plots, sp)
	}
	var bg plotGeom
	if len(res.Bands) > 0 {
		var err error
		if bg, err = plotBursts(dir, res); err != nil {
			return nil, err
		}
	}
	yml := suggestedYAML(cfg, res, sg, st)
	if err := os.WriteFile(filepath.Join(dir, "suggested.yaml"), yml, 0o644); err != nil {
		return nil, fmt.Errorf("survey: %w", err)
	}
	var html bytes.Buffer
	if err := reportTmpl.Execute(&html, reportData(cfg, res, sg, st, plots, bg, string(yml))); err != nil {
		return nil, fmt.Errorf("survey: report: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.html"), html.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("survey: %w", err)
	}
	return plots, nil
}

// clampDB keeps a suggested threshold within what configs accepts.
func clampDB(db float64) float64 { return math.Min(math.Max(db, 1), 40) }

// suggestedYAML is the detection section to put in place of the config's:
// the config's own settings with the survey's thresholds, spurs and
// exclusions merged in, each explained in a comment.
func suggestedYAML(cfg *configs.Config, res *survey.Result, sg *survey.Suggestion, st *surveyStats) []byte {
	d := cfg.Detection
	var b bytes.Buffer
	pf := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	pf("# Suggested by `cellsentry survey` on %s from %s\n", st.started.UTC().Format(time.RFC3339), cfg.File())
	pf("# (source %s, %.1f min of signal, %d hop centres).\n", st.source, st.stream/60, len(res.Centres))
	if st.early {
		pf("# The survey ended early (%s): the figures rest on less than was planned.\n", st.why)
	}
	pf("# Target: %g false bursts per hour of listening in each band (per hour the\n", sg.Target)
	pf("# sensor listens to that band: the detector's false_per_hour unit).\n")
	pf("# Use: replace the detection: section of your config with this one, then run\n")
	pf("#   cellsentry check-config FILE\n")
	pf("detection:\n")
	pf("  false_per_hour: %s\n", fmtFloat(d.FalsePerHour))
	pf("  threshold_db: %s\n", d.ThresholdDB)
	bt := map[string]string{}
	why := map[string]string{}
	var notes []string // bands without a threshold to suggest
	for k, v := range d.BandThresholdDB {
		bt[k] = v.String()
		why[k] = "kept from the config (not surveyed)"
	}
	for _, x := range sg.Bands {
		if _, ok := cfg.Band(x.Band); !ok || x.Band == "" {
			continue
		}
		if math.IsNaN(x.ThresholdDB) {
			if _, ok := bt[x.Band]; ok {
				why[x.Band] = "kept from the config: " + x.Why
			} else {
				notes = append(notes, fmt.Sprintf("%s: no threshold suggested, %s", x.Band, x.Why))
			}
			continue
		}
		v := clampDB(x.ThresholdDB)
		bt[x.Band] = configs.Decibel(v).String()
		why[x.Band] = x.Why
		if v != x.ThresholdDB {
			why[x.Band] += fmt.Sprintf("; %.1f dB clamped to the allowed 1dB–40dB", x.ThresholdDB)
		}
	}
	for _, n := range notes {
		pf("  # %s\n", n)
	}
	if len(bt) == 0 {
		pf("  band_threshold_db: {}\n")
	} else {
		pf("  band_threshold_db:\n")
		keys := make([]string, 0, len(bt))
		for k := range bt {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			pf("    # %s\n", why[k])
			pf("    %s: %s\n", k, bt[k])
		}
	}
	pf("  fft_size: %d\n", d.FFTSize)
	pf("  hop: %d\n", d.Hop)
	pf("  window: %s\n", d.Window)
	binHz := cfg.Radio.SampleRate.Hz() / float64(max(d.FFTSize, 1))
	var spurs []survey.SpurSuggestion
	for _, s := range d.SpursHz {
		spurs = append(spurs, survey.SpurSuggestion{OffsetHz: s.Hz(), Why: "kept from the config"})
	}
	for _, s := range sg.SpursHz {
		dup := false
		for i, o := range spurs {
			if math.Abs(o.OffsetHz-s.OffsetHz) <= 1.5*binHz {
				spurs[i].Why = "kept from the config; the survey found it too: " + s.Why
				dup = true
			}
		}
		if !dup && math.Abs(s.OffsetHz) < cfg.Radio.SampleRate.Hz()/2 {
			spurs = append(spurs, s)
		}
	}
	if len(spurs) == 0 {
		pf("  spurs_hz: []\n")
	} else {
		pf("  spurs_hz:\n")
		for _, s := range spurs {
			pf("    # %s\n", s.Why)
			pf("    - %s\n", configs.Frequency(s.OffsetHz))
		}
	}
	pf("  rhythm: %t\n", d.Rhythm)
	var ex []survey.Exclusion
	for _, x := range d.Exclusions {
		ex = append(ex, survey.Exclusion{Name: x.Name, Low: x.Low.Hz(), High: x.High.Hz(), Why: "kept from the config"})
	}
	for _, x := range sg.Exclusions {
		dup := false
		for i, o := range ex {
			if x.Low <= o.High && x.High >= o.Low && strings.HasPrefix(ex[i].Why, "kept") {
				ex[i].Why = "kept from the config; the survey found in it: " + x.Why
				dup = true
			}
		}
		if !dup && x.Low >= 1e6 && x.High <= 6e9 {
			ex = append(ex, x)
		}
	}
	if len(ex) == 0 {
		pf("  exclusions: []\n")
	} else {
		pf("  exclusions:\n")
		for _, x := range ex {
			pf("    # %s\n", x.Why)
			pf("    - name: %q\n", x.Name)
			pf("      low: %s\n", configs.Frequency(x.Low))
			pf("      high: %s\n", configs.Frequency(x.High))
		}
	}
	return b.Bytes()
}

func fmtFloat(v float64) string { return fmt.Sprint(v) }

// report is what the HTML template shows.
type report struct {
	Title, Config, Source, Started, Wall string
	Minutes, Planned                     float64
	Early                                string
	Target                               float64
	Bands                                []reportBand
	Emitters                             []survey.Emitter
	Plots                                []surveyPlots
	Bursts                               plotGeom
	YAML                                 string
	OccupancyDB, EmitterDB               float64
}

type reportBand struct {
	Name                     string
	Centres                  int
	Minutes, Floor           float64
	Threshold, Predicted     string
	Why                      string
	Phones, Others           float64
	Clipped                  float64 // % of frames, worst centre
	BusiestChannel           string
	BusiestChannelOccupation float64
}

func reportData(cfg *configs.Config, res *survey.Result, sg *survey.Suggestion, st *surveyStats, plots []surveyPlots, bg plotGeom, yml string) report {
	r := report{
		Title: "Site survey", Config: cfg.File(), Source: st.source, Started: st.started.UTC().Format(time.RFC3339),
		Wall: st.wall.Round(time.Second).String(), Minutes: st.stream / 60, Planned: st.planned / 60,
		Target: sg.Target, Emitters: res.Emitters, Plots: plots, Bursts: bg, YAML: yml,
		OccupancyDB: res.OccupancyDB, EmitterDB: res.EmitterDB,
	}
	if st.early {
		r.Early = st.why
	}
	for i, b := range res.Bands {
		rb := reportBand{Name: b.Name, Centres: b.Centres, Minutes: b.Seconds / 60, Floor: b.FloorDBFS, Threshold: "—", Predicted: "—"}
		if i < len(sg.Bands) {
			x := sg.Bands[i]
			rb.Why = x.Why
			if !math.IsNaN(x.ThresholdDB) {
				rb.Threshold = fmt.Sprintf("%.1f dB", clampDB(x.ThresholdDB))
				rb.Predicted = fmt.Sprintf("%.3g /h", x.Predicted)
			}
		}
		for cl, v := range b.PerHour {
			if cl.IsPhone() {
				rb.Phones += v
			} else {
				rb.Others += v
			}
		}
		for j := range res.Centres {
			c := &res.Centres[j]
			if c.Band != b.Name {
				continue
			}
			rb.Clipped = math.Max(rb.Clipped, 100*c.ClippedShare)
			for _, ch := range c.Channels {
				if ch.Occupancy > rb.BusiestChannelOccupation {
					rb.BusiestChannelOccupation = ch.Occupancy
					rb.BusiestChannel = fmt.Sprintf("%.1f MHz", ch.Freq/1e6)
				}
			}
		}
		rb.BusiestChannelOccupation *= 100
		r.Bands = append(r.Bands, rb)
	}
	return r
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"mhz": func(f float64) string { return fmt.Sprintf("%.4f", f/1e6) },
	"khz": func(f float64) string { return fmt.Sprintf("%.1f", f/1e3) },
	"f1":  func(f float64) string { return fmt.Sprintf("%.1f", f) },
	"pct": func(f float64) string { return fmt.Sprintf("%.0f", 100*f) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cellsentry site survey</title>
<style>
body{font-family:sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.3em .6em;text-align:right}
th{background:#eee}td.l,th.l{text-align:left}img{max-width:100%;border:1px solid #ddd;margin:.5em 0}
pre{background:#f6f6f6;padding:1em;overflow:auto}.warn{color:#a00;font-weight:bold}
</style></head><body>
<h1>cellsentry site survey</h1>
<p>Config <code>{{.Config}}</code>, source <code>{{.Source}}</code>, started {{.Started}};
{{f1 .Minutes}} of {{f1 .Planned}} minutes of signal heard in {{.Wall}}.</p>
{{if .Early}}<p class="warn">The survey ended early ({{.Early}}): everything below rests on what was heard until then.</p>{{end}}
<h2>Bands</h2>
<p>Thresholds are suggested for {{.Target}} false bursts per hour of listening to each band.
Clipped frames are frames in which the 8-bit ADC saturated: more than a fraction of a percent without a phone beside the sensor means the gain is too high for the site.</p>
<table><tr><th class="l">band</th><th>centres</th><th>heard (min)</th><th>floor (dBFS)</th><th>suggested threshold</th><th>predicted false bursts</th><th>phone bursts /h</th><th>other bursts /h</th><th>clipped frames (%, worst centre)</th><th>busiest 200 kHz channel</th><th class="l">why</th></tr>
{{range .Bands}}<tr><td class="l">{{.Name}}</td><td>{{.Centres}}</td><td>{{f1 .Minutes}}</td><td>{{f1 .Floor}}</td><td>{{.Threshold}}</td><td>{{.Predicted}}</td><td>{{f1 .Phones}}</td><td>{{f1 .Others}}</td><td>{{f1 .Clipped}}</td><td>{{.BusiestChannel}} ({{f1 .BusiestChannelOccupation}} %)</td><td class="l">{{.Why}}</td></tr>
{{end}}</table>
<h2>Persistent emitters</h2>
<p>Bins whose median power stands {{.EmitterDB}} dB or more over the background (present at least half of the time).
A <b>spur</b> sits at the same offset from every tuned centre (the dongle's own; masked with spurs_hz);
a <b>fixed</b> emitter at one frequency (the site's radios, a tower's carrier; excluded from alerts);
an <b>image</b> is the dongle's IQ mirror of a stronger emitter (nothing to do).</p>
<table><tr><th class="l">kind</th><th>frequency (MHz)</th><th>offset (kHz)</th><th>bandwidth (kHz)</th><th>level (dBFS)</th><th>over floor (dB)</th><th>present (%)</th><th>centres</th><th class="l">band</th></tr>
{{range .Emitters}}<tr><td class="l">{{.Kind}}</td><td>{{mhz .Freq}}</td><td>{{khz .Offset}}</td><td>{{khz .Bandwidth}}</td><td>{{f1 .LevelDBFS}}</td><td>{{f1 .PeakDB}}</td><td>{{pct .Duty}}</td><td>{{.Centres}}</td><td class="l">{{.Band}}</td></tr>
{{else}}<tr><td class="l" colspan="9">none found</td></tr>{{end}}</table>
<h2>Bursts</h2>
<p>What the detection pipeline found during the survey, at the config's thresholds.</p>
{{if .Bursts.File}}<img src="{{.Bursts.File}}" alt="bursts per hour by band and class">{{else}}<p>Nothing was heard.</p>{{end}}
{{range .Plots}}<h2>Band {{.Band}}</h2>
<p>Spectrum: the floor (median power of each bin), the max hold and the background the emitters are measured against; red marks are emitters.</p>
<img src="{{.Spectrum.File}}" alt="spectrum of {{.Band}}">
<p>Waterfall: the strongest power of each bin in each time slice (bursts show as dots, emitters as vertical lines).</p>
<img src="{{.Waterfall.File}}" alt="waterfall of {{.Band}}">
<p>Occupancy: the time each bin (line) and each 200 kHz channel (squares) spends {{$.OccupancyDB}} dB over the background.</p>
<img src="{{.Occupancy.File}}" alt="occupancy of {{.Band}}">
{{if .HasFalseAlarms}}<p>False bursts per hour of listening the detector would make at each threshold (the detector's statistic on emitter-free cells, bursts the pipeline reported left out): counted where ten or more were, extrapolated beyond; the red dot is the suggestion.</p>
<img src="{{.FalseAlarms.File}}" alt="predicted false bursts of {{.Band}}">{{end}}
{{end}}
<h2>Suggested configuration</h2>
<p>Also written to <a href="suggested.yaml">suggested.yaml</a>.</p>
<pre>{{.YAML}}</pre>
</body></html>
`))
