package configs

import (
	"fmt"
	"math"
	"math/bits"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/evidence"
	"github.com/cellsentry/cellsentry/alerting/track"
	"github.com/cellsentry/cellsentry/dsp/channelize"
	"github.com/cellsentry/cellsentry/sdr/hop"
	"github.com/cellsentry/cellsentry/sdr/uri"
)

// checker checks a decoded config for ranges and cross-field sense, fills
// the values derived from others and resolves relative paths. Its
// messages name the field path, the value and what is allowed, at the
// position of the value in the file (or of its nearest written parent when
// the value is a default).
type checker struct {
	report
	c *Config
}

// report collects the problems of one file, at the positions its decoder
// recorded; the checks of every schema (sensor, console, site) use it.
type report struct {
	d     *decoder
	errs  []*Error
	warns []*Error
}

// Limits the checks enforce, named where a message or a caller needs them.
const (
	// AlertMaxBytes is the largest alert event the durable queue must
	// hold: a JSON alert with a few dozen frequencies and its framing.
	AlertMaxBytes = 16 << 10
	// rtlTCPSettle is the settle time below which an rtl_tcp source
	// hears the previous hop: rtl_tcp gives no marker of when a retune
	// took effect.
	rtlTCPSettle = 50 * time.Millisecond
	// trackMaxMinBursts is the largest min_bursts alerting/track takes:
	// the size of its ring of recent burst times per activity.
	trackMaxMinBursts = 64
	// evidenceMeta is the room a SigMF metadata file takes beside its
	// samples.
	evidenceMeta = 4 << 10
)

func (k *report) on(section string) bool { return k.d.only == nil || k.d.only[section] }

// parentPath drops the last element of a field path.
func parentPath(p string) string {
	if strings.HasSuffix(p, `"]`) {
		return p[:strings.LastIndex(p, `["`)]
	}
	i := max(strings.LastIndexByte(p, '.'), strings.LastIndexByte(p, '['))
	if i < 0 {
		return ""
	}
	return p[:i]
}

// node is the value node of path or, when the file leaves it out, the key
// of its nearest ancestor in the file.
func (k *report) node(path string) *yaml.Node {
	if n, ok := k.d.vals[path]; ok {
		return n
	}
	for p := parentPath(path); p != ""; p = parentPath(p) {
		if n, ok := k.d.keys[p]; ok {
			return n
		}
		if n, ok := k.d.vals[p]; ok {
			return n
		}
	}
	return nil
}

func (k *report) newError(path, format string, args ...any) *Error {
	e := &Error{File: k.d.file, Field: path, Msg: fmt.Sprintf(format, args...), Line: 1, Column: 1}
	if n := k.node(path); n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// errf reports a problem with path unless its value already failed to
// decode (the decoder said why).
func (k *report) errf(path, format string, args ...any) {
	if k.d.failed[path] {
		return
	}
	k.errs = append(k.errs, k.newError(path, format, args...))
}

// errfAt reports a problem with field at the position of the field at.
func (k *report) errfAt(at, field, format string, args ...any) {
	e := k.newError(at, format, args...)
	e.Field = field
	k.errs = append(k.errs, e)
}

func (k *report) warnf(path, format string, args ...any) {
	k.warns = append(k.warns, k.newError(path, format, args...))
}

// bad reports whether any of paths failed to decode.
func (k *report) bad(paths ...string) bool {
	for _, p := range paths {
		if k.d.failed[p] {
			return true
		}
	}
	return false
}

func (k *report) given(path string) bool { _, ok := k.d.vals[path]; return ok }

// inRange reports a value outside [lo, hi] (NaN included).
func (k *report) inRange(path string, v, lo, hi float64, show func(float64) string, why string) bool {
	if v >= lo && v <= hi {
		return true
	}
	k.errf(path, "%s %s: must be from %s to %s%s", path, show(v), show(lo), show(hi), why)
	return false
}

func showFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
func showDur(v float64) string   { return Duration(v).String() }
func showDB(v float64) string    { return Decibel(v).String() }
func showHz(v float64) string    { return Frequency(v).String() }
func showSize(v float64) string  { return Size(v).String() }
func showPPM(v float64) string   { return PPM(v).String() }

func (k *checker) run() {
	if k.d.failed[""] {
		return // the file is not a mapping: nothing was read to check
	}
	if k.on("sensor") {
		k.sensor()
	}
	if k.on("calibration") {
		k.calibration()
	}
	if k.on("radio") {
		k.radioLimits()
	}
	if k.on("scan") {
		k.scanBands()
	}
	if k.on("radio") {
		k.dongles()
	}
	if k.on("scan") {
		k.scanTiming()
	}
	if k.on("detection") {
		k.detection()
	}
	if k.on("alerting") {
		k.alerting()
	}
	if k.on("mqtt") {
		k.mqtt()
	}
	if k.on("hardware") {
		k.hardware()
	}
	if k.on("logging") {
		k.logging()
	}
	if k.on("metrics") {
		k.metrics()
	}
	k.paths()
}

func (k *checker) sensor() {
	s := &k.c.Sensor
	for _, f := range []struct {
		path, v, what string
	}{{"sensor.id", s.ID, "the sensor's name, unique on the site (e.g. wing-b-2f-east)"}, {"sensor.site", s.Site, "the site's short name (e.g. fresnes)"}} {
		switch {
		case k.bad(f.path):
		case f.v == "":
			k.errf(f.path, "%s is required: %s", f.path, f.what)
		default:
			if err := alerting.CheckName(f.v); err != nil {
				k.errf(f.path, "%s: %v", f.path, err)
			}
		}
	}
	for _, f := range []struct{ path, v string }{{"sensor.building", s.Building}, {"sensor.wing", s.Wing}} {
		if len(f.v) > 64 {
			k.errf(f.path, "%s: %d bytes long, at most 64", f.path, len(f.v))
		}
	}
	if p := s.Position; p != nil {
		k.inRange("sensor.position.x", p.X, -1e5, 1e5, showFloat, " (metres east of the site's origin)")
		k.inRange("sensor.position.y", p.Y, -1e5, 1e5, showFloat, " (metres north of the site's origin)")
		k.inRange("sensor.position.floor", float64(p.Floor), -10, 200, showFloat, " (0 is the ground floor)")
	}
	switch s.Mode {
	case alerting.ModeActual, alerting.ModeTest, alerting.ModeExercise:
	default:
		k.errf("sensor.mode", "sensor.mode %q: must be actual, test (acceptance tests with a test phone) or exercise (drills)", s.Mode)
	}
}

func (k *checker) calibration() {
	cal := &k.c.Calibration
	k.inRange("calibration.ppm", float64(cal.PPM), -500, 500, showPPM, " (cellsentry calibrate measures it)")
	norm := map[string]Decibel{}
	from := map[string]string{}
	keys := make([]string, 0, len(cal.OffsetDB))
	for key := range cal.OffsetDB {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		p := mapChild("calibration.offset_db", key)
		canon := key
		if key != "default" {
			g, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(strings.ToLower(key)), "db"), 64)
			if err != nil || !(g >= 0 && g <= 60) {
				k.errAtKey(p, "calibration.offset_db: key %q: want a tuner gain in dB from 0 to 60 (e.g. \"40.2\") or default", key)
				continue
			}
			canon = strconv.FormatFloat(g, 'f', -1, 64)
		}
		if other, dup := from[canon]; dup {
			k.errAtKey(p, "calibration.offset_db: key %q is the same gain as %q: give each gain once", key, other)
			continue
		}
		from[canon] = key
		v := cal.OffsetDB[key]
		if k.inRange(p, float64(v), -200, 50, showDB, " (dBm − dBFS at that gain; cellsentry calibrate --power measures it)") {
			norm[canon] = v
		}
	}
	cal.OffsetDB = norm
}

