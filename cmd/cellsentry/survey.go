package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"time"

	"github.com/cellsentry/cellsentry/configs"
	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/survey"
	"github.com/cellsentry/cellsentry/sdr"
)

func init() {
	register("survey", "learn a site's background (floor, occupancy, fixed emitters, bursts) and suggest thresholds", runSurvey)
}

// surveyFlags are the survey's command line.
type surveyFlags struct {
	config, source, out, progress string
	minutes, target               float64
}

func runSurvey(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "survey", "--config FILE --minutes M --out DIR [--source URI] [flags]")
	var f surveyFlags
	fs.StringVar(&f.config, "config", "", "sensor config `file`: its scan plan is surveyed and its detection section is the base of the suggestion")
	fs.StringVar(&f.source, "source", "", "replace the first dongle's source: rtlsdr://0, rtltcp://host:1234, sim://SCENE")
	fs.StringVar(&f.out, "out", "", "`directory` for report.html, its PNGs and suggested.yaml (created)")
	fs.Float64Var(&f.minutes, "minutes", 30, "length of the survey in minutes of signal (fractions allowed); a scene runs as fast as the CPU allows")
	fs.Float64Var(&f.target, "false-per-hour", 0, "false bursts per hour of listening the suggested thresholds aim at (default: the config's detection.false_per_hour)")
	fs.StringVar(&f.progress, "progress", "auto", "progress line on stderr: auto (on a terminal), always or never")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case f.config == "" || f.out == "" || fs.NArg() != 0:
		fs.Usage()
		return fmt.Errorf("%w: survey needs --config FILE and --out DIR and no other argument", errUsage)
	case !(f.minutes > 0) || f.minutes > 7*24*60:
		return fmt.Errorf("%w: --minutes %g: must be more than 0 and at most a week", errUsage, f.minutes)
	case f.target < 0 || math.IsNaN(f.target):
		return fmt.Errorf("%w: --false-per-hour %g: must be positive", errUsage, f.target)
	case f.progress != "auto" && f.progress != "always" && f.progress != "never":
		return fmt.Errorf("%w: --progress %q: want auto, always or never", errUsage, f.progress)
	}
	cfg, err := loadRunConfig(&runFlags{config: f.config, source: f.source, broker: "none", metrics: "none"})
	if err != nil {
		return err
	}
	if f.target == 0 {
		f.target = cfg.Detection.FalsePerHour
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return fmt.Errorf("survey: --out: %w", err)
	}
	res, st, err := surveyRun(ctx, cfg, &f, e.stderr, e.log)
	if err != nil {
		return err
	}
	sg := res.Suggest(f.target)
	if err := writeSurvey(f.out, cfg, res, &sg, st); err != nil {
		return err
	}
	e.log.Info("survey written", "report", f.out+"/report.html", "suggested", f.out+"/suggested.yaml",
		"heard_s", math.Round(res.Seconds), "emitters", len(res.Emitters), "stopped_early", st.early)
	return nil
}

// surveyStats describes the run for the report.
type surveyStats struct {
	source  string
	started time.Time
	wall    time.Duration
	stream  float64 // seconds of signal read (settling included)
	planned float64 // seconds asked for
	early   bool    // stopped before the planned length (Ctrl-C, end of a recording)
	why     string
	target  float64
}

