package sim

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// DefaultRate is the sample rate of a scene that does not set one: the
// highest rate an RTL-SDR delivers without dropping samples on a Pi.
const DefaultRate = 2.4e6

// DefaultStart is the wall-clock time of t = 0 in a scene that does not set
// one. It is fixed so that renders are reproducible byte for byte.
var DefaultStart = time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)

// Scene is a synthetic RF environment: a site plan, the sensors in it and
// everything that transmits. A Scene is plain data; fill it in Go or load
// it from YAML (Parse, Load, Builtin), then render it with Open or OpenAll.
// Do not modify a Scene while sources opened from it are in use.
type Scene struct {
	Name        string
	Description string
	// Seed drives every random choice: schedules, data bits, noise, shadow
	// fading. The same seed renders the same bytes.
	Seed uint64
	// Rate is the sample rate of every sensor, samples/s (0: DefaultRate).
	Rate float64
	// Start is the wall-clock time of t = 0 (zero: DefaultStart).
	Start time.Time
	// Duration is the length of the scene; sources return io.EOF at its end.
	// Zero means open-ended: sources run until closed.
	Duration time.Duration

	Propagation Propagation
	Site        Site
	Sensors     []Sensor
	// Emitters are the phones (and anything else the detector should find).
	Emitters []Emitter
	// Interference are the sources the detector must not mistake for a
	// phone: carriers, sweepers, radios, impulses, noise-floor steps and
	// jammers. They use the interference behaviours (CW, SweptCW, NBFM,
	// Impulses, FloorStep, Jammer, BCCH).
	Interference []Emitter
}

// Propagation is the indoor path-loss model shared by every emitter/sensor
// pair:
//
//	PL(d) = PL0(f) + 10·n·log10(d / 1 m) + Σ walls crossed + Σ floors crossed + X
//
// where PL0(f) is the loss at 1 m (free space, 20·log10(4π·1 m·f/c): 31.5 dB
// at 900 MHz, 37.5 dB at 1800 MHz, unless RefLoss is set), n the exponent
// (the free-space exponent 2 is used below 1 m), and X ~ N(0, ShadowSigma²)
// dB a log-normal shadow fade drawn once per emitter/sensor pair from the
// scene seed.
type Propagation struct {
	// Exponent is the path-loss exponent n (0: 3, typical indoors with
	// furniture; free space is 2, dense concrete 3.5–4).
	Exponent float64
	// RefLoss overrides PL0, dB at 1 m (0: free space at the emission's
	// frequency).
	RefLoss float64
	// ShadowSigma is the standard deviation of the shadow fade, dB. Zero
	// means no shadowing; indoor measurements give 3–6 dB.
	ShadowSigma float64
}

// Point is a position in metres: X east, Y north, Z up from the ground.
type Point struct{ X, Y, Z float64 }

// XY is a position on the site plan, metres.
type XY struct{ X, Y float64 }

// Site is the building plan: named wings, walls and floors.
type Site struct {
	Wings  []Wing
	Walls  []Wall
	Floors []Floor
}

// Wing is a named area of the plan, a closed polygon (vertices in order,
// the last joined to the first). Wings name where sensors and emitters are;
// their outline attenuates nothing by itself (declare walls for that).
type Wing struct {
	Name    string
	Polygon []XY
}

// Wall is a straight wall from A to B, full height, attenuating every path
// whose plan projection crosses it by Loss dB (typical: plasterboard 3 dB,
// brick 6–8 dB, reinforced concrete 12–20 dB at 900 MHz).
type Wall struct {
	Name string
	A, B XY
	Loss float64
}

// Floor is a concrete slab at height Height (metres above ground) that
// attenuates every path from below it to above it by Loss dB (typical
// 12–25 dB at 900 MHz for reinforced concrete).
type Floor struct {
	Name   string
	Height float64
	Loss   float64
}

