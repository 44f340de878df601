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
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cellsentry/cellsentry/configs"
	"github.com/cellsentry/cellsentry/dsp/fcch"
	"github.com/cellsentry/cellsentry/dsp/fft"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sim"
	"github.com/cellsentry/cellsentry/sdr/uri"
)

func init() {
	register("calibrate", "measure the dongle's ppm on GSM base stations (FCCH) or fit dBm offsets per gain (--power)", runCalibrate)
}

// errInconsistent marks a measurement that must not be written.
var errInconsistent = errors.New("calibration inconsistent")

// calibrateBlock is the number of samples read per block.
const calibrateBlock = 1 << 16

// calibrateSettle is how long is discarded after the source stops
// flagging blocks as Settling, s.
const calibrateSettle = 0.01

// r820tGains are the R820T's 29 gains, dB (librtlsdr's table).
var r820tGains = []float64{0, 0.9, 1.4, 2.7, 3.7, 7.7, 8.7, 12.5, 14.4, 15.7, 16.6, 19.7, 20.7, 22.9,
	25.4, 28.0, 29.7, 32.8, 33.8, 36.4, 37.2, 38.6, 40.2, 42.1, 43.4, 43.9, 44.5, 48.0, 49.6}

type calibrateFlags struct {
	config, source, band string
	dongle, channels     int
	seconds, scanSeconds float64
	maxPPM               float64
	write                bool
	power                bool
	refDBm               float64
	freq, gains          string
}

func runCalibrate(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "calibrate", "--config FILE [--band gsm900-dl] [--source URI] [--write]\n       cellsentry calibrate --power --reference-dbm L [--freq F] --config FILE [--write]")
	var f calibrateFlags
	fs.StringVar(&f.config, "config", "", "sensor config `FILE`: the dongle to calibrate and, with --write, where the result goes")
	fs.StringVar(&f.source, "source", "", "`URI` to measure instead of the config's dongle (rtlsdr://0, rtltcp://host:1234, sim://scene.yaml)")
	fs.IntVar(&f.dongle, "dongle", 0, "which of the config's dongles (0 is the first)")
	fs.StringVar(&f.band, "band", "gsm900-dl", "downlink `BAND` to look for base stations in: gsm900-dl (935–960 MHz), egsm900-dl (925–960 MHz), dcs1800-dl (1805–1880 MHz, beyond most R820T tuners) or LOW-HIGH (944MHz-948MHz) on their raster")
	fs.IntVar(&f.channels, "channels", 4, "how many of the strongest carriers to measure")
	fs.Float64Var(&f.seconds, "seconds", 2, "seconds of samples per carrier (21.7 FCCH bursts a second), or per gain with --power (default there 0.25)")
	fs.Float64Var(&f.scanSeconds, "scan-seconds", 0.1, "seconds per 1.6 MHz step of the band scan")
	fs.Float64Var(&f.maxPPM, "max-ppm", 80, "largest crystal error to look for, ppm (at most 100: beyond, carriers are mistaken for their neighbours)")
	fs.BoolVar(&f.write, "write", false, "write the result into the config file (calibration.ppm or calibration.offset_db), keeping everything else as it is")
	fs.BoolVar(&f.power, "power", false, "fit the per-gain dBm offset table from a reference signal of known level instead")
	fs.Float64Var(&f.refDBm, "reference-dbm", math.NaN(), "--power: the reference's level at the antenna port, dBm")
	fs.StringVar(&f.freq, "freq", "", "--power: the reference's frequency (e.g. 902.4MHz); default the strongest tone where the source is tuned")
	fs.StringVar(&f.gains, "gains", "", "--power: comma-separated tuner gains in dB (default the R820T's 29 steps)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	usage := func(format string, a ...any) error {
		fs.Usage()
		return fmt.Errorf("%w: calibrate: %s", errUsage, fmt.Sprintf(format, a...))
	}
	if f.power {
		set := false
		fs.Visit(func(fl *flag.Flag) { set = set || fl.Name == "seconds" })
		if !set {
			f.seconds = 0.25
		}
	}
	switch {
	case fs.NArg() > 0:
		return usage("unexpected argument %q", fs.Arg(0))
	case f.config == "" && f.source == "":
		return usage("--config (or --source) is required")
	case f.write && f.config == "":
		return usage("--write needs --config")
	case f.channels < 1 || f.channels > 20:
		return usage("--channels %d outside 1–20", f.channels)
	case !(f.seconds > 0 && f.seconds <= 600):
		return usage("--seconds %g outside (0, 600]", f.seconds)
	case !(f.scanSeconds > 0 && f.scanSeconds <= 10):
		return usage("--scan-seconds %g outside (0, 10]", f.scanSeconds)
	case !(f.maxPPM >= 1 && f.maxPPM <= 100):
		return usage("--max-ppm %g outside 1–100", f.maxPPM)
	case f.power && (math.IsNaN(f.refDBm) || f.refDBm < -150 || f.refDBm > 0):
		return usage("--power needs --reference-dbm from -150 to 0 (the reference's level at the antenna, dBm)")
	case !f.power && (f.freq != "" || f.gains != "" || !math.IsNaN(f.refDBm)):
		return usage("--freq, --gains and --reference-dbm go with --power")
	}
	spec, err := calibrateSpec(&f)
	if err != nil {
		return err
	}
	if f.power {
		return calibratePower(ctx, e, &f, spec)
	}
	return calibrateFrequency(ctx, e, &f, spec)
}

