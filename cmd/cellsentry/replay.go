package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/track"
	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/pipeline"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

func init() {
	register("replay", "run the detection pipeline over a recording; JSON lines on stdout", runReplay)
}

// replayBlock is the number of samples read per block: 27 ms at 2.4 MS/s,
// small enough to keep memory flat, large enough to amortise the calls.
const replayBlock = 1 << 16

func runReplay(ctx context.Context, e *env, args []string) error {
	// The live heap of a replay is a few MiB whatever the file's size; a
	// soft memory limit makes the collector run before the default GOGC
	// doubling lets the resident set drift up on a long file (the
	// contract: under 40 MB resident). GOMEMLIMIT in the environment wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(16 << 20)
	}
	fs := newFlagSet(e, "replay", "[flags] RECORDING")
	configPath := fs.String("config", "", "sensor config `file` (detection thresholds, calibration)")
	stats := fs.Bool("stats", false, "print a summary on stderr: samples, speed, bursts by class")
	rate := fs.String("rate", "", "sample rate of a raw file whose name does not tell (e.g. 2.4M)")
	freq := fs.String("freq", "", "centre frequency of a raw file (e.g. 902.4M)")
	format := fs.String("format", "", "sample format of a raw file: cu8, cs8, cs16, cf32")
	fph := fs.Float64("false-per-hour", 0, "false bursts per hour the thresholds are set for (default 0.5)")
	thr := fs.Float64("threshold-db", 0, "override every detection threshold with this many dB over the floor")
	cal := fs.Float64("cal-offset-db", math.NaN(), "dBm = dBFS + this offset (default from the config or the recording's gain)")
	progress := fs.String("progress", "auto", "progress on stderr: auto (on a terminal), always, never")
	scene := fs.String("scene", "", "replay a synthetic scene (built-in `NAME` or FILE.yaml) instead of a recording")
	seconds := fs.Float64("seconds", 0, "with --scene: seconds to render (default: the scene's duration, or 60)")
	sensor := fs.String("sensor", "", "with --scene: the sensor to hear it from (default: the first); with a recording: the sensor named in alert ids (default: replay)")
	mode := fs.String("mode", alerting.ModeActual, "mode of the alerts: actual, test or exercise")
	noAlerts := fs.Bool("no-alerts", false, "print bursts only, without the alert tracker's lines")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch *mode {
	case alerting.ModeActual, alerting.ModeTest, alerting.ModeExercise:
	default:
		return fmt.Errorf("%w: --mode %q: must be %s, %s or %s", errUsage, *mode, alerting.ModeActual, alerting.ModeTest, alerting.ModeExercise)
	}
	var r replaySource
	switch {
	case *scene != "" && fs.NArg() == 0:
		sr, err := openSceneSource(*scene, *sensor, *seconds)
		if err != nil {
			return err
		}
		r = sr
	case *scene == "" && fs.NArg() == 1:
		rec, err := openRecording(fs.Arg(0), *rate, *freq, *format)
		if err != nil {
			return err
		}
		r = rec
	default:
		fs.Usage()
		return fmt.Errorf("%w: replay needs exactly one recording, or --scene", errUsage)
	}
	defer r.Close()

	// dBm needs a calibration: from the flag, the config, or (for a
	// synthetic scene) the simulated dongle; without one, power_dbm is null.
	pcfg := pipeline.Config{FalsePerHour: *fph, ThresholdDB: *thr, CalOffsetDB: math.NaN()}
	if ss, ok := r.(*sceneSource); ok {
		pcfg.CalOffsetDB = ss.calDB
	}
	if *configPath != "" {
		c, err := loadDetectionConfig(*configPath)
		if err != nil {
			return err
		}
		c.apply(&pcfg, r.Meta())
		if *fph != 0 {
			pcfg.FalsePerHour = *fph
		}
		if *thr != 0 {
			pcfg.ThresholdDB = *thr
		}
	}
	if !math.IsNaN(*cal) {
		pcfg.CalOffsetDB = *cal
	}
	p, err := pipeline.New(pcfg)
	if err != nil {
		return err
	}
	var tr *track.Tracker
	if !*noAlerts {
		tr, err = track.New(track.Config{Mode: *mode}, replayOrigin(r, *sensor))
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
	}
	out := bufio.NewWriterSize(e.stdout, 64<<10)
	defer out.Flush()
	prog := newProgress(e.stderr, *progress, r.Len(), r.Meta().SampleRate)

	buf := make([]complex64, replayBlock)
	blk := sdr.Block{Samples: buf}
	var bursts []dsp.Burst
	var events []alerting.Alert
	var line []byte
	start := time.Now()
	rateHz := r.Meta().SampleRate
	var samples int64
	// t0 is the time of the recording's first sample: alert lines give
	// their times as offsets from it, like the bursts' offset_s.
	var t0, end time.Time
	emit := func(b []byte) error {
		if _, err := out.Write(b); err != nil {
			return fmt.Errorf("replay: writing output: %w", err)
		}
		return nil
	}
	// write prints the bursts, feeds them to the tracker, and prints the
	// alert events due by now: an alert line follows the burst lines that
	// caused it.
	write := func(bs []dsp.Burst, now time.Time, last bool) error {
		for i := range bs {
			line = appendBurstJSON(line[:0], &bs[i], rateHz)
			if err := emit(line); err != nil {
				return err
			}
		}
		if tr == nil {
			return nil
		}
		events = events[:0]
		for i := range bs {
			events = tr.Add(events, &bs[i])
		}
		if last {
			events = tr.Flush(events, now)
		} else {
			events = tr.Advance(events, now)
		}
		for i := range events {
			line = appendAlertJSON(line[:0], &events[i], t0)
			if err := emit(line); err != nil {
				return err
			}
		}
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		blk.Samples = buf[:cap(buf)]
		err := r.ReadBlock(&blk)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		if samples == 0 {
			t0 = blk.Time.Add(-sampleSpan(blk.Dropped, rateHz))
		}
		samples += int64(len(blk.Samples)) + blk.Dropped
		end = blk.Time.Add(sampleSpan(int64(len(blk.Samples)), rateHz))
		bursts, err = p.Process(bursts[:0], &blk)
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		if err := write(bursts, end, false); err != nil {
			return err
		}
		prog.update(samples)
	}
	bursts = p.Flush(bursts[:0])
	if err := write(bursts, end, true); err != nil {
		return err
	}
	prog.done()
	if terr := r.Truncated(); terr != nil {
		e.log.Warn("recording is truncated; its whole samples were replayed", "err", terr)
	}
	if *stats {
		el := time.Since(start).Seconds()
		st := p.Stats()
		secs := float64(samples) / rateHz
		fmt.Fprintf(e.stderr, "samples %d (%.1f s of signal) in %.2f s: %.1f× real time, %.1f Msamples/s\n",
			samples, secs, el, secs/el, float64(samples)/el/1e6)
		fmt.Fprintf(e.stderr, "bursts:")
		for c := dsp.ClassUnknown; c <= dsp.ClassOverload; c++ {
			fmt.Fprintf(e.stderr, " %s %d", c, st.Bursts[c])
		}
		fmt.Fprintln(e.stderr)
		if tr != nil {
			ts := tr.Stats()
			fmt.Fprintf(e.stderr, "alerts:")
			for _, c := range []dsp.Class{dsp.ClassGSM, dsp.ClassLTE, dsp.ClassUMTS, dsp.ClassUnknown, dsp.ClassOverload} {
				fmt.Fprintf(e.stderr, " %s %d", c, ts.Raised[c])
			}
			fmt.Fprintf(e.stderr, " (mode %s; %d updates; bursts dropped as ghosts %d, as leakage %d)\n", tr.Mode(), ts.Updated, ts.Ghosts, ts.Leaks)
		}
		for _, t := range p.Thresholds() {
			fmt.Fprintf(e.stderr, "threshold %-16s %3d bins × %3d frames: %.2f dB over the floor\n", t.Name, t.Bins, t.Frames, t.ThresholdDB)
		}
		if mib, ok := peakResident(); ok {
			fmt.Fprintf(e.stderr, "memory: %.1f MiB resident at most\n", mib)
		}
	}
	return nil
}

