package configs

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/sdr/hop"
)

// Site is a site plan: the buildings and their floors, the wings (the
// areas an incident is localized to) as polygons in metres, the walls
// that attenuate radio between them, the outer boundary, the sensors with
// their positions and the bands they hear, and the propagation model the
// localization fits. configs/site.yaml documents each field.
//
// ParseSite and LoadSite fill every field: the file's values, then the
// defaults (a sensor's bands, height and floor; the boundary), band names
// written canonically, the image paths made absolute, and each sensor's
// NotHeard computed from the band table (UplinkBands).
type Site struct {
	// Name is the site's name, an MQTT topic level (alerting.CheckName):
	// the sensors' sensor.site.
	Name      string     `yaml:"name"`
	Buildings []Building `yaml:"buildings"`
	Wings     []Wing     `yaml:"wings"`
	Walls     []Wall     `yaml:"walls"`
	// Boundary is the site's outer wall; by default the convex hull of
	// the wings (Boundary.Given says which).
	Boundary    Boundary     `yaml:"boundary"`
	Sensors     []SiteSensor `yaml:"sensors"`
	Propagation Propagation  `yaml:"propagation"`

	file     string
	dir      string
	where    map[string]*yaml.Node
	warnings []*Error
}

// Building is a building of the site and the floors it has.
type Building struct {
	Name string `yaml:"name"`
	// Floors are the floor numbers (0 = ground, −1 = basement); a file
	// writes a count (2: floors 0 and 1) or the list. Empty: not checked.
	Floors Floors `yaml:"floors"`
}

// Floors is a list of floor numbers, written as a count of floors from
// the ground up or as the list itself.
type Floors []int

// decodeNode reads a count or a list.
func (f *Floors) decodeNode(d *decoder, n *yaml.Node, path string) {
	if n.Kind == yaml.ScalarNode {
		c, err := strconv.Atoi(n.Value)
		if err != nil || c < 1 || c > 200 {
			d.fail(n, path, "%s: want a number of floors from 1 to 200 (2: floors 0 and 1) or a list of floor numbers ([-1, 0, 1]), not %s", path, describe(n))
			return
		}
		*f = make(Floors, c)
		for i := range *f {
			(*f)[i] = i
		}
		return
	}
	var list []int
	d.list(n, reflect.ValueOf(&list).Elem(), path)
	*f = list
}

// MarshalYAML writes the list on one line.
func (f Floors) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, v := range f {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)})
	}
	return n, nil
}

// Wing is an area of a building on one floor: what the console localizes
// an incident to and colours on the floor plan.
type Wing struct {
	Name     string `yaml:"name"`
	Building string `yaml:"building"`
	Floor    int    `yaml:"floor"`
	// Polygon is the wing's outline in metres, at least 3 points in order
	// around it, not crossing itself.
	Polygon Polygon `yaml:"polygon"`
	// Image is a floor-plan image (PNG, JPEG or SVG) drawn under the wing,
	// stretched over the polygon's bounding box; absolute after parsing
	// (a relative path is taken from the site file's directory), "" for
	// none.
	Image string `yaml:"image,omitempty"`
}

// Wall is a straight full-height wall that attenuates every radio path
// crossing it.
type Wall struct {
	Name string `yaml:"name,omitempty"`
	From Point  `yaml:"from"`
	To   Point  `yaml:"to"`
	// Loss is its attenuation (at 900 MHz: plasterboard 3dB, brick 6–8dB,
	// reinforced concrete 12–20dB).
	Loss Decibel `yaml:"loss"`
}

// Boundary is the site's outer wall: beyond it a phone is "outside".
type Boundary struct {
	// Polygon defaults to the convex hull of the wings.
	Polygon Polygon `yaml:"polygon"`
	// Loss is the outer wall's attenuation (default 0dB: not a wall of
	// its own, the wings' walls are).
	Loss Decibel `yaml:"loss"`
	// Given is true when the file gave the polygon.
	Given bool `yaml:"-"`
}