// calibrateSpec is the source to measure: --source, or the config's dongle.
func calibrateSpec(f *calibrateFlags) (uri.Spec, error) {
	if f.source != "" {
		s, err := uri.Parse(f.source)
		if err != nil {
			return s, fmt.Errorf("%w: --source: %v", errUsage, err)
		}
		if s.Kind == uri.File {
			return s, fmt.Errorf("%w: --source %s: a recording cannot be retuned; calibrate needs a dongle, an rtl_tcp server or a scene", errUsage, f.source)
		}
		return s, nil
	}
	cfg, err := configs.Load(f.config)
	if err != nil {
		return uri.Spec{}, err
	}
	if f.dongle < 0 || f.dongle >= len(cfg.Radio.Dongles) {
		return uri.Spec{}, fmt.Errorf("%w: --dongle %d: %s has %d dongle(s)", errUsage, f.dongle, f.config, len(cfg.Radio.Dongles))
	}
	s, err := cfg.SourceSpec(f.dongle)
	if err != nil {
		return s, err
	}
	if s.Kind == uri.File {
		return s, fmt.Errorf("%s: dongle %d is a recording (%s): calibrate needs a dongle, an rtl_tcp server or a scene (--source)", f.config, f.dongle, cfg.Radio.Dongles[f.dongle].Source)
	}
	return s, nil
}

// dlChannel is a downlink channel of a band's raster.
type dlChannel struct {
	ARFCN int
	Freq  float64 // Hz
}

// downlinkPresets are the downlink bands calibrate knows, by ARFCN range.
var downlinkPresets = []struct {
	name   string
	ranges [][2]int
}{
	{"gsm900-dl", [][2]int{{0, 124}}},
	{"egsm900-dl", [][2]int{{975, 1023}, {0, 124}}},
	{"dcs1800-dl", [][2]int{{512, 885}}},
}