// peakResident is this process's peak resident set in MiB, from VmHWM in
// /proc/self/status (Linux). Unlike the ru_maxrss a parent reads after
// wait, it counts only this program's own pages: a child started by
// fork/exec inherits the parent's high-water mark in ru_maxrss.
func peakResident() (float64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) != 2 || f[1] != "kB" {
				return 0, false
			}
			kb, err := strconv.ParseFloat(f[0], 64)
			return kb / 1024, err == nil
		}
	}
	return 0, false
}

// sampleSpan is the duration of n samples at rate.
func sampleSpan(n int64, rate float64) time.Duration {
	return time.Duration(math.Round(float64(n) / rate * 1e9))
}

// replayOrigin names the sensor in alert events: the scene and its sensor,
// or "replay" for a recording (alert ids then begin "replay.replay-").
func replayOrigin(r replaySource, sensor string) alerting.Origin {
	o := alerting.Origin{Site: "replay", Sensor: "replay"}
	if ss, ok := r.(*sceneSource); ok {
		o.Site, o.Sensor = topicName(ss.scene), topicName(ss.sensor)
	} else if sensor != "" {
		o.Sensor = topicName(sensor)
	}
	return o
}

// topicName turns s into a valid site or sensor name (alerting.CheckName):
// other characters become '_', and it is cut to 64 bytes.
func topicName(s string) string {
	b := []byte(s)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	if len(b) == 0 {
		return "replay"
	}
	return string(b)
}

