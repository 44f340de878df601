package configs

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// The unit types below read what a technician writes (902.4MHz, 250ms,
// 8dB, 64MiB, 12ppm, GPIO17, auto) and print it back the same way, so that
// the effective configuration reads like the file. Each has a Parse
// function (pure: the fuzz tests call it), an UnmarshalYAML that accepts
// one YAML scalar, and a String whose output Parse reads back to the same
// value.

// scalar returns the text of a YAML scalar, or an error saying what kind of
// value was wanted instead of a list or a mapping.
func scalar(n *yaml.Node, want string) (string, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value, nil
	case yaml.SequenceNode:
		return "", fmt.Errorf("want %s, not a list", want)
	case yaml.MappingNode:
		return "", fmt.Errorf("want %s, not a mapping", want)
	}
	return "", fmt.Errorf("want %s", want)
}

// lowerASCII lowers A–Z only, so that byte offsets into the result are
// offsets into s (strings.ToLower may change the length of invalid UTF-8).
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// Frequency is a frequency in Hz. It reads 902.4MHz, 1.8GHz, 200kHz,
// 2.4M, 880e6 or 880000000 (plain Hz); unit prefixes are case-insensitive
// (nobody means millihertz). It may be negative: spur offsets are.
type Frequency float64

// ParseFrequency reads a frequency; see Frequency.
func ParseFrequency(s string) (Frequency, error) {
	t := strings.TrimSpace(s)
	num := t
	lower := lowerASCII(t)
	if strings.HasSuffix(lower, "hz") {
		num, lower = num[:len(num)-2], lower[:len(lower)-2]
	}
	exp := ""
	if n := len(lower); n > 0 {
		switch lower[n-1] {
		case 'k':
			exp = "3"
		case 'm':
			exp = "6"
		case 'g':
			exp = "9"
		}
		if exp != "" {
			num = num[:n-1]
		}
	}
	num = strings.TrimSpace(num)
	v, err := parseScaled(num, exp)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a frequency (examples: 902.4MHz, 1.8GHz, 200kHz, 880000000)", s)
	}
	return Frequency(v), nil
}

// parseScaled reads a decimal number times 10^exp. Appending the exponent
// to the text (instead of multiplying) keeps 902.4 MHz exactly 902400000.
func parseScaled(num, exp string) (float64, error) {
	if num == "" || strings.ContainsAny(num, "_xXpP") {
		// ParseFloat takes hex floats and underscores; nobody means them here.
		return 0, strconv.ErrSyntax
	}
	low := lowerASCII(num)
	if low == "nan" || strings.Contains(low, "inf") {
		return 0, strconv.ErrSyntax
	}
	if exp == "" {
		return strconv.ParseFloat(num, 64)
	}
	if strings.ContainsAny(num, "eE") {
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, err
		}
		e, _ := strconv.Atoi(exp)
		return v * math.Pow(10, float64(e)), nil
	}
	return strconv.ParseFloat(num+"e"+exp, 64)
}

// shiftDecimal moves the decimal point of a plain decimal number (digits
// and at most one point, no sign or exponent) k places to the left and
// trims trailing zeros: shiftDecimal("902400000", 6) = "902.4".
func shiftDecimal(s string, k int) string {
	intPart, frac, _ := strings.Cut(s, ".")
	digits := intPart + frac
	point := len(intPart) - k
	for point <= 0 {
		digits = "0" + digits
		point++
	}
	out := digits[:point] + "." + digits[point:]
	out = strings.TrimRight(out, "0")
	out = strings.TrimSuffix(out, ".")
	out = strings.TrimLeft(out, "0")
	if out == "" || out[0] == '.' {
		out = "0" + out
	}
	return out
}

// String prints the frequency in kHz, MHz (up to 10 GHz, as band tables
// do) or GHz, keeping it at least 1: 902.4MHz, 1766MHz, 200kHz, 50Hz.
func (f Frequency) String() string {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	plain := strconv.FormatFloat(v, 'f', -1, 64)
	switch {
	case v >= 1e10:
		return sign + shiftDecimal(plain, 9) + "GHz"
	case v >= 1e6: // band tables give 1710MHz, not 1.71GHz
		return sign + shiftDecimal(plain, 6) + "MHz"
	case v >= 1e3:
		return sign + shiftDecimal(plain, 3) + "kHz"
	}
	return sign + plain + "Hz"
}

// Hz returns the frequency as a float64 in Hz.
func (f Frequency) Hz() float64 { return float64(f) }

// UnmarshalYAML reads one scalar.
func (f *Frequency) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalar(n, "a frequency such as 902.4MHz")
	if err != nil {
		return err
	}
	v, err := ParseFrequency(s)
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// MarshalYAML writes the String form.
func (f Frequency) MarshalYAML() (any, error) { return f.String(), nil }

// Duration is a time.Duration written in Go syntax: 200us, 250ms, 30s,
// 1m30s. A bare number is refused (except 0): a dwell of "250" could be
// anything.
type Duration time.Duration

