package sim

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// ParseError is an error in a scene file: File and Line locate it, Field
// is the path of the value in YAML terms ("emitters[2].behaviour").
type ParseError struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (e *ParseError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Field, e.Msg)
}

// Unwrap makes errors.Is(err, ErrScene) hold for every ParseError.
func (e *ParseError) Unwrap() error { return ErrScene }

// Load reads and parses a scene file (see Parse).
func Load(path string) (*Scene, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sim: load scene: %w", err)
	}
	return Parse(data, path)
}

// maxSceneBytes bounds what Parse accepts; real scenes are a few kB.
const maxSceneBytes = 4 << 20

// Parse decodes a scene from YAML and validates it. Decoding is strict:
// unknown keys are rejected (with the nearest known key suggested),
// values carry units ("902.4MHz", "577us", "23dBm", "-35dBFS", "6dB"),
// and every error is a *ParseError naming filename, line and field.
// The format is described in the package documentation; the built-in
// scenes under scenes/ are examples.
func Parse(data []byte, filename string) (*Scene, error) {
	if len(data) > maxSceneBytes {
		return nil, &ParseError{File: filename, Line: 1, Msg: fmt.Sprintf("scene file of %d bytes is larger than %d", len(data), maxSceneBytes)}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ParseError{File: filename, Line: 1, Msg: "empty scene file"}
		}
		return nil, yamlError(filename, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &ParseError{File: filename, Line: extra.Line, Msg: "more than one YAML document"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(filename, err)
	}
	d := &decoder{file: filename, lines: map[string]int{}}
	sc, err := d.scene(&doc)
	if err != nil {
		return nil, err
	}
	if err := sc.Validate(); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return nil, &ParseError{File: filename, Line: d.lineOf(fe.Field), Field: fe.Field, Msg: fe.Msg}
		}
		return nil, &ParseError{File: filename, Line: 1, Msg: err.Error()}
	}
	return sc, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a yaml.v3 syntax error into a ParseError.
func yamlError(file string, err error) error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &ParseError{File: file, Line: line, Msg: "YAML syntax: " + m[2]}
	}
	return &ParseError{File: file, Line: 1, Msg: "YAML syntax: " + strings.TrimPrefix(msg, "yaml: ")}
}

// decoder walks the YAML node tree, remembering the line of every field
// so that validation errors can point at them.
type decoder struct {
	file  string
	lines map[string]int
}

func (d *decoder) err(n *yaml.Node, field, format string, args ...any) error {
	line := 1
	if n != nil {
		line = n.Line
	}
	return &ParseError{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// lineOf finds the line of field, or of its closest recorded parent.
func (d *decoder) lineOf(field string) int {
	for f := field; f != ""; {
		if l, ok := d.lines[f]; ok {
			return l
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			break
		}
		f = f[:i]
	}
	return 1
}

// obj is a YAML mapping being decoded.
type obj struct {
	d     *decoder
	n     *yaml.Node
	path  string
	keys  []string
	key   map[string]*yaml.Node // key node
	value map[string]*yaml.Node
}

// resolve follows aliases; they are refused (a scene has no need for them
// and they allow exponential documents).
func (d *decoder) resolve(n *yaml.Node, path string) (*yaml.Node, error) {
	if n.Kind == yaml.AliasNode {
		return nil, d.err(n, path, "YAML aliases are not supported")
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil, d.err(n, path, "empty document")
		}
		return d.resolve(n.Content[0], path)
	}
	return n, nil
}

func (d *decoder) object(n *yaml.Node, path string) (*obj, error) {
	n, err := d.resolve(n, path)
	if err != nil {
		return nil, err
	}
	if n.Kind != yaml.MappingNode {
		if path == "" {
			return nil, d.err(n, "", "a scene is a mapping of keys to values, not %s", kindName(n))
		}
		return nil, d.err(n, path, "must be a mapping of keys to values, not %s", kindName(n))
	}
	o := &obj{d: d, n: n, path: path, key: map[string]*yaml.Node{}, value: map[string]*yaml.Node{}}
	d.lines[path] = n.Line
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, d.err(k, path, "keys must be plain names")
		}
		name := k.Value
		if prev, dup := o.key[name]; dup {
			return nil, d.err(k, o.field(name), "duplicate key (first at line %d)", prev.Line)
		}
		o.keys = append(o.keys, name)
		o.key[name] = k
		o.value[name] = v
		d.lines[o.field(name)] = v.Line
	}
	return o, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func (o *obj) field(k string) string {
	if o.path == "" {
		return k
	}
	return o.path + "." + k
}

