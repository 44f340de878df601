package sim

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// A unit is one accepted suffix of a quantity and the factor that converts
// a number written with it to the base unit.
type unit struct {
	suffix string
	mul    float64
}

var (
	// The first unit of each list is the one suggested when a unit is
	// missing.
	frequencyUnits = []unit{{"MHz", 1e6}, {"Hz", 1}, {"kHz", 1e3}, {"GHz", 1e9}}
	rateUnits      = []unit{{"MHz", 1e6}, {"Hz", 1}, {"kHz", 1e3}, {"sps", 1}, {"ksps", 1e3}, {"Msps", 1e6}, {"S/s", 1}, {"kS/s", 1e3}, {"MS/s", 1e6}}
	// Durations are converted straight to nanoseconds, so that whole
	// values stay exact (1100h is 3.96e15 ns, exactly).
	durationUnits = []unit{{"s", 1e9}, {"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"μs", 1e3}, {"ms", 1e6}, {"min", 60e9}, {"m", 60e9}, {"h", 3600e9}}
	distanceUnits = []unit{{"mm", 1e-3}, {"cm", 1e-2}, {"m", 1}, {"km", 1e3}}
)

// errNoUnit is wrapped by the unit parsers when a value that needs a unit
// has none; the YAML decoder turns it into a hint.
var errNoUnit = errors.New("missing unit")

// splitNumber splits "902.4 MHz" into "902.4" and "MHz". The number is the
// longest prefix made of characters that can appear in a decimal float.
func splitNumber(s string) (num, suffix string) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= '0' && c <= '9' || c == '.' || c == '+' || c == '-' {
			i++
			continue
		}
		// An exponent marker only belongs to the number when a digit or a
		// sign follows it.
		if (c == 'e' || c == 'E') && i > 0 && i+1 < len(s) {
			n := s[i+1]
			if n >= '0' && n <= '9' || n == '+' || n == '-' {
				i++
				continue
			}
		}
		break
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// parseNumber parses a finite decimal number (no hex, no NaN or Inf).
func parseNumber(s string) (float64, error) {
	if s == "" {
		return 0, errors.New("no number")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return v, nil
}

// parseWithUnits parses "number unit" where unit is one of units (matched
// exactly first, then case-insensitively so that "2.4mhz" reads as MHz).
// A bare number is accepted only when bare is non-zero, and means bare ×
// the number.
func parseWithUnits(s, quantity string, units []unit, bare float64) (float64, error) {
	num, suf := splitNumber(s)
	v, err := parseNumber(num)
	if err != nil {
		return 0, fmt.Errorf("invalid %s %q: %v", quantity, s, err)
	}
	if suf == "" {
		if bare != 0 {
			return v * bare, nil
		}
		return 0, fmt.Errorf("invalid %s %q: %w (e.g. %s%s)", quantity, s, errNoUnit, num, units[0].suffix)
	}
	for _, u := range units {
		if suf == u.suffix {
			return finite(v*u.mul, quantity, s)
		}
	}
	for _, u := range units {
		if strings.EqualFold(suf, u.suffix) {
			return finite(v*u.mul, quantity, s)
		}
	}
	names := make([]string, 0, len(units))
	for _, u := range units {
		names = append(names, u.suffix)
	}
	return 0, fmt.Errorf("invalid %s %q: unknown unit %q (want %s)", quantity, s, suf, strings.Join(names, ", "))
}

func finite(v float64, quantity, s string) (float64, error) {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("invalid %s %q: out of range", quantity, s)
	}
	return v, nil
}

// ParseFrequency parses a frequency with its unit ("902.4MHz", "200 kHz",
// "1.8GHz", "433920000Hz") and returns it in Hz. A bare number is rejected
// so that nobody writes 902.4 meaning MHz.
func ParseFrequency(s string) (float64, error) {
	return parseWithUnits(s, "frequency", frequencyUnits, 0)
}

// parseRate parses a sample rate: a frequency unit or sps, ksps, Msps,
// S/s, kS/s, MS/s. Returns samples per second.
func parseRate(s string) (float64, error) {
	return parseWithUnits(s, "sample rate", rateUnits, 0)
}

// ParseDuration parses a duration with its unit: ns, us (or µs), ms, s,
// min (or m), h, with a decimal number ("577us", "4.615ms", "1.5min",
// "2e-3s"). Unlike time.ParseDuration it takes exponents and "min", and it
// rejects bare numbers. Durations beyond ±290 years are out of range.
func ParseDuration(s string) (time.Duration, error) {
	v, err := parseWithUnits(s, "duration", durationUnits, 0)
	if err != nil {
		return 0, err
	}
	ns := math.Round(v)
	if math.Abs(ns) >= math.MaxInt64 {
		return 0, fmt.Errorf("invalid duration %q: out of range", s)
	}
	return time.Duration(ns), nil
}

// parseDistance parses a length in metres: a bare number is metres, and
// mm, cm, m, km are accepted.
func parseDistance(s string) (float64, error) {
	return parseWithUnits(s, "distance", distanceUnits, 1)
}

// parseDB parses a ratio in decibels ("6dB", "-3 dB").
func parseDB(s string) (float64, error) {
	return parseWithUnits(s, "level", []unit{{"dB", 1}}, 0)
}

// parseDBFS parses a level relative to ADC full scale ("-35dBFS").
func parseDBFS(s string) (float64, error) {
	return parseWithUnits(s, "level", []unit{{"dBFS", 1}}, 0)
}

// parseDBm parses a power: "23dBm", or in watts ("2W", "200mW", "10uW")
// converted to dBm as 10·log10(P/1 mW). Zero or negative watts are rejected.
func parseDBm(s string) (float64, error) {
	num, suf := splitNumber(s)
	var mul float64
	switch strings.ToLower(suf) {
	case "dbm":
		return parseWithUnits(s, "power", []unit{{"dBm", 1}}, 0)
	case "w":
		mul = 1e3
	case "mw":
		mul = 1
	case "uw", "µw", "μw":
		mul = 1e-3
	default:
		return parseWithUnits(s, "power", []unit{{"dBm", 1}, {"mW", 1}, {"W", 1}}, 0)
	}
	v, err := parseNumber(num)
	if err != nil {
		return 0, fmt.Errorf("invalid power %q: %v", s, err)
	}
	if !(v > 0) {
		return 0, fmt.Errorf("invalid power %q: must be positive", s)
	}
	return finite(10*math.Log10(v*mul), "power", s)
}

// parsePPM parses a frequency error in parts per million: a bare number
// or "12ppm".
func parsePPM(s string) (float64, error) {
	return parseWithUnits(s, "frequency error", []unit{{"ppm", 1}}, 1)
}

// parsePerSecond parses a mean event rate: a bare number or "5/s", "300/min",
// "2/h". Returns events per second.
func parsePerSecond(s string) (float64, error) {
	return parseWithUnits(s, "rate", []unit{{"/s", 1}, {"/min", 1.0 / 60}, {"/h", 1.0 / 3600}}, 1)
}