// errAtKey reports a problem with a map key, at the key.
func (k *report) errAtKey(path, format string, args ...any) {
	e := k.newError(path, format, args...)
	if n, ok := k.d.keys[path]; ok {
		e.Line, e.Column = n.Line, n.Column
	}
	k.errs = append(k.errs, e)
}

func (k *checker) radioLimits() {
	r := &k.c.Radio
	k.inRange("radio.sample_rate", r.SampleRate.Hz(), 1e6, 3.2e6, showHz, " (an RTL-SDR's range; 2.4MHz is reliable, above 2.56MHz samples drop)")
	if r.SampleRate > 2.56e6 && r.SampleRate <= 3.2e6 {
		k.warnf("radio.sample_rate", "radio.sample_rate %s: above 2.56MHz most RTL-SDRs drop samples", r.SampleRate)
	}
	if k.inRange("radio.tuner_min", r.TunerMin.Hz(), 1e6, 2.3e9, showHz, "") &&
		k.inRange("radio.tuner_max", r.TunerMax.Hz(), 1e6, 2.3e9, showHz, "") &&
		!k.bad("radio.tuner_min") && r.TunerMax <= r.TunerMin {
		k.errf("radio.tuner_max", "radio.tuner_max %s: not above radio.tuner_min %s", r.TunerMax, r.TunerMin)
	}
}

// radioOK reports whether the radio's limits can be used by other checks.
func (k *checker) radioOK() bool {
	r := k.c.Radio
	return !k.bad("radio.sample_rate", "radio.tuner_min", "radio.tuner_max") &&
		r.SampleRate >= 1e6 && r.SampleRate <= 3.2e6 && r.TunerMin >= 1e6 && r.TunerMax > r.TunerMin && r.TunerMax <= 2.3e9
}

