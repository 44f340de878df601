package fusion

import (
	"errors"
	"fmt"
	"math"
)

// Site is the plan the fusion localizes on: the wings (areas with a name
// on one floor of a building), the walls that attenuate radio between
// them, the sensors with their positions and the bands they listen to,
// and the path-loss model. It is plain data: a config loader maps its file
// format onto it, and New validates it.
//
// Coordinates are metres on the site plan (X east, Y north), floors are
// counted from 0 (ground floor), and every wing, sensor and wall of the
// site shares one coordinate system.
type Site struct {
	Name      string
	Buildings []Building
	Wings     []Wing
	// Walls attenuate every path whose plan projection crosses them, on
	// every floor (they are full height).
	Walls []Wall
	// Perimeter is the outer wall around the site, a closed polygon
	// (optional). Positions beyond it are the "outside" hypothesis of the
	// localization; without it the bounding box of the wings stands in.
	// PerimeterLossDB > 0 adds its edges to Walls with that loss.
	Perimeter       []Point
	PerimeterLossDB float64
	Sensors         []Sensor
	PathLoss        PathLoss
}

// Building is a named building of the site.
type Building struct {
	Name string
}

// Point is a position on the plan, metres.
type Point struct{ X, Y float64 }

// Wing is a named area of a building on one floor: a closed polygon (at
// least 3 vertices in order, the last joined to the first). Wings are the
// answers of the localization; they attenuate nothing by themselves
// (declare walls for that).
type Wing struct {
	Name     string
	Building string // "" or one of Site.Buildings
	Floor    int
	Polygon  []Point
}

// Wall is a straight full-height wall from A to B that attenuates every
// path crossing it by LossDB (typical at 900 MHz: plasterboard 3 dB,
// brick 6–8 dB, reinforced concrete 12–20 dB).
type Wall struct {
	Name   string
	A, B   Point
	LossDB float64
}

// Band is a frequency range a sensor listens to, Hz.
type Band struct {
	Name          string
	LowHz, HighHz float64
}

// Sensor is one sensor of the site.
type Sensor struct {
	ID    string
	Wing  string // the wing it hangs in
	X, Y  float64
	Floor int
	// HeightM is the antenna's height above its floor, m (0: 2.5).
	HeightM float64
	// Bands are the ranges the sensor listens to. A sensor that does not
	// report an emitter on a frequency inside one of its bands is evidence
	// that the emitter is far from it; outside its bands it says nothing.
	// Empty: the sensor's silence is never used.
	Bands []Band
	// FloorDBm is the weakest level the sensor reports for a GSM channel
	// (200 kHz), dBm: its noise in the channel plus the detector's
	// threshold (about −110 dBm for an RTL-SDR at 20 dB gain). 0: unknown;
	// the fuser then learns it as the weakest level the sensor has
	// reported. Wider signals have their floor raised by their bandwidth
	// (see Config.LTEFloorOffsetDB).
	FloorDBm float64
}

// PathLoss is the log-distance model the localization fits:
//
//	P_rx(dBm) = P_tx − PL0(f) − 10·n·log10(d / 1 m) − Σ walls crossed − FloorLossDB·|Δfloor| + X
//
// with PL0(f) = 20·log10(4π·1 m·f/c) (free space at 1 m: 31.5 dB at
// 900 MHz) unless RefLossDB is set, d the 3-D distance (at least 1 m), and
// X ~ N(0, ShadowSigmaDB²) the shadow fade of each emitter/sensor pair.
type PathLoss struct {
	// Exponent is n (0: 3, typical indoors; 2 is free space, 3.5–4 dense
	// concrete).
	Exponent float64
	// ShadowSigmaDB is the standard deviation of the shadow fade (0: 6 dB).
	ShadowSigmaDB float64
	// RefLossDB is PL0 (0: free space at the emitter's frequency).
	RefLossDB float64
	// FloorLossDB is the loss of one floor slab (0: 18 dB).
	FloorLossDB float64
	// FloorHeightM is the height of one storey (0: 3.5 m).
	FloorHeightM float64
}

// Defaults of PathLoss and Sensor.
const (
	DefaultExponent      = 3
	DefaultShadowSigmaDB = 6
	DefaultFloorLossDB   = 18
	DefaultFloorHeightM  = 3.5
	DefaultSensorHeightM = 2.5
	// phoneHeightM is where a phone is assumed to be above its floor.
	phoneHeightM = 1.0
)

