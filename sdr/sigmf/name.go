package sigmf

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// NameInfo is what a raw recording's file name tells about it. Zero fields
// were not found.
type NameInfo struct {
	Frequency  float64    // center frequency, Hz
	SampleRate float64    // samples per second
	Format     sdr.Format // from the extension
	Start      time.Time  // recording start (gqrx names only), UTC
}

// ParseName reads the tuning of a raw recording from its file name, as
// rtl_433 and gqrx write them:
//
//	g001_902M_2400k.cu8                       rtl_433: frequency then rate
//	g005_433.92M_250k.cs16
//	lte_b20_847M_2.4M.cf32                    both tokens may use k, M or G
//	gqrx_20260501_120000_902000000_2400000_fc.raw   plain Hz, float32 IQ
//
// Tokens are separated by '_', '-' or ' ' and are a decimal number with a k,
// M or G suffix, optionally followed by "Hz" or "sps" ("902MHz", "2.4Msps").
// The first such token is the frequency and the second the rate, rtl_433's
// order; a lone token is taken as a frequency if it is at least 20 MHz (no
// RTL-SDR samples that fast) and as a rate otherwise. The format comes from
// the extension (sdr.FormatFromExt), except that gqrx's "_fc.raw" is
// float32. ok is true if the name gave a frequency or a rate.
func ParseName(name string) (info NameInfo, ok bool) {
	base := filepath.Base(name)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	info.Format, _ = sdr.FormatFromExt(ext)

	if g, ok := parseGqrx(stem); ok {
		g.Format = info.Format
		if strings.EqualFold(ext, ".raw") {
			g.Format = sdr.CF32LE // gqrx writes complex float32 whatever the extension says
		}
		return g, true
	}

	var vals []float64
	for _, tok := range strings.FieldsFunc(stem, func(r rune) bool { return r == '_' || r == '-' || r == ' ' }) {
		if v, ok := parseSuffixed(tok); ok {
			vals = append(vals, v)
		}
	}
	switch {
	case len(vals) >= 2:
		info.Frequency, info.SampleRate = vals[0], vals[1]
	case len(vals) == 1 && vals[0] >= 20e6:
		info.Frequency = vals[0]
	case len(vals) == 1:
		info.SampleRate = vals[0]
	default:
		return info, false
	}
	return info, true
}

// parseGqrx reads gqrx's "gqrx_YYYYMMDD_HHMMSS_FREQ_RATE_fc" stems, whose
// frequency and rate are plain integers in Hz.
func parseGqrx(stem string) (NameInfo, bool) {
	f := strings.Split(stem, "_")
	if len(f) < 5 || !strings.EqualFold(f[0], "gqrx") {
		return NameInfo{}, false
	}
	t, err := time.Parse("20060102150405", f[1]+f[2])
	if err != nil {
		return NameInfo{}, false
	}
	freq, err1 := strconv.ParseUint(f[3], 10, 64)
	rate, err2 := strconv.ParseUint(f[4], 10, 64)
	if err1 != nil || err2 != nil || rate == 0 {
		return NameInfo{}, false
	}
	return NameInfo{Frequency: float64(freq), SampleRate: float64(rate), Start: t.UTC()}, true
}

// parseSuffixed parses "433.92M", "2400k", "1.7G", "902MHz", "2.4Msps"
// (ASCII, case-insensitive); a bare number is not accepted (file names hold
// dates and counters).
func parseSuffixed(tok string) (float64, bool) {
	for i := 0; i < len(tok); i++ {
		if tok[i] >= 0x80 {
			return 0, false
		}
	}
	low := strings.ToLower(tok)
	for _, unit := range []string{"hz", "sps", "s"} {
		if strings.HasSuffix(low, unit) && len(low) > len(unit) {
			low = low[:len(low)-len(unit)]
			break
		}
	}
	if len(low) < 2 {
		return 0, false
	}
	var mult float64
	switch low[len(low)-1] {
	case 'k':
		mult = 1e3
	case 'm': // "902mhz" is sloppy but clear: nobody records at millihertz
		mult = 1e6
	case 'g':
		mult = 1e9
	default:
		return 0, false
	}
	num := low[:len(low)-1]
	for _, r := range num {
		if (r < '0' || r > '9') && r != '.' {
			return 0, false // no signs, exponents or hex in a file name token
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, false
	}
	// Round to the millihertz so that "433.92M" gives 433920000 exactly.
	hz := math.Round(v*mult*1e3) / 1e3
	if !(hz > 0) || math.IsInf(hz, 0) {
		return 0, false
	}
	return hz, true
}

// ParseHz parses a frequency or sample rate as a technician types it:
// "2.4M", "2400k", "902MHz", "1.7G", "2400000" or "2.4e6". It is meant for
// command-line flags.
func ParseHz(s string) (float64, error) {
	t := strings.TrimSpace(s)
	if v, ok := parseSuffixed(t); ok {
		return v, nil
	}
	u := strings.TrimSuffix(strings.TrimSuffix(t, "Hz"), "sps")
	v, err := strconv.ParseFloat(u, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a positive frequency (examples: 2.4M, 2400k, 902MHz, 2400000)", s)
	}
	return v, nil
}
