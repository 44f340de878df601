package main

import (
	"context"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/eval"
	"github.com/cellsentry/cellsentry/dsp/pipeline"
)

func init() {
	register("evaluate", "measure detection quality on synthetic scenes; write the table and plot", runEvaluate)
}

func runEvaluate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "evaluate", "[flags]")
	out := fs.String("out", "", "write the Markdown report to this `file` (default stdout)")
	png := fs.String("plot", "", "write the Pd-versus-SNR plot to this PNG `file`")
	count := fs.Int("bursts", 150, "bursts per kind and SNR")
	seeds := fs.Int("calls", 30, "GSM calls rendered per SNR")
	noise := fs.Duration("noise", 5*time.Minute, "receiver noise rendered to count false bursts")
	quick := fs.Bool("quick", false, "fewer bursts, calls and noise (a minute's run)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *quick {
		*count, *seeds, *noise = 60, 10, 30*time.Second
	}
	cfg := pipeline.Config{}
	start := time.Now()
	snrs := []float64{-4, -2, 0, 1, 2, 3, 4, 6, 8, 12}
	e.log.Info("evaluating single bursts", "kinds", len(eval.BurstKinds), "snrs", len(snrs), "bursts", *count)
	curves, err := eval.BurstCurves(eval.BurstKinds, snrs, *count, cfg)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	callSNRs := []float64{-14, -12, -10, -8, -6}
	e.log.Info("evaluating GSM calls", "snrs", len(callSNRs), "calls", *seeds)
	calls, err := eval.CallCurve(callSNRs, *seeds, cfg)
	if err != nil {
		return err
	}
	e.log.Info("counting false bursts on noise", "duration", *noise)
	nb, np, err := eval.NoiseFalse(noise.Seconds(), 7, cfg)
	if err != nil {
		return err
	}
	scenes := map[string]map[dsp.Class]int{}
	for _, name := range []string{"interference", "jammer", "quiet-night"} {
		m, err := eval.SceneClasses(name, cfg)
		if err != nil {
			return err
		}
		scenes[name] = m
	}
	var w io.Writer = e.stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	writeReport(w, curves, calls, nb, np, noise.Seconds(), scenes, *count, *seeds, *png, time.Since(start))
	if *png != "" {
		if err := plotCurves(*png, curves); err != nil {
			return fmt.Errorf("evaluate: plot: %w", err)
		}
	}
	return nil
}