// ErrSite is wrapped by every error about an invalid site.
var ErrSite = errors.New("invalid site")

// FieldError is an invalid value of a site. Field is its path with the
// names a site file uses ("sensors[2].wing"), so that a loader can point
// at the line. It wraps ErrSite.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return "invalid site: " + e.Field + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrSite) hold.
func (e *FieldError) Unwrap() error { return ErrSite }

func siteErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// maxCoord bounds coordinates: a site is smaller than 100 km.
const maxCoord = 1e5

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func checkPoint(field string, p Point) error {
	if !finite(p.X) || !finite(p.Y) || math.Abs(p.X) > maxCoord || math.Abs(p.Y) > maxCoord {
		return siteErr(field, "(%g, %g) is not a position on a site plan (|x|, |y| ≤ 100 km)", p.X, p.Y)
	}
	return nil
}

// Validate checks the site: names present and unique, wings with a
// polygon of at least 3 points in a declared building, walls of non-zero
// length, sensors in a declared wing on that wing's floor, bands with low
// below high, path-loss parameters in physical ranges. Errors are
// *FieldError naming the field.
func (s *Site) Validate() error {
	if s.Name == "" {
		return siteErr("name", "missing")
	}
	buildings := map[string]bool{}
	for i, b := range s.Buildings {
		f := fmt.Sprintf("buildings[%d]", i)
		if b.Name == "" {
			return siteErr(f+".name", "missing")
		}
		if buildings[b.Name] {
			return siteErr(f+".name", "building %q declared twice", b.Name)
		}
		buildings[b.Name] = true
	}
	if len(s.Wings) == 0 {
		return siteErr("wings", "a site needs at least one wing")
	}
	wings := map[string]int{}
	for i := range s.Wings {
		w := &s.Wings[i]
		f := fmt.Sprintf("wings[%d]", i)
		if w.Name == "" {
			return siteErr(f+".name", "missing")
		}
		if w.Name == OutsideWing {
			return siteErr(f+".name", "%q is reserved for the outside hypothesis", w.Name)
		}
		if _, dup := wings[w.Name]; dup {
			return siteErr(f+".name", "wing %q declared twice", w.Name)
		}
		wings[w.Name] = i
		if w.Building != "" && !buildings[w.Building] {
			return siteErr(f+".building", "%q is not a building of the site (declare it under buildings)", w.Building)
		}
		if w.Floor < -10 || w.Floor > 200 {
			return siteErr(f+".floor", "%d outside −10…200", w.Floor)
		}
		if len(w.Polygon) < 3 {
			return siteErr(f+".polygon", "needs at least 3 points, has %d", len(w.Polygon))
		}
		for j, p := range w.Polygon {
			if err := checkPoint(fmt.Sprintf("%s.polygon[%d]", f, j), p); err != nil {
				return err
			}
		}
		if polygonArea(w.Polygon) < 1e-6 {
			return siteErr(f+".polygon", "encloses no area (points in a line?)")
		}
	}
	for i, w := range s.Walls {
		f := fmt.Sprintf("walls[%d]", i)
		if err := checkPoint(f+".from", w.A); err != nil {
			return err
		}
		if err := checkPoint(f+".to", w.B); err != nil {
			return err
		}
		if w.A == w.B {
			return siteErr(f, "from and to are the same point (%g, %g)", w.A.X, w.A.Y)
		}
		if !(w.LossDB >= 0 && w.LossDB <= 100) {
			return siteErr(f+".loss", "%g dB outside 0–100 dB", w.LossDB)
		}
	}
	if len(s.Perimeter) > 0 {
		if len(s.Perimeter) < 3 {
			return siteErr("perimeter", "needs at least 3 points, has %d", len(s.Perimeter))
		}
		for j, p := range s.Perimeter {
			if err := checkPoint(fmt.Sprintf("perimeter[%d]", j), p); err != nil {
				return err
			}
		}
		if polygonArea(s.Perimeter) < 1e-6 {
			return siteErr("perimeter", "encloses no area (points in a line?)")
		}
	}
	if !(s.PerimeterLossDB >= 0 && s.PerimeterLossDB <= 100) {
		return siteErr("perimeter_loss", "%g dB outside 0–100 dB", s.PerimeterLossDB)
	}
	if s.PerimeterLossDB > 0 && len(s.Perimeter) == 0 {
		return siteErr("perimeter_loss", "set without a perimeter polygon")
	}
	if len(s.Sensors) == 0 {
		return siteErr("sensors", "a site needs at least one sensor")
	}
	ids := map[string]bool{}
	for i := range s.Sensors {
		sn := &s.Sensors[i]
		f := fmt.Sprintf("sensors[%d]", i)
		if sn.ID == "" {
			return siteErr(f+".id", "missing")
		}
		if ids[sn.ID] {
			return siteErr(f+".id", "sensor %q declared twice", sn.ID)
		}
		ids[sn.ID] = true
		wi, ok := wings[sn.Wing]
		if !ok {
			if sn.Wing == "" {
				return siteErr(f+".wing", "missing (every sensor hangs in a wing)")
			}
			return siteErr(f+".wing", "%q is not a wing of the site", sn.Wing)
		}
		if err := checkPoint(f+".position", Point{sn.X, sn.Y}); err != nil {
			return err
		}
		if sn.Floor != s.Wings[wi].Floor {
			return siteErr(f+".floor", "%d, but wing %q is on floor %d", sn.Floor, sn.Wing, s.Wings[wi].Floor)
		}
		if !(sn.HeightM >= 0 && sn.HeightM <= 20) {
			return siteErr(f+".height", "%g m outside 0–20 m above its floor", sn.HeightM)
		}
		if !(sn.FloorDBm == 0 || sn.FloorDBm >= -200 && sn.FloorDBm <= -30) {
			return siteErr(f+".floor_dbm", "%g dBm outside −200…−30 dBm (0: learn it)", sn.FloorDBm)
		}
		for j, b := range sn.Bands {
			bf := fmt.Sprintf("%s.bands[%d]", f, j)
			if !finite(b.LowHz) || !finite(b.HighHz) || b.LowHz <= 0 || b.HighHz > 100e9 {
				return siteErr(bf, "%g–%g Hz is not a radio band", b.LowHz, b.HighHz)
			}
			if b.LowHz >= b.HighHz {
				return siteErr(bf, "low %g Hz is not below high %g Hz", b.LowHz, b.HighHz)
			}
		}
	}
	return s.PathLoss.validate()
}