// downlinkBand returns the channels of a preset, or of every preset's
// raster between LOW and HIGH.
func downlinkBand(spec string) ([]dlChannel, error) {
	chans := func(ranges [][2]int) []dlChannel {
		var out []dlChannel
		for _, r := range ranges {
			for a := r[0]; a <= r[1]; a++ {
				f, _ := sim.GSMDownlinkFreq(a)
				out = append(out, dlChannel{a, f})
			}
		}
		return out
	}
	for _, p := range downlinkPresets {
		if p.name == spec {
			return chans(p.ranges), nil
		}
	}
	lo, hi, ok := strings.Cut(spec, "-")
	if !ok {
		names := make([]string, len(downlinkPresets))
		for i, p := range downlinkPresets {
			names[i] = p.name
		}
		return nil, fmt.Errorf("--band %q: want %s or LOW-HIGH (944MHz-948MHz)", spec, strings.Join(names, ", "))
	}
	flo, err1 := configs.ParseFrequency(lo)
	fhi, err2 := configs.ParseFrequency(hi)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("--band %q: %v", spec, err)
	}
	var out []dlChannel
	seen := map[int]bool{}
	for _, p := range downlinkPresets {
		for _, c := range chans(p.ranges) {
			if c.Freq >= flo.Hz()-1 && c.Freq <= fhi.Hz()+1 && !seen[c.ARFCN] {
				seen[c.ARFCN] = true
				out = append(out, c)
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--band %q: no GSM downlink channel between %v and %v", spec, flo, fhi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Freq < out[j].Freq })
	return out, nil
}

// calReader reads settled blocks from a source.
type calReader struct {
	src uri.Source
	blk *sdr.Block
}

func newCalReader(src uri.Source) *calReader {
	return &calReader{src: src, blk: &sdr.Block{Samples: make([]complex64, calibrateBlock)}}
}

// tune retunes and reads until the samples are settled, plus
// calibrateSettle seconds.
func (r *calReader) tune(ctx context.Context, hz float64) error {
	if err := r.src.Tune(hz); err != nil {
		return fmt.Errorf("tune to %.3f MHz: %w", hz/1e6, err)
	}
	skip := -1.0
	for skip < calibrateSettle {
		if err := r.read(ctx); err != nil {
			return err
		}
		if !r.blk.Settling {
			skip = math.Max(skip, 0) + float64(len(r.blk.Samples))/r.blk.Rate
		}
	}
	return nil
}

func (r *calReader) read(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.blk.Samples = r.blk.Samples[:cap(r.blk.Samples)]
	if err := r.src.ReadBlock(r.blk); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("the source ended before the measurement did")
		}
		return err
	}
	return nil
}

// each reads seconds of settled samples and hands them to fn.
func (r *calReader) each(ctx context.Context, seconds float64, fn func(b *sdr.Block)) error {
	got := 0.0
	for got < seconds {
		if err := r.read(ctx); err != nil {
			return err
		}
		if r.blk.Settling {
			continue
		}
		fn(r.blk)
		got += float64(len(r.blk.Samples)) / r.blk.Rate
	}
	return nil
}

// calSpectrum averages Hann-windowed power spectra, frame by frame (each
// block's remainder shorter than a frame is left out).
type calSpectrum struct {
	n      int
	fft    *fft.FFT
	win    []float32
	s2     float64 // Σ w²
	buf    []complex64
	acc    []float64
	frames int
	clips  int64 // samples with |I| or |Q| at full scale
	count  int64
}

func newCalSpectrum(n int) *calSpectrum {
	f, err := fft.New(n)
	if err != nil {
		panic(err) // n is a constant power of two
	}
	s := &calSpectrum{n: n, fft: f, win: make([]float32, n), buf: make([]complex64, n), acc: make([]float64, n)}
	for i := range s.win {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n))
		s.win[i] = float32(w)
		s.s2 += w * w
	}
	return s
}

func (s *calSpectrum) reset() {
	clear(s.acc)
	s.frames, s.clips, s.count = 0, 0, 0
}

func (s *calSpectrum) add(x []complex64) {
	for _, v := range x {
		if math.Abs(float64(real(v))) >= 0.999 || math.Abs(float64(imag(v))) >= 0.999 {
			s.clips++
		}
	}
	s.count += int64(len(x))
	for len(x) >= s.n {
		for i, v := range x[:s.n] {
			s.buf[i] = v * complex(s.win[i], 0)
		}
		s.fft.Transform(s.buf, s.buf)
		for i, c := range s.buf {
			s.acc[i] += float64(real(c))*float64(real(c)) + float64(imag(c))*float64(imag(c))
		}
		s.frames++
		x = x[s.n:]
	}
}

// bin is the mean power of bin k (any integer; negative frequencies
// wrap), full-scale units: the powers of all bins add up to the mean
// |x|², and a tone's main lobe to its power.
func (s *calSpectrum) bin(k int) float64 {
	k = ((k % s.n) + s.n) % s.n
	return s.acc[k] / (float64(s.frames) * float64(s.n) * s.s2)
}