// SiteSensor is a sensor of the site plan.
type SiteSensor struct {
	// ID is the sensor's sensor.id.
	ID string `yaml:"id"`
	// Wing is the wing it hangs in.
	Wing string `yaml:"wing"`
	// Position is where it hangs (floor defaults to its wing's floor).
	Position Position `yaml:"position"`
	// Height is its antenna's height above its floor, metres (default 2.5).
	Height float64 `yaml:"height"`
	// Bands are the sdr/hop presets it scans (default all of them),
	// canonical names after parsing.
	Bands []string `yaml:"bands"`
	// NotHeard is what it cannot hear and why, from the band table.
	NotHeard []BandGap `yaml:"-"`
}

// DefaultSensorHeight is a sensor's antenna height above its floor, m: a
// sensor hangs high on a corridor wall.
const DefaultSensorHeight = 2.5

func (s *SiteSensor) setDefaults() { s.Height = DefaultSensorHeight }

// Propagation is the path-loss model the localization fits (see
// alerting/fusion): P_rx = P_tx − PL0(f) − 10·n·log10(d/1m) − Σ walls −
// floor_loss·|Δfloor| + X, X ~ N(0, shadow_sigma²). A field left out takes
// the console's fusion setting, else the fusion default.
type Propagation struct {
	// Exponent is n, 1 to 6 (fusion default 3; 2 is free space).
	Exponent *float64 `yaml:"exponent,omitempty"`
	// ShadowSigma is the standard deviation of the shadow fade, 1dB to
	// 20dB (fusion default 6dB).
	ShadowSigma *Decibel `yaml:"shadow_sigma,omitempty"`
	// FloorLoss is the loss of one floor slab, 1dB to 100dB (fusion
	// default 18dB).
	FloorLoss *Decibel `yaml:"floor_loss,omitempty"`
	// FloorHeight is the height of one storey, 1 to 20 m (fusion default
	// 3.5).
	FloorHeight *float64 `yaml:"floor_height,omitempty"`
}

// BandGap is a band a sensor cannot hear, and why: shown in the console so
// that nobody believes a wing is covered where it is not.
type BandGap struct {
	Band string // "B1 2100 MHz (1920–1980 MHz)"
	Why  string // "beyond the dongle's 1766 MHz"
}

// UplinkBand is a handset uplink band operators use.
type UplinkBand struct {
	// Name is the sdr/hop preset name, or b1-ul, b7-ul, n78-ul for the
	// bands no preset has because an RTL-SDR cannot reach them.
	Name  string
	Label string // how people call it: "B1 2100 MHz"
	// Low and High are its uplink edges, Hz.
	Low, High float64
	Tech      string
}

// DongleMax is the highest frequency an RTL-SDR's tuner reaches (R820T,
// R860): the sensor config's default radio.tuner_max.
var DongleMax = Default().Radio.TunerMax

// UplinkBands is the band table: the sdr/hop presets, then the uplink
// bands operators use that an RTL-SDR cannot reach (B1 1920–1980 MHz,
// B7 2500–2570 MHz, n78 3300–3800 MHz, a TDD band whose uplink shares the
// range with the downlink). NotHeard is computed from it.
var UplinkBands = func() []UplinkBand {
	labels := map[string]string{
		"b28-ul": "B28 700 MHz", "b20-ul": "B20 800 MHz",
		"gsm900-ul": "GSM900 / B8 900 MHz", "dcs1800-ul": "DCS1800 / B3 1800 MHz",
	}
	var out []UplinkBand
	for _, p := range hop.Presets {
		l := labels[p.Name]
		if l == "" {
			l = p.Name
		}
		out = append(out, UplinkBand{Name: p.Name, Label: l, Low: p.Low, High: p.High, Tech: p.Tech})
	}
	return append(out,
		UplinkBand{Name: "b1-ul", Label: "B1 2100 MHz", Low: 1920e6, High: 1980e6, Tech: "UMTS and LTE"},
		UplinkBand{Name: "b7-ul", Label: "B7 2600 MHz", Low: 2500e6, High: 2570e6, Tech: "LTE"},
		UplinkBand{Name: "n78-ul", Label: "n78 3500 MHz", Low: 3300e6, High: 3800e6, Tech: "5G NR (TDD)"},
	)
}()

// uplinkBand looks a band of the table up by name or alias (b1, b7, n78
// and the sdr/hop aliases).
func uplinkBand(name string) (UplinkBand, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	if p, err := hop.Preset(n); err == nil {
		n = p.Name
	}
	for _, b := range UplinkBands {
		if b.Name == n || b.Name == n+"-ul" {
			return b, true
		}
	}
	return UplinkBand{}, false
}