// replaySource is what replay reads: a recording (*sigmf.Reader) or a
// synthetic scene.
type replaySource interface {
	sdr.Source
	Meta() sigmf.Meta
	Len() int64
	Truncated() error
}

// sceneSource renders a synthetic scene as one of its sensors hears it.
type sceneSource struct {
	*sim.Source
	meta          sigmf.Meta
	n             int64
	calDB         float64 // dBm − dBFS of the simulated dongle at its gain
	scene, sensor string  // names, for the alerts' origin
}

func (s *sceneSource) Meta() sigmf.Meta { return s.meta }
func (s *sceneSource) Len() int64       { return s.n }
func (s *sceneSource) Truncated() error { return nil }

func openSceneSource(name, sensor string, seconds float64) (*sceneSource, error) {
	var sc *sim.Scene
	var err error
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		sc, err = sim.Load(name)
	} else {
		sc, err = sim.Builtin(name)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case seconds > 0:
		sc.Duration = time.Duration(seconds * float64(time.Second))
	case sc.Duration == 0:
		sc.Duration = time.Minute
	}
	if sensor == "" {
		if len(sc.Sensors) == 0 {
			return nil, fmt.Errorf("scene %s has no sensor", name)
		}
		sensor = sc.Sensors[0].ID
	}
	src, err := sc.Open(sensor)
	if err != nil {
		return nil, err
	}
	d := sc.Sensors[0].Dongle
	for i := range sc.Sensors {
		if sc.Sensors[i].ID == sensor {
			d = sc.Sensors[i].Dongle
		}
	}
	if d == nil {
		d = sim.DefaultDongle()
	}
	return &sceneSource{
		calDB:  d.FullScale - (src.Gain() - d.RefGain),
		Source: src,
		meta:   sigmf.Meta{SampleRate: src.Rate(), Gain: src.Gain(), Description: "scene " + sc.Name + ", sensor " + sensor},
		n:      int64(sc.Duration.Seconds() * src.Rate()),
		scene:  sc.Name,
		sensor: sensor,
	}, nil
}

