package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

func init() {
	register("synth", "render a synthetic RF scene to SigMF recordings with ground truth", runSynth)
}

// synthBlock is the number of samples rendered and written per step.
const synthBlock = 1 << 16

// runSynth renders a scene to PREFIX.sigmf-meta/-data (one sensor) or
// PREFIX.<sensor>.sigmf-* (--sensor all) and PREFIX.truth.json.
func runSynth(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "synth", "--scene NAME|FILE.yaml --out PREFIX [--seconds S] [--seed N] [--sensor ID|all] [--datatype cu8|ci8|ci16_le|cf32_le] [--center FREQ] | --list")
	scene := fs.String("scene", "", "built-in scene name or scene `file` (.yaml)")
	out := fs.String("out", "", "output `prefix`: PREFIX.sigmf-meta, PREFIX.sigmf-data, PREFIX.truth.json")
	seconds := fs.Float64("seconds", 0, "`seconds` to render (0: the scene's duration)")
	seed := fs.Uint64("seed", 0, "random seed overriding the scene's")
	sensor := fs.String("sensor", "", "sensor `ID` to render, or all (default: the scene's first sensor)")
	datatype := fs.String("datatype", "cu8", "sample `format` of the data file: cu8, ci8, ci16_le or cf32_le")
	center := fs.String("center", "", "tune the rendered sensors to `FREQ` (e.g. 902.4MHz) instead of the scene's centers")
	list := fs.Bool("list", false, "list the built-in scenes and exit")
	progress := fs.String("progress", "auto", "progress on stderr: auto (when a terminal), always, never")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: synth: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *list {
		for _, b := range sim.Builtins() {
			fmt.Fprintf(e.stdout, "%-14s %s\n", b.Name, b.Description)
		}
		return nil
	}
	if *scene == "" || *out == "" {
		fs.Usage()
		return fmt.Errorf("%w: synth: --scene and --out are required", errUsage)
	}
	if *progress != "auto" && *progress != "always" && *progress != "never" {
		return fmt.Errorf("%w: synth: --progress %q: want auto, always or never", errUsage, *progress)
	}
	format, err := sdr.ParseFormat(*datatype)
	if err != nil {
		return fmt.Errorf("%w: synth: --datatype: %v", errUsage, err)
	}
	sc, err := loadScene(*scene)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["seed"] {
		sc.Seed = *seed
	}
	if !(*seconds >= 0) || math.IsInf(*seconds, 0) || *seconds > 1e7 {
		return fmt.Errorf("%w: synth: --seconds %v: want a duration in seconds", errUsage, *seconds)
	}
	if *seconds > 0 {
		sc.Duration = time.Duration(*seconds * float64(time.Second))
	}
	if sc.Duration <= 0 {
		return fmt.Errorf("%w: synth: scene %q is open-ended: give --seconds", errUsage, sc.Name)
	}
	ids, err := pickSensors(sc, *sensor)
	if err != nil {
		return err
	}
	if *center != "" {
		f, err := sim.ParseFrequency(*center)
		if err != nil {
			return fmt.Errorf("%w: synth: --center: %v", errUsage, err)
		}
		for i := range sc.Sensors {
			sc.Sensors[i].Center = f
		}
	}
	return synthesize(ctx, e, sc, ids, strings.TrimSuffix(*out, ".sigmf-meta"), format, *progress)
}

// loadScene reads a scene file when arg names one (a .yaml/.yml path or an
// existing file), else the built-in scene of that name.
func loadScene(arg string) (*sim.Scene, error) {
	ext := strings.ToLower(filepath.Ext(arg))
	if ext == ".yaml" || ext == ".yml" || strings.ContainsRune(arg, os.PathSeparator) {
		sc, err := sim.Load(arg)
		if err != nil {
			return nil, fmt.Errorf("synth: %w", err)
		}
		return sc, nil
	}
	if st, err := os.Stat(arg); err == nil && st.Mode().IsRegular() {
		sc, err := sim.Load(arg)
		if err != nil {
			return nil, fmt.Errorf("synth: %w", err)
		}
		return sc, nil
	}
	sc, err := sim.Builtin(arg)
	if err != nil {
		return nil, fmt.Errorf("%w: synth: %v (cellsentry synth --list names them)", errUsage, err)
	}
	return sc, nil
}