// Sensor is one RTL-SDR in the scene.
type Sensor struct {
	ID   string
	Pos  Point
	Wing string
	// Center is the frequency the sensor is tuned to when opened, Hz.
	Center float64
	// Gain is the tuner gain setting, dB (0: the dongle's RefGain). Signal
	// and thermal noise move together with gain; quantization does not.
	Gain float64
	// Dongle describes the receiver's imperfections (nil: DefaultDongle()).
	Dongle *Dongle
}

// Emitter is anything that transmits: a phone with one of the phone
// behaviours, or an interferer.
type Emitter struct {
	ID string
	// Role says what the emitter is for the people who read the truth:
	// "contraband" (default for emitters), "authorised", "outside",
	// "interference" (default for interference).
	Role string
	Pos  Point
	// Wing names the wing the emitter is in; empty means found from Pos.
	Wing string
	// Level is the transmit power or the received SNR (see Level).
	Level Level
	// Steps change the level during the scene (power control, a radio
	// moving closer): from At on, the level is Steps[i].Level, in the same
	// mode as Level. Sorted by At.
	Steps []LevelStep
	// Start and Stop bound the emitter's activity from the scene start
	// (Stop 0: until the end of the scene).
	Start, Stop time.Duration
	// Behaviour says what and when it transmits.
	Behaviour Behaviour
}

// LevelMode says how a Level is to be read.
type LevelMode uint8

// The level modes.
const (
	// ByPower: the level is the transmit power (EIRP), dBm, and the received
	// level at each sensor follows from the propagation model.
	ByPower LevelMode = iota
	// BySNR: the level is the SNR in the emission's own bandwidth, dB, the
	// same at every sensor (for detector tests; see the package doc for
	// the definition).
	BySNR
)

// Level is an emitter's strength.
type Level struct {
	Mode LevelMode
	DB   float64 // dBm (ByPower) or dB (BySNR)
}

// TxPower is a Level given as a transmit power in dBm.
func TxPower(dBm float64) Level { return Level{ByPower, dBm} }

// SNR is a Level given as the SNR in own bandwidth at every sensor, dB.
func SNR(dB float64) Level { return Level{BySNR, dB} }

// LevelStep changes an emitter's level at a time from the scene start.
type LevelStep struct {
	At time.Duration
	DB float64
}

// levelAt is the emitter's level (dBm or dB) at t seconds.
func (e *Emitter) levelAt(t float64) float64 {
	db := e.Level.DB
	for _, s := range e.Steps {
		if s.At.Seconds() > t {
			break
		}
		db = s.DB
	}
	return db
}

// ErrScene is wrapped by every error about an invalid scene.
var ErrScene = errors.New("invalid scene")

// FieldError is an invalid value in a scene: Field is its path in YAML
// terms ("emitters[2].arfcn"). It wraps ErrScene.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return "invalid scene: " + e.Field + ": " + e.Msg }

// Unwrap makes errors.Is(err, ErrScene) hold.
func (e *FieldError) Unwrap() error { return ErrScene }

func sceneErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// rate is the scene's sample rate with its default.
func (s *Scene) rate() float64 {
	if s.Rate == 0 {
		return DefaultRate
	}
	return s.Rate
}

// start is the scene's t = 0 with its default.
func (s *Scene) start() time.Time {
	if s.Start.IsZero() {
		return DefaultStart
	}
	return s.Start
}

// The frequency range an RTL-SDR with an R820T tuner reaches.
const (
	minTune = 24e6
	maxTune = 1766e6
)

