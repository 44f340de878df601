package track

import (
	"fmt"
	"math"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// Config sets the tracker's bar and timing. Zero fields take the defaults
// below; New rejects values out of range, naming the field.
type Config struct {
	// RaiseConfidence is the bar an activity's confidence (0..1) must reach
	// to raise an alert. Default 0.8: about five well-received bursts on
	// the activity's rhythm.
	RaiseConfidence float64
	// MinBursts is the least number of bursts within Window that may raise
	// an alert, 2 to 64. Default 4: a single false burst (the detector
	// allows ≤ 1 per hour) can never raise, and a GSM location update
	// (tens of SDCCH bursts) or an LTE tracking-area update (PRACH, PUSCH
	// and SRS) still does.
	MinBursts int
	// Window is the time constant of the evidence and the span in which
	// MinBursts must fall; a candidate activity with no burst for Window is
	// forgotten. Default 10 s, the length of an SMS exchange with the
	// network.
	Window time.Duration
	// UpdateInterval bounds the rate of updated events per alert. Default
	// 10 s.
	UpdateInterval time.Duration
	// ClearAfter is the quiet time after the last burst that clears an
	// alert. Default 30 s: a GSM call in DTX silence still sends 12 bursts
	// per 480 ms, but LTE data pauses for as long as the network's RRC
	// inactivity timer (typically 10–20 s) before the phone falls idle,
	// chat replies come tens of seconds apart, and a sensor that hops
	// bands hears each band only part of the time. Shorter would split one
	// session into several alerts (and count it several times); longer
	// only delays the all-clear.
	ClearAfter time.Duration
	// Mode is written into every alert raised: alerting.ModeActual
	// (default), ModeTest or ModeExercise. SetMode changes it at run time.
	Mode string
	// AllowUnknown lets activity of class unknown (energy with no handset
	// signature) raise alerts. Default false: unknown bursts are counted
	// and ignored.
	AllowUnknown bool
	// OverloadMin is how long the receiver must have been reported
	// swamped, in total over one episode (overload reports less than
	// Window apart), before an overload alert is raised. Default 1 s: the
	// detector reports a saturated receiver once per second, and a handset
	// close to the sensor makes clipped phone bursts, not overload, so a
	// second of it is a jammer or a radio keyed at the antenna.
	OverloadMin time.Duration
	// MaxGroups bounds the activities tracked at once (candidates and
	// open alerts), 8 to 4096. Default 256.
	MaxGroups int
	// PhaseTolerance is how far a GSM burst's start may be from its call's
	// TDMA phase, for bursts of 15 dB SNR or more (weaker ones get up to
	// 3×). Default 20 µs: the detector times GSM bursts to 3 µs (median;
	// 98 % within 6 µs on the built-in scenes), and two phones of
	// different cells have independent phases, so the tolerance is also
	// the chance, 2·20 µs / 4.615 ms ≈ 1 %, that two calls are taken for
	// one.
	PhaseTolerance time.Duration
	// ClockPPM bounds the sample clock's error against the network's, in
	// ppm; it widens the phase tolerance with the time since the call's
	// latest burst (the phase is followed burst by burst, so this only
	// matters across gaps of up to a second; longer gaps re-anchor the
	// phase on the call's channel). Default 10 (an RTL-SDR after its ppm
	// correction, which also corrects the sample rate).
	ClockPPM float64
	// PSDToleranceDB is how far an LTE burst's power spectral density may
	// be from its activity's (running mean) to join it. Default 15 dB:
	// the PUSCH, SRS and PRACH of one UE have power offsets a few dB apart,
	// its bursts spread by ±3 dB and its odd ones by 8 dB on the built-in
	// scenes; UEs closer than this in PSD are one activity (a single
	// sensor cannot tell them apart), UEs at different distances usually
	// differ by more.
	PSDToleranceDB float64
	// GhostMarginDB: a burst at the mirror frequency of a coinciding burst
	// this much stronger is its IQ image. Default 10 dB (dongles reject
	// images by 25–35 dB; a clipping ADC leaves them 15–20 dB down).
	GhostMarginDB float64
	// LeakMarginDB: a rhythm train this much weaker than a call heard in
	// the same window at the same time is that call's leakage. Default
	// 30 dB.
	LeakMarginDB float64
}

// Defaults, documented on Config.
const (
	DefaultRaiseConfidence = 0.8
	DefaultMinBursts       = 4
	DefaultWindow          = 10 * time.Second
	DefaultUpdateInterval  = 10 * time.Second
	DefaultClearAfter      = 30 * time.Second
	DefaultOverloadMin     = time.Second
	DefaultMaxGroups       = 256
	DefaultPhaseTolerance  = 20 * time.Microsecond
	DefaultClockPPM        = 10
	DefaultPSDToleranceDB  = 15
	DefaultGhostMarginDB   = 10
	DefaultLeakMarginDB    = 30
)

// maxMinBursts is the largest MinBursts: the size of each activity's ring
// of recent burst times.
const maxMinBursts = 64

// withDefaults returns c with zero fields set to the defaults, or an error
// naming the first field out of range.
func (c Config) withDefaults() (Config, error) {
	setF := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	setD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	setF(&c.RaiseConfidence, DefaultRaiseConfidence)
	if c.MinBursts == 0 {
		c.MinBursts = DefaultMinBursts
	}
	setD(&c.Window, DefaultWindow)
	setD(&c.UpdateInterval, DefaultUpdateInterval)
	setD(&c.ClearAfter, DefaultClearAfter)
	if c.Mode == "" {
		c.Mode = alerting.ModeActual
	}
	setD(&c.OverloadMin, DefaultOverloadMin)
	if c.MaxGroups == 0 {
		c.MaxGroups = DefaultMaxGroups
	}
	setD(&c.PhaseTolerance, DefaultPhaseTolerance)
	setF(&c.ClockPPM, DefaultClockPPM)
	setF(&c.PSDToleranceDB, DefaultPSDToleranceDB)
	setF(&c.GhostMarginDB, DefaultGhostMarginDB)
	setF(&c.LeakMarginDB, DefaultLeakMarginDB)

	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !(c.RaiseConfidence > 0 && c.RaiseConfidence <= 1):
		return c, fmt.Errorf("track: raise_confidence %g: must be in (0, 1]", c.RaiseConfidence)
	case c.MinBursts < 2 || c.MinBursts > maxMinBursts:
		return c, fmt.Errorf("track: min_bursts %d: must be from 2 to %d (one burst must never raise)", c.MinBursts, maxMinBursts)
	case c.Window < 100*time.Millisecond || c.Window > time.Hour:
		return c, fmt.Errorf("track: window %v: must be from 100ms to 1h", c.Window)
	case c.UpdateInterval < time.Second || c.UpdateInterval > time.Hour:
		return c, fmt.Errorf("track: update_interval %v: must be from 1s to 1h", c.UpdateInterval)
	case c.ClearAfter < time.Second || c.ClearAfter > 24*time.Hour:
		return c, fmt.Errorf("track: clear_after %v: must be from 1s to 24h", c.ClearAfter)
	case checkMode(c.Mode) != nil:
		return c, checkMode(c.Mode)
	case c.OverloadMin < 0 || c.OverloadMin > time.Hour:
		return c, fmt.Errorf("track: overload_min %v: must be from 0 to 1h", c.OverloadMin)
	case c.MaxGroups < 8 || c.MaxGroups > 4096:
		return c, fmt.Errorf("track: max_groups %d: must be from 8 to 4096", c.MaxGroups)
	case c.PhaseTolerance < time.Microsecond || c.PhaseTolerance > 250*time.Microsecond:
		return c, fmt.Errorf("track: phase_tolerance %v: must be from 1µs to 250µs (half a GSM timeslot is 288µs)", c.PhaseTolerance)
	case !finite(c.ClockPPM) || c.ClockPPM < 0 || c.ClockPPM > 200:
		return c, fmt.Errorf("track: clock_ppm %g: must be from 0 to 200", c.ClockPPM)
	case !finite(c.PSDToleranceDB) || c.PSDToleranceDB <= 0 || c.PSDToleranceDB > 60:
		return c, fmt.Errorf("track: psd_tolerance_db %g: must be in (0, 60]", c.PSDToleranceDB)
	case !finite(c.GhostMarginDB) || c.GhostMarginDB <= 0 || c.GhostMarginDB > 100:
		return c, fmt.Errorf("track: ghost_margin_db %g: must be in (0, 100]", c.GhostMarginDB)
	case !finite(c.LeakMarginDB) || c.LeakMarginDB <= 0 || c.LeakMarginDB > 100:
		return c, fmt.Errorf("track: leak_margin_db %g: must be in (0, 100]", c.LeakMarginDB)
	}
	return c, nil
}

// checkMode reports whether m is a valid alert mode.
func checkMode(m string) error {
	switch m {
	case alerting.ModeActual, alerting.ModeTest, alerting.ModeExercise:
		return nil
	}
	return fmt.Errorf("track: mode %q: must be %s, %s or %s", m, alerting.ModeActual, alerting.ModeTest, alerting.ModeExercise)
}