// band is the power between lo and hi Hz from the center at rate.
func (s *calSpectrum) band(lo, hi, rate float64) float64 {
	var p float64
	for k := int(math.Ceil(lo / rate * float64(s.n))); float64(k) <= hi/rate*float64(s.n); k++ {
		p += s.bin(k)
	}
	return p
}

func calDB(x float64) float64 { return 10 * math.Log10(x) }

// calChannel is a channel's power in the band scan.
type calChannel struct {
	dlChannel
	DBFS float64
}

// calScanBand measures the power of every channel of chans, ±90 kHz around
// its nominal frequency, tuning so that no channel is near the DC spike:
// the center is always half-way between two channels.
func calScanBand(ctx context.Context, r *calReader, chans []dlChannel, rate, seconds float64) ([]calChannel, int, error) {
	sp := newCalSpectrum(2048)
	per := max(1, int(0.4*rate/200e3)) // channels either side of the center
	out := make([]calChannel, 0, len(chans))
	steps := 0
	for i := 0; i < len(chans); {
		c := chans[i].Freq + (float64(per)-0.5)*200e3
		if err := r.tune(ctx, c); err != nil {
			return nil, steps, err
		}
		steps++
		sp.reset()
		if err := r.each(ctx, seconds, func(b *sdr.Block) { sp.add(b.Samples) }); err != nil {
			return nil, steps, err
		}
		center := r.blk.Center
		j := i
		for ; j < len(chans) && chans[j].Freq-center <= 0.4*rate; j++ {
			off := chans[j].Freq - center
			out = append(out, calChannel{chans[j], calDB(sp.band(off-90e3, off+90e3, rate))})
		}
		if j == i {
			j++ // cannot happen with a raster channel at the start of the step
		}
		i = j
	}
	return out, steps, nil
}

// pickCarriers returns up to n channels that stand out: local maxima of
// the scan at least minAbove dB over the floor (the scan's 20th
// percentile), strongest first.
func pickCarriers(scan []calChannel, n int, minAbove float64) ([]calChannel, float64) {
	levels := make([]float64, len(scan))
	for i, c := range scan {
		levels[i] = c.DBFS
	}
	sort.Float64s(levels)
	floor := levels[len(levels)/5]
	var out []calChannel
	for i, c := range scan {
		if c.DBFS < floor+minAbove {
			continue
		}
		if i > 0 && scan[i-1].DBFS >= c.DBFS && scan[i-1].Freq > c.Freq-250e3 ||
			i+1 < len(scan) && scan[i+1].DBFS > c.DBFS && scan[i+1].Freq < c.Freq+250e3 {
			continue
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].DBFS > out[j].DBFS })
	if len(out) > n {
		out = out[:n]
	}
	return out, floor
}

// calFreqResult is one carrier's measurement.
type calFreqResult struct {
	calChannel
	Est  fcch.Estimate
	PPM  float64
	Err  float64 // standard error, ppm
	Note string  // why it is not used, "" when it is
}

// measureCarrier tunes with the carrier 250 kHz above the center and
// measures its FCCH bursts for seconds.
func measureCarrier(ctx context.Context, r *calReader, c calChannel, rate, seconds, maxPPM float64) (calFreqResult, error) {
	res := calFreqResult{calChannel: c}
	if err := r.tune(ctx, c.Freq-250e3); err != nil {
		return res, err
	}
	center := r.blk.Center
	off := c.Freq - center
	lo, hi := fcch.SearchRange(off, center, maxPPM)
	det, err := fcch.New(fcch.Config{Rate: rate, Low: lo, High: hi})
	if err != nil {
		return res, err
	}
	var bursts []fcch.Burst
	// base is the stream index of the detector's sample 0: after a USB
	// drop the detector restarts (a window across the gap would be
	// garbage) and the bursts' indices are moved by what came before, the
	// lost samples included, so that the TDMA check still holds.
	var base, seen int64
	if err := r.each(ctx, seconds, func(b *sdr.Block) {
		if b.Dropped > 0 {
			det.Reset()
			base = seen + b.Dropped
			seen = base
		}
		n := len(bursts)
		bursts = det.Process(bursts, b.Samples)
		for i := n; i < len(bursts); i++ {
			bursts[i].Sample += base
		}
		seen += int64(len(b.Samples))
	}); err != nil {
		return res, err
	}
	bursts = det.Flush(bursts)
	est, err := fcch.Combine(bursts, rate, nil)
	res.Est = est
	if err != nil {
		res.Note = "no FCCH: not a BCCH carrier"
		return res, nil
	}
	res.PPM = fcch.PPM(est.Freq, off, center)
	res.Err = est.StdErr / center * 1e6
	minBursts := max(3, int(seconds*21.7/4))
	switch {
	case est.Used < minBursts:
		res.Note = fmt.Sprintf("only %d FCCH bursts (want %d)", est.Used, minBursts)
	case est.Aligned*2 < est.Used:
		res.Note = fmt.Sprintf("%d of %d bursts off the TDMA frame grid", est.Used-est.Aligned, est.Used)
	}
	return res, nil
}

