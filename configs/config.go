package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/evidence"
	"github.com/cellsentry/cellsentry/alerting/queue"
	"github.com/cellsentry/cellsentry/alerting/track"
	"github.com/cellsentry/cellsentry/sdr/hop"
)

// Config is one sensor's configuration. Parse and Load fill every field:
// defaults first, then the file, then the values derived from others
// (hop = fft_size, client_id from site and id, a dongle's bands and ppm),
// and relative paths resolved (see the path fields). The YAML names are
// the field tags; configs/sensor.yaml documents each one.
type Config struct {
	Sensor      Sensor      `yaml:"sensor"`
	Radio       Radio       `yaml:"radio"`
	Scan        Scan        `yaml:"scan"`
	Detection   Detection   `yaml:"detection"`
	Calibration Calibration `yaml:"calibration"`
	Alerting    Alerting    `yaml:"alerting"`
	MQTT        MQTT        `yaml:"mqtt"`
	Hardware    Hardware    `yaml:"hardware"`
	Logging     Logging     `yaml:"logging"`
	Metrics     Metrics     `yaml:"metrics"`
	// StateDir holds the alert queue and the evidence recordings. A
	// relative state_dir is taken from the config file's directory.
	StateDir string `yaml:"state_dir"`

	file     string                // as given, for messages
	dir      string                // the config file's directory
	where    map[string]*yaml.Node // field path → value node, for CheckFiles
	warnings []*Error
}

// Sensor is the sensor's identity and where it hangs.
type Sensor struct {
	// ID and Site are required; they become MQTT topic levels
	// (alerting.CheckName: letters, digits, '-', '_', '.').
	ID       string    `yaml:"id"`
	Site     string    `yaml:"site"`
	Building string    `yaml:"building"`
	Wing     string    `yaml:"wing"`
	Position *Position `yaml:"position,omitempty"`
	// Mode is actual, test or exercise (alerting.ModeActual …).
	Mode string `yaml:"mode"`
}

// Position is where the sensor hangs in the site plan: metres east (x) and
// north (y) of the site's origin, and the floor (0 = ground).
type Position struct {
	X     float64 `yaml:"x"`
	Y     float64 `yaml:"y"`
	Floor int     `yaml:"floor"`
}

// Radio is the receivers. The file may give one dongle in short form
// (source, gain, ppm, bias_tee right under radio); Parse turns it into
// Dongles[0], named dongle0, and clears the short-form fields.
type Radio struct {
	SampleRate Frequency `yaml:"sample_rate"`
	// TunerMin and TunerMax are what the tuner reaches (an R820T's 24 MHz
	// to 1766 MHz by default); bands outside are refused, bands across an
	// edge clipped with a warning.
	TunerMin Frequency `yaml:"tuner_min"`
	TunerMax Frequency `yaml:"tuner_max"`
	Dongles  []Dongle  `yaml:"dongles"`

	// Short form of a single dongle; nil or empty after Parse.
	Source  string `yaml:"source,omitempty"`
	Gain    *Gain  `yaml:"gain,omitempty"`
	PPM     *PPM   `yaml:"ppm,omitempty"`
	BiasTee *bool  `yaml:"bias_tee,omitempty"`
}

// Dongle is one receiver and the scan bands it covers.
type Dongle struct {
	// Name defaults to dongle<i>; it names the source in health messages.
	Name string `yaml:"name"`
	// Source is a source URI (sdr/uri) without freq, rate, gain or ppm,
	// which come from the fields here; default rtlsdr://<i>.
	Source string `yaml:"source"`
	Gain   Gain   `yaml:"gain"`
	// PPM is this dongle's crystal correction; when not given it is
	// calibration.ppm (never nil after Parse).
	PPM     *PPM `yaml:"ppm,omitempty"`
	BiasTee bool `yaml:"bias_tee"`
	// Bands are names of scan bands; a single dongle takes all of them by
	// default, several dongles must share them out.
	Bands []string `yaml:"bands"`
}

func (d *Dongle) setDefaults() { d.Gain = Gain{DB: 40} }

// Band is a scan band: a preset of sdr/hop (written as its name, b8 or
// gsm900-ul) or a custom range {name, low, high}.
type Band struct {
	Name string    `yaml:"name"`
	Low  Frequency `yaml:"low"`
	High Frequency `yaml:"high"`
	// Preset is true for a band given by preset name.
	Preset bool `yaml:"-"`
}

