package fusion

import (
	"fmt"
	"time"
)

// Config sets the fuser's timing, localization grid and bounds. Zero
// fields take the defaults below; New rejects values out of range, naming
// the field.
type Config struct {
	// Slack is how far apart in time two sensors' alerts may be and still
	// be the same emitter: the activity spans [first_seen, last_seen] must
	// overlap once widened by Slack. Default 5 s: sensors' clocks agree to
	// milliseconds (NTP), but bursty LTE data pauses for seconds and a
	// hopping sensor hears a band only part of the time.
	Slack time.Duration
	// MissGrace: a sensor that listens on the emitter's frequency and has
	// not reported it counts as evidence (its level is under its floor)
	// once the emitter has been heard for MissGrace, or once every alert
	// of the incident is cleared. Default 5 s: a sensor that hears a phone
	// raises within a second for a call and within a few seconds for
	// bursty data; earlier, a sensor still gathering evidence would be
	// taken for one that cannot hear.
	MissGrace time.Duration
	// AlertTimeout: an alert with no event for this long is taken as
	// ended (its sensor went away without clearing it). Default 2 min,
	// beyond the tracker's update interval plus its clear_after.
	AlertTimeout time.Duration
	// CloseAfter: an incident no longer active leaves Open this long after
	// its last change, and new alerts then start a new (linked) incident.
	// Default 1 min.
	CloseAfter time.Duration
	// LinkWithin: a new incident on the same channel(s), class and wing as
	// one that ended within this time gets LinkedTo it. Default 14 days.
	LinkWithin time.Duration
	// HealthInterval is the sensors' health period assumed until two
	// health messages tell it. Default 30 s.
	HealthInterval time.Duration
	// SilentIntervals: a sensor whose health is this many intervals late
	// is offline. Default 3.
	SilentIntervals int

	// GridM is the spacing of the candidate positions inside the wings,
	// m. Default 2 m.
	GridM float64
	// OutsideGridM is the spacing of the candidates beyond the perimeter
	// and OutsideRangeM how far beyond it they go. Defaults 8 m and 60 m.
	OutsideGridM  float64
	OutsideRangeM float64
	// NoOutside leaves out the "outside" hypothesis.
	NoOutside bool
	// OutsidePrior is the probability, before any level is heard, that a
	// phone is outside the perimeter; the wings share the rest in
	// proportion to their areas. Default 0.2.
	OutsidePrior float64
	// MeasureSigmaDB is the error of a sensor's reported level about the
	// true received power (calibration, the detector's power estimate),
	// added in quadrature to the shadow fading. Default 2 dB.
	MeasureSigmaDB float64
	// DetectSigmaDB is how soft a sensor's detection floor is (bursts a
	// few dB above it may still be missed), added in quadrature to the
	// shadow fading for silent sensors. Default 3 dB.
	DetectSigmaDB float64
	// LTEFloorOffsetDB and UMTSFloorOffsetDB raise a sensor's GSM floor
	// for wider signals: the detector needs the same SNR in a wider band.
	// Defaults 5 dB (LTE bursts of a few resource blocks) and 13 dB
	// (3.84 MHz against 200 kHz).
	LTEFloorOffsetDB  float64
	UMTSFloorOffsetDB float64
	// StrongestConfidence is the confidence of a wing found by the
	// strongest-sensor fallback (one sensor heard it and no silent sensor
	// tells more). Default 0.5.
	StrongestConfidence float64

	// MaxOpen bounds the incidents in Open (active, or recently ended);
	// beyond it the one changed longest ago is closed. Default 1024.
	MaxOpen int
	// MaxHistory bounds the ended incidents kept for linking, per wing
	// (and for outside). Default 10000.
	MaxHistory int
	// MaxSensors bounds the sensors tracked (the site's and any other that
	// speaks); messages of further sensors are dropped. Default 4096.
	MaxSensors int
}

// Defaults, documented on Config.
const (
	DefaultSlack               = 5 * time.Second
	DefaultMissGrace           = 5 * time.Second
	DefaultAlertTimeout        = 2 * time.Minute
	DefaultCloseAfter          = time.Minute
	DefaultLinkWithin          = 14 * 24 * time.Hour
	DefaultHealthInterval      = 30 * time.Second
	DefaultSilentIntervals     = 3
	DefaultGridM               = 2
	DefaultOutsideGridM        = 8
	DefaultOutsideRangeM       = 60
	DefaultOutsidePrior        = 0.2
	DefaultMeasureSigmaDB      = 2
	DefaultDetectSigmaDB       = 3
	DefaultLTEFloorOffsetDB    = 5
	DefaultUMTSFloorOffsetDB   = 13
	DefaultStrongestConfidence = 0.5
	DefaultMaxOpen             = 1024
	DefaultMaxHistory          = 10000
	DefaultMaxSensors          = 4096
)