// appendBurstJSON writes one line of the replay contract:
// {"type":"burst","offset_s":…,"duration_s":…,"freq_hz":…,"bandwidth_hz":…,
// "power_dbfs":…,"power_dbm":…,"snr_db":…,"class":…} plus extra fields.
func appendBurstJSON(b []byte, x *dsp.Burst, rate float64) []byte {
	num := func(b []byte, key string, v float64, prec int) []byte {
		b = append(b, ',', '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, v, 'f', prec, 64)
	}
	b = append(b, `{"type":"burst"`...)
	b = num(b, "offset_s", float64(x.Offset)/rate, 6)
	b = num(b, "duration_s", x.Duration.Seconds(), 6)
	b = num(b, "freq_hz", math.Round(x.Freq), 0)
	b = num(b, "bandwidth_hz", math.Round(x.Bandwidth()), 0)
	b = num(b, "power_dbfs", x.PowerDBFS, 2)
	b = num(b, "power_dbm", x.PowerDBm, 2)
	b = num(b, "snr_db", x.SNR, 2)
	b = append(b, `,"class":"`...)
	b = append(b, x.Class.String()...)
	b = append(b, '"')
	if x.Kind != "" {
		b = append(b, `,"kind":"`...)
		b = append(b, x.Kind...)
		b = append(b, '"')
	}
	b = num(b, "center_hz", math.Round(x.Center), 0)
	b = num(b, "score", x.Score, 3)
	if x.Clipped {
		b = append(b, `,"clipped":true`...)
	}
	if x.Rhythm {
		b = append(b, `,"rhythm":true,"periods":`...)
		b = strconv.AppendInt(b, int64(x.Count), 10)
	}
	b = append(b, `,"time":"`...)
	b = x.Start.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"', '}', '\n')
	return b
}

// appendAlertJSON writes one alert line of the replay contract:
// {"type":"alert","id":…,"state":…,"class":…,"freq_hz":…,"first_s":…,
// "last_s":…,"bursts":…,"power_dbm":…} then rev, mode, kind, confidence,
// freqs_hz, bandwidth_hz, recent_dbm, power_dbfs, snr_db, clipped, time_s
// (the event's offset) and time. Offsets are seconds from t0, the
// recording's first sample.
func appendAlertJSON(b []byte, a *alerting.Alert, t0 time.Time) []byte {
	str := func(b []byte, key, v string) []byte {
		b = append(b, ',', '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		return strconv.AppendQuote(b, v)
	}
	num := func(b []byte, key string, v float64, prec int) []byte {
		b = append(b, ',', '"')
		b = append(b, key...)
		b = append(b, '"', ':')
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, v, 'f', prec, 64)
	}
	off := func(t time.Time) float64 { return t.Sub(t0).Seconds() }
	b = append(b, `{"type":"alert"`...)
	b = str(b, "id", a.ID)
	b = str(b, "state", a.State)
	b = str(b, "class", a.Class)
	b = num(b, "freq_hz", math.Round(a.FreqHz), 0)
	b = num(b, "first_s", off(a.FirstSeen), 6)
	b = num(b, "last_s", off(a.LastSeen), 6)
	b = num(b, "bursts", float64(a.Bursts), 0)
	b = num(b, "power_dbm", float64(a.PowerDBm), 2)
	b = num(b, "rev", float64(a.Rev), 0)
	b = str(b, "mode", a.Mode)
	if a.Kind != "" {
		b = str(b, "kind", a.Kind)
	}
	b = num(b, "confidence", a.Confidence, 3)
	b = append(b, `,"freqs_hz":[`...)
	for i, f := range a.FreqsHz {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, math.Round(f), 'f', 0, 64)
	}
	b = append(b, ']')
	b = num(b, "bandwidth_hz", math.Round(a.BandwidthHz), 0)
	b = num(b, "recent_dbm", float64(a.RecentDBm), 2)
	b = num(b, "power_dbfs", float64(a.PowerDBFS), 2)
	b = num(b, "snr_db", float64(a.SNR), 2)
	if a.Clipped {
		b = append(b, `,"clipped":true`...)
	}
	b = num(b, "time_s", off(a.Time), 6)
	b = append(b, `,"time":"`...)
	b = a.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"', '}', '\n')
	return b
}