// check rejects keys that are not in known, suggesting the closest.
func (o *obj) check(known ...[]string) error {
	var all []string
	for _, k := range known {
		all = append(all, k...)
	}
	for _, k := range o.keys {
		found := false
		for _, a := range all {
			if a == k {
				found = true
				break
			}
		}
		if !found {
			if s := nearest(k, all); s != "" {
				return o.d.err(o.key[k], o.field(k), "unknown field (did you mean %s?)", s)
			}
			sorted := append([]string(nil), all...)
			sort.Strings(sorted)
			return o.d.err(o.key[k], o.field(k), "unknown field (known: %s)", strings.Join(sorted, ", "))
		}
	}
	return nil
}

func (o *obj) has(k string) bool { _, ok := o.value[k]; return ok }

// scalar returns the text of scalar key k, or ok false if absent.
func (o *obj) scalar(k string) (string, *yaml.Node, bool, error) {
	v, ok := o.value[k]
	if !ok {
		return "", nil, false, nil
	}
	v, err := o.d.resolve(v, o.field(k))
	if err != nil {
		return "", nil, false, err
	}
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return "", nil, false, o.d.err(v, o.field(k), "must be a single value, not %s", kindName(v))
	}
	return v.Value, v, true, nil
}

// get decodes scalar key k with parse into dst when present.
func get[T any](o *obj, k string, dst *T, parse func(string) (T, error)) error {
	s, n, ok, err := o.scalar(k)
	if err != nil || !ok {
		return err
	}
	v, err := parse(s)
	if err != nil {
		return o.d.err(n, o.field(k), "%v", err)
	}
	*dst = v
	return nil
}

func parseString(s string) (string, error) { return s, nil }

func parseInt(s string) (int, error) {
	v, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", s)
	}
	return int(v), nil
}

func parseUint64(s string) (uint64, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 0, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a non-negative whole number", s)
	}
	return v, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", s)
}

func parseFloat(s string) (float64, error) { return parseNumber(strings.TrimSpace(s)) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time (e.g. 2026-03-01T22:00:00Z)", s)
	}
	return t, nil
}

func parseDegrees(s string) (float64, error) {
	return parseWithUnits(s, "angle", []unit{{"deg", 1}, {"°", 1}}, 1)
}

// parseLOLeak takes a level in dBFS or "off".
func parseLOLeak(s string) (float64, error) {
	if strings.EqualFold(strings.TrimSpace(s), "off") {
		return math.Inf(-1), nil
	}
	return parseDBFS(s)
}

// list returns the items of sequence key k (nil, false if absent).
func (o *obj) list(k string) ([]*yaml.Node, bool, error) {
	v, ok := o.value[k]
	if !ok {
		return nil, false, nil
	}
	v, err := o.d.resolve(v, o.field(k))
	if err != nil {
		return nil, false, err
	}
	if v.Kind != yaml.SequenceNode {
		return nil, false, o.d.err(v, o.field(k), "must be a list, not %s", kindName(v))
	}
	for i, it := range v.Content {
		o.d.lines[fmt.Sprintf("%s[%d]", o.field(k), i)] = it.Line
	}
	return v.Content, true, nil
}

// coords decodes a list of n coordinates in metres at key k.
func (o *obj) coords(k string, n int) ([]float64, bool, error) {
	items, ok, err := o.list(k)
	if err != nil || !ok {
		return nil, ok, err
	}
	return o.d.coords(o.value[k], items, o.field(k), n)
}