// mhz writes a frequency in MHz without unit: 1766.
func mhz(hz float64) string { return strconv.FormatFloat(hz/1e6, 'f', -1, 64) }

// describeHeard is a heard band in words: "GSM900 / B8 900 MHz uplink
// 880–915 MHz: GSM, UMTS and LTE (band 8)", up to the dongle's top.
func describeHeard(b UplinkBand) string {
	hi := math.Min(b.High, DongleMax.Hz())
	return fmt.Sprintf("%s uplink %s–%s MHz: %s", b.Label, mhz(b.Low), mhz(hi), b.Tech)
}

// gaps is what a sensor scanning bands (canonical preset names) cannot
// hear, in the order of the band table.
func gaps(bands []string) []BandGap {
	var out []BandGap
	top := DongleMax.Hz()
	beyond := "beyond the dongle's " + mhz(top) + " MHz"
	for _, b := range UplinkBands {
		switch {
		case b.Low >= top:
			out = append(out, BandGap{Band: fmt.Sprintf("%s (%s–%s MHz)", b.Label, mhz(b.Low), mhz(b.High)), Why: beyond})
		case !slices.Contains(bands, b.Name):
			out = append(out, BandGap{Band: fmt.Sprintf("%s (%s–%s MHz)", b.Label, mhz(b.Low), mhz(b.High)), Why: "not in this sensor's scan"})
		case b.High > top:
			out = append(out, BandGap{Band: fmt.Sprintf("%s, %s–%s MHz", b.Label, mhz(top), mhz(b.High)), Why: beyond})
		}
	}
	return out
}

// Heard is the bands the sensor scans, in words, for the console.
func (s *SiteSensor) Heard() []string {
	var out []string
	for _, name := range s.Bands {
		if b, ok := uplinkBand(name); ok {
			out = append(out, describeHeard(b))
		}
	}
	return out
}

// siteHints answer keys people try in a site plan.
var siteHints = map[string]string{
	"sensors[].x":        "a sensor's place is position: {x: 12.5, y: 4, floor: 0}",
	"sensors[].y":        "a sensor's place is position: {x: 12.5, y: 4, floor: 0}",
	"sensors[].floor":    "a sensor's floor is part of its position: {x: 12.5, y: 4, floor: 0}",
	"wings[].points":     "a wing's outline is polygon: [[x, y], [x, y], [x, y], …] in metres",
	"wings[].floor_plan": "a wing's floor-plan image is image: plans/a0.png",
	"walls[].loss_db":    "a wall's attenuation is loss: 8dB",
	"perimeter":          "the outer wall is boundary: {polygon: [[x, y], …], loss: 15dB}",
	"path_loss":          "the path-loss model is propagation: {exponent: 3, shadow_sigma: 6dB, floor_loss: 18dB}",
}

// LoadSite reads and checks the site plan at path. Like Load, it only
// reads the file (images are checked by CheckFiles). Problems come as
// Errors, every one of them at once; a file that cannot be read gives a
// wrapped os error.
func LoadSite(path string) (*Site, error) {
	data, err := readConfig(path)
	if err != nil {
		return nil, fmt.Errorf("site plan: %w", err)
	}
	return ParseSite(path, data)
}

// readConfig reads a config file, up to one byte past maxFile so that a
// file too large is recognised as such.
func readConfig(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxFile+1))
}

// ParseSite checks the site plan in data; name is the file's name for
// messages, and relative image paths are taken from its directory. It
// touches no file.
func ParseSite(name string, data []byte) (*Site, error) {
	s := &Site{file: name, dir: absDir(name)}
	d := newDecoder(name, nil)
	d.what, d.hints = "a site plan", siteHints
	if e := decodeFile(d, data, s); e != nil {
		return nil, Errors{e}
	}
	s.where = d.vals
	k := &siteChecker{report: report{d: d}, s: s}
	if !d.failed[""] {
		k.run()
	}
	errs := append(d.errs, k.errs...)
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, Errors(errs)
	}
	sortErrors(k.warns)
	s.warnings = k.warns
	return s, nil
}