// Validate checks the scene for values that cannot be rendered. It is
// called by Open; errors wrap ErrScene and name the field.
func (s *Scene) Validate() error {
	// RTL-SDRs deliver up to 3.2 MS/s; the burst generators need 1 MS/s
	// for a GSM channel and its sidebands (the dongle's 225–300 kS/s
	// range is too narrow for any uplink).
	if r := s.rate(); !(r >= 1e6 && r <= 3.2e6) {
		return sceneErr("sample_rate", "%s outside 1–3.2 MS/s (an RTL-SDR's range wide enough for uplink channels)", fmtRate(r))
	}
	if s.Duration < 0 {
		return sceneErr("duration", "negative (%v)", s.Duration)
	}
	if err := s.Propagation.validate(); err != nil {
		return err
	}
	if err := s.Site.validate(); err != nil {
		return err
	}
	if len(s.Sensors) == 0 {
		return sceneErr("sensors", "a scene needs at least one sensor")
	}
	ids := map[string]string{}
	for i := range s.Sensors {
		f := fmt.Sprintf("sensors[%d]", i)
		sn := &s.Sensors[i]
		if sn.ID == "" {
			return sceneErr(f+".id", "missing")
		}
		if prev, dup := ids[sn.ID]; dup {
			return sceneErr(f+".id", "%q already used by %s", sn.ID, prev)
		}
		ids[sn.ID] = f
		if !(sn.Center >= minTune && sn.Center <= maxTune) {
			return sceneErr(f+".center", "%s outside the R820T tuning range (24–1766 MHz)", fmtHz(sn.Center))
		}
		if sn.Wing != "" && s.Site.wing(sn.Wing) < 0 {
			return sceneErr(f+".wing", "no wing named %q", sn.Wing)
		}
		if math.IsNaN(sn.Gain) || sn.Gain < 0 || sn.Gain > 60 {
			return sceneErr(f+".gain", "%g dB outside 0–60 dB", sn.Gain)
		}
		if err := checkPoint(f+".position", sn.Pos); err != nil {
			return err
		}
		if sn.Dongle != nil {
			if err := sn.Dongle.validate(f + ".dongle"); err != nil {
				return err
			}
		}
	}
	for _, list := range []struct {
		name  string
		items []Emitter
		inter bool
	}{{"emitters", s.Emitters, false}, {"interference", s.Interference, true}} {
		for i := range list.items {
			f := fmt.Sprintf("%s[%d]", list.name, i)
			e := &list.items[i]
			if e.ID == "" {
				return sceneErr(f+".id", "missing")
			}
			if prev, dup := ids[e.ID]; dup {
				return sceneErr(f+".id", "%q already used by %s", e.ID, prev)
			}
			ids[e.ID] = f
			if err := s.validateEmitter(f, e, list.inter); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Scene) validateEmitter(f string, e *Emitter, inter bool) error {
	if e.Behaviour == nil {
		return sceneErr(f+".behaviour", "missing")
	}
	if isInterference(e.Behaviour) != inter {
		if inter {
			return sceneErr(f+".kind", "%s is a phone behaviour; put it under emitters", e.Behaviour.Name())
		}
		return sceneErr(f+".behaviour", "%s is an interference kind; put it under interference", e.Behaviour.Name())
	}
	if err := checkPoint(f+".position", e.Pos); err != nil {
		return err
	}
	if e.Wing != "" && s.Site.wing(e.Wing) < 0 {
		return sceneErr(f+".wing", "no wing named %q", e.Wing)
	}
	if e.Level.Mode != ByPower && e.Level.Mode != BySNR {
		return sceneErr(f+".level", "unknown mode %d", e.Level.Mode)
	}
	if err := checkLevel(f, e.Level.Mode, e.Level.DB); err != nil {
		return err
	}
	for i, st := range e.Steps {
		if i > 0 && st.At < e.Steps[i-1].At {
			return sceneErr(fmt.Sprintf("%s.steps[%d].at", f, i), "steps must be in time order")
		}
		if err := checkLevel(fmt.Sprintf("%s.steps[%d]", f, i), e.Level.Mode, st.DB); err != nil {
			return err
		}
	}
	if e.Start < 0 {
		return sceneErr(f+".start", "negative")
	}
	if e.Stop != 0 && e.Stop <= e.Start {
		return sceneErr(f+".stop", "%v is not after start %v", e.Stop, e.Start)
	}
	if err := e.Behaviour.validate(f, s); err != nil {
		return err
	}
	return nil
}

func checkLevel(f string, mode LevelMode, db float64) error {
	switch {
	case math.IsNaN(db) || math.IsInf(db, 0):
		return sceneErr(f, "level is not a number")
	case mode == ByPower && (db < -150 || db > 90):
		return sceneErr(f+".power", "%g dBm outside −150…+90 dBm", db)
	case mode == BySNR && (db < -60 || db > 100):
		return sceneErr(f+".snr", "%g dB outside −60…+100 dB", db)
	}
	return nil
}

func checkPoint(f string, p Point) error {
	for _, v := range []float64{p.X, p.Y, p.Z} {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e6 {
			return sceneErr(f, "coordinate %g is not a position on a site (|x| ≤ 1000 km)", v)
		}
	}
	return nil
}

func (p *Propagation) validate() error {
	if p.Exponent != 0 && !(p.Exponent >= 1 && p.Exponent <= 6) {
		return sceneErr("propagation.exponent", "%g outside 1–6", p.Exponent)
	}
	if !(p.RefLoss >= 0 && p.RefLoss <= 100) {
		return sceneErr("propagation.ref_loss", "%g dB outside 0–100 dB", p.RefLoss)
	}
	if !(p.ShadowSigma >= 0 && p.ShadowSigma <= 20) {
		return sceneErr("propagation.shadow_sigma", "%g dB outside 0–20 dB", p.ShadowSigma)
	}
	return nil
}

func (s *Site) validate() error {
	names := map[string]bool{}
	for i, w := range s.Wings {
		f := fmt.Sprintf("site.wings[%d]", i)
		if w.Name == "" {
			return sceneErr(f+".name", "missing")
		}
		if names[w.Name] {
			return sceneErr(f+".name", "%q declared twice", w.Name)
		}
		names[w.Name] = true
		if len(w.Polygon) < 3 {
			return sceneErr(f+".polygon", "needs at least 3 vertices, has %d", len(w.Polygon))
		}
		for _, v := range w.Polygon {
			if err := checkPoint(f+".polygon", Point{v.X, v.Y, 0}); err != nil {
				return err
			}
		}
	}
	for i, w := range s.Walls {
		f := fmt.Sprintf("site.walls[%d]", i)
		if err := checkPoint(f, Point{w.A.X, w.A.Y, 0}); err != nil {
			return err
		}
		if err := checkPoint(f, Point{w.B.X, w.B.Y, 0}); err != nil {
			return err
		}
		if w.A == w.B {
			return sceneErr(f, "from and to are the same point")
		}
		if !(w.Loss >= 0 && w.Loss <= 100) {
			return sceneErr(f+".loss", "%g dB outside 0–100 dB", w.Loss)
		}
	}
	for i, fl := range s.Floors {
		f := fmt.Sprintf("site.floors[%d]", i)
		if math.IsNaN(fl.Height) || math.Abs(fl.Height) > 1000 {
			return sceneErr(f+".height", "%g m is not a floor height", fl.Height)
		}
		if !(fl.Loss >= 0 && fl.Loss <= 100) {
			return sceneErr(f+".loss", "%g dB outside 0–100 dB", fl.Loss)
		}
	}
	return nil
}

// fmtHz formats a frequency for messages: "902.4 MHz", "200 kHz".
func fmtHz(f float64) string {
	switch a := math.Abs(f); {
	case a >= 1e9:
		return fmt.Sprintf("%.10g GHz", f/1e9)
	case a >= 1e6:
		return fmt.Sprintf("%.10g MHz", f/1e6)
	case a >= 1e3:
		return fmt.Sprintf("%.10g kHz", f/1e3)
	}
	return fmt.Sprintf("%.10g Hz", f)
}

// fmtRate formats a sample rate for messages: "2.4 MS/s".
func fmtRate(r float64) string {
	if math.Abs(r) >= 1e6 {
		return fmt.Sprintf("%.10g MS/s", r/1e6)
	}
	return fmt.Sprintf("%.10g kS/s", r/1e3)
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