func presetNames() string {
	var names []string
	for _, p := range hop.Presets {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

func (k *checker) scanBands() {
	c := k.c
	if len(c.Scan.Bands) == 0 && !k.bad("scan.bands") {
		k.errf("scan.bands", "scan.bands is empty: name at least one band (presets: %s)", presetNames())
	}
	seen := map[string]string{}
	for i := range c.Scan.Bands {
		b := &c.Scan.Bands[i]
		p := fmt.Sprintf("scan.bands[%d]", i)
		if k.bad(p, p+".low", p+".high") {
			continue
		}
		if b.Preset {
			pr, err := hop.Preset(b.Name)
			if err != nil {
				k.errf(p, "%s: %v; a band of your own is {name: x, low: 880MHz, high: 915MHz}", p, err)
				continue
			}
			b.Name, b.Low, b.High = pr.Name, Frequency(pr.Low), Frequency(pr.High)
		} else {
			switch {
			case b.Name == "":
				k.errf(p, "%s: a custom band needs a name (it labels the band in alerts and health)", p)
				continue
			case alerting.CheckName(b.Name) != nil:
				k.errf(p+".name", "%s.name: %v", p, alerting.CheckName(b.Name))
				continue
			}
			if pr, err := hop.Preset(b.Name); err == nil {
				k.errf(p+".name", "%s.name %q is the preset %s: write just - %s, or rename the band", p, b.Name, pr.Name, b.Name)
				continue
			}
			if !k.inRange(p+".low", b.Low.Hz(), 1e6, 6e9, showHz, "") || !k.inRange(p+".high", b.High.Hz(), 1e6, 6e9, showHz, "") {
				continue
			}
			if b.High <= b.Low {
				k.errf(p+".high", "%s.high %s: not above low %s", p, b.High, b.Low)
				continue
			}
		}
		if other, dup := seen[b.Name]; dup {
			k.errf(p, "%s: band %s is already listed as %s: list each band once", p, b.Name, other)
			continue
		}
		seen[b.Name] = p
		if k.on("radio") && k.radioOK() {
			r := c.Radio
			lo := math.Max(b.Low.Hz(), r.TunerMin.Hz()+r.SampleRate.Hz()/2)
			hi := math.Min(b.High.Hz(), r.TunerMax.Hz()-r.SampleRate.Hz()/2)
			switch {
			case hi <= lo:
				// A default band the tuner misses: the tuner range is what
				// the file changed.
				at := p
				if !k.given(p) {
					at = "radio.tuner_max"
					if b.High.Hz() <= r.TunerMin.Hz()+r.SampleRate.Hz()/2 {
						at = "radio.tuner_min"
					}
				}
				k.errfAt(at, p, "%s: band %s (%s–%s) is outside what the tuner hears (%s–%s with radio.sample_rate %s): remove it, or set radio.tuner_min/tuner_max if your tuner reaches it",
					p, b.Name, b.Low, b.High, Frequency(r.TunerMin.Hz()+r.SampleRate.Hz()/2), Frequency(r.TunerMax.Hz()-r.SampleRate.Hz()/2), r.SampleRate)
			case !b.Preset && (lo > b.Low.Hz() || hi < b.High.Hz()):
				k.warnf(p, "%s: band %s is heard only from %s to %s, the tuner's range", p, b.Name, Frequency(lo), Frequency(hi))
			}
		}
	}
}

// bandName resolves a reference to a scan band (its name, or a preset
// alias of it) to the scan band's name.
func (k *checker) bandName(name string) (string, bool) {
	for _, b := range k.c.Scan.Bands {
		if b.Name == name {
			return name, true
		}
	}
	if pr, err := hop.Preset(name); err == nil {
		for _, b := range k.c.Scan.Bands {
			if b.Name == pr.Name {
				return pr.Name, true
			}
		}
	}
	return "", false
}

func (k *checker) scanBandList() string {
	var names []string
	for _, b := range k.c.Scan.Bands {
		names = append(names, b.Name)
	}
	return strings.Join(names, ", ")
}

// CheckSource checks a dongle's source URI as the config takes it: a
// valid URI (sdr/uri) without freq, rate, gain or ppm, which the scan plan
// and the dongle's fields set. The daemon uses it on a --source flag.
func CheckSource(raw string) (uri.Spec, error) {
	s, err := uri.Parse(raw)
	if err != nil {
		return uri.Spec{}, err
	}
	switch {
	case s.Freq != 0:
		return s, fmt.Errorf("source %q: freq is set by the scan plan: remove freq= from the URI", raw)
	case s.Rate != 0:
		return s, fmt.Errorf("source %q: give the rate as radio.sample_rate, not rate= in the URI", raw)
	case s.GainSet:
		return s, fmt.Errorf("source %q: give the gain as the dongle's gain, not gain= in the URI", raw)
	case s.PPM != 0:
		return s, fmt.Errorf("source %q: give the correction as the dongle's ppm (or calibration.ppm), not ppm= in the URI", raw)
	}
	return s, nil
}

func (k *checker) dongles() {
	c := k.c
	r := &c.Radio
	var short []string
	for _, f := range []string{"source", "gain", "ppm", "bias_tee"} {
		if k.given("radio." + f) {
			short = append(short, f)
		}
	}
	shortForm := false
	switch {
	case len(short) > 0 && k.given("radio.dongles") && len(r.Dongles) > 0:
		k.errf("radio."+short[0], "radio.%s is the short form for a single dongle, and radio.dongles is given too: move it into the dongle's entry", short[0])
		return
	case len(r.Dongles) == 0:
		d := Dongle{Source: r.Source, Gain: Gain{DB: 40}, PPM: r.PPM}
		if r.Gain != nil {
			d.Gain = *r.Gain
		}
		if r.BiasTee != nil {
			d.BiasTee = *r.BiasTee
		}
		r.Dongles = []Dongle{d}
		shortForm = true
	}
	r.Source, r.Gain, r.PPM, r.BiasTee = "", nil, nil, nil

	names := map[string]string{}
	owner := map[string]string{}
	for i := range r.Dongles {
		dg := &r.Dongles[i]
		p := fmt.Sprintf("radio.dongles[%d]", i)
		if k.bad(p) {
			continue
		}
		fp := func(f string) string { return p + "." + f }
		if shortForm {
			fp = func(f string) string { return "radio." + f }
		}
		if dg.Name == "" {
			dg.Name = fmt.Sprintf("dongle%d", i)
		} else if err := alerting.CheckName(dg.Name); err != nil {
			k.errf(fp("name"), "%s: %v", fp("name"), err)
		}
		if other, dup := names[dg.Name]; dup {
			k.errf(fp("name"), "%s %q: %s has the same name: give each dongle its own", fp("name"), dg.Name, other)
		}
		names[dg.Name] = p
		if dg.Source == "" {
			dg.Source = fmt.Sprintf("rtlsdr://%d", i)
		}
		spec, err := CheckSource(dg.Source)
		if err != nil && !k.bad(fp("source")) {
			k.errf(fp("source"), "%s: %v", fp("source"), err)
		}
		if err == nil && spec.Kind == uri.RTLTCP && k.c.Scan.Settle.D() < rtlTCPSettle && !k.bad("scan.settle") {
			k.warnf("scan.settle", "scan.settle %s: %s is an rtl_tcp source, which gives no marker of when a retune took effect: give it at least %v", k.c.Scan.Settle, dg.Name, rtlTCPSettle)
		}
		if !dg.Gain.Auto {
			k.inRange(fp("gain"), dg.Gain.DB, 0, 60, showDB, ", or auto")
		}
		if dg.PPM == nil {
			ppm := c.Calibration.PPM
			dg.PPM = &ppm
		} else {
			k.inRange(fp("ppm"), float64(*dg.PPM), -500, 500, showPPM, "")
			if k.on("calibration") && k.given("calibration.ppm") {
				k.warnf(fp("ppm"), "%s %s overrides calibration.ppm %s for %s", fp("ppm"), *dg.PPM, c.Calibration.PPM, dg.Name)
			}
		}
		if !k.on("scan") {
			continue
		}
		for j, name := range dg.Bands {
			bp := fmt.Sprintf("%s.bands[%d]", p, j)
			canon, ok := k.bandName(name)
			if !ok {
				k.errf(bp, "%s %q: not a scan band (scan.bands: %s)", bp, name, k.scanBandList())
				continue
			}
			dg.Bands[j] = canon
			if other, dup := owner[canon]; dup {
				k.errf(bp, "%s: band %s is already scanned by %s: a band belongs to one dongle", bp, canon, other)
				continue
			}
			owner[canon] = dg.Name
		}
	}
	if !k.on("scan") {
		return
	}
	if len(r.Dongles) == 1 && len(r.Dongles[0].Bands) == 0 {
		for _, b := range c.Scan.Bands {
			r.Dongles[0].Bands = append(r.Dongles[0].Bands, b.Name)
			owner[b.Name] = r.Dongles[0].Name
		}
	}
	for i, dg := range r.Dongles {
		if len(dg.Bands) == 0 && len(c.Scan.Bands) > 0 {
			k.errf(fmt.Sprintf("radio.dongles[%d]", i), "radio.dongles[%d] (%s) has no bands: with several dongles, list each one's bands", i, dg.Name)
		}
	}
	for i := range r.Dongles {
		if k.bad(fmt.Sprintf("radio.dongles[%d]", i), fmt.Sprintf("radio.dongles[%d].bands", i)) {
			return // an unreadable dongle may hold the bands that look unowned
		}
	}
	for i, b := range c.Scan.Bands {
		p := fmt.Sprintf("scan.bands[%d]", i)
		if _, ok := owner[b.Name]; !ok && len(r.Dongles) > 0 && !k.bad(p) {
			if k.given(p) {
				k.errf(p, "%s: band %s is scanned by no dongle: add it to one dongle's bands", p, b.Name)
			} else {
				// A default band: point at the dongles that leave it out.
				k.errfAt("radio.dongles", p, "%s: band %s (a default) is scanned by no dongle: add it to one dongle's bands, or list the scan bands", p, b.Name)
			}
		}
	}
}

func (k *checker) scanTiming() {
	s := &k.c.Scan
	okDwell := k.inRange("scan.dwell", float64(s.Dwell), float64(10*time.Millisecond), float64(time.Minute), showDur, "")
	okSettle := k.inRange("scan.settle", float64(s.Settle), float64(time.Millisecond), float64(time.Second), showDur, " (samples discarded after each retune)")
	if okDwell && okSettle && s.Dwell <= s.Settle {
		k.errf("scan.dwell", "scan.dwell %s: not longer than scan.settle %s: nothing would be heard; make dwell longer (typically 50× settle)", s.Dwell, s.Settle)
	}
	w := map[string]int{}
	keys := make([]string, 0, len(s.Weights))
	for key := range s.Weights {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		p := mapChild("scan.weights", key)
		canon, ok := k.bandName(key)
		if !ok {
			k.errAtKey(p, "scan.weights: %q is not a scan band (scan.bands: %s)", key, k.scanBandList())
			continue
		}
		if _, dup := w[canon]; dup {
			k.errAtKey(p, "scan.weights: %q names band %s a second time", key, canon)
			continue
		}
		v := s.Weights[key]
		if k.inRange(p, float64(v), 1, 100, showFloat, " (visits of each of the band's hops per cycle)") {
			w[canon] = v
		}
	}
	for _, b := range s.Bands {
		if _, ok := w[b.Name]; !ok && b.Name != "" {
			w[b.Name] = 1
		}
	}
	s.Weights = w
}

func (k *checker) detection() {
	d := &k.c.Detection
	if !(d.FalsePerHour > 0 && d.FalsePerHour <= 100) {
		k.errf("detection.false_per_hour", "detection.false_per_hour %s: must be more than 0 and at most 100 (false bursts per hour the thresholds are set for; default 0.5)", showFloat(d.FalsePerHour))
	}
	if d.ThresholdDB != 0 {
		k.inRange("detection.threshold_db", float64(d.ThresholdDB), 1, 40, showDB, ", or 0dB for thresholds from false_per_hour")
	}
	bt := map[string]Decibel{}
	keys := make([]string, 0, len(d.BandThresholdDB))
	for key := range d.BandThresholdDB {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		p := mapChild("detection.band_threshold_db", key)
		canon := key
		if k.on("scan") {
			var ok bool
			if canon, ok = k.bandName(key); !ok {
				k.errAtKey(p, "detection.band_threshold_db: %q is not a scan band (scan.bands: %s)", key, k.scanBandList())
				continue
			}
		} else if pr, err := hop.Preset(key); err == nil {
			canon = pr.Name // scan not read: at least resolve preset aliases
		}
		if _, dup := bt[canon]; dup {
			k.errAtKey(p, "detection.band_threshold_db: %q names band %s a second time", key, canon)
			continue
		}
		if k.inRange(p, float64(d.BandThresholdDB[key]), 1, 40, showDB, "") {
			bt[canon] = d.BandThresholdDB[key]
		}
	}
	d.BandThresholdDB = bt
	sizeOK := d.FFTSize >= 16 && d.FFTSize <= 8192 && bits.OnesCount(uint(d.FFTSize)) == 1
	if !sizeOK {
		k.errf("detection.fft_size", "detection.fft_size %d: must be a power of two from 16 to 8192 (default 256)", d.FFTSize)
	}
	if d.Hop == 0 && sizeOK {
		d.Hop = d.FFTSize
	} else if sizeOK && (d.Hop < 1 || d.Hop > d.FFTSize) {
		k.errf("detection.hop", "detection.hop %d: must be from 1 to detection.fft_size %d (samples between frame starts)", d.Hop, d.FFTSize)
	}
	if _, err := channelize.Window(d.Window, 16); err != nil {
		k.errf("detection.window", "detection.window: %v", err)
	}
	rate := k.c.Radio.SampleRate.Hz()
	for i, s := range d.SpursHz {
		p := fmt.Sprintf("detection.spurs_hz[%d]", i)
		if !k.bad(p) && !(math.Abs(s.Hz()) < rate/2) {
			k.errf(p, "%s %s: a spur is an offset from the tuned centre, within ±%s (half of radio.sample_rate)", p, s, Frequency(rate/2))
		}
	}
	for i, x := range d.Exclusions {
		p := fmt.Sprintf("detection.exclusions[%d]", i)
		if k.bad(p, p+".low", p+".high") {
			continue
		}
		if len(x.Name) > 64 {
			k.errf(p+".name", "%s.name: %d bytes long, at most 64", p, len(x.Name))
		}
		if !k.inRange(p+".low", x.Low.Hz(), 1e6, 6e9, showHz, "") || !k.inRange(p+".high", x.High.Hz(), 1e6, 6e9, showHz, "") {
			continue
		}
		if x.High <= x.Low {
			k.errf(p+".high", "%s.high %s: not above low %s", p, x.High, x.Low)
			continue
		}
		if k.on("scan") {
			inside := false
			for _, b := range k.c.Scan.Bands {
				inside = inside || (x.Low < b.High && x.High > b.Low)
			}
			if !inside {
				k.warnf(p, "%s (%s–%s) lies in no scan band: it changes nothing", p, x.Low, x.High)
			}
		}
	}
}

func (k *checker) alerting() {
	a := &k.c.Alerting
	if !(a.RaiseConfidence > 0 && a.RaiseConfidence <= 1) {
		k.errf("alerting.raise_confidence", "alerting.raise_confidence %s: must be more than 0 and at most 1 (the evidence an alert needs; default %s)", showFloat(a.RaiseConfidence), showFloat(track.DefaultRaiseConfidence))
	}
	k.inRange("alerting.min_bursts", float64(a.MinBursts), 2, trackMaxMinBursts, showFloat, " (one burst must never raise an alert)")
	okUpdate := k.inRange("alerting.update_interval", float64(a.UpdateInterval), float64(time.Second), float64(time.Hour), showDur, "")
	okClear := k.inRange("alerting.clear_after", float64(a.ClearAfter), float64(time.Second), float64(24*time.Hour), showDur, " (quiet time before an alert clears)")
	// A clear_after the file does not give is the tracker's default,
	// raised with a warning when the update interval or the scan needs
	// longer; one the file gives is an error when too short.
	givenClear := k.given("alerting.clear_after")
	if okUpdate && okClear && a.ClearAfter < a.UpdateInterval {
		if givenClear {
			k.errf("alerting.clear_after", "alerting.clear_after %s: shorter than alerting.update_interval %s: an alert would clear before its first update", a.ClearAfter, a.UpdateInterval)
		} else {
			k.warnf("alerting.clear_after", "alerting.clear_after (default %s) raised to alerting.update_interval %s: an alert must not clear before its first update", a.ClearAfter, a.UpdateInterval)
			a.ClearAfter = a.UpdateInterval
		}
	}
	if okClear && k.on("scan") && k.on("radio") && len(k.errs) == 0 && len(k.d.errs) == 0 {
		// A phone is heard once per visit of its frequency: an alert
		// that clears sooner than the next visit flaps on every one.
		var worst time.Duration
		var worstBand, worstDongle string
		for i := range k.c.Radio.Dongles {
			p, err := k.c.Plan(i)
			if err != nil {
				k.errf(fmt.Sprintf("radio.dongles[%d]", i), "radio.dongles[%d]: hop plan: %v", i, err)
				continue
			}
			for _, b := range p.Bands() {
				if rv := p.Revisit(b); rv > worst {
					worst, worstBand, worstDongle = rv, b, k.c.Radio.Dongles[i].Name
				}
			}
		}
		if need := Duration((2 * worst).Round(time.Second)); a.ClearAfter.D() < worst && givenClear {
			k.errf("alerting.clear_after", "alerting.clear_after %s: shorter than the time between two visits of band %s (%v on %s): alerts would clear between visits; give at least %s, or shorten the scan",
				a.ClearAfter, worstBand, worst.Round(time.Millisecond), worstDongle, need)
		} else if a.ClearAfter.D() < worst {
			k.warnf("alerting.clear_after", "alerting.clear_after (default %s) raised to %s, twice the time between two visits of band %s (%v on %s), so that alerts do not clear between visits",
				a.ClearAfter, need, worstBand, worst.Round(time.Millisecond), worstDongle)
			a.ClearAfter = need
		}
	}
	e := &a.Evidence
	if e.Dir == "" && !k.bad("alerting.evidence.dir") {
		k.errf("alerting.evidence.dir", "alerting.evidence.dir is empty: name a directory (relative to state_dir), or set enabled: false")
	}
	okRing := k.inRange("alerting.evidence.ring", float64(e.Ring), float64(100*time.Millisecond), float64(10*time.Second), showDur, " (IQ kept in memory for the pre-trigger)")
	okPre := k.inRange("alerting.evidence.pre", float64(e.Pre), 0, float64(10*time.Second), showDur, "")
	okPost := k.inRange("alerting.evidence.post", float64(e.Post), 0, float64(10*time.Second), showDur, "")
	if okRing && okPre && e.Pre > e.Ring {
		k.errf("alerting.evidence.pre", "alerting.evidence.pre %s: longer than alerting.evidence.ring %s, which holds the IQ from before an alert; lengthen the ring or shorten pre", e.Pre, e.Ring)
	}
	if okPre && okPost && (e.Pre+e.Post).D() > evidence.DefaultMaxCapture {
		k.errf("alerting.evidence.post", "alerting.evidence.pre %s + post %s = %s: longer than a recording may be (%s); shorten pre or post",
			e.Pre, e.Post, e.Pre+e.Post, Duration(evidence.DefaultMaxCapture))
	}
	okSize := k.inRange("alerting.evidence.max_size", float64(e.MaxSize), float64(1<<20), float64(1<<40), showSize, "")
	if okSize && okPre && okPost && e.Enabled && k.radioOK() {
		// One recording: (pre + post) · rate samples of ci16_le (the
		// evidence recorder's format), 4 bytes each.
		one := Size(math.Ceil((e.Pre+e.Post).D().Seconds()*k.c.Radio.SampleRate.Hz()))*4 + evidenceMeta
		if e.MaxSize < one {
			k.errf("alerting.evidence.max_size", "alerting.evidence.max_size %s: below one recording (%s of ci16 at %s, %.1fMB): must be at least %dMiB (and at most 1TiB)",
				e.MaxSize, e.Pre+e.Post, k.c.Radio.SampleRate, float64(one)/1e6, (one+(1<<20)-1)>>20)
		}
	}
}

// ParseBroker checks an MQTT broker URL: tcp://, mqtt://, ssl://, tls://,
// mqtts://, ws:// or wss://, a host and a port, no credentials. The
// daemon uses it on a --broker flag.
func ParseBroker(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("broker %q: %v", raw, err)
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts", "ws", "wss":
	case "":
		return nil, fmt.Errorf("broker %q: no scheme: write tcp://%s (or ssl:// for TLS)", raw, raw)
	default:
		return nil, fmt.Errorf("broker %q: unknown scheme %q (known: tcp, mqtt, ssl, tls, mqtts, ws, wss)", raw, u.Scheme)
	}
	switch {
	case u.User != nil:
		return nil, fmt.Errorf("broker %q: credentials in the URL: use mqtt.username and mqtt.password_file", redact(u))
	case u.Hostname() == "":
		return nil, fmt.Errorf("broker %q: no host", raw)
	case u.Port() == "":
		return nil, fmt.Errorf("broker %q: no port (1883 for tcp://, 8883 for ssl://)", raw)
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("broker %q: no query or fragment allowed", raw)
	case (u.Path != "" && u.Path != "/") && scheme != "ws" && scheme != "wss":
		return nil, fmt.Errorf("broker %q: a path is only for ws:// and wss://", raw)
	}
	if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
		return nil, fmt.Errorf("broker %q: port %q is not 1–65535", raw, u.Port())
	}
	return u, nil
}