// Warnings are problems that do not stop the console but deserve a look
// (a sensor outside its wing, wings that overlap), in file order.
func (s *Site) Warnings() []*Error { return s.warnings }

// File is the site plan's file name as given to LoadSite or ParseSite.
func (s *Site) File() string { return s.file }

// Effective is the site plan as the console uses it, in YAML: defaults
// filled in, band names canonical, image paths absolute. ParseSite reads
// it back to the same plan.
func (s *Site) Effective() []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		panic(fmt.Sprintf("configs: encoding the effective site plan: %v", err))
	}
	enc.Close()
	return b.Bytes()
}

// Wing returns the wing called name.
func (s *Site) Wing(name string) (Wing, bool) {
	for _, w := range s.Wings {
		if w.Name == name {
			return w, true
		}
	}
	return Wing{}, false
}

// siteChecker checks a decoded site plan.
type siteChecker struct {
	report
	s *Site
	// okWings are the indices of the wings whose name and polygon are
	// valid: the geometric checks use only them.
	okWings []int
}

// maxCoord bounds plan coordinates: a site is smaller than 100 km.
const maxCoord = 1e5

// reservedWing is the name alerting/fusion gives the hypothesis "outside
// the walls".
const reservedWing = "outside"

func (k *siteChecker) run() {
	k.name()
	k.buildings()
	k.wings()
	k.overlaps()
	k.walls()
	k.boundary()
	k.sensors()
	k.propagation()
	k.paths()
}

func (k *siteChecker) name() {
	switch {
	case k.bad("name"):
	case k.s.Name == "":
		k.errf("name", "name is required: the site's short name, as the sensors' sensor.site (e.g. fresnes)")
	default:
		if err := alerting.CheckName(k.s.Name); err != nil {
			k.errf("name", "name: %v", err)
		}
	}
}

// label checks a free-text name: required, at most 64 bytes, printable.
func (k *report) label(path, v, what string) bool {
	switch {
	case k.bad(path):
		return false
	case v == "":
		k.errf(path, "%s is required: %s", path, what)
		return false
	case len(v) > 64:
		k.errf(path, "%s: %d bytes long, at most 64", path, len(v))
		return false
	case strings.ContainsFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }):
		k.errf(path, "%s %q: only printable characters", path, v)
		return false
	}
	return true
}

func (k *siteChecker) buildings() {
	seen := map[string]string{}
	for i, b := range k.s.Buildings {
		p := fmt.Sprintf("buildings[%d]", i)
		if k.bad(p) {
			continue
		}
		if k.label(p+".name", b.Name, "the building's name (e.g. A)") {
			if other, dup := seen[b.Name]; dup {
				k.errf(p+".name", "%s.name %q: %s has the same name: give each building its own", p, b.Name, other)
			}
			seen[b.Name] = p
		}
		floors := map[int]bool{}
		for j, f := range b.Floors {
			fp := fmt.Sprintf("%s.floors[%d]", p, j)
			if k.bad(fp) || !k.inRange(fp, float64(f), -10, 200, showFloat, " (0 is the ground floor)") {
				continue
			}
			if floors[f] {
				k.errf(fp, "%s: floor %d is listed twice", fp, f)
			}
			floors[f] = true
		}
	}
}

// building returns the building called name.
func (k *siteChecker) building(name string) (Building, bool) {
	for _, b := range k.s.Buildings {
		if b.Name == name {
			return b, true
		}
	}
	return Building{}, false
}

// unknownName is the end of a message about a name that is not one of
// known: the nearest known name, or the list.
func unknownName(name string, known []string, where string) string {
	// Names are compared without case: "b1-wset" is near "B1-west".
	lower := make([]string, len(known))
	for i, n := range known {
		lower[i] = strings.ToLower(n)
	}
	if s := suggest(name, lower); s != "" {
		return fmt.Sprintf("(did you mean %q?)", known[slices.Index(lower, s)])
	}
	if len(known) == 0 {
		return "(declare it under " + where + ")"
	}
	return fmt.Sprintf("(%s: %s)", where, strings.Join(known, ", "))
}