func writeReport(w io.Writer, curves []eval.Curve, calls []eval.CallPoint, nb, np int, noiseS float64,
	scenes map[string]map[dsp.Class]int, count, seeds int, png string, took time.Duration) {
	fmt.Fprintf(w, "# Detection quality\n\n")
	fmt.Fprintf(w, "Produced by `cellsentry evaluate --out docs/detection.md --plot docs/detection.png` "+
		"(%d bursts per kind and SNR, %d calls per SNR, %.0f s of noise; took %s). "+
		"Every scene is rendered by `sdr/sim` with the default dongle's artifacts "+
		"(8-bit quantization, DC spike, IQ image, spurs, 20 ppm) and run through the full pipeline at its "+
		"default false-alarm setting (0.5 false bursts per hour). SNR is the burst's power over the noise in "+
		"its own bandwidth.\n\n", count, seeds, noiseS, took.Round(time.Second))
	if png != "" {
		fmt.Fprintf(w, "![Pd versus SNR](%s)\n\n", filepath.Base(png))
	}
	fmt.Fprintf(w, "## Probability of detection, single bursts\n\n| SNR dB |")
	for _, c := range curves {
		fmt.Fprintf(w, " %s |", c.Kind.Name)
	}
	fmt.Fprintf(w, " ideal energy detector, GSM normal |\n|---|")
	fmt.Fprint(w, strings.Repeat("---|", len(curves)+1), "\n")
	for i := range curves[0].Points {
		fmt.Fprintf(w, "| %g |", curves[0].Points[i].SNR)
		for _, c := range curves {
			fmt.Fprintf(w, " %.2f |", c.Points[i].Pd)
		}
		fmt.Fprintf(w, " %.2f |\n", curves[0].Points[i].IdealPd)
	}
	ideal := eval.Ideal{Bandwidth: 200e3, Duration: 546.5e-6, WindowHz: 2.4e6, PerHour: 0.5}
	fmt.Fprintf(w, "\nThe ideal energy detector (it knows the burst's 200 kHz × 546.5 µs footprint and integrates exactly "+
		"that, at the same false-alarm rate: Pfa %.2g per footprint) reaches Pd 0.9 at %.2f dB.\n\n", ideal.Pfa(), ideal.SNRFor(0.9))
	fmt.Fprintf(w, "## Class accuracy (bursts found, class right)\n\n| SNR dB |")
	for _, c := range curves {
		fmt.Fprintf(w, " %s |", c.Kind.Name)
	}
	fmt.Fprintf(w, " all |\n|---|%s\n", strings.Repeat("---|", len(curves)+1))
	for i := range curves[0].Points {
		snr := curves[0].Points[i].SNR
		if snr < 6 {
			continue
		}
		fmt.Fprintf(w, "| %g |", snr)
		var det, ok int
		for _, c := range curves {
			p := c.Points[i]
			fmt.Fprintf(w, " %.2f |", p.ClassAcc)
			det += p.Detected
			ok += p.ClassOK
		}
		fmt.Fprintf(w, " %.3f |\n", float64(ok)/float64(max(det, 1)))
	}
	fmt.Fprintf(w, "\n## GSM calls (DTX on) found within 2 s\n\n| SNR dB per burst | found | Pd |\n|---|---|---|\n")
	for _, c := range calls {
		fmt.Fprintf(w, "| %g | %d/%d | %.2f |\n", c.SNR, c.Hits, c.Calls, float64(c.Hits)/float64(max(c.Calls, 1)))
	}
	fmt.Fprintf(w, "\n## False alarms\n\n%.0f s of receiver noise with the dongle's artifacts: %d detections (%.1f per hour), %d of them phones.\n\n",
		noiseS, nb, float64(nb)/noiseS*3600, np)
	fmt.Fprintf(w, "| built-in scene | detections by class |\n|---|---|\n")
	for _, name := range []string{"interference", "jammer", "quiet-night"} {
		fmt.Fprintf(w, "| %s | %s |\n", name, classCounts(scenes[name]))
	}
	fmt.Fprintf(w, "\nThe jammer scene has a real GSM phone under the jammer; its bursts before and after the jamming are the gsm count.\n")
}

func classCounts(m map[dsp.Class]int) string {
	var parts []string
	for c := dsp.ClassUnknown; c <= dsp.ClassOverload; c++ {
		if m[c] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c, m[c]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func plotCurves(path string, curves []eval.Curve) error {
	p := plot.New()
	p.Title.Text = "Probability of detection of single bursts (default false-alarm rate)"
	p.X.Label.Text = "SNR in own bandwidth, dB"
	p.Y.Label.Text = "Pd"
	p.Y.Min, p.Y.Max = 0, 1.02
	p.Add(plotter.NewGrid())
	colors := []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
		{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}}
	for i, c := range curves {
		xy := make(plotter.XYs, len(c.Points))
		for j, pt := range c.Points {
			xy[j].X, xy[j].Y = pt.SNR, pt.Pd
			if math.IsNaN(pt.Pd) {
				xy[j].Y = 0
			}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Color = colors[i%len(colors)]
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(c.Kind.Name, l)
	}
	xy := make(plotter.XYs, len(curves[0].Points))
	for j, pt := range curves[0].Points {
		xy[j].X, xy[j].Y = pt.SNR, pt.IdealPd
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return err
	}
	l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	l.Width = vg.Points(1.5)
	p.Add(l)
	p.Legend.Add("ideal energy detector (GSM normal)", l)
	p.Legend.Top = false
	p.Legend.Left = false
	p.Legend.XOffs = -vg.Points(4)
	p.Legend.YOffs = vg.Points(30)
	return p.Save(8*vg.Inch, 5*vg.Inch, path)
}