// pickSensors resolves --sensor: "" is the first sensor, "all" every one.
func pickSensors(sc *sim.Scene, arg string) ([]string, error) {
	if len(sc.Sensors) == 0 {
		return nil, fmt.Errorf("synth: scene %q has no sensor", sc.Name)
	}
	switch arg {
	case "":
		return []string{sc.Sensors[0].ID}, nil
	case "all":
		ids := make([]string, len(sc.Sensors))
		for i, s := range sc.Sensors {
			ids[i] = s.ID
		}
		return ids, nil
	}
	var have []string
	for _, s := range sc.Sensors {
		if s.ID == arg {
			return []string{arg}, nil
		}
		have = append(have, s.ID)
	}
	return nil, fmt.Errorf("%w: synth: scene %q has no sensor %q (have %s, or all)", errUsage, sc.Name, arg, strings.Join(have, ", "))
}

// synthesize renders the sensors in lockstep, block by block, into one
// SigMF recording each and one truth file.
func synthesize(ctx context.Context, e *env, sc *sim.Scene, ids []string, prefix string, format sdr.Format, progressMode string) (err error) {
	type track struct {
		src *sim.Source
		w   *sigmf.Writer
		b   *sdr.Block
		end bool
	}
	tw, err := sim.CreateTruth(prefix, sc, ids...)
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	tracks := make([]*track, 0, len(ids))
	defer func() {
		for _, t := range tracks {
			t.src.Close()
			if cerr := t.w.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("synth: %w", cerr)
			}
		}
		if cerr := tw.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("synth: %w", cerr)
		}
	}()
	for _, id := range ids {
		src, err := sc.Open(id)
		if err != nil {
			return fmt.Errorf("synth: %w", err)
		}
		src.OnEmission = tw.Add
		p := prefix
		if len(ids) > 1 {
			p = prefix + "." + id
		}
		m := sigmf.Meta{
			Datatype:    format,
			SampleRate:  src.Rate(),
			Description: fmt.Sprintf("cellsentry synthetic scene %q, sensor %s: %s", sc.Name, id, sc.Description),
			Author:      "cellsentry synth",
			Hardware:    "simulated RTL-SDR (RTL2832U + R820T model)",
			Recorder:    "cellsentry synth",
			Gain:        src.Gain(),
			Extra: map[string]any{
				"cellsentry:scene":  sc.Name,
				"cellsentry:seed":   sc.Seed,
				"cellsentry:sensor": id,
				"cellsentry:truth":  filepath.Base(sim.TruthPath(prefix)),
			},
		}
		w, err := sigmf.Create(p, m)
		if err != nil {
			src.Close()
			return fmt.Errorf("synth: %w", err)
		}
		tracks = append(tracks, &track{src: src, w: w, b: &sdr.Block{Samples: make([]complex64, synthBlock)}})
	}

	rate := tracks[0].src.Rate()
	total := int64(math.Round(sc.Duration.Seconds() * rate))
	prog := newProgress(e.stderr, progressMode, total, rate)
	var done int64
	for left := len(tracks); left > 0; {
		if err := ctx.Err(); err != nil {
			prog.done()
			return fmt.Errorf("synth: interrupted after %.1f s of %.1f s: %w", float64(done)/rate, sc.Duration.Seconds(), context.Cause(ctx))
		}
		for _, t := range tracks {
			if t.end {
				continue
			}
			err := t.src.ReadBlock(t.b)
			if errors.Is(err, io.EOF) {
				t.end = true
				left--
				continue
			}
			if err != nil {
				return fmt.Errorf("synth: %s: %w", t.src.Sensor(), err)
			}
			if err := t.w.WriteBlock(t.b); err != nil {
				return fmt.Errorf("synth: %w", err)
			}
		}
		done = min(done+synthBlock, total)
		prog.update(done)
	}
	prog.done()
	for _, t := range tracks {
		m := t.w.Meta()
		fmt.Fprintf(e.stdout, "%s: sensor %s, %.1f s at %.4g MS/s, %s, %d samples\n", m.Path, t.src.Sensor(), sc.Duration.Seconds(), rate/1e6, format, total)
	}
	fmt.Fprintf(e.stdout, "%s: ground truth of scene %q, seed %d\n", sim.TruthPath(prefix), sc.Name, sc.Seed)
	return nil
}