func (k *siteChecker) wings() {
	s := k.s
	if len(s.Wings) == 0 && !k.bad("wings") {
		k.errf("wings", "wings is empty: a site plan needs at least one wing, the areas incidents are localized to")
	}
	var buildingNames []string
	for _, b := range s.Buildings {
		buildingNames = append(buildingNames, b.Name)
	}
	seen := map[string]string{}
	for i := range s.Wings {
		w := &s.Wings[i]
		p := fmt.Sprintf("wings[%d]", i)
		if k.bad(p) {
			continue
		}
		ok := k.label(p+".name", w.Name, "the wing's name, shown on the console (e.g. A1)")
		if ok && strings.EqualFold(w.Name, reservedWing) {
			k.errf(p+".name", "%s.name %q: reserved for phones outside the walls: call the wing otherwise", p, w.Name)
			ok = false
		}
		if ok {
			if other, dup := seen[w.Name]; dup {
				k.errf(p+".name", "%s.name %q: %s has the same name: give each wing its own", p, w.Name, other)
				ok = false
			}
			seen[w.Name] = p
		}
		okFloor := !k.bad(p+".floor") && k.inRange(p+".floor", float64(w.Floor), -10, 200, showFloat, " (0 is the ground floor)")
		switch b, found := k.building(w.Building); {
		case k.bad(p + ".building"):
		case w.Building == "" && len(s.Buildings) == 1:
			w.Building = s.Buildings[0].Name
			b, found = s.Buildings[0], true
			fallthrough
		case found:
			if okFloor && len(b.Floors) > 0 && !slices.Contains(b.Floors, w.Floor) {
				var fl []string
				for _, f := range b.Floors {
					fl = append(fl, strconv.Itoa(f))
				}
				k.errf(p+".floor", "%s.floor %d: building %s has floors %s", p, w.Floor, b.Name, strings.Join(fl, ", "))
			}
		case w.Building == "" && len(s.Buildings) > 1:
			k.errf(p+".building", "%s.building is required: the site has several buildings (%s)", p, strings.Join(buildingNames, ", "))
		case w.Building != "":
			k.errf(p+".building", "%s.building %q: not a building of the site %s", p, w.Building, unknownName(w.Building, buildingNames, "buildings"))
		}
		if k.polygon(p+".polygon", w.Polygon, "a wing") && ok {
			k.okWings = append(k.okWings, i)
		}
		if w.Image != "" && !k.bad(p+".image") {
			switch strings.ToLower(filepath.Ext(w.Image)) {
			case ".png", ".jpg", ".jpeg", ".svg":
			default:
				k.errf(p+".image", "%s.image %q: want a PNG, JPEG or SVG file (.png, .jpg, .jpeg, .svg)", p, w.Image)
			}
		}
	}
}

// polygon checks an outline: given, at least 3 points on the plan, none
// repeating the one before, enclosing an area, not crossing itself.
func (k *report) polygon(path string, pg Polygon, what string) bool {
	if k.bad(path) {
		return false
	}
	if !k.given(path) {
		k.errf(path, "%s is required: %s's outline, [[x, y], [x, y], [x, y], …] in metres in order around it", path, what)
		return false
	}
	if len(pg) < 3 {
		k.errf(path, "%s: %d points: %s needs at least 3, in order around it", path, len(pg), what)
		return false
	}
	for j, q := range pg {
		pp := fmt.Sprintf("%s[%d]", path, j)
		if k.bad(pp) {
			return false
		}
		if !k.point(pp, q) {
			return false
		}
		if j > 0 && q == pg[j-1] {
			k.errf(pp, "%s: point %s repeats the one before: delete it", pp, showPoint(q))
			return false
		}
	}
	if pg[0] == pg[len(pg)-1] {
		k.errf(fmt.Sprintf("%s[%d]", path, len(pg)-1), "%s[%d]: the last point repeats the first: delete it (the outline closes by itself)", path, len(pg)-1)
		return false
	}
	if pg.collinear() {
		k.errf(path, "%s: the points are in a line: the outline encloses no area", path)
		return false
	}
	if i, j, crossed := pg.selfIntersection(); crossed {
		n := len(pg)
		k.errf(path, "%s: the outline crosses itself: the edge from point %d to %d meets the edge from point %d to %d (list the points in order around %s)",
			path, i, (i+1)%n, j, (j+1)%n, what)
		return false
	}
	if pg.Area() < 1e-6 {
		k.errf(path, "%s: encloses no area", path)
		return false
	}
	return true
}