// decodeNode reads a preset name or a custom band's mapping.
func (b *Band) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		*b = Band{Name: n.Value, Preset: true}
		return
	}
	*b = Band{}
	d.structure(n, reflect.ValueOf(b).Elem(), path)
}

// MarshalYAML writes a preset by name, a custom band as a mapping.
func (b Band) MarshalYAML() (any, error) {
	if b.Preset {
		return b.Name, nil
	}
	type plain Band // without the method: no recursion
	return plain(b), nil
}

// Scan is the hop plan (sdr/hop).
type Scan struct {
	Bands  []Band   `yaml:"bands"`
	Dwell  Duration `yaml:"dwell"`
	Settle Duration `yaml:"settle"`
	// Weights gives a band's visits per cycle (default 1 for each band).
	Weights map[string]int `yaml:"weights"`
}

// Detection is the DSP pipeline's settings (dsp/pipeline.Config).
type Detection struct {
	FalsePerHour float64 `yaml:"false_per_hour"`
	// ThresholdDB, when not 0, replaces the thresholds derived from
	// FalsePerHour; BandThresholdDB does so for one band.
	ThresholdDB     Decibel            `yaml:"threshold_db"`
	BandThresholdDB map[string]Decibel `yaml:"band_threshold_db"`
	FFTSize         int                `yaml:"fft_size"`
	Hop             int                `yaml:"hop"`
	Window          string             `yaml:"window"`
	// SpursHz are tuner spur offsets from the tuned centre, masked.
	SpursHz []Frequency `yaml:"spurs_hz"`
	Rhythm  bool        `yaml:"rhythm"`
	// Exclusions are frequency ranges never alerted on (the site's own
	// radios, a neighbour's transmitter).
	Exclusions []Exclusion `yaml:"exclusions"`
}

// Exclusion is a frequency range never alerted on.
type Exclusion struct {
	Name string    `yaml:"name"`
	Low  Frequency `yaml:"low"`
	High Frequency `yaml:"high"`
}

// Calibration turns dBFS into dBm and corrects the dongles' frequency.
type Calibration struct {
	// OffsetDB maps a tuner gain in dB ("40.2") or "default" to dBm −
	// dBFS at that gain.
	OffsetDB map[string]Decibel `yaml:"offset_db"`
	PPM      PPM                `yaml:"ppm"`
}

// Alerting is the alert tracker's settings (alerting/track.Config, whose
// defaults and ranges it takes).
type Alerting struct {
	RaiseConfidence float64  `yaml:"raise_confidence"`
	MinBursts       int      `yaml:"min_bursts"`
	UpdateInterval  Duration `yaml:"update_interval"`
	ClearAfter      Duration `yaml:"clear_after"`
	AlertOnUnknown  bool     `yaml:"alert_on_unknown"`
	Evidence        Evidence `yaml:"evidence"`
}

// Evidence is the IQ kept around each alert's first bursts (for
// alerting/evidence, whose defaults it takes).
type Evidence struct {
	Enabled bool `yaml:"enabled"`
	// Dir is absolute after Parse; a relative dir is taken from state_dir.
	Dir string `yaml:"dir"`
	// Ring is the IQ held in memory for the pre-trigger: at least Pre.
	Ring    Duration `yaml:"ring"`
	Pre     Duration `yaml:"pre"`
	Post    Duration `yaml:"post"`
	MaxSize Size     `yaml:"max_size"`
}

// MQTT is the connection to the site broker.
type MQTT struct {
	Broker   string `yaml:"broker"`
	Prefix   string `yaml:"prefix"`
	ClientID string `yaml:"client_id"`
	Username string `yaml:"username"`
	// The file paths are taken from the config file's directory when
	// relative (absolute after Parse).
	PasswordFile   string   `yaml:"password_file"`
	CAFile         string   `yaml:"ca_file"`
	CertFile       string   `yaml:"cert_file"`
	KeyFile        string   `yaml:"key_file"`
	KeepAlive      Duration `yaml:"keepalive"`
	Queue          Queue    `yaml:"queue"`
	HealthInterval Duration `yaml:"health_interval"`
	PublishBursts  bool     `yaml:"publish_bursts"`
}