// redact prints a URL without its password.
func redact(u *url.URL) string {
	v := *u
	if v.User != nil {
		v.User = url.User(v.User.Username())
	}
	return v.String()
}

// IsTLS reports whether a broker URL's scheme runs over TLS.
func IsTLS(u *url.URL) bool {
	switch strings.ToLower(u.Scheme) {
	case "ssl", "tls", "mqtts", "wss":
		return true
	}
	return false
}

func (k *checker) mqtt() {
	m := &k.c.MQTT
	u, err := ParseBroker(m.Broker)
	if err != nil {
		k.errf("mqtt.broker", "mqtt.broker: %v", err)
	}
	k.prefix("mqtt.prefix", m.Prefix)
	if m.ClientID == "" && !k.given("mqtt.client_id") {
		m.ClientID = "cellsentry-" + k.c.Sensor.Site + "-" + k.c.Sensor.ID
	}
	k.clientID("mqtt.client_id", m.ClientID, "cellsentry-<site>-<id>")
	k.credentials(u, brokerAuth{m.Broker, m.Username, m.PasswordFile, m.CAFile, m.CertFile, m.KeyFile})
	if u != nil && !IsTLS(u) && m.PasswordFile != "" && !isLoopback(u.Hostname()) {
		k.warnf("mqtt.broker", "mqtt.broker %s: the password goes in clear over the network: use ssl://", m.Broker)
	}
	k.inRange("mqtt.keepalive", float64(m.KeepAlive), float64(5*time.Second), float64(20*time.Minute), showDur, "")
	k.inRange("mqtt.health_interval", float64(m.HealthInterval), float64(5*time.Second), float64(time.Hour), showDur, "")
	if m.Queue.Dir == "" && !k.bad("mqtt.queue.dir") {
		k.errf("mqtt.queue.dir", "mqtt.queue.dir is empty: name a directory (relative to state_dir)")
	}
	if m.Queue.MaxSize < AlertMaxBytes && !k.bad("mqtt.queue.max_size") {
		k.errf("mqtt.queue.max_size", "mqtt.queue.max_size %s: below one alert (%s), the queue could hold nothing: must be from %s to 1TiB (default 64MiB)", m.Queue.MaxSize, Size(AlertMaxBytes), Size(AlertMaxBytes))
	} else {
		k.inRange("mqtt.queue.max_size", float64(m.Queue.MaxSize), AlertMaxBytes, float64(1<<40), showSize, " (default 64MiB)")
	}
}

