package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/rtltcp"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
	"github.com/cellsentry/cellsentry/sdr/uri"
)

func init() {
	register("record", "record IQ from any source (dongle, rtl_tcp, scene, file) to a SigMF recording", runRecord)
}

// recordBlock is the number of samples read per block: 27 ms at 2.4 MS/s,
// short enough that a retune's settling costs little, long enough that the
// per-block overhead does not matter.
const recordBlock = 1 << 16

// recordSync is how often the metadata is rewritten during a recording, so
// that a crash or a pulled plug loses at most this much.
const recordSync = 5 * time.Second

// recorderName is core:recorder in recordings made by this command.
const recorderName = "cellsentry record"

// runRecord captures --seconds of samples from --source into a SigMF
// recording. Blocks marked Settling (after a retune) are not written; the
// samples they held are counted as lost, so the next block starts a new
// capture whose core:global_index says how many were skipped. A cancelled
// context (Ctrl-C) ends the recording early with its metadata written.
func runRecord(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "record", "--source URI [--freq HZ] --seconds S --out PREFIX [--datatype cu8]")
	source := fs.String("source", "", "`URI` to record: rtlsdr://0, rtltcp://host:1234, sim://gsm-call, file:///rec.cu8?rate=2.4M, or a path")
	freqFlag := fs.String("freq", "", "center frequency `HZ` (e.g. 902.4M); overrides the URI's freq")
	seconds := fs.Float64("seconds", 0, "seconds of samples to record (Ctrl-C stops earlier)")
	out := fs.String("out", "", "`PREFIX` of the recording: writes PREFIX.sigmf-data and PREFIX.sigmf-meta")
	datatype := fs.String("datatype", "cu8", "sample format written: cu8 (as the dongle gives them), ci8, ci16_le, cf32_le")
	prog := fs.String("progress", "auto", "progress on stderr: auto (on a terminal), always, never")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	usage := func(format string, a ...any) error {
		fs.Usage()
		return fmt.Errorf("%w: record: %s", errUsage, fmt.Sprintf(format, a...))
	}
	switch {
	case fs.NArg() > 0:
		return usage("unexpected argument %q", fs.Arg(0))
	case *source == "":
		return usage("--source is required")
	case *out == "":
		return usage("--out is required")
	case !(*seconds > 0) || math.IsInf(*seconds, 0):
		return usage("--seconds %g: want a positive duration", *seconds)
	case *prog != "auto" && *prog != "always" && *prog != "never":
		return usage("--progress %q: want auto, always or never", *prog)
	}
	format, err := sdr.ParseFormat(*datatype)
	if err != nil {
		return usage("--datatype: %v", err)
	}
	spec, err := uri.Parse(*source)
	if err != nil {
		return usage("--source: %v", err)
	}
	if *freqFlag != "" {
		f, err := sigmf.ParseHz(*freqFlag)
		if err != nil || f <= 0 {
			return usage("--freq %q: not a frequency (e.g. 902.4M)", *freqFlag)
		}
		spec.Freq = f
	}

	src, err := uri.Open(ctx, spec)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	defer src.Close()
	if c, ok := src.(*rtltcp.Client); ok {
		// A client waiting for a server that went away (it reconnects)
		// would hold Ctrl-C up; closing it ends the wait. The other kinds
		// never block for long and must not be closed under ReadBlock.
		stop := context.AfterFunc(ctx, func() { c.Close() })
		defer stop()
	}
	rate := src.Rate()
	if !(rate > 0) {
		return fmt.Errorf("record: source %s: sample rate unknown", spec)
	}
	meta := sigmf.Meta{
		Datatype:    format,
		SampleRate:  rate,
		Description: "recorded from " + spec.String(),
		Hardware:    string(spec.Kind),
		Recorder:    recorderName,
		Gain:        recordGain(spec, src),
		PPM:         spec.PPM,
	}
	w, err := sigmf.Create(*out, meta)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	log := e.log.With("cmd", "record")
	log.Info("recording", "source", spec.String(), "center_hz", src.Center(), "rate", rate, "seconds", *seconds, "out", *out)

	total := int64(math.Round(*seconds * rate))
	st, err := record(ctx, src, w, total, newProgress(e.stderr, *prog, total, rate))
	if cerr := w.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("record: %w", cerr)
	}
	log.Info("recorded", "samples", st.written, "seconds", float64(st.written)/rate,
		"captures", len(w.Meta().Captures), "settling_skipped", st.settling, "dropped", st.dropped,
		"stopped", st.why, "out", *out)
	return err
}

// recordStats is what record did.
type recordStats struct {
	written  int64  // samples written
	settling int64  // samples skipped because their block was Settling
	dropped  int64  // samples the source reported lost
	why      string // "done", "interrupted" or "source ended"
}

// record copies up to total samples from src to w, skipping Settling blocks.
func record(ctx context.Context, src uri.Source, w *sigmf.Writer, total int64, p *progress) (recordStats, error) {
	var st recordStats
	defer p.done()
	b := sdr.Block{Samples: make([]complex64, recordBlock)}
	var skipped int64 // settling samples not yet reported in a Dropped
	lastSync := time.Now()
	for st.written < total {
		if ctx.Err() != nil {
			st.why = "interrupted"
			return st, nil
		}
		b.Samples = b.Samples[:cap(b.Samples)]
		err := src.ReadBlock(&b)
		switch {
		case err != nil && ctx.Err() != nil:
			st.why = "interrupted"
			return st, nil
		case errors.Is(err, io.EOF):
			st.why = "source ended"
			return st, nil
		case err != nil:
			st.why = "error"
			return st, fmt.Errorf("record: read: %w", err)
		}
		st.dropped += b.Dropped
		if b.Settling {
			st.settling += int64(len(b.Samples))
			skipped += b.Dropped + int64(len(b.Samples))
			continue
		}
		// Samples skipped while settling are lost to the recording: the
		// Writer records them in core:global_index and starts a capture.
		b.Dropped += skipped
		skipped = 0
		if left := total - st.written; int64(len(b.Samples)) > left {
			b.Samples = b.Samples[:left]
		}
		if err := w.WriteBlock(&b); err != nil {
			st.why = "error"
			return st, fmt.Errorf("record: %w", err)
		}
		st.written += int64(len(b.Samples))
		p.update(st.written)
		if time.Since(lastSync) >= recordSync {
			if err := w.Sync(); err != nil {
				st.why = "error"
				return st, fmt.Errorf("record: %w", err)
			}
			lastSync = time.Now()
		}
	}
	st.why = "done"
	return st, nil
}

// recordGain is the tuner gain to write in the metadata, dB: the one the
// URI set, else the one the source reports (a scene's sensor, a dongle in
// manual gain), else 0, which the metadata leaves out as unknown.
func recordGain(spec uri.Spec, src uri.Source) float64 {
	if spec.GainSet {
		if spec.GainAuto {
			return 0
		}
		return spec.Gain
	}
	if g, ok := src.(interface{ Gain() float64 }); ok {
		if v := g.Gain(); !math.IsNaN(v) {
			return v
		}
	}
	return 0
}