// ParseDuration reads a duration; see Duration.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	if t == "0" {
		return 0, nil
	}
	if _, err := strconv.ParseFloat(t, 64); err == nil {
		return 0, fmt.Errorf("%q has no unit: write e.g. %sms or %ss", s, t, t)
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (examples: 200us, 250ms, 30s, 2m)", s)
	}
	return Duration(d), nil
}

// String prints the duration as time.Duration does (250ms, 1m30s), with
// us for microseconds so that it stays ASCII, and without zero trailing
// units (2m, not 2m0s).
func (d Duration) String() string {
	s := strings.ReplaceAll(time.Duration(d).String(), "µs", "us")
	// 2m0s reads 2m, 1h0m0s 1h: ParseDuration takes both back.
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// UnmarshalYAML reads one scalar.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalar(n, "a duration such as 250ms")
	if err != nil {
		return err
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML writes the String form.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Decibel is a level or ratio in dB: 8dB, -74dB, or a plain number.
type Decibel float64

// ParseDecibel reads a value in dB; see Decibel.
func ParseDecibel(s string) (Decibel, error) {
	t := strings.TrimSpace(s)
	if low := lowerASCII(t); strings.HasSuffix(low, "db") {
		t = strings.TrimSpace(t[:len(t)-2])
	}
	v, err := parseScaled(t, "")
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("%q is not a level in dB (examples: 8dB, -74dB)", s)
	}
	return Decibel(v), nil
}

// String prints the value with its unit: 8dB.
func (d Decibel) String() string { return strconv.FormatFloat(float64(d), 'f', -1, 64) + "dB" }

// DB returns the value in dB.
func (d Decibel) DB() float64 { return float64(d) }

// UnmarshalYAML reads one scalar.
func (d *Decibel) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalar(n, "a level in dB such as 8dB")
	if err != nil {
		return err
	}
	v, err := ParseDecibel(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalYAML writes the String form.
func (d Decibel) MarshalYAML() (any, error) { return d.String(), nil }

// Gain is a tuner gain: a level in dB (40dB, 40.2) or "auto" for the
// tuner's automatic gain control.
type Gain struct {
	Auto bool
	DB   float64 // when not Auto
}

// ParseGain reads a gain; see Gain.
func ParseGain(s string) (Gain, error) {
	if strings.EqualFold(strings.TrimSpace(s), "auto") {
		return Gain{Auto: true}, nil
	}
	d, err := ParseDecibel(s)
	if err != nil {
		return Gain{}, fmt.Errorf("%q is not a gain (examples: 40dB, 28.0dB, auto)", s)
	}
	return Gain{DB: float64(d)}, nil
}

// String prints "auto" or the gain in dB.
func (g Gain) String() string {
	if g.Auto {
		return "auto"
	}
	return Decibel(g.DB).String()
}

// UnmarshalYAML reads one scalar.
func (g *Gain) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalar(n, "a gain such as 40dB or auto")
	if err != nil {
		return err
	}
	v, err := ParseGain(s)
	if err != nil {
		return err
	}
	*g = v
	return nil
}

// MarshalYAML writes the String form.
func (g Gain) MarshalYAML() (any, error) { return g.String(), nil }

// Size is a number of bytes: 64MiB, 200MB, 512KiB, 1.5GiB or a plain
// count. Binary (KiB, MiB, GiB, TiB) and decimal (kB, MB, GB, TB) units are
// both accepted; the result must be a whole number of bytes.
type Size int64

// sizeUnits are the units ParseSize knows, matched case-insensitively.
var sizeUnits = []struct {
	name string
	mult float64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"b", 1},
}

// maxSize is the largest size ParseSize returns: 2^53 bytes, the largest
// whole number a float64 holds exactly (8 PiB: no disk on a Pi is larger).
const maxSize = 1 << 53

// ParseSize reads a size; see Size.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	low := lowerASCII(t)
	mult := 1.0
	for _, u := range sizeUnits {
		if strings.HasSuffix(low, u.name) {
			t, mult = strings.TrimSpace(t[:len(t)-len(u.name)]), u.mult
			break
		}
	}
	v, err := parseScaled(t, "")
	bad := fmt.Errorf("%q is not a size (examples: 64MiB, 200MB, 512KiB)", s)
	if err != nil || v < 0 || math.IsNaN(v) {
		return 0, bad
	}
	b := v * mult
	if b > maxSize {
		return 0, fmt.Errorf("%q is too large (at most 8PiB)", s)
	}
	if b != math.Trunc(b) {
		return 0, fmt.Errorf("%q is not a whole number of bytes", s)
	}
	return Size(b), nil
}

// String prints the size in the largest binary unit that divides it, else
// the largest decimal one, else in bytes: 64MiB, 200MB, 1000B.
func (z Size) String() string {
	if z <= 0 {
		return strconv.FormatInt(int64(z), 10) + "B"
	}
	for _, u := range []struct {
		name string
		mult int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3}} {
		if int64(z)%u.mult == 0 {
			return strconv.FormatInt(int64(z)/u.mult, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(z), 10) + "B"
}

// UnmarshalYAML reads one scalar.
func (z *Size) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalar(n, "a size such as 64MiB")
	if err != nil {
		return err
	}
	v, err := ParseSize(s)
	if err != nil {
		return err
	}
	*z = v
	return nil
}

