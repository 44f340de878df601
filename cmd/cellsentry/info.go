package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
)

func init() {
	register("info", "describe a recording: metadata, captures, power summary", runInfo)
}

// Power summary parameters.
const (
	// infoClip is the component magnitude, as a fraction of full scale, at
	// or above which a sample counts as clipped: an 8-bit ADC's last code
	// is 0.992 (ci8) or 1.0 (cu8), one code below is 0.984.
	infoClip = 0.99
	// infoWindow is the averaging window of the per-row maximum: shorter
	// than a GSM burst (577 µs) so that one burst fills a window, long
	// enough to average the noise of single samples away.
	infoWindow = 200 * time.Microsecond
	// infoFloorDB stands for the power of an all-zero stretch, whose log is
	// -Inf (not representable in JSON).
	infoFloorDB = -200
	// infoMaxCaptures bounds the capture table in text output (a hopping
	// recording has thousands); --json lists all.
	infoMaxCaptures = 50
)

// infoReport is what info prints, as text or (--json) as one JSON object.
type infoReport struct {
	Meta        string        `json:"meta_file,omitempty"`
	Data        string        `json:"data_file"`
	Datatype    string        `json:"datatype"`
	SampleRate  float64       `json:"sample_rate_hz"`
	Samples     int64         `json:"samples"`
	DurationS   float64       `json:"duration_s"`
	Hardware    string        `json:"hardware,omitempty"`
	Recorder    string        `json:"recorder,omitempty"`
	Author      string        `json:"author,omitempty"`
	Description string        `json:"description,omitempty"`
	GainDB      *float64      `json:"gain_db,omitempty"`
	PPM         *float64      `json:"ppm,omitempty"`
	Warning     string        `json:"warning,omitempty"`
	Captures    []infoCapture `json:"captures"`
	Power       infoPower     `json:"power"`
}

type infoCapture struct {
	Index       int     `json:"index"`
	SampleStart int64   `json:"sample_start"`
	FrequencyHz float64 `json:"frequency_hz"`
	Datetime    string  `json:"datetime,omitempty"` // RFC 3339, UTC
	Samples     int64   `json:"samples"`
	DurationS   float64 `json:"duration_s"`
	Dropped     int64   `json:"dropped_before,omitempty"`
}

// infoPower is the streamed power summary. Power is I²+Q² with I and Q in
// full-scale units, so a complex tone of amplitude 1 is 0 dBFS.
type infoPower struct {
	MeanDBFS        float64      `json:"mean_dbfs"`
	PeakAbs         float64      `json:"peak_abs"` // max |I + jQ|
	PeakDBFS        float64      `json:"peak_dbfs"`
	ClippedFraction float64      `json:"clipped_fraction"` // samples with |I| or |Q| ≥ infoClip
	DCI             float64      `json:"dc_i"`
	DCQ             float64      `json:"dc_q"`
	WindowS         float64      `json:"window_s"`
	Rows            []infoPowRow `json:"rows"`
}

// infoPowRow is one stretch of the power-versus-time sketch.
type infoPowRow struct {
	StartS   float64 `json:"start_s"` // seconds from the first sample
	Samples  int64   `json:"samples"`
	MeanDBFS float64 `json:"mean_dbfs"`
	MaxDBFS  float64 `json:"max_dbfs"` // loudest window of WindowS
}