func (d *decoder) coords(at *yaml.Node, items []*yaml.Node, field string, n int) ([]float64, bool, error) {
	if len(items) != n {
		return nil, false, d.err(at, field, "needs %d coordinates in metres, has %d", n, len(items))
	}
	out := make([]float64, n)
	for i, it := range items {
		it, err := d.resolve(it, field)
		if err != nil {
			return nil, false, err
		}
		if it.Kind != yaml.ScalarNode {
			return nil, false, d.err(it, field, "coordinate %d must be a number of metres", i+1)
		}
		v, err := parseDistance(it.Value)
		if err != nil {
			return nil, false, d.err(it, field, "%v", err)
		}
		out[i] = v
	}
	return out, true, nil
}

// Keys accepted at each level.
var (
	sceneKeys       = []string{"name", "description", "seed", "sample_rate", "start", "duration", "propagation", "site", "sensors", "emitters", "interference"}
	propagationKeys = []string{"exponent", "ref_loss", "shadow_sigma"}
	siteKeys        = []string{"wings", "walls", "floors"}
	wingKeys        = []string{"name", "polygon"}
	wallKeys        = []string{"name", "from", "to", "loss"}
	floorKeys       = []string{"name", "height", "loss"}
	sensorKeys      = []string{"id", "position", "wing", "center", "gain", "dongle"}
	dongleKeys      = []string{"noise_floor", "adc_noise", "ref_gain", "full_scale", "dc_i", "dc_q", "lo_leak", "iq_gain", "iq_phase", "spurs", "ppm", "stale", "transient", "settle_flag", "drop_rate", "drop_len", "gain_errors"}
	spurKeys        = []string{"offset", "level"}
	gainErrorKeys   = []string{"gain", "error"}
	emitterKeys     = []string{"id", "role", "position", "wing", "power", "snr", "steps", "start", "stop"}
)

// behaviourKeys lists each behaviour's own keys, phone behaviours first.
var behaviourKeys = map[string][]string{
	"gsm_call":       {"arfcn", "hopping", "timeslot", "tsc", "dtx", "talk", "silence"},
	"gsm_signalling": {"arfcn", "timeslot", "tsc", "rach", "sdcch", "repeat"},
	"lte_data":       {"carrier", "bandwidth", "max_prb", "on", "off", "load", "run_length", "inactivity", "cqi_period", "srs_period", "cqi", "srs", "srs_prb", "prb_backoff"},
	"lte_idle":       {"carrier", "bandwidth", "period", "inactivity"},
	"umts_call":      {"freq", "uarfcn"},
	"bursts":         {"kind", "count", "interval", "freq_min", "freq_max", "nprb", "subframes"},
	"cw":             {"freq"},
	"swept_cw":       {"from", "to", "period"},
	"nbfm":           {"freq", "deviation", "on", "off"},
	"impulses":       {"rate", "width"},
	"floor_step":     {"step", "sensors"},
	"jammer":         {"freq", "bandwidth", "sweep"},
	"bcch":           {"arfcn"},
	"gsm_downlink":   {"arfcn", "freq", "bcc"},
}

var (
	phoneBehaviours   = []string{"gsm_call", "gsm_signalling", "lte_data", "lte_idle", "umts_call", "bursts"}
	interferenceKinds = []string{"cw", "swept_cw", "nbfm", "impulses", "floor_step", "jammer", "bcch", "gsm_downlink"}
)