// Queue is the durable alert queue.
type Queue struct {
	// Dir is absolute after Parse; a relative dir is taken from state_dir.
	Dir     string `yaml:"dir"`
	MaxSize Size   `yaml:"max_size"`
}

// Hardware is the status LED, buzzer and tamper switch, and how they are
// wired: the daemon passes these to hardware.Config.
type Hardware struct {
	Enabled   bool `yaml:"enabled"`
	LEDPin    Pin  `yaml:"led_pin"`
	BuzzerPin Pin  `yaml:"buzzer_pin"`
	TamperPin Pin  `yaml:"tamper_pin"`
	// LEDActiveLow and BuzzerActiveLow: the output is on when the pin is
	// low (an LED wired from 3.3 V to the pin, most relay boards).
	LEDActiveLow    bool `yaml:"led_active_low"`
	BuzzerActiveLow bool `yaml:"buzzer_active_low"`
	// TamperPull is the tamper input's internal resistor: up, down or none
	// (lower case after Parse).
	TamperPull string `yaml:"tamper_pull"`
	// TamperOpenLevel is the level the tamper input reads while the
	// enclosure is open: high or low (lower case after Parse).
	TamperOpenLevel string `yaml:"tamper_open_level"`
	// TamperDebounce is how long the tamper input must hold a new level
	// before it counts, 1ms to 1s.
	TamperDebounce Duration `yaml:"tamper_debounce"`
	// AlarmMaxOn is how long the buzzer sounds at most for one alert,
	// 1s to 24h.
	AlarmMaxOn Duration `yaml:"alarm_max_on"`
}

// Hardware defaults, the same as package hardware's (a test there checks
// it; configs does not import it, so that the console does not link
// periph.io).
const (
	DefaultTamperPull      = "up"
	DefaultTamperOpenLevel = "high"
	DefaultTamperDebounce  = Duration(50 * time.Millisecond)
	DefaultAlarmMaxOn      = Duration(2 * time.Minute)
)

// Logging is the daemon's log output.
type Logging struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // text, json
}

// Metrics is the Prometheus endpoint.
type Metrics struct {
	// Listen is host:port; empty disables the endpoint.
	Listen string `yaml:"listen"`
}

// Default returns the configuration of a file that only names the sensor.
func Default() *Config {
	var bands []Band
	for _, p := range hop.Presets {
		bands = append(bands, Band{Name: p.Name, Low: Frequency(p.Low), High: Frequency(p.High), Preset: true})
	}
	return &Config{
		Sensor: Sensor{Mode: alerting.ModeActual},
		Radio:  Radio{SampleRate: 2.4e6, TunerMin: 24e6, TunerMax: 1766e6},
		Scan:   Scan{Bands: bands, Dwell: Duration(250e6), Settle: Duration(5e6)},
		Detection: Detection{
			FalsePerHour: 0.5, FFTSize: 256, Window: "tukey", Rhythm: true,
		},
		Alerting: Alerting{
			// The alert tracker's measured defaults (alerting/track).
			RaiseConfidence: track.DefaultRaiseConfidence, MinBursts: track.DefaultMinBursts,
			UpdateInterval: Duration(track.DefaultUpdateInterval), ClearAfter: Duration(track.DefaultClearAfter),
			Evidence: Evidence{Enabled: true, Dir: "evidence", Ring: Duration(evidence.DefaultRing),
				Pre: Duration(evidence.DefaultPre), Post: Duration(evidence.DefaultPost), MaxSize: evidence.DefaultMaxBytes},
		},
		MQTT: MQTT{
			Broker: "tcp://localhost:1883", Prefix: alerting.DefaultPrefix,
			KeepAlive: Duration(30e9), HealthInterval: Duration(60e9),
			Queue: Queue{Dir: "queue", MaxSize: queue.DefaultMaxBytes},
		},
		Hardware: Hardware{LEDPin: "GPIO17", BuzzerPin: "GPIO27", TamperPin: "GPIO22",
			TamperPull: DefaultTamperPull, TamperOpenLevel: DefaultTamperOpenLevel,
			TamperDebounce: DefaultTamperDebounce, AlarmMaxOn: DefaultAlarmMaxOn},
		Logging:  Logging{Level: "info", Format: "text"},
		Metrics:  Metrics{Listen: "127.0.0.1:9475"},
		StateDir: "/var/lib/cellsentry",
	}
}