// point checks that p lies on a site plan.
func (k *report) point(path string, p Point) bool {
	if math.Abs(p.X) > maxCoord || math.Abs(p.Y) > maxCoord {
		k.errf(path, "%s %s: not on a site plan (x and y from -100000 to 100000 metres)", path, showPoint(p))
		return false
	}
	return true
}

func showPoint(p Point) string { return "[" + showFloat(p.X) + ", " + showFloat(p.Y) + "]" }

// overlaps warns about wings of one floor whose outlines overlap: an
// emitter in the common part belongs to both, and the localization can
// only give it to one.
func (k *siteChecker) overlaps() {
	for a, i := range k.okWings {
		for _, j := range k.okWings[a+1:] {
			wi, wj := k.s.Wings[i], k.s.Wings[j]
			if wi.Floor == wj.Floor && wi.Polygon.overlaps(wj.Polygon) {
				k.warnf(fmt.Sprintf("wings[%d].polygon", j), "wings[%d].polygon: wing %q overlaps wing %q (wings[%d]) on floor %d: a phone in the common part is given to one of them; correct the outlines",
					j, wj.Name, wi.Name, i, wj.Floor)
			}
		}
	}
}

func (k *siteChecker) walls() {
	for i, w := range k.s.Walls {
		p := fmt.Sprintf("walls[%d]", i)
		if k.bad(p) {
			continue
		}
		if w.Name != "" {
			k.label(p+".name", w.Name, "")
		}
		ok := true
		for _, f := range []struct {
			name string
			pt   Point
		}{{"from", w.From}, {"to", w.To}} {
			fp := p + "." + f.name
			switch {
			case k.bad(fp):
				ok = false
			case !k.given(fp):
				k.errf(fp, "%s is required: one end of the wall, [x, y] in metres", fp)
				ok = false
			default:
				ok = k.point(fp, f.pt) && ok
			}
		}
		if ok && w.From == w.To {
			k.errf(p+".to", "%s.to %s: the same point as from: a wall has a length", p, showPoint(w.To))
		}
		switch {
		case k.bad(p + ".loss"):
		case !k.given(p + ".loss"):
			k.errf(p+".loss", "%s.loss is required: the wall's attenuation (at 900 MHz: plasterboard 3dB, brick 6dB to 8dB, reinforced concrete 12dB to 20dB)", p)
		default:
			k.inRange(p+".loss", w.Loss.DB(), 0, 100, showDB, "")
		}
	}
}

func (k *siteChecker) boundary() {
	b := &k.s.Boundary
	if !k.bad("boundary.loss") {
		k.inRange("boundary.loss", b.Loss.DB(), 0, 100, showDB, " (the outer wall's attenuation)")
	}
	if k.given("boundary.polygon") || k.bad("boundary.polygon") {
		b.Given = true
		if !k.polygon("boundary.polygon", b.Polygon, "the site") {
			return
		}
		for _, i := range k.okWings {
			w := k.s.Wings[i]
			for j, q := range w.Polygon {
				if !b.Polygon.Contains(q, overlapTol) {
					k.warnf(fmt.Sprintf("wings[%d].polygon[%d]", i, j), "wings[%d].polygon[%d] %s: wing %q reaches beyond boundary.polygon: phones there would look outside",
						i, j, showPoint(q), w.Name)
					break
				}
			}
		}
		return
	}
	var pts []Point
	for _, i := range k.okWings {
		pts = append(pts, k.s.Wings[i].Polygon...)
	}
	b.Polygon = convexHull(pts)
}