func (d *decoder) scene(doc *yaml.Node) (*Scene, error) {
	o, err := d.object(doc, "")
	if err != nil {
		return nil, err
	}
	if err := o.check(sceneKeys); err != nil {
		return nil, err
	}
	sc := &Scene{}
	if err := firstErr(
		get(o, "name", &sc.Name, parseString),
		get(o, "description", &sc.Description, parseString),
		get(o, "seed", &sc.Seed, parseUint64),
		get(o, "sample_rate", &sc.Rate, parseRate),
		get(o, "start", &sc.Start, parseTime),
		get(o, "duration", &sc.Duration, ParseDuration),
	); err != nil {
		return nil, err
	}
	if o.has("propagation") {
		p, err := d.object(o.value["propagation"], "propagation")
		if err != nil {
			return nil, err
		}
		if err := firstErr(p.check(propagationKeys),
			get(p, "exponent", &sc.Propagation.Exponent, parseFloat),
			get(p, "ref_loss", &sc.Propagation.RefLoss, parseDB),
			get(p, "shadow_sigma", &sc.Propagation.ShadowSigma, parseDB),
		); err != nil {
			return nil, err
		}
	}
	if o.has("site") {
		if err := d.site(o.value["site"], &sc.Site); err != nil {
			return nil, err
		}
	}
	items, _, err := o.list("sensors")
	if err != nil {
		return nil, err
	}
	for i, it := range items {
		sn, err := d.sensor(it, fmt.Sprintf("sensors[%d]", i))
		if err != nil {
			return nil, err
		}
		sc.Sensors = append(sc.Sensors, sn)
	}
	for _, l := range []struct {
		key   string
		dst   *[]Emitter
		inter bool
	}{{"emitters", &sc.Emitters, false}, {"interference", &sc.Interference, true}} {
		items, _, err := o.list(l.key)
		if err != nil {
			return nil, err
		}
		for i, it := range items {
			e, err := d.emitter(it, fmt.Sprintf("%s[%d]", l.key, i), l.inter)
			if err != nil {
				return nil, err
			}
			*l.dst = append(*l.dst, e)
		}
	}
	return sc, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func (d *decoder) site(n *yaml.Node, s *Site) error {
	o, err := d.object(n, "site")
	if err != nil {
		return err
	}
	if err := o.check(siteKeys); err != nil {
		return err
	}
	wings, _, err := o.list("wings")
	if err != nil {
		return err
	}
	for i, it := range wings {
		f := fmt.Sprintf("site.wings[%d]", i)
		w, err := d.object(it, f)
		if err != nil {
			return err
		}
		var wing Wing
		if err := firstErr(w.check(wingKeys), get(w, "name", &wing.Name, parseString)); err != nil {
			return err
		}
		verts, _, err := w.list("polygon")
		if err != nil {
			return err
		}
		for j, v := range verts {
			vf := fmt.Sprintf("%s.polygon[%d]", f, j)
			v, err := d.resolve(v, vf)
			if err != nil {
				return err
			}
			if v.Kind != yaml.SequenceNode {
				return d.err(v, vf, "a vertex is a list [x, y] in metres")
			}
			c, _, err := d.coords(v, v.Content, vf, 2)
			if err != nil {
				return err
			}
			wing.Polygon = append(wing.Polygon, XY{c[0], c[1]})
		}
		s.Wings = append(s.Wings, wing)
	}
	walls, _, err := o.list("walls")
	if err != nil {
		return err
	}
	for i, it := range walls {
		f := fmt.Sprintf("site.walls[%d]", i)
		w, err := d.object(it, f)
		if err != nil {
			return err
		}
		var wall Wall
		if err := firstErr(w.check(wallKeys), get(w, "name", &wall.Name, parseString), get(w, "loss", &wall.Loss, parseDB)); err != nil {
			return err
		}
		for _, end := range []struct {
			key string
			dst *XY
		}{{"from", &wall.A}, {"to", &wall.B}} {
			c, ok, err := w.coords(end.key, 2)
			if err != nil {
				return err
			}
			if !ok {
				return d.err(w.n, w.field(end.key), "missing (a wall runs from [x, y] to [x, y])")
			}
			*end.dst = XY{c[0], c[1]}
		}
		if !w.has("loss") {
			return d.err(w.n, w.field("loss"), "missing (the wall's attenuation, e.g. 12dB)")
		}
		s.Walls = append(s.Walls, wall)
	}
	floors, _, err := o.list("floors")
	if err != nil {
		return err
	}
	for i, it := range floors {
		f := fmt.Sprintf("site.floors[%d]", i)
		w, err := d.object(it, f)
		if err != nil {
			return err
		}
		var fl Floor
		if err := firstErr(w.check(floorKeys), get(w, "name", &fl.Name, parseString),
			get(w, "height", &fl.Height, parseDistance), get(w, "loss", &fl.Loss, parseDB)); err != nil {
			return err
		}
		s.Floors = append(s.Floors, fl)
	}
	return nil
}

func (d *decoder) sensor(n *yaml.Node, f string) (Sensor, error) {
	var sn Sensor
	o, err := d.object(n, f)
	if err != nil {
		return sn, err
	}
	if err := firstErr(o.check(sensorKeys),
		get(o, "id", &sn.ID, parseString),
		get(o, "wing", &sn.Wing, parseString),
		get(o, "center", &sn.Center, ParseFrequency),
		get(o, "gain", &sn.Gain, parseDB),
	); err != nil {
		return sn, err
	}
	if !o.has("center") {
		return sn, d.err(o.n, o.field("center"), "missing (the frequency the sensor is tuned to, e.g. 902.4MHz)")
	}
	if c, ok, err := o.coords("position", 3); err != nil {
		return sn, err
	} else if ok {
		sn.Pos = Point{c[0], c[1], c[2]}
	}
	if o.has("dongle") {
		dg, err := d.dongle(o.value["dongle"], o.field("dongle"))
		if err != nil {
			return sn, err
		}
		sn.Dongle = dg
	}
	return sn, nil
}

func (d *decoder) dongle(n *yaml.Node, f string) (*Dongle, error) {
	o, err := d.object(n, f)
	if err != nil {
		return nil, err
	}
	dg := DefaultDongle()
	if err := firstErr(o.check(dongleKeys),
		get(o, "noise_floor", &dg.NoiseFloor, parseDBFS),
		get(o, "adc_noise", &dg.ADCNoise, parseDBFS),
		get(o, "ref_gain", &dg.RefGain, parseDB),
		get(o, "full_scale", &dg.FullScale, parseDBm),
		get(o, "dc_i", &dg.DCI, parseFloat),
		get(o, "dc_q", &dg.DCQ, parseFloat),
		get(o, "lo_leak", &dg.LOLeak, parseLOLeak),
		get(o, "iq_gain", &dg.IQGain, parseDB),
		get(o, "iq_phase", &dg.IQPhase, parseDegrees),
		get(o, "ppm", &dg.PPM, parsePPM),
		get(o, "stale", &dg.Stale, ParseDuration),
		get(o, "transient", &dg.Transient, ParseDuration),
		get(o, "settle_flag", &dg.SettleFlag, ParseDuration),
		get(o, "drop_rate", &dg.DropRate, parsePerSecond),
		get(o, "drop_len", &dg.DropLen, parseInt),
	); err != nil {
		return nil, err
	}
	spurs, ok, err := o.list("spurs")
	if err != nil {
		return nil, err
	}
	if ok {
		dg.Spurs = nil
	}
	for i, it := range spurs {
		sf := fmt.Sprintf("%s.spurs[%d]", f, i)
		so, err := d.object(it, sf)
		if err != nil {
			return nil, err
		}
		var sp Spur
		if err := firstErr(so.check(spurKeys), get(so, "offset", &sp.Offset, ParseFrequency), get(so, "level", &sp.Level, parseDBFS)); err != nil {
			return nil, err
		}
		if !so.has("offset") || !so.has("level") {
			return nil, d.err(so.n, sf, "a spur needs offset and level")
		}
		dg.Spurs = append(dg.Spurs, sp)
	}
	errs, _, err := o.list("gain_errors")
	if err != nil {
		return nil, err
	}
	for i, it := range errs {
		ef := fmt.Sprintf("%s.gain_errors[%d]", f, i)
		eo, err := d.object(it, ef)
		if err != nil {
			return nil, err
		}
		var ge GainError
		if err := firstErr(eo.check(gainErrorKeys), get(eo, "gain", &ge.Gain, parseDB), get(eo, "error", &ge.Error, parseDB)); err != nil {
			return nil, err
		}
		if !eo.has("gain") || !eo.has("error") {
			return nil, d.err(eo.n, ef, "a gain error needs gain and error")
		}
		dg.GainErrors = append(dg.GainErrors, ge)
	}
	return dg, nil
}

func (d *decoder) emitter(n *yaml.Node, f string, inter bool) (Emitter, error) {
	var e Emitter
	o, err := d.object(n, f)
	if err != nil {
		return e, err
	}
	// The behaviour decides which keys are valid, so read it first.
	bkey, names := "behaviour", phoneBehaviours
	if inter {
		bkey, names = "kind", interferenceKinds
	}
	name, bn, ok, err := o.scalar(bkey)
	if err != nil {
		return e, err
	}
	if !ok {
		if err := o.check(emitterKeys, []string{bkey}); err != nil {
			return e, err
		}
		return e, d.err(o.n, o.field(bkey), "missing (one of %s)", strings.Join(names, ", "))
	}
	known := false
	for _, nm := range names {
		known = known || nm == name
	}
	if !known {
		msg := fmt.Sprintf("unknown %q", name)
		if s := nearest(name, names); s != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", s)
		} else {
			msg += fmt.Sprintf(" (one of %s)", strings.Join(names, ", "))
		}
		other := phoneBehaviours
		if !inter {
			other = interferenceKinds
		}
		for _, nm := range other {
			if nm == name {
				where := "interference (as kind)"
				if inter {
					where = "emitters (as behaviour)"
				}
				msg = fmt.Sprintf("%q belongs under %s", name, where)
			}
		}
		return e, d.err(bn, o.field(bkey), "%s", msg)
	}
	if err := o.check(emitterKeys, []string{bkey}, behaviourKeys[name]); err != nil {
		return e, err
	}
	if err := firstErr(
		get(o, "id", &e.ID, parseString),
		get(o, "role", &e.Role, parseString),
		get(o, "wing", &e.Wing, parseString),
		get(o, "start", &e.Start, ParseDuration),
		get(o, "stop", &e.Stop, ParseDuration),
	); err != nil {
		return e, err
	}
	if c, ok, err := o.coords("position", 3); err != nil {
		return e, err
	} else if ok {
		e.Pos = Point{c[0], c[1], c[2]}
	}
	// Level: power or snr.
	hasP, hasS := o.has("power"), o.has("snr")
	switch {
	case hasP && hasS:
		return e, d.err(o.key["snr"], o.field("snr"), "give power or snr, not both")
	case hasP:
		e.Level.Mode = ByPower
		if err := get(o, "power", &e.Level.DB, parseDBm); err != nil {
			return e, err
		}
	case hasS:
		e.Level.Mode = BySNR
		if err := get(o, "snr", &e.Level.DB, parseDB); err != nil {
			return e, err
		}
	case name != "floor_step":
		return e, d.err(o.n, o.field("power"), "missing: give the transmit power (e.g. 23dBm) or the SNR at the sensors (e.g. 10dB)")
	}
	steps, _, err := o.list("steps")
	if err != nil {
		return e, err
	}
	for i, it := range steps {
		sf := fmt.Sprintf("%s.steps[%d]", f, i)
		so, err := d.object(it, sf)
		if err != nil {
			return e, err
		}
		var st LevelStep
		lk, parse := "power", parseDBm
		if e.Level.Mode == BySNR {
			lk, parse = "snr", parseDB
		}
		if err := firstErr(so.check([]string{"at", lk}), get(so, "at", &st.At, ParseDuration), get(so, lk, &st.DB, parse)); err != nil {
			return e, err
		}
		if !so.has("at") || !so.has(lk) {
			return e, d.err(so.n, sf, "a step needs at and %s", lk)
		}
		e.Steps = append(e.Steps, st)
	}
	b, err := d.behaviour(o, name, &e)
	if err != nil {
		return e, err
	}
	e.Behaviour = b
	return e, nil
}