// withDefaults returns c with zero fields set to the defaults, or an error
// naming the first field out of range.
func (c Config) withDefaults() (Config, error) {
	setD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	setF := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	setI := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setD(&c.Slack, DefaultSlack)
	setD(&c.MissGrace, DefaultMissGrace)
	setD(&c.AlertTimeout, DefaultAlertTimeout)
	setD(&c.CloseAfter, DefaultCloseAfter)
	setD(&c.LinkWithin, DefaultLinkWithin)
	setD(&c.HealthInterval, DefaultHealthInterval)
	setI(&c.SilentIntervals, DefaultSilentIntervals)
	setF(&c.GridM, DefaultGridM)
	setF(&c.OutsideGridM, DefaultOutsideGridM)
	setF(&c.OutsideRangeM, DefaultOutsideRangeM)
	setF(&c.OutsidePrior, DefaultOutsidePrior)
	setF(&c.MeasureSigmaDB, DefaultMeasureSigmaDB)
	setF(&c.DetectSigmaDB, DefaultDetectSigmaDB)
	setF(&c.LTEFloorOffsetDB, DefaultLTEFloorOffsetDB)
	setF(&c.UMTSFloorOffsetDB, DefaultUMTSFloorOffsetDB)
	setF(&c.StrongestConfidence, DefaultStrongestConfidence)
	setI(&c.MaxOpen, DefaultMaxOpen)
	setI(&c.MaxHistory, DefaultMaxHistory)
	setI(&c.MaxSensors, DefaultMaxSensors)

	inF := func(v, lo, hi float64) bool { return finite(v) && v >= lo && v <= hi }
	switch {
	case c.Slack < 0 || c.Slack > time.Hour:
		return c, fmt.Errorf("fusion: slack %v: must be from 0 to 1h", c.Slack)
	case c.MissGrace < 0 || c.MissGrace > time.Hour:
		return c, fmt.Errorf("fusion: miss_grace %v: must be from 0 to 1h", c.MissGrace)
	case c.AlertTimeout < time.Second || c.AlertTimeout > 24*time.Hour:
		return c, fmt.Errorf("fusion: alert_timeout %v: must be from 1s to 24h", c.AlertTimeout)
	case c.CloseAfter < 0 || c.CloseAfter > 24*time.Hour:
		return c, fmt.Errorf("fusion: close_after %v: must be from 0 to 24h", c.CloseAfter)
	case c.LinkWithin < 0 || c.LinkWithin > 366*24*time.Hour:
		return c, fmt.Errorf("fusion: link_within %v: must be from 0 to 366 days", c.LinkWithin)
	case c.HealthInterval < time.Second || c.HealthInterval > 24*time.Hour:
		return c, fmt.Errorf("fusion: health_interval %v: must be from 1s to 24h", c.HealthInterval)
	case c.SilentIntervals < 1 || c.SilentIntervals > 100:
		return c, fmt.Errorf("fusion: silent_intervals %d: must be from 1 to 100", c.SilentIntervals)
	case !inF(c.GridM, 0.25, 50):
		return c, fmt.Errorf("fusion: grid %g m: must be from 0.25 to 50 m", c.GridM)
	case !inF(c.OutsideGridM, 0.5, 100):
		return c, fmt.Errorf("fusion: outside_grid %g m: must be from 0.5 to 100 m", c.OutsideGridM)
	case !inF(c.OutsideRangeM, 1, 2000):
		return c, fmt.Errorf("fusion: outside_range %g m: must be from 1 to 2000 m", c.OutsideRangeM)
	case !inF(c.OutsidePrior, 0.001, 0.999):
		return c, fmt.Errorf("fusion: outside_prior %g: must be from 0.001 to 0.999", c.OutsidePrior)
	case !inF(c.MeasureSigmaDB, 0.01, 20):
		return c, fmt.Errorf("fusion: measure_sigma %g dB: must be from 0.01 to 20 dB", c.MeasureSigmaDB)
	case !inF(c.DetectSigmaDB, 0.01, 20):
		return c, fmt.Errorf("fusion: detect_sigma %g dB: must be from 0.01 to 20 dB", c.DetectSigmaDB)
	case !inF(c.LTEFloorOffsetDB, -30, 30):
		return c, fmt.Errorf("fusion: lte_floor_offset %g dB: must be from −30 to 30 dB", c.LTEFloorOffsetDB)
	case !inF(c.UMTSFloorOffsetDB, -30, 30):
		return c, fmt.Errorf("fusion: umts_floor_offset %g dB: must be from −30 to 30 dB", c.UMTSFloorOffsetDB)
	case !inF(c.StrongestConfidence, 0.01, 1):
		return c, fmt.Errorf("fusion: strongest_confidence %g: must be in (0, 1]", c.StrongestConfidence)
	case c.MaxOpen < 1 || c.MaxOpen > 1<<20:
		return c, fmt.Errorf("fusion: max_open %d: must be from 1 to %d", c.MaxOpen, 1<<20)
	case c.MaxHistory < 0 || c.MaxHistory > 1<<22:
		return c, fmt.Errorf("fusion: max_history %d: must be from 0 to %d", c.MaxHistory, 1<<22)
	case c.MaxSensors < 1 || c.MaxSensors > 1<<20:
		return c, fmt.Errorf("fusion: max_sensors %d: must be from 1 to %d", c.MaxSensors, 1<<20)
	}
	return c, nil
}