func (k *siteChecker) sensors() {
	s := k.s
	if len(s.Sensors) == 0 && !k.bad("sensors") {
		k.errf("sensors", "sensors is empty: list the site's sensors with their wings and positions")
	}
	var wingNames []string
	for _, w := range s.Wings {
		wingNames = append(wingNames, w.Name)
	}
	ids := map[string]string{}
	for i := range s.Sensors {
		sn := &s.Sensors[i]
		p := fmt.Sprintf("sensors[%d]", i)
		if k.bad(p) {
			continue
		}
		switch {
		case k.bad(p + ".id"):
		case sn.ID == "":
			k.errf(p+".id", "%s.id is required: the sensor's sensor.id", p)
		case alerting.CheckName(sn.ID) != nil:
			k.errf(p+".id", "%s.id: %v", p, alerting.CheckName(sn.ID))
		default:
			if other, dup := ids[sn.ID]; dup {
				k.errf(p+".id", "%s.id %q: %s has the same id: each sensor once", p, sn.ID, other)
			}
			ids[sn.ID] = p
		}
		wi := -1
		switch {
		case k.bad(p + ".wing"):
		case sn.Wing == "":
			k.errf(p+".wing", "%s.wing is required: the wing the sensor hangs in", p)
		default:
			wi = slices.IndexFunc(s.Wings, func(w Wing) bool { return w.Name == sn.Wing })
			if wi < 0 {
				k.errf(p+".wing", "%s.wing %q: not a wing of the site %s", p, sn.Wing, unknownName(sn.Wing, wingNames, "wings"))
			}
		}
		k.sensorPlace(p, sn, wi)
		if !k.bad(p + ".height") {
			k.inRange(p+".height", sn.Height, 0, 20, showFloat, " (metres above its floor)")
		}
		k.sensorBands(p, sn)
	}
}

// sensorPlace checks a sensor's position against its wing (wi, or −1).
func (k *siteChecker) sensorPlace(p string, sn *SiteSensor, wi int) {
	pp := p + ".position"
	switch {
	case k.bad(pp):
		return
	case !k.given(pp):
		k.errf(pp, "%s.position is required: where the sensor hangs, {x: metres east, y: metres north}", p)
		return
	}
	ok := true
	for _, f := range []string{"x", "y"} {
		switch {
		case k.bad(pp + "." + f):
			ok = false
		case !k.given(pp + "." + f):
			k.errf(pp+"."+f, "%s.%s is required (metres %s of the site's origin)", pp, f, map[string]string{"x": "east", "y": "north"}[f])
			ok = false
		}
	}
	pos := Point{sn.Position.X, sn.Position.Y}
	ok = ok && k.point(pp, pos)
	if wi < 0 || k.bad(pp+".floor") {
		return
	}
	w := k.s.Wings[wi]
	if !k.given(pp + ".floor") {
		sn.Position.Floor = w.Floor
	} else if sn.Position.Floor != w.Floor {
		k.errf(pp+".floor", "%s.floor %d: wing %q is on floor %d: a sensor hangs in its wing", pp, sn.Position.Floor, w.Name, w.Floor)
	}
	if ok && slices.Contains(k.okWings, wi) && !w.Polygon.Contains(pos, overlapTol) {
		k.warnf(pp, "%s %s: outside its wing %q: check the position or the wing", pp, showPoint(pos), w.Name)
	}
}

// sensorBands resolves a sensor's bands to preset names (all of them by
// default) and computes what it cannot hear.
func (k *siteChecker) sensorBands(p string, sn *SiteSensor) {
	bp := p + ".bands"
	if k.bad(bp) {
		return
	}
	if !k.given(bp) {
		sn.Bands = nil
		for _, pr := range hop.Presets {
			sn.Bands = append(sn.Bands, pr.Name)
		}
	} else if len(sn.Bands) == 0 {
		k.errf(bp, "%s is empty: list the bands the sensor scans, or delete the line for all of them (%s)", bp, presetNames())
		return
	}
	seen := map[string]string{}
	for j, name := range sn.Bands {
		ip := fmt.Sprintf("%s[%d]", bp, j)
		if k.bad(ip) {
			continue
		}
		pr, err := hop.Preset(name)
		if err != nil {
			if b, ok := uplinkBand(name); ok {
				k.errf(ip, "%s: %s (%s–%s MHz) is beyond the dongle's %s MHz: an RTL-SDR cannot hear it (the console lists it among the bands not heard)",
					ip, b.Label, mhz(b.Low), mhz(b.High), mhz(DongleMax.Hz()))
			} else {
				k.errf(ip, "%s: %v", ip, err)
			}
			continue
		}
		if other, dup := seen[pr.Name]; dup {
			k.errf(ip, "%s: band %s is already listed as %s", ip, pr.Name, other)
			continue
		}
		seen[pr.Name] = ip
		sn.Bands[j] = pr.Name
	}
	sn.NotHeard = gaps(sn.Bands)
}