// surveyRun reads the first dongle's scan for f.minutes of signal, feeding
// each block to its band's pipeline and to the survey.
func surveyRun(ctx context.Context, cfg *configs.Config, f *surveyFlags, stderr io.Writer, log *slog.Logger) (*survey.Result, *surveyStats, error) {
	if len(cfg.Radio.Dongles) == 0 {
		return nil, nil, fmt.Errorf("%s: radio.dongles: no dongle to survey with", cfg.File())
	}
	// The source runs on its own context: Ctrl-C ends the loop below, and
	// the source is closed after it, not under it.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	dr, err := openDongle(sctx, cfg, 0, &runFlags{fast: true}, log)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: radio.dongles[0] (%s): %w", cfg.File(), cfg.Radio.Dongles[0].Name, err)
	}
	defer dr.src.Close()
	planned := f.minutes * 60
	pc := cfg.Pipeline("", configs.Gain{})
	// Waterfall rows: at most 120, and each at least two scan cycles
	// long so that every centre has a line in every row.
	rows := 120
	if dr.plan != nil && dr.plan.Cycle > 0 {
		rows = min(rows, max(4, int(planned/(2*dr.plan.Cycle.Seconds()))))
	}
	sv, err := survey.New(survey.Config{
		Channelizer: pc.Channelizer, SpurHz: pc.SpurHz,
		Duration: time.Duration(planned * float64(time.Second)), Rows: rows,
	})
	if err != nil {
		return nil, nil, err
	}
	spec, _ := cfg.SourceSpec(0)
	st := &surveyStats{source: spec.String(), started: time.Now(), planned: planned, target: f.target}
	pr := newSurveyProgress(stderr, f.progress, planned, log)
	pr.start(dr, cfg)
	buf := make([]complex64, dr.block)
	blk := sdr.Block{Samples: buf}
	var bursts []dsp.Burst
	var n int64
	for {
		if ctx.Err() != nil {
			st.early, st.why = true, "interrupted"
			break
		}
		if st.stream >= planned {
			break
		}
		blk.Samples = buf[:cap(buf)]
		blk.Dropped = 0
		if err := dr.src.ReadBlock(&blk); err != nil {
			if errors.Is(err, io.EOF) {
				st.early, st.why = true, "the source ended"
				break
			}
			if ctx.Err() != nil {
				st.early, st.why = true, "interrupted"
				break
			}
			return nil, nil, fmt.Errorf("survey: source %s: %w", dr.name, err)
		}
		n += int64(len(blk.Samples)) + blk.Dropped
		st.stream = float64(n) / blk.Rate
		band := dr.band(blk.Center)
		// The survey first: a burst the pipeline reports cancels the
		// false-alarm starts the survey saw under it.
		sv.Process(band, &blk)
		if p := dr.pipes[band]; p != nil {
			bursts, err = p.Process(bursts[:0], &blk)
			if err != nil {
				return nil, nil, fmt.Errorf("survey: pipeline: %w", err)
			}
			for i := range bursts {
				sv.Burst(band, &bursts[i])
				if bursts[i].Class.IsPhone() {
					pr.phones++
				}
			}
		}
		pr.update(st.stream, band, blk.Center, sv)
	}
	st.wall = time.Since(st.started)
	pr.done(st)
	return sv.Result(), st, nil
}

// surveyProgress tells the technician what the survey is doing: on a
// terminal a status line rewritten twice a second (band, time left, what
// was found so far); piped, a log line at each quarter.
type surveyProgress struct {
	w       io.Writer
	term    bool
	log     *slog.Logger
	planned float64
	begun   time.Time
	last    time.Time
	found   time.Time
	summary string
	quarter int
	printed bool
	phones  int64 // phone bursts so far
}

func newSurveyProgress(w io.Writer, mode string, planned float64, log *slog.Logger) *surveyProgress {
	on := mode == "always"
	if mode == "auto" {
		if f, ok := w.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				on = true
			}
		}
	}
	return &surveyProgress{w: w, term: on && mode != "never", log: log, planned: planned}
}

func (p *surveyProgress) start(dr *dongleRun, cfg *configs.Config) {
	p.begun = time.Now()
	bands := ""
	if dr.plan != nil {
		for i, b := range dr.plan.Bands() {
			if i > 0 {
				bands += ", "
			}
			bands += b
		}
	}
	p.log.Info("survey started", "config", cfg.File(), "minutes", p.planned/60, "bands", bands, "centres", surveyCentres(dr))
}

func surveyCentres(dr *dongleRun) int {
	if dr.plan == nil {
		return 1
	}
	seen := map[float64]bool{}
	for _, s := range dr.plan.Steps {
		seen[s.Center] = true
	}
	return len(seen)
}

func (p *surveyProgress) update(stream float64, band string, center float64, sv *survey.Survey) {
	now := time.Now()
	if q := int(4 * stream / p.planned); q > p.quarter && q < 4 && !p.term {
		p.quarter = q
		p.log.Info("survey progress", "done_pct", 25*q, "band", band, "centres_heard", sv.Centres())
	}
	if !p.term || now.Sub(p.last) < 500*time.Millisecond {
		return
	}
	p.last = now
	if now.Sub(p.found) > 5*time.Second {
		// What was found so far: the result is computed afresh, so not
		// too often.
		p.found = now
		spurs, fixed := 0, 0
		for _, e := range sv.Emitters() {
			switch e.Kind {
			case survey.KindSpur:
				spurs++
			case survey.KindFixed:
				fixed++
			}
		}
		p.summary = fmt.Sprintf("%d spurs, %d fixed emitters, %d phone bursts", spurs, fixed, p.phones)
	}
	el := now.Sub(p.begun).Seconds()
	left := "?"
	if stream > 0 {
		left = time.Duration((p.planned - stream) / (stream / el) * float64(time.Second)).Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\rsurvey: %-11s %9.3f MHz  %5.1f of %.1f min (%3.0f %%)  %s left  %s   ",
		band, center/1e6, stream/60, p.planned/60, 100*math.Min(stream/p.planned, 1), left, p.summary)
	p.printed = true
}

func (p *surveyProgress) done(st *surveyStats) {
	if p.printed {
		fmt.Fprintln(p.w)
	}
	if st.early {
		p.log.Warn("survey ended early; the report covers what was heard", "why", st.why, "heard_min", math.Round(st.stream/6)/10)
	}
}