// need reports a missing required key.
func (o *obj) need(keys ...string) error {
	for _, k := range keys {
		if !o.has(k) {
			return o.d.err(o.n, o.field(k), "missing")
		}
	}
	return nil
}

func (d *decoder) behaviour(o *obj, name string, e *Emitter) (Behaviour, error) {
	switch name {
	case "gsm_call":
		b := &GSMCall{}
		dtx := true
		var hop string
		if err := firstErr(o.need("arfcn"), d.arfcns(o, &b.ARFCNs),
			get(o, "hopping", &hop, parseString),
			get(o, "timeslot", &b.Timeslot, parseInt), get(o, "tsc", &b.TSC, parseInt),
			get(o, "dtx", &dtx, parseBool), get(o, "talk", &b.Talk, ParseDuration),
			get(o, "silence", &b.Silence, ParseDuration)); err != nil {
			return nil, err
		}
		b.NoDTX = !dtx
		switch hop {
		case "", "cyclic":
		case "random":
			b.Hopping = HopRandom
		default:
			msg := fmt.Sprintf("unknown %q (cyclic or random)", hop)
			return nil, d.err(o.value["hopping"], o.field("hopping"), "%s", msg)
		}
		return b, nil
	case "gsm_signalling":
		b := &GSMSignalling{}
		return b, firstErr(o.need("arfcn"), get(o, "arfcn", &b.ARFCN, parseInt),
			get(o, "timeslot", &b.Timeslot, parseInt), get(o, "tsc", &b.TSC, parseInt),
			get(o, "rach", &b.RACH, parseInt), get(o, "sdcch", &b.SDCCH, ParseDuration),
			get(o, "repeat", &b.Repeat, ParseDuration))
	case "lte_data":
		b := &LTEData{}
		cqi, srs := true, true
		err := firstErr(o.need("carrier", "bandwidth"), get(o, "carrier", &b.Carrier, ParseFrequency),
			get(o, "bandwidth", &b.Bandwidth, ParseFrequency), get(o, "max_prb", &b.MaxPRB, parseInt),
			get(o, "on", &b.On, ParseDuration), get(o, "off", &b.Off, ParseDuration),
			get(o, "load", &b.Load, parseFloat), get(o, "run_length", &b.RunLength, parseFloat),
			get(o, "inactivity", &b.Inactivity, ParseDuration),
			get(o, "cqi_period", &b.CQIPeriod, ParseDuration), get(o, "srs_period", &b.SRSPeriod, ParseDuration),
			get(o, "cqi", &cqi, parseBool), get(o, "srs", &srs, parseBool),
			get(o, "srs_prb", &b.SRSPRB, parseInt), get(o, "prb_backoff", &b.PRBBackoff, parseDB))
		b.NoCQI, b.NoSRS = !cqi, !srs
		return b, err
	case "lte_idle":
		b := &LTEIdle{}
		return b, firstErr(o.need("carrier", "bandwidth"), get(o, "carrier", &b.Carrier, ParseFrequency),
			get(o, "bandwidth", &b.Bandwidth, ParseFrequency), get(o, "period", &b.Period, ParseDuration),
			get(o, "inactivity", &b.Inactivity, ParseDuration))
	case "umts_call":
		b := &UMTSCall{}
		if o.has("freq") == o.has("uarfcn") {
			return nil, d.err(o.n, o.field("freq"), "give freq or uarfcn (one of them)")
		}
		var u int
		if err := firstErr(get(o, "freq", &b.Freq, ParseFrequency), get(o, "uarfcn", &u, parseInt)); err != nil {
			return nil, err
		}
		if o.has("uarfcn") {
			if u < 2712 || u > 2863 {
				return nil, d.err(o.value["uarfcn"], o.field("uarfcn"), "%d is not a band VIII uplink UARFCN (2712–2863)", u)
			}
			b.Freq = float64(u)/5*1e6 + 340e6
		}
		return b, nil
	case "bursts":
		b := &Bursts{}
		var kind string
		if err := firstErr(o.need("kind", "snr"), get(o, "kind", &kind, parseString)); err != nil {
			return nil, err
		}
		k, err := ParseKind(kind)
		if err != nil {
			msg := fmt.Sprintf("unknown %q", kind)
			if s := nearest(kind, burstKindNames); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			return nil, d.err(o.value["kind"], o.field("kind"), "%s", msg)
		}
		b.Kind = k
		b.SNR = e.Level.DB
		return b, firstErr(get(o, "count", &b.Count, parseInt), get(o, "interval", &b.Interval, ParseDuration),
			get(o, "freq_min", &b.FreqMin, ParseFrequency), get(o, "freq_max", &b.FreqMax, ParseFrequency),
			get(o, "nprb", &b.NPRB, parseInt), get(o, "subframes", &b.Subframes, parseInt))
	case "cw":
		b := &CW{}
		return b, firstErr(o.need("freq"), get(o, "freq", &b.Freq, ParseFrequency))
	case "swept_cw":
		b := &SweptCW{}
		return b, firstErr(o.need("from", "to", "period"), get(o, "from", &b.From, ParseFrequency),
			get(o, "to", &b.To, ParseFrequency), get(o, "period", &b.Period, ParseDuration))
	case "nbfm":
		b := &NBFM{}
		return b, firstErr(o.need("freq"), get(o, "freq", &b.Freq, ParseFrequency),
			get(o, "deviation", &b.Deviation, ParseFrequency), get(o, "on", &b.On, ParseDuration),
			get(o, "off", &b.Off, ParseDuration))
	case "impulses":
		b := &Impulses{}
		return b, firstErr(o.need("rate"), get(o, "rate", &b.Rate, parsePerSecond), get(o, "width", &b.Width, ParseDuration))
	case "floor_step":
		b := &FloorStep{}
		if err := firstErr(o.need("step"), get(o, "step", &b.Step, parseDB)); err != nil {
			return nil, err
		}
		ids, _, err := o.list("sensors")
		if err != nil {
			return nil, err
		}
		for i, it := range ids {
			it, err := d.resolve(it, fmt.Sprintf("%s[%d]", o.field("sensors"), i))
			if err != nil {
				return nil, err
			}
			if it.Kind != yaml.ScalarNode {
				return nil, d.err(it, o.field("sensors"), "a sensor id is a single value")
			}
			b.Sensors = append(b.Sensors, it.Value)
		}
		return b, nil
	case "jammer":
		b := &Jammer{}
		return b, firstErr(o.need("freq", "bandwidth"), get(o, "freq", &b.Freq, ParseFrequency),
			get(o, "bandwidth", &b.Bandwidth, ParseFrequency), get(o, "sweep", &b.Sweep, ParseDuration))
	case "bcch":
		b := &BCCH{}
		return b, firstErr(o.need("arfcn"), get(o, "arfcn", &b.ARFCN, parseInt))
	case "gsm_downlink":
		b := &GSMDownlink{}
		switch {
		case o.has("arfcn") && o.has("freq"):
			return nil, d.err(o.value["freq"], o.field("freq"), "give arfcn or freq, not both")
		case !o.has("arfcn") && !o.has("freq"):
			return nil, d.err(o.n, o.field("arfcn"), "missing (or freq, for a carrier off the raster)")
		}
		return b, firstErr(get(o, "arfcn", &b.ARFCN, parseInt), get(o, "freq", &b.Freq, ParseFrequency),
			get(o, "bcc", &b.BCC, parseInt))
	}
	return nil, d.err(o.n, o.path, "behaviour %q not implemented", name)
}