// prefix checks an MQTT topic prefix.
func (k *report) prefix(path, v string) {
	switch {
	case v == "":
		k.errf(path, "%s is empty: use %s (the default) or your own", path, alerting.DefaultPrefix)
	case strings.ContainsAny(v, "+#\x00"):
		k.errf(path, "%s %q: MQTT wildcards (+ #) are not allowed in a topic", path, v)
	case strings.HasPrefix(v, "/") || strings.HasSuffix(v, "/") || strings.Contains(v, "//"):
		k.errf(path, "%s %q: no leading, trailing or doubled / (e.g. cellsentry/v1)", path, v)
	case strings.HasPrefix(v, "$"):
		k.errf(path, "%s %q: topics starting with $ belong to the broker", path, v)
	case len(v) > 200:
		k.errf(path, "%s: %d bytes long, at most 200", path, len(v))
	}
}

// clientID checks an MQTT client identifier.
func (k *report) clientID(path, v, deflt string) {
	if v == "" || len(v) > 128 || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		k.errf(path, "%s %q: want 1 to 128 characters without spaces (default %s)", path, v, deflt)
	}
}

// brokerAuth is how a client authenticates to its broker: the fields of an
// mqtt section, whose paths are mqtt.<name>.
type brokerAuth struct {
	broker, username, passwordFile, caFile, certFile, keyFile string
}