func (k *siteChecker) propagation() {
	m := k.s.Propagation
	if m.Exponent != nil {
		k.inRange("propagation.exponent", *m.Exponent, 1, 6, showFloat, " (2 is free space, 3 typical indoors, 3.5 to 4 dense concrete)")
	}
	if m.ShadowSigma != nil {
		k.inRange("propagation.shadow_sigma", m.ShadowSigma.DB(), 1, 20, showDB, " (indoors typically 4dB to 8dB)")
	}
	if m.FloorLoss != nil {
		k.inRange("propagation.floor_loss", m.FloorLoss.DB(), 1, 100, showDB, " (a concrete slab is typically 15dB to 25dB)")
	}
	if m.FloorHeight != nil {
		k.inRange("propagation.floor_height", *m.FloorHeight, 1, 20, showFloat, " (metres from one floor to the next)")
	}
}

// paths resolves the images from the site file's directory.
func (k *siteChecker) paths() {
	for i := range k.s.Wings {
		if im := k.s.Wings[i].Image; im != "" && !filepath.IsAbs(im) {
			k.s.Wings[i].Image = filepath.Join(k.s.dir, im)
		}
	}
}

// CheckFiles checks that the floor-plan images exist and can be read.
// ParseSite does not, so that a plan can be checked away from its console.
func (s *Site) CheckFiles() error {
	var errs Errors
	for i, w := range s.Wings {
		if w.Image == "" {
			continue
		}
		field := fmt.Sprintf("wings[%d].image", i)
		if e := checkReadable(s.file, s.where, field, w.Image, false); e != nil {
			errs = append(errs, e)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// checkReadable checks that path names a readable file (and, for a
// secret, one not every user can read); the error is placed at field.
func checkReadable(file string, where map[string]*yaml.Node, field, path string, secret bool) *Error {
	e := &Error{File: file, Field: field}
	if n, ok := where[field]; ok {
		e.Line, e.Column = n.Line, n.Column
	}
	fh, err := os.Open(path)
	if err != nil {
		e.Msg = fmt.Sprintf("%s: %v", field, err)
		return e
	}
	st, err := fh.Stat()
	fh.Close()
	switch {
	case err != nil:
		e.Msg = fmt.Sprintf("%s: %v", field, err)
	case st.IsDir():
		e.Msg = fmt.Sprintf("%s %s: a directory, not a file", field, path)
	case secret && st.Mode().Perm()&0o004 != 0:
		e.Msg = fmt.Sprintf("%s %s: every user of the machine can read this secret (mode %04o): chmod o-r it", field, path, st.Mode().Perm())
	default:
		return nil
	}
	return e
}

// SitePlan is what the console's floor plan draws (the fields of
// alerting/web's Plan): wings as polygons with their images, sensors with
// their positions and the bands they hear and do not hear.
type SitePlan struct {
	Wings   []PlanWing
	Sensors []PlanSensor
}

// PlanWing is a wing on the plan; its fields are web.Wing's, so that
// web.Wing(w) converts it.
type PlanWing struct {
	Name     string
	Building string
	Floor    int
	Polygon  [][2]float64 // metres
	Image    string       // absolute path, "" for none
}

// PlanSensor is a sensor on the plan (web.SensorPlan's fields).
type PlanSensor struct {
	ID       string
	Wing     string
	X, Y     float64
	Floor    int
	Bands    []string // heard, in words
	NotHeard []BandGap
}

// Plan is the site's floor plan for the console.
func (s *Site) Plan() SitePlan {
	var p SitePlan
	for _, w := range s.Wings {
		pw := PlanWing{Name: w.Name, Building: w.Building, Floor: w.Floor, Image: w.Image}
		for _, q := range w.Polygon {
			pw.Polygon = append(pw.Polygon, [2]float64{q.X, q.Y})
		}
		p.Wings = append(p.Wings, pw)
	}
	for i := range s.Sensors {
		sn := &s.Sensors[i]
		p.Sensors = append(p.Sensors, PlanSensor{
			ID: sn.ID, Wing: sn.Wing, X: sn.Position.X, Y: sn.Position.Y, Floor: sn.Position.Floor,
			Bands: sn.Heard(), NotHeard: slices.Clone(sn.NotHeard),
		})
	}
	return p
}