func runInfo(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "info", "[flags] RECORDING")
	rate := fs.String("rate", "", "sample rate of a raw file whose name does not say it (e.g. 2.4M)")
	freq := fs.String("freq", "", "center frequency of a raw file (e.g. 902.2M)")
	format := fs.String("format", "", "sample format of a raw file: cu8, cs8, cs16, cf32 (or a SigMF datatype)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of text")
	rows := fs.Int("rows", 10, "rows of the power-versus-time sketch")
	paths, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(paths) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: info: want one recording, got %d arguments", errUsage, len(paths))
	}
	if *rows < 1 || *rows > 1000 {
		return fmt.Errorf("%w: info: --rows %d must be 1..1000", errUsage, *rows)
	}
	r, err := openRecording(paths[0], *rate, *freq, *format)
	if err != nil {
		if errors.Is(err, sigmf.ErrNoRate) {
			return fmt.Errorf("%w (use --rate, and --freq, for raw files)", err)
		}
		return err
	}
	defer r.Close()
	rep := describe(r)
	if err := measurePower(ctx, r, &rep, *rows); err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printInfo(e.stdout, &rep)
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("info rec.cu8 --rate 2.4M"), which the flag package
// alone stops at.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// openRecording opens SigMF or raw files; the raw-file flags switch to
// sigmf.OpenRaw.
func openRecording(path, rate, freq, format string) (*sigmf.Reader, error) {
	if rate == "" && freq == "" && format == "" {
		return sigmf.Open(path)
	}
	var opt sigmf.RawOptions
	var err error
	if rate != "" {
		if opt.SampleRate, err = sigmf.ParseHz(rate); err != nil {
			return nil, fmt.Errorf("%w: --rate: %v", errUsage, err)
		}
	}
	if freq != "" {
		if opt.Frequency, err = sigmf.ParseHz(freq); err != nil {
			return nil, fmt.Errorf("%w: --freq: %v", errUsage, err)
		}
	}
	if format != "" {
		f, ok := sdr.FormatFromExt(format)
		if !ok {
			if f, err = sdr.ParseFormat(format); err != nil {
				return nil, fmt.Errorf("%w: --format: %v", errUsage, err)
			}
		}
		opt.Format = f
	}
	return sigmf.OpenRaw(path, opt)
}

// describe gathers the metadata part of the report.
func describe(r *sigmf.Reader) infoReport {
	m := r.Meta()
	rep := infoReport{
		Meta: r.MetaPath(), Data: m.Path, Datatype: m.Datatype.String(), SampleRate: m.SampleRate,
		Samples: r.Len(), DurationS: float64(r.Len()) / m.SampleRate,
		Hardware: m.Hardware, Recorder: m.Recorder, Author: m.Author, Description: m.Description,
	}
	if m.Gain != 0 && !math.IsNaN(m.Gain) {
		rep.GainDB = &m.Gain
	}
	if m.PPM != 0 && !math.IsNaN(m.PPM) {
		rep.PPM = &m.PPM
	}
	if err := r.Truncated(); err != nil {
		rep.Warning = err.Error()
	}
	for i, c := range m.Captures {
		ic := infoCapture{
			Index: i, SampleStart: c.SampleStart, FrequencyHz: c.Frequency,
			Samples: c.Length, DurationS: float64(c.Length) / m.SampleRate,
		}
		if !c.Datetime.IsZero() {
			ic.Datetime = c.Datetime.UTC().Format(time.RFC3339Nano)
		}
		if i > 0 {
			p := m.Captures[i-1]
			ic.Dropped = max(0, (c.GlobalIndex-p.GlobalIndex)-(c.SampleStart-p.SampleStart))
		}
		rep.Captures = append(rep.Captures, ic)
	}
	return rep
}

// powerAcc accumulates the power summary over the stream of blocks, in
// constant memory: sums for the whole file, one accumulator per sketch row,
// and the current averaging window.
type powerAcc struct {
	n, clipped     int64
	sumP, sumI     float64
	sumQ, peakP    float64
	bounds         []int64 // row i covers samples [bounds[i], bounds[i+1])
	rowSum, rowMax []float64
	row            int
	pos            int64 // samples seen
	win            int64 // window length, samples
	wSum           float64
	wN             int64
}

func newPowerAcc(total int64, rows int, win int64) *powerAcc {
	rows = int(min(int64(rows), max(total, 1)))
	p := &powerAcc{bounds: make([]int64, rows+1), rowSum: make([]float64, rows), rowMax: make([]float64, rows), win: max(win, 1)}
	for i := range p.bounds {
		p.bounds[i] = total * int64(i) / int64(rows)
	}
	for i := range p.rowMax {
		p.rowMax[i] = -1
	}
	return p
}

