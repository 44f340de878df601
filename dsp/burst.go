package dsp

import (
	"fmt"
	"time"
)

// Class is what a burst was recognised as.
type Class uint8

// Burst classes. Interference and Overload are never phones: the alert
// tracker must not raise a phone alert on them.
const (
	ClassUnknown      Class = iota // energy with no handset signature that is not recognised interference either
	ClassGSM                       // GSM/GPRS uplink burst (GMSK, 200 kHz, 0.33 or 0.58 ms)
	ClassLTE                       // LTE uplink (SC-FDMA: PUSCH, PUCCH, PRACH, SRS)
	ClassUMTS                      // UMTS/WCDMA uplink (wideband, continuous)
	ClassInterference              // CW, swept CW, FM, impulses, floor steps, IQ images
	ClassOverload                  // ADC saturated or whole window lifted without a handset's rhythm
)

var classNames = [...]string{"unknown", "gsm", "lte", "umts", "interference", "overload"}

// String returns the class name used on the wire ("gsm", "lte", …).
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// ParseClass is the inverse of Class.String.
func ParseClass(s string) (Class, error) {
	for i, n := range classNames {
		if n == s {
			return Class(i), nil
		}
	}
	return ClassUnknown, fmt.Errorf("unknown burst class %q", s)
}

// IsPhone reports whether the class is a handset technology.
func (c Class) IsPhone() bool { return c == ClassGSM || c == ClassLTE || c == ClassUMTS }

// Burst is one transmission found in the stream.
type Burst struct {
	// Start is the absolute time of the first sample of the burst; Offset is
	// the same instant as a sample index counted from the start of the stream
	// (so that replays of recordings report offsets exactly).
	Start    time.Time
	Offset   int64
	Duration time.Duration

	// FreqLow and FreqHigh bound the occupied band (absolute, Hz); Freq is
	// its power-weighted centre.
	FreqLow, FreqHigh, Freq float64
	Center                  float64 // the tuning the burst was heard on, Hz

	PowerDBFS float64 // mean power over the burst's extent, noise removed, dB full scale
	PowerDBm  float64 // PowerDBFS plus the calibration offset for the gain in use
	SNR       float64 // dB, signal over noise in the burst's own bandwidth
	// Clipped is set when the ADC saturated during the burst: the true power
	// is at least PowerDBFS.
	Clipped bool

	Class Class
	// Kind refines the class: "normal", "access", "pusch", "pucch", "prach",
	// "srs", "cw", "sweep", "fm", "impulse", "step", "image", "train" …
	Kind string
	// Score is the classifier's confidence in Class, 0..1.
	Score float64
	// Rhythm is set when the burst was found by integrating a train of
	// bursts on its TDMA comb rather than as a single burst; Count is then
	// the number of periods integrated.
	Rhythm bool
	Count  int
}

// Bandwidth is FreqHigh − FreqLow in Hz.
func (b *Burst) Bandwidth() float64 { return b.FreqHigh - b.FreqLow }
