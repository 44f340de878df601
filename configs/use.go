package configs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/dsp/channelize"
	"github.com/cellsentry/cellsentry/dsp/pipeline"
	"github.com/cellsentry/cellsentry/sdr/hop"
	"github.com/cellsentry/cellsentry/sdr/uri"
)

// Effective is the configuration as the daemon runs it, in YAML: every
// default filled in, band aliases and gains written canonically, paths
// absolute. It holds no secret: the MQTT password is only ever named by
// its file. Parse reads it back to the same configuration.
func (c *Config) Effective() []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		// Every field is a plain value or has a MarshalYAML that cannot
		// fail: an error here is a bug in this package.
		panic(fmt.Sprintf("configs: encoding the effective config: %v", err))
	}
	enc.Close()
	return b.Bytes()
}

// Hash is a short stable digest of the effective configuration (12 hex
// digits of its SHA-256), published in health messages so that the
// control room sees which configuration a sensor runs. Two files that
// differ only in comments, order or spelled-out defaults hash the same.
func (c *Config) Hash() string {
	sum := sha256.Sum256(c.Effective())
	return hex.EncodeToString(sum[:6])
}

// Origin is the sensor's identity and place, as every message carries it.
func (c *Config) Origin() alerting.Origin {
	s := c.Sensor
	o := alerting.Origin{Site: s.Site, Sensor: s.ID, Building: s.Building, Wing: s.Wing}
	if s.Position != nil {
		o.Position = &alerting.Position{X: s.Position.X, Y: s.Position.Y, Floor: s.Position.Floor}
	}
	return o
}

// Topic is where this sensor publishes messages of kind (alerting.KindAlert …).
func (c *Config) Topic(kind string) string {
	return alerting.Topic(c.MQTT.Prefix, c.Sensor.Site, c.Sensor.ID, kind)
}

// Band returns the scan band called name (or a preset alias of it).
func (c *Config) Band(name string) (Band, bool) {
	for _, b := range c.Scan.Bands {
		if b.Name == name {
			return b, true
		}
	}
	if pr, err := hop.Preset(name); err == nil {
		for _, b := range c.Scan.Bands {
			if b.Name == pr.Name {
				return b, true
			}
		}
	}
	return Band{}, false
}

// OffsetFor is dBm − dBFS at tuner gain g: the offset_db entry within
// 0.05 dB of the gain, else the default entry; NaN (uncalibrated: alerts
// carry no dBm) when there is neither, and for automatic gain, whose
// gain changes under the calibration.
func (cal Calibration) OffsetFor(g Gain) float64 {
	if g.Auto {
		return math.NaN()
	}
	best, bestD := math.NaN(), 0.05
	for key, v := range cal.OffsetDB {
		gk, err := strconv.ParseFloat(key, 64)
		if err != nil {
			continue
		}
		if d := math.Abs(gk - g.DB); d <= bestD {
			best, bestD = float64(v), d
		}
	}
	if !math.IsNaN(best) {
		return best
	}
	if v, ok := cal.OffsetDB["default"]; ok {
		return float64(v)
	}
	return math.NaN()
}

// Pipeline is the detection pipeline's configuration for a band heard at
// tuner gain g: the band's threshold override if it has one, the
// calibration offset for the gain (see OffsetFor).
func (c *Config) Pipeline(band string, g Gain) pipeline.Config {
	d := c.Detection
	p := pipeline.Config{
		Channelizer:   channelize.Config{Size: d.FFTSize, Hop: d.Hop, Window: d.Window},
		FalsePerHour:  d.FalsePerHour,
		ThresholdDB:   float64(d.ThresholdDB),
		CalOffsetDB:   c.Calibration.OffsetFor(g),
		DisableRhythm: !d.Rhythm,
	}
	if b, ok := c.Band(band); ok {
		if t, ok := d.BandThresholdDB[b.Name]; ok {
			p.ThresholdDB = float64(t)
		}
	}
	for _, s := range d.SpursHz {
		p.SpurHz = append(p.SpurHz, s.Hz())
	}
	return p
}

// Excluded reports whether a frequency (Hz) lies in one of the
// detection exclusions, and which.
func (c *Config) Excluded(hz float64) (Exclusion, bool) {
	for _, x := range c.Detection.Exclusions {
		if hz >= x.Low.Hz() && hz <= x.High.Hz() {
			return x, true
		}
	}
	return Exclusion{}, false
}