// add folds a block of samples in. Runs are cut at row and window
// boundaries so that the inner loop is a plain sum.
func (p *powerAcc) add(s []complex64) {
	last := len(p.rowSum) - 1
	for len(s) > 0 {
		for p.row < last && p.pos >= p.bounds[p.row+1] {
			p.closeWindow() // a partial window belongs to the row it started in
			p.row++
		}
		k := int64(len(s))
		if p.row < last {
			k = min(k, p.bounds[p.row+1]-p.pos)
		}
		k = min(k, p.win-p.wN)
		var sp, si, sq float64
		for _, x := range s[:k] {
			i, q := float64(real(x)), float64(imag(x))
			e := i*i + q*q
			sp += e
			si += i
			sq += q
			p.peakP = max(p.peakP, e)
			if math.Abs(i) >= infoClip || math.Abs(q) >= infoClip {
				p.clipped++
			}
		}
		p.n += k
		p.sumP += sp
		p.sumI += si
		p.sumQ += sq
		p.rowSum[p.row] += sp
		p.wSum += sp
		p.wN += k
		p.pos += k
		if p.wN == p.win {
			p.closeWindow()
		}
		s = s[k:]
	}
}

func (p *powerAcc) closeWindow() {
	if p.wN > 0 {
		p.rowMax[p.row] = max(p.rowMax[p.row], p.wSum/float64(p.wN))
	}
	p.wSum, p.wN = 0, 0
}

// dB converts a power ratio to dB, with infoFloorDB for silence.
func dB(p float64) float64 {
	if !(p > 0) {
		return infoFloorDB
	}
	return max(10*math.Log10(p), infoFloorDB)
}

// measurePower streams the whole recording once through a fixed block.
func measurePower(ctx context.Context, r *sigmf.Reader, rep *infoReport, rows int) error {
	win := int64(math.Round(infoWindow.Seconds() * rep.SampleRate))
	acc := newPowerAcc(r.Len(), rows, win)
	b := sdr.Block{Samples: make([]complex64, 1<<16)}
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("info: %w", context.Cause(ctx))
		}
		err := r.ReadBlock(&b)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("info: %w", err)
		}
		acc.add(b.Samples)
	}
	acc.closeWindow()
	pw := infoPower{WindowS: float64(acc.win) / rep.SampleRate, MeanDBFS: infoFloorDB, PeakDBFS: dB(acc.peakP), PeakAbs: math.Sqrt(acc.peakP)}
	if acc.n > 0 {
		n := float64(acc.n)
		pw.MeanDBFS = dB(acc.sumP / n)
		pw.ClippedFraction = float64(acc.clipped) / n
		pw.DCI, pw.DCQ = acc.sumI/n, acc.sumQ/n
	}
	for i := range acc.rowSum {
		cnt := acc.bounds[i+1] - acc.bounds[i]
		row := infoPowRow{StartS: float64(acc.bounds[i]) / rep.SampleRate, Samples: cnt, MeanDBFS: infoFloorDB, MaxDBFS: infoFloorDB}
		if cnt > 0 {
			row.MeanDBFS = dB(acc.rowSum[i] / float64(cnt))
			row.MaxDBFS = dB(acc.rowMax[i])
		}
		pw.Rows = append(pw.Rows, row)
	}
	rep.Power = pw
	return nil
}