// maxFile is the largest config file read: a sensor config is a few kB.
const maxFile = 1 << 20

// Sections are the top-level sections, in file order.
var Sections = []string{"sensor", "radio", "scan", "detection", "calibration", "alerting", "mqtt", "hardware", "logging", "metrics", "state_dir"}

// Load reads and checks the config file at path. It only reads the file:
// no directory is made and no referenced file opened (see CheckFiles), so
// a daemon can load a new file and keep running on the old config when it
// fails. Relative paths in the file are taken from the file's directory
// (made absolute here). Errors in the file come as Errors, every one of
// them at once; a file that cannot be read gives a wrapped os error.
func Load(path string) (*Config, error) {
	return load(path, nil)
}

// LoadSections is Load for tools that read a few sections of a sensor
// config (replay reads detection and calibration): only the named
// top-level sections are decoded and checked; the others, known or not,
// are skipped and keep their defaults, and sensor.id is not required
// unless "sensor" is named.
func LoadSections(path string, sections ...string) (*Config, error) {
	return load(path, sections)
}

func load(path string, only []string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parse(path, absDir(path), data, only)
}

// Parse checks the config in data; name is the file's name for messages
// and its directory is where relative paths are taken from (made absolute
// with the working directory when name is relative). Parse touches no
// file.
//
// Every problem comes back in Errors, each with file:line:col, the field
// path and the allowed values. YAML syntax errors are the exception to
// the column: yaml.v3 reports only the line, so the column given is the
// line's first tab for a tab problem and its first non-blank character
// otherwise.
func Parse(name string, data []byte) (*Config, error) {
	return parse(name, absDir(name), data, nil)
}

// ParseSections is Parse restricted to some sections; see LoadSections.
func ParseSections(name string, data []byte, sections ...string) (*Config, error) {
	if sections == nil {
		sections = []string{}
	}
	return parse(name, absDir(name), data, sections)
}

// absDir is the absolute directory of a file name (from the working
// directory when name is relative), so that resolved paths are absolute
// and the effective config reads back to itself from anywhere.
func absDir(name string) string {
	dir := filepath.Dir(name)
	if a, err := filepath.Abs(dir); err == nil {
		return a
	}
	return dir
}

func parse(name, dir string, data []byte, only []string) (*Config, error) {
	for _, s := range only {
		if !containsString(Sections, s) {
			return nil, fmt.Errorf("configs: unknown section %q (known: %s)", s, strings.Join(Sections, ", "))
		}
	}
	c := Default()
	c.file, c.dir = name, dir
	d := newDecoder(name, only)
	if e := decodeFile(d, data, c); e != nil {
		return nil, Errors{e}
	}
	c.where = d.vals
	k := &checker{report: report{d: d}, c: c}
	k.run()
	errs := append(d.errs, k.errs...)
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, Errors(errs)
	}
	sortErrors(k.warns)
	c.warnings = k.warns
	return c, nil
}

// decodeFile parses data as one YAML document and decodes it into root, a
// pointer to a schema's struct that holds its defaults. A file too large
// or with a YAML syntax error comes back as that one error (nothing was
// decoded); every other problem is recorded in d.
func decodeFile(d *decoder, data []byte, root any) *Error {
	if len(data) > maxFile {
		return &Error{File: d.file, Msg: fmt.Sprintf("the file is larger than %d bytes: it cannot be %s", maxFile, d.what)}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	switch err := dec.Decode(&doc); {
	case errors.Is(err, io.EOF):
		// An empty file (or only comments): all defaults.
		return nil
	case err != nil:
		return syntaxError(d.file, data, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return syntaxError(d.file, data, err)
	default:
		d.errAt(&extra, "", "a second YAML document (after a --- line): %s is one document; delete the --- line or split the file", d.what)
	}
	if len(doc.Content) == 1 {
		d.structure(doc.Content[0], reflect.ValueOf(root).Elem(), "")
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Warnings are problems that do not stop the sensor but deserve a look
// (a band clipped by the tuner, a correction given twice, metrics exposed
// on the network), in file order.
func (c *Config) Warnings() []*Error { return c.warnings }

// File is the config's file name as given to Load or Parse.
func (c *Config) File() string { return c.file }