func (p *PathLoss) validate() error {
	switch {
	case !(p.Exponent == 0 || p.Exponent >= 1 && p.Exponent <= 6):
		return siteErr("path_loss.exponent", "%g outside 1–6", p.Exponent)
	case !(p.ShadowSigmaDB >= 0 && p.ShadowSigmaDB <= 20):
		return siteErr("path_loss.shadow_sigma", "%g dB outside 0–20 dB", p.ShadowSigmaDB)
	case !(p.RefLossDB >= 0 && p.RefLossDB <= 100):
		return siteErr("path_loss.ref_loss", "%g dB outside 0–100 dB", p.RefLossDB)
	case !(p.FloorLossDB >= 0 && p.FloorLossDB <= 100):
		return siteErr("path_loss.floor_loss", "%g dB outside 0–100 dB", p.FloorLossDB)
	case !(p.FloorHeightM == 0 || p.FloorHeightM >= 1 && p.FloorHeightM <= 20):
		return siteErr("path_loss.floor_height", "%g m outside 1–20 m", p.FloorHeightM)
	}
	return nil
}

// withDefaults returns p with zero fields set to the defaults.
func (p PathLoss) withDefaults() PathLoss {
	if p.Exponent == 0 {
		p.Exponent = DefaultExponent
	}
	if p.ShadowSigmaDB == 0 {
		p.ShadowSigmaDB = DefaultShadowSigmaDB
	}
	if p.FloorLossDB == 0 {
		p.FloorLossDB = DefaultFloorLossDB
	}
	if p.FloorHeightM == 0 {
		p.FloorHeightM = DefaultFloorHeightM
	}
	return p
}

// wing returns the index of the wing called name, or -1.
func (s *Site) wing(name string) int {
	for i := range s.Wings {
		if s.Wings[i].Name == name {
			return i
		}
	}
	return -1
}

// hears reports whether the sensor listens to frequency f.
func (sn *Sensor) hears(f float64) bool {
	for _, b := range sn.Bands {
		if f >= b.LowHz && f <= b.HighHz {
			return true
		}
	}
	return false
}