// credentials checks that an mqtt section's credentials go together: a
// password with its user, a certificate with its key, TLS files only with
// a TLS broker (u is the parsed broker, nil when it did not parse).
func (k *report) credentials(u *url.URL, a brokerAuth) {
	if a.passwordFile != "" && a.username == "" {
		k.errf("mqtt.password_file", "mqtt.password_file is given without mqtt.username: the broker needs both")
	}
	if (a.certFile == "") != (a.keyFile == "") {
		given, missing := "cert_file", "key_file"
		if a.certFile == "" {
			given, missing = missing, given
		}
		k.errf("mqtt."+given, "mqtt.%s is given without mqtt.%s: a client certificate needs its key (and the key its certificate)", given, missing)
	}
	if u != nil && !IsTLS(u) {
		for _, f := range []struct{ name, v string }{{"ca_file", a.caFile}, {"cert_file", a.certFile}, {"key_file", a.keyFile}} {
			if f.v != "" {
				k.errf("mqtt."+f.name, "mqtt.%s is given but mqtt.broker %s is not TLS: use ssl:// (port 8883) or remove %s", f.name, a.broker, f.name)
			}
		}
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (k *checker) hardware() {
	h := &k.c.Hardware
	used := map[Pin]string{}
	for _, f := range []struct {
		name string
		pin  Pin
	}{{"led_pin", h.LEDPin}, {"buzzer_pin", h.BuzzerPin}, {"tamper_pin", h.TamperPin}} {
		if f.pin == "" {
			continue
		}
		if other, dup := used[f.pin]; dup {
			k.errf("hardware."+f.name, "hardware.%s %s: also hardware.%s: each pin drives one thing", f.name, f.pin, other)
			continue
		}
		used[f.pin] = f.name
	}
	if h.Enabled && len(used) == 0 {
		k.warnf("hardware.enabled", "hardware.enabled is true but no pin is set")
	}
	k.oneOf("hardware.tamper_pull", &h.TamperPull, []string{"up", "down", "none"},
		"must be up (internal pull-up: a switch to ground), down (internal pull-down: a switch to 3.3V) or none (an external resistor)")
	k.oneOf("hardware.tamper_open_level", &h.TamperOpenLevel, []string{"high", "low"},
		"must be high or low: the level the tamper pin reads with the enclosure open")
	if !k.bad("hardware.tamper_debounce") {
		k.inRange("hardware.tamper_debounce", float64(h.TamperDebounce), float64(time.Millisecond), float64(time.Second), showDur,
			" (how long the switch must hold a new position; default 50ms: contacts bounce for 1 to 10ms)")
	}
	if !k.bad("hardware.alarm_max_on") {
		k.inRange("hardware.alarm_max_on", float64(h.AlarmMaxOn), float64(time.Second), float64(24*time.Hour), showDur,
			" (the buzzer's longest sound at a time; default 2m)")
	}
}

// oneOf checks that *v is one of allowed, case-insensitively, and writes
// it in lower case; a near miss gets a suggestion.
func (k *report) oneOf(path string, v *string, allowed []string, what string) {
	if k.bad(path) {
		return
	}
	low := strings.ToLower(strings.TrimSpace(*v))
	if slices.Contains(allowed, low) {
		*v = low
		return
	}
	hint := ""
	if s := suggest(*v, allowed); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	k.errf(path, "%s %q: %s%s", path, *v, what, hint)
}

func (k *checker) logging() { k.checkLogging(&k.c.Logging) }

func (k *checker) metrics() {
	k.checkMetrics(k.c.Metrics.Listen, "127.0.0.1:9475", "this Pi")
}

// checkLogging checks the logging section and writes level and format in
// lower case.
func (k *report) checkLogging(l *Logging) {
	switch strings.ToLower(l.Level) {
	case "debug", "info", "warn", "error":
		l.Level = strings.ToLower(l.Level)
	default:
		k.errf("logging.level", "logging.level %q: must be debug, info, warn or error", l.Level)
	}
	switch strings.ToLower(l.Format) {
	case "text", "json":
		l.Format = strings.ToLower(l.Format)
	default:
		k.errf("logging.format", "logging.format %q: must be text or json", l.Format)
	}
}

// checkMetrics checks the Prometheus endpoint's address ("" turns it
// off): host:port with a valid port, and a warning when it is reachable
// from beyond host.
func (k *report) checkMetrics(l, example, host string) {
	if l == "" {
		return
	}
	h, port, err := net.SplitHostPort(l)
	if err != nil {
		k.errf("metrics.listen", "metrics.listen %q: want host:port (%s), or \"\" to turn metrics off", l, example)
		return
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		k.errf("metrics.listen", "metrics.listen %q: port %q is not 1–65535", l, port)
		return
	}
	if !isLoopback(h) {
		k.warnf("metrics.listen", "metrics.listen %q: the metrics are reachable from the network, not only from %s", l, host)
	}
}

// paths resolves relative paths: state_dir from the config file's
// directory, the queue and evidence from state_dir, the MQTT credential
// files from the config file's directory.
func (k *checker) paths() {
	c := k.c
	if c.StateDir == "" && !k.bad("state_dir") && k.on("state_dir") {
		k.errf("state_dir", "state_dir is empty: name a directory the daemon may write (default /var/lib/cellsentry)")
	}
	abs := func(base, p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(base, p)
	}
	c.StateDir = abs(c.dir, c.StateDir)
	c.MQTT.Queue.Dir = abs(c.StateDir, c.MQTT.Queue.Dir)
	c.Alerting.Evidence.Dir = abs(c.StateDir, c.Alerting.Evidence.Dir)
	c.MQTT.PasswordFile = abs(c.dir, c.MQTT.PasswordFile)
	c.MQTT.CAFile = abs(c.dir, c.MQTT.CAFile)
	c.MQTT.CertFile = abs(c.dir, c.MQTT.CertFile)
	c.MQTT.KeyFile = abs(c.dir, c.MQTT.KeyFile)
}
