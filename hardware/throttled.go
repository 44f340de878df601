package hardware

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Throttled is the Raspberry Pi firmware's throttling bit field, as
// `vcgencmd get_throttled` prints it and the firmware driver exposes it in
// sysfs. Bits 0–3 are conditions now, bits 16–19 the same conditions at
// any time since boot.
type Throttled uint32

// The bits of Throttled.
const (
	UnderVoltage  Throttled = 1 << 0 // supply below ~4.63 V now
	FreqCapped    Throttled = 1 << 1 // ARM frequency capped now
	ThrottledNow  Throttled = 1 << 2 // clocks throttled now
	SoftTempLimit Throttled = 1 << 3 // soft temperature limit active now

	UnderVoltageOccurred  Throttled = 1 << 16
	FreqCappedOccurred    Throttled = 1 << 17
	ThrottledOccurred     Throttled = 1 << 18
	SoftTempLimitOccurred Throttled = 1 << 19
)

// throttledNames are the bits' stable names, for health messages.
var throttledNames = []struct {
	bit  Throttled
	name string
}{
	{UnderVoltage, "under_voltage"},
	{FreqCapped, "freq_capped"},
	{ThrottledNow, "throttled"},
	{SoftTempLimit, "soft_temp_limit"},
	{UnderVoltageOccurred, "under_voltage_occurred"},
	{FreqCappedOccurred, "freq_capped_occurred"},
	{ThrottledOccurred, "throttled_occurred"},
	{SoftTempLimitOccurred, "soft_temp_limit_occurred"},
}

// Has reports whether every bit of f is set.
func (t Throttled) Has(f Throttled) bool { return t&f == f }

// Names lists the set bits by name (under_voltage, freq_capped,
// throttled, soft_temp_limit, and the same with _occurred for since
// boot), bits without a name as bit<n>; nil when none is set.
func (t Throttled) Names() []string {
	var out []string
	rest := t
	for _, n := range throttledNames {
		if t.Has(n.bit) {
			out = append(out, n.name)
			rest &^= n.bit
		}
	}
	for i := range 32 {
		if rest&(1<<i) != 0 {
			out = append(out, fmt.Sprintf("bit%d", i))
		}
	}
	return out
}

// String is vcgencmd's form, 0x50005.
func (t Throttled) String() string { return fmt.Sprintf("0x%x", uint32(t)) }

// ParseThrottled parses the bit field from `vcgencmd get_throttled`
// output ("throttled=0x50005") or the sysfs file (the kernel prints it
// with %x: "50005"). Both are hexadecimal, with or without 0x.
func ParseThrottled(b []byte) (Throttled, error) {
	s := strings.TrimSpace(string(b))
	s = strings.TrimPrefix(s, "throttled=")
	h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	v, err := strconv.ParseUint(h, 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a 32-bit hexadecimal bit field", s)
	}
	return Throttled(v), nil
}

// ThrottledPaths are where the Raspberry Pi firmware driver exposes the
// bit field, tried in order: the Pi 1–4 node, then any SoC's firmware
// node (the Pi 5's SoC node has another name). Globs.
var ThrottledPaths = []string{
	"/sys/devices/platform/soc/soc:firmware/get_throttled",
	"/sys/devices/platform/*/*:firmware/get_throttled",
}

// ReadThrottled reads the bit field from the first file matching one of
// the glob patterns. No match is ErrUnavailable; a file that does not
// parse is an error naming it.
func ReadThrottled(patterns []string) (Throttled, string, error) {
	for _, pat := range patterns {
		ms, _ := filepath.Glob(pat)
		for _, p := range ms {
			raw, err := os.ReadFile(p)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
				return 0, p, fmt.Errorf("throttling: %w", err)
			}
			t, err := ParseThrottled(raw)
			if err != nil {
				return 0, p, fmt.Errorf("throttling: %s: %w", p, err)
			}
			return t, p, nil
		}
	}
	return 0, "", fmt.Errorf("throttling: no get_throttled file: %w", ErrUnavailable)
}

// vcgencmdTimeout bounds the fallback: vcgencmd talks to the firmware
// through the mailbox and answers in milliseconds, or hangs.
const vcgencmdTimeout = 2 * time.Second

// runVcgencmd runs `cmd get_throttled` and parses its output. A command
// that is not installed is ErrUnavailable.
func runVcgencmd(cmd string) (Throttled, error) {
	ctx, cancel := context.WithTimeout(context.Background(), vcgencmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, cmd, "get_throttled").Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
			return 0, fmt.Errorf("throttling: %s: %w", cmd, ErrUnavailable)
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) && len(ee.Stderr) > 0 {
			return 0, fmt.Errorf("throttling: %s get_throttled: %w: %s", cmd, err, strings.TrimSpace(string(ee.Stderr)))
		}
		return 0, fmt.Errorf("throttling: %s get_throttled: %w", cmd, err)
	}
	t, err := ParseThrottled(out)
	if err != nil {
		return 0, fmt.Errorf("throttling: %s get_throttled output: %w", cmd, err)
	}
	return t, nil
}