// MarshalYAML writes the String form.
func (z Size) MarshalYAML() (any, error) { return z.String(), nil }

// PPM is a frequency correction in parts per million: 12, -3.5, 12ppm.
// The corrected tuning is f·(1 + ppm·10⁻⁶) of the nominal, as librtlsdr
// applies it.
type PPM float64

// ParsePPM reads a correction; see PPM.
func ParsePPM(s string) (PPM, error) {
	t := strings.TrimSpace(s)
	if low := lowerASCII(t); strings.HasSuffix(low, "ppm") {
		t = strings.TrimSpace(t[:len(t)-3])
	}
	v, err := parseScaled(t, "")
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a correction in ppm (examples: 12, -3.5ppm)", s)
	}
	return PPM(v), nil
}

// String prints the correction with its unit: 12ppm.
func (p PPM) String() string { return strconv.FormatFloat(float64(p), 'f', -1, 64) + "ppm" }

// UnmarshalYAML reads one scalar.
func (p *PPM) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalar(n, "a correction in ppm such as 12")
	if err != nil {
		return err
	}
	v, err := ParsePPM(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// MarshalYAML writes the String form.
func (p PPM) MarshalYAML() (any, error) { return p.String(), nil }

// Pin is a Raspberry Pi GPIO by its BCM name, GPIO2 to GPIO27 (the 40-pin
// header), or empty for "not fitted". GPIO0 and GPIO1 are left out: they
// carry the HAT identification EEPROM's I²C bus.
type Pin string

// ParsePin reads a pin name, case-insensitively; "" is no pin.
func ParsePin(s string) (Pin, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", nil
	}
	bad := fmt.Errorf("%q is not a GPIO pin: want GPIO2 to GPIO27 (BCM numbering, as printed by pinout), or \"\" for none", s)
	if len(t) < 5 || !strings.EqualFold(t[:4], "gpio") {
		return "", bad
	}
	digits := t[4:]
	if len(digits) > 2 || (len(digits) == 2 && digits[0] == '0') || strings.ContainsFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) {
		return "", bad
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 2 || n > 27 {
		return "", bad
	}
	return Pin("GPIO" + strconv.Itoa(n)), nil
}

// String returns the canonical name (GPIO17) or "".
func (p Pin) String() string { return string(p) }

// UnmarshalYAML reads one scalar.
func (p *Pin) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalar(n, "a pin name such as GPIO17")
	if err != nil {
		return err
	}
	v, err := ParsePin(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Period is a long duration: a number of days (400d), a Go duration
// (9600h, 36h30m) or both (1d12h), at most 100000 days. Retention and similar spans are
// thought of in days; hours are accepted because Go durations have no day.
type Period time.Duration

const day = 24 * time.Hour

// ParsePeriod reads a period; see Period.
func ParsePeriod(s string) (Period, error) {
	t := strings.TrimSpace(s)
	bad := fmt.Errorf("%q is not a period (examples: 400d, 14d, 36h, 1d12h)", s)
	const maxPeriod = 100000 * day // 274 years: more is a typo
	if t == "0" {
		return 0, nil
	}
	if _, err := strconv.ParseFloat(t, 64); err == nil {
		return 0, fmt.Errorf("%q has no unit: write e.g. %sd (days) or %sh (hours)", s, t, t)
	}
	var total time.Duration
	if i := strings.IndexByte(t, 'd'); i >= 0 {
		n, err := strconv.ParseUint(t[:i], 10, 32)
		if err != nil || n > uint64(maxPeriod/day) {
			return 0, bad
		}
		total = time.Duration(n) * day
		t = t[i+1:]
		if t == "" {
			return Period(total), nil
		}
	}
	d, err := time.ParseDuration(t)
	if err != nil || d < 0 || d > maxPeriod-total {
		return 0, bad
	}
	return Period(total + d), nil
}

// String prints whole days as 400d, other periods with their days first:
// 1d12h, 36m.
func (p Period) String() string {
	d := time.Duration(p)
	if d < 0 || d < day {
		return Duration(d).String()
	}
	days := d / day
	if rest := d % day; rest != 0 {
		return strconv.FormatInt(int64(days), 10) + "d" + Duration(rest).String()
	}
	return strconv.FormatInt(int64(days), 10) + "d"
}

// D returns the time.Duration.
func (p Period) D() time.Duration { return time.Duration(p) }

// UnmarshalYAML reads one scalar.
func (p *Period) UnmarshalYAML(n *yaml.Node) error {
	s, err := scalar(n, "a period such as 400d")
	if err != nil {
		return err
	}
	v, err := ParsePeriod(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// MarshalYAML writes the String form.
func (p Period) MarshalYAML() (any, error) { return p.String(), nil }