// calConsensus combines the carriers' ppm: the median of those measured,
// the ones within 0.5 ppm of it agreeing. It fails unless a strict
// majority agrees.
func calConsensus(res []calFreqResult) (median, spread float64, agree int, err error) {
	var v []float64
	for _, r := range res {
		if r.Note == "" {
			v = append(v, r.PPM)
		}
	}
	if len(v) == 0 {
		return 0, 0, 0, fmt.Errorf("%w: no carrier gave FCCH bursts", errInconsistent)
	}
	sort.Float64s(v)
	median = v[len(v)/2]
	if len(v)%2 == 0 {
		median = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		if math.Abs(x-median) <= 0.5 {
			agree++
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	if agree*2 <= len(v) {
		return median, v[len(v)-1] - v[0], agree, fmt.Errorf("%w: the carriers disagree (%d of %d within 0.5 ppm of the median %.2f ppm): a carrier off the raster, a repeater or a wrong band; measure again with --band around one carrier you know", errInconsistent, agree, len(v), median)
	}
	// The median of the agreeing ones.
	var a []float64
	for _, x := range v {
		if math.Abs(x-median) <= 0.5 {
			a = append(a, x)
		}
	}
	m := a[len(a)/2]
	if len(a)%2 == 0 {
		m = (a[len(a)/2-1] + a[len(a)/2]) / 2
	}
	return m, hi - lo, agree, nil
}

func calibrateFrequency(ctx context.Context, e *env, f *calibrateFlags, spec uri.Spec) error {
	chans, err := downlinkBand(f.band)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if spec.PPM != 0 {
		fmt.Fprintf(e.stderr, "calibrate: measuring without the correction of %g ppm the config or URI gives: the result is the crystal's whole error\n", spec.PPM)
		spec.PPM = 0
	}
	src, err := uri.Open(ctx, spec)
	if err != nil {
		return err
	}
	defer src.Close()
	rate := src.Rate()
	r := newCalReader(src)
	w := e.stdout
	fmt.Fprintf(w, "calibrate: %s, band %s: %d channels %.1f–%.1f MHz, %.2f MS/s\n", spec, f.band, len(chans), chans[0].Freq/1e6, chans[len(chans)-1].Freq/1e6, rate/1e6)
	scan, steps, err := calScanBand(ctx, r, chans, rate, f.scanSeconds)
	if err != nil {
		return fmt.Errorf("calibrate: band scan: %w", err)
	}
	picked, floor := pickCarriers(scan, f.channels, 10)
	fmt.Fprintf(w, "scan: %d steps, floor %.1f dBFS per 180 kHz; %d carrier(s) 10 dB or more above it\n", steps, floor, len(picked))
	if len(picked) == 0 {
		return fmt.Errorf("%w: no carrier stands out in %s: wrong band, no antenna, or too little gain", errInconsistent, f.band)
	}
	var res []calFreqResult
	fmt.Fprintf(w, "%6s %10s %8s %7s %7s %10s %8s %8s %6s  %s\n", "ARFCN", "MHz", "dBFS", "SNR dB", "bursts", "ppm", "± ppm", "σ Hz", "on TDMA", "")
	for _, c := range picked {
		m, err := measureCarrier(ctx, r, c, rate, f.seconds, f.maxPPM)
		if err != nil {
			return fmt.Errorf("calibrate: ARFCN %d: %w", c.ARFCN, err)
		}
		res = append(res, m)
		note := m.Note
		if note == "" {
			note = "ok"
		}
		if m.Est.Used == 0 {
			fmt.Fprintf(w, "%6d %10.1f %8.1f %7s %7d %10s %8s %8s %6s  %s\n", c.ARFCN, c.Freq/1e6, c.DBFS, "-", 0, "-", "-", "-", "-", note)
			continue
		}
		fmt.Fprintf(w, "%6d %10.1f %8.1f %7.1f %3d/%-3d %10.3f %8.3f %8.1f %3d/%-3d %s\n", c.ARFCN, c.Freq/1e6, c.DBFS, m.Est.SNR,
			m.Est.Used, m.Est.Bursts, m.PPM, m.Err, m.Est.Std, m.Est.Aligned, m.Est.Used, note)
	}
	ppm, spread, agree, err := calConsensus(res)
	ppm += 0 // no "-0.00"
	if math.Abs(ppm) < 0.005 {
		ppm = 0
	}
	if err != nil {
		if f.write {
			fmt.Fprintf(w, "not written: %v\n", err)
		}
		return err
	}
	for _, m := range res {
		if m.Note == "" && math.Abs(m.PPM-ppm) > 0.5 {
			fmt.Fprintf(w, "ARFCN %d disagrees by %+.2f ppm and is left out: a carrier off the raster or a repeater\n", m.ARFCN, m.PPM-ppm)
		}
	}
	fmt.Fprintf(w, "consensus: %.2f ppm (median of %d carrier(s), spread %.3f ppm); rtl_sdr -p %.0f; kalibrate would print %.2f\n", ppm, agree, spread, math.Round(ppm), -ppm)
	if !f.write {
		return nil
	}
	if math.Abs(ppm) > 500 {
		return fmt.Errorf("%w: %.1f ppm is beyond what calibration.ppm holds (±500)", errInconsistent, ppm)
	}
	val := strconv.FormatFloat(math.Round(ppm*100)/100, 'f', -1, 64) + "ppm"
	if err := writeConfigEdits(f.config, configs.Edit{Path: []string{"calibration", "ppm"}, Value: val}); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote calibration.ppm: %s to %s\n", val, f.config)
	if own := ownPPM(f.config, f.dongle); own != "" {
		fmt.Fprintf(e.stderr, "calibrate: %s sets the dongle's own ppm (%s), which wins over calibration.ppm: delete it or set it to %s\n", f.config, own, val)
	}
	return nil
}

// ownPPM reports a ppm set on the dongle itself (radio.ppm or
// radio.dongles[i].ppm), which overrides calibration.ppm.
func ownPPM(path string, i int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var raw struct {
		Radio struct {
			PPM     yaml.Node `yaml:"ppm"`
			Dongles []struct {
				PPM yaml.Node `yaml:"ppm"`
			} `yaml:"dongles"`
		} `yaml:"radio"`
	}
	if yaml.Unmarshal(data, &raw) != nil {
		return ""
	}
	switch {
	case raw.Radio.PPM.Kind != 0:
		return "radio.ppm: " + raw.Radio.PPM.Value
	case i < len(raw.Radio.Dongles) && raw.Radio.Dongles[i].PPM.Kind != 0:
		return fmt.Sprintf("radio.dongles[%d].ppm: %s", i, raw.Radio.Dongles[i].PPM.Value)
	}
	return ""
}

// writeConfigEdits applies edits to the config file, checks that the result
// still loads, and replaces the file atomically with the same mode.
func writeConfigEdits(path string, edits ...configs.Edit) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	out, err := configs.EditYAML(path, data, edits...)
	if err != nil {
		return fmt.Errorf("not written: %w", err)
	}
	if _, err := configs.Parse(path, out); err != nil {
		return fmt.Errorf("not written: the edited config would not load: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(out); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
