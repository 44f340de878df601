package hardware

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ErrUnavailable is wrapped when a reading does not exist on this machine.
var ErrUnavailable = errors.New("not available on this machine")

// ThermalRoot is where Linux exposes thermal zones.
const ThermalRoot = "/sys/class/thermal"

// cpuZoneTypes are the thermal zone types that measure the SoC/CPU, in
// order of preference: the Raspberry Pi's "cpu-thermal" first, then what
// other boards and PCs call it.
var cpuZoneTypes = []string{"cpu-thermal", "cpu_thermal", "soc_thermal", "x86_pkg_temp", "coretemp", "acpitz"}

// CPUTemperature reads the CPU temperature in °C from the thermal zones
// under root (ThermalRoot on a live system). The kernel writes
// millidegrees Celsius as a decimal integer.
func CPUTemperature(root string) (float64, error) {
	zones, _ := filepath.Glob(filepath.Join(root, "thermal_zone*"))
	if len(zones) == 0 {
		return 0, fmt.Errorf("cpu temperature: no thermal zone under %s: %w", root, ErrUnavailable)
	}
	sort.Strings(zones)
	best, bestRank := "", len(cpuZoneTypes)
	for _, z := range zones {
		t, err := os.ReadFile(filepath.Join(z, "type"))
		if err != nil {
			continue
		}
		for i, name := range cpuZoneTypes {
			if strings.TrimSpace(string(t)) == name && i < bestRank {
				best, bestRank = z, i
			}
		}
	}
	if best == "" {
		best = zones[0] // an unknown board: its first zone is the SoC on every ARM board seen
	}
	p := filepath.Join(best, "temp")
	raw, err := os.ReadFile(p)
	if err != nil {
		return 0, fmt.Errorf("cpu temperature: %w", err)
	}
	c, err := parseMillidegrees(raw)
	if err != nil {
		return 0, fmt.Errorf("cpu temperature: %s: %w", p, err)
	}
	return c, nil
}

// parseMillidegrees parses a thermal zone's temp file: millidegrees
// Celsius as a decimal integer (negative below 0 °C), a newline after.
func parseMillidegrees(raw []byte) (float64, error) {
	s := strings.TrimSpace(string(raw))
	milli, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not millidegrees", s)
	}
	return float64(milli) / 1000, nil
}