var burstKindNames = []string{"gsm_normal", "gsm_access", "lte_pusch", "lte_pucch", "lte_prach", "lte_srs"}

// arfcns reads "arfcn" as one channel or a list (a hopping list).
func (d *decoder) arfcns(o *obj, dst *[]int) error {
	v, ok := o.value["arfcn"]
	if !ok {
		return nil
	}
	v, err := d.resolve(v, o.field("arfcn"))
	if err != nil {
		return err
	}
	items := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		items = v.Content
	}
	for i, it := range items {
		f := o.field("arfcn")
		if v.Kind == yaml.SequenceNode {
			f = fmt.Sprintf("%s[%d]", f, i)
			d.lines[f] = it.Line
		}
		it, err := d.resolve(it, f)
		if err != nil {
			return err
		}
		if it.Kind != yaml.ScalarNode {
			return d.err(it, f, "an ARFCN is a whole number")
		}
		a, err := parseInt(it.Value)
		if err != nil {
			return d.err(it, f, "%v", err)
		}
		*dst = append(*dst, a)
	}
	return nil
}

// nearest returns the candidate closest to s by edit distance if it is
// close enough to be a typo (at most 2 edits, or a third of s), else "".
func nearest(s string, candidates []string) string {
	best, bestD := "", math.MaxInt
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(s), c); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD <= max(2, len(s)/3) && bestD < len(s) {
		return best
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt / 2
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			cur[j] = min(c, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