// HopConfig is the hop plan configuration of dongle i: its bands with
// their weights, the dwell, settle, sample rate and tuner range.
func (c *Config) HopConfig(i int) hop.Config {
	hc := hop.Config{
		Rate:     c.Radio.SampleRate.Hz(),
		Dwell:    c.Scan.Dwell.D(),
		Settle:   c.Scan.Settle.D(),
		TunerMin: c.Radio.TunerMin.Hz(),
		TunerMax: c.Radio.TunerMax.Hz(),
	}
	if i < 0 || i >= len(c.Radio.Dongles) {
		return hc
	}
	for _, name := range c.Radio.Dongles[i].Bands {
		b, ok := c.Band(name)
		if !ok {
			continue
		}
		w := c.Scan.Weights[b.Name]
		if w == 0 {
			w = 1
		}
		hc.Bands = append(hc.Bands, hop.BandWeight{Band: hop.Band{Name: b.Name, Low: b.Low.Hz(), High: b.High.Hz(), Tech: b.tech()}, Weight: w})
	}
	return hc
}

// tech is what handsets use a band for, from the preset.
func (b Band) tech() string {
	if pr, err := hop.Preset(b.Name); err == nil && b.Preset {
		return pr.Tech
	}
	return ""
}

// Plan is the hop plan of dongle i.
func (c *Config) Plan(i int) (*hop.Plan, error) {
	if i < 0 || i >= len(c.Radio.Dongles) {
		return nil, fmt.Errorf("configs: no dongle %d (the config has %d)", i, len(c.Radio.Dongles))
	}
	p, err := hop.NewPlan(c.HopConfig(i))
	if err != nil {
		return nil, fmt.Errorf("dongle %s: %w", c.Radio.Dongles[i].Name, err)
	}
	return p, nil
}

// SourceSpec is the source of dongle i as sdr/uri opens it: its URI with
// the sample rate, gain and ppm of the config applied to dongles and
// rtl_tcp servers (a scene keeps its own radio, a recording has one).
// The bias tee is not part of a URI: the caller applies Dongle.BiasTee.
func (c *Config) SourceSpec(i int) (uri.Spec, error) {
	if i < 0 || i >= len(c.Radio.Dongles) {
		return uri.Spec{}, fmt.Errorf("configs: no dongle %d (the config has %d)", i, len(c.Radio.Dongles))
	}
	d := c.Radio.Dongles[i]
	s, err := CheckSource(d.Source)
	if err != nil {
		return uri.Spec{}, err
	}
	if s.Kind == uri.RTLSDR || s.Kind == uri.RTLTCP {
		s.Rate = c.Radio.SampleRate.Hz()
		s.GainSet, s.GainAuto, s.Gain = true, d.Gain.Auto, d.Gain.DB
		if d.PPM != nil {
			s.PPM = float64(*d.PPM)
		} else {
			s.PPM = float64(c.Calibration.PPM)
		}
	}
	return s, nil
}

// CheckFiles checks that the files the config names exist and can be
// read (the MQTT password, CA, certificate and key), and that the password
// file is not readable by every user. Load does not do this, so that a
// config can be checked away from its sensor; the daemon and
// check-config call it.
func (c *Config) CheckFiles() error {
	var errs Errors
	for _, f := range []struct{ field, path string }{
		{"mqtt.password_file", c.MQTT.PasswordFile},
		{"mqtt.ca_file", c.MQTT.CAFile},
		{"mqtt.cert_file", c.MQTT.CertFile},
		{"mqtt.key_file", c.MQTT.KeyFile},
	} {
		if f.path == "" {
			continue
		}
		e := &Error{File: c.file, Field: f.field}
		if n, ok := c.where[f.field]; ok {
			e.Line, e.Column = n.Line, n.Column
		}
		fh, err := os.Open(f.path)
		if err != nil {
			e.Msg = fmt.Sprintf("%s: %v", f.field, err)
			errs = append(errs, e)
			continue
		}
		st, err := fh.Stat()
		fh.Close()
		switch {
		case err != nil:
			e.Msg = fmt.Sprintf("%s: %v", f.field, err)
		case st.IsDir():
			e.Msg = fmt.Sprintf("%s %s: a directory, not a file", f.field, f.path)
		case (f.field == "mqtt.password_file" || f.field == "mqtt.key_file") && st.Mode().Perm()&0o004 != 0:
			e.Msg = fmt.Sprintf("%s %s: every user of the Pi can read this secret (mode %04o): chmod o-r it", f.field, f.path, st.Mode().Perm())
		default:
			continue
		}
		errs = append(errs, e)
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}