// printInfo renders the report for a technician.
func printInfo(w io.Writer, rep *infoReport) error {
	var b strings.Builder
	line := func(k, format string, args ...any) {
		fmt.Fprintf(&b, "%-12s %s\n", k, fmt.Sprintf(format, args...))
	}
	if rep.Meta != "" {
		line("metadata", "%s", rep.Meta)
	}
	line("data", "%s", rep.Data)
	line("datatype", "%s", rep.Datatype)
	line("sample rate", "%s S/s", siRate(rep.SampleRate))
	line("samples", "%d (%s)", rep.Samples, seconds(rep.DurationS))
	for _, kv := range [][2]string{{"hardware", rep.Hardware}, {"recorder", rep.Recorder}, {"author", rep.Author}, {"description", rep.Description}} {
		if kv[1] != "" {
			line(kv[0], "%s", kv[1])
		}
	}
	if rep.GainDB != nil {
		line("gain", "%.1f dB", *rep.GainDB)
	}
	if rep.PPM != nil {
		line("ppm", "%g", *rep.PPM)
	}
	if rep.Warning != "" {
		line("WARNING", "%s", rep.Warning)
	}

	fmt.Fprintf(&b, "\ncaptures (%d)\n", len(rep.Captures))
	fmt.Fprintf(&b, "  %4s  %12s  %14s  %-30s  %s\n", "#", "sample start", "frequency", "datetime (UTC)", "duration")
	for i, c := range rep.Captures {
		if i == infoMaxCaptures {
			fmt.Fprintf(&b, "  … %d more (--json lists all)\n", len(rep.Captures)-i)
			break
		}
		dt := c.Datetime
		if dt == "" {
			dt = "-"
		}
		extra := ""
		if c.Dropped > 0 {
			extra = fmt.Sprintf("  (%d samples lost before)", c.Dropped)
		}
		fmt.Fprintf(&b, "  %4d  %12d  %10.4f MHz  %-30s  %s%s\n", c.Index, c.SampleStart, c.FrequencyHz/1e6, dt, seconds(c.DurationS), extra)
	}

	p := rep.Power
	fmt.Fprintf(&b, "\npower (whole recording; 0 dBFS = complex full scale)\n")
	fmt.Fprintf(&b, "  mean power: %.2f dBFS\n", p.MeanDBFS)
	fmt.Fprintf(&b, "  peak |sample|: %.4f (%.2f dBFS)\n", p.PeakAbs, p.PeakDBFS)
	fmt.Fprintf(&b, "  clipping: %.3f %% of samples (|I| or |Q| ≥ %.2f of full scale)\n", 100*p.ClippedFraction, infoClip)
	fmt.Fprintf(&b, "  DC offset: I %+.5f, Q %+.5f\n", p.DCI, p.DCQ)

	fmt.Fprintf(&b, "\npower vs time (dBFS: mean, and max of %s windows)\n", seconds(p.WindowS))
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range p.Rows {
		if r.Samples > 0 {
			lo, hi = min(lo, r.MeanDBFS), max(hi, r.MaxDBFS)
		}
	}
	lo -= 3 // so the quietest row still shows a stub
	const width = 40
	bar := func(v float64) int {
		if !(hi > lo) {
			return 0
		}
		return int(math.Round(float64(width) * (v - lo) / (hi - lo)))
	}
	for _, r := range p.Rows {
		m, x := bar(r.MeanDBFS), bar(r.MaxDBFS)
		at := fmt.Sprintf("%.3f s", r.StartS)
		if rep.DurationS < 1 {
			at = fmt.Sprintf("%.3f ms", r.StartS*1e3) // one unit for all rows, so they line up
		}
		fmt.Fprintf(&b, "  %11s  mean %7.2f  max %7.2f  %s%s\n", at, r.MeanDBFS, r.MaxDBFS,
			strings.Repeat("█", max(m, 0)), strings.Repeat("░", max(x-max(m, 0), 0)))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// siRate prints a rate with an SI prefix: 2.4 M, 250 k.
func siRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%g M", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%g k", v/1e3)
	}
	return fmt.Sprintf("%g", v)
}

// seconds prints a duration given in seconds at a precision that suits it.
func seconds(s float64) string {
	switch {
	case s >= 1:
		return fmt.Sprintf("%.3f s", s)
	case s >= 1e-3:
		return fmt.Sprintf("%.3f ms", s*1e3)
	}
	return fmt.Sprintf("%.1f µs", s*1e6)
}
