package hardware

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Disk is the free space of the filesystem holding Dir, in bytes.
type Disk struct {
	Dir         string
	Free, Total uint64
}

// FreeFraction is Free/Total in [0, 1]; 0 for an empty filesystem.
func (d Disk) FreeFraction() float64 {
	if d.Total == 0 {
		return 0
	}
	return float64(d.Free) / float64(d.Total)
}

// Limits are the thresholds beyond which Health.Degraded complains.
type Limits struct {
	// HotC is the CPU temperature above which the sensor is degraded, °C;
	// 0 means 80 (the Pi 4 and 5 firmware throttle from 80 to 85 °C).
	HotC float64
	// MinFreeFraction and MinFreeBytes: the alert queue's disk is low
	// when either is crossed; 0 means 10 % and 100 MB.
	MinFreeFraction float64
	MinFreeBytes    uint64
}

// MonitorConfig says where Monitor reads; the zero value reads the live
// system and no disk.
type MonitorConfig struct {
	// ThermalRoot holds the thermal zones; "" means ThermalRoot.
	ThermalRoot string
	// ThrottledPaths are globs for get_throttled; nil means ThrottledPaths.
	ThrottledPaths []string
	// Vcgencmd is the command run when no get_throttled file is found:
	// "" means vcgencmd on ARM and nothing elsewhere, "none" disables.
	Vcgencmd string
	// DiskDir is the directory whose filesystem holds the alert queue
	// (the state directory); "" reads no disk.
	DiskDir string
	Limits  Limits
}

// Monitor reads the Pi's health.
type Monitor struct {
	cfg MonitorConfig
}

// NewMonitor checks cfg and fills its defaults.
func NewMonitor(cfg MonitorConfig) (*Monitor, error) {
	if cfg.ThermalRoot == "" {
		cfg.ThermalRoot = ThermalRoot
	}
	if cfg.ThrottledPaths == nil {
		cfg.ThrottledPaths = ThrottledPaths
	}
	switch cfg.Vcgencmd {
	case "":
		cfg.Vcgencmd = defaultVcgencmd
	case "none":
		cfg.Vcgencmd = ""
	}
	l := &cfg.Limits
	switch {
	case l.HotC == 0:
		l.HotC = 80
	case !(l.HotC >= 40 && l.HotC <= 110):
		return nil, fmt.Errorf("health: hot limit %v °C is out of range: want 40 to 110", l.HotC)
	}
	switch {
	case l.MinFreeFraction == 0:
		l.MinFreeFraction = 0.10
	case !(l.MinFreeFraction > 0 && l.MinFreeFraction < 1):
		return nil, fmt.Errorf("health: minimum free disk fraction %v is out of range: want between 0 and 1", l.MinFreeFraction)
	}
	if l.MinFreeBytes == 0 {
		l.MinFreeBytes = 100e6
	}
	return &Monitor{cfg: cfg}, nil
}

// Health is one reading of the Pi's health. A reading that does not exist
// on this machine is absent (its Has flag false) and is no problem; one
// that exists and fails is listed in Problems.
type Health struct {
	Time time.Time
	// CPUTemp is the SoC temperature, °C; NaN when HasCPUTemp is false.
	CPUTemp    float64
	HasCPUTemp bool
	// Throttled is the firmware's bit field, read from ThrottledFrom (a
	// file, or "vcgencmd").
	Throttled     Throttled
	HasThrottled  bool
	ThrottledFrom string
	Disk          Disk
	HasDisk       bool
	// Problems are readings that failed, with their error.
	Problems []string
	Limits   Limits
}

// Health reads temperature, throttling and disk now.
func (m *Monitor) Health() Health {
	h := Health{Time: time.Now(), CPUTemp: math.NaN(), Limits: m.cfg.Limits}
	problem := func(err error) {
		if !errors.Is(err, ErrUnavailable) {
			h.Problems = append(h.Problems, err.Error())
		}
	}
	if c, err := CPUTemperature(m.cfg.ThermalRoot); err != nil {
		problem(err)
	} else {
		h.CPUTemp, h.HasCPUTemp = c, true
	}
	t, from, err := ReadThrottled(m.cfg.ThrottledPaths)
	if errors.Is(err, ErrUnavailable) && m.cfg.Vcgencmd != "" {
		t, err = runVcgencmd(m.cfg.Vcgencmd)
		from = "vcgencmd"
	}
	if err != nil {
		problem(err)
	} else {
		h.Throttled, h.HasThrottled, h.ThrottledFrom = t, true, from
	}
	if m.cfg.DiskDir != "" {
		if d, err := DiskSpace(m.cfg.DiskDir); err != nil {
			problem(err)
		} else {
			h.Disk, h.HasDisk = d, true
		}
	}
	return h
}

// Degraded lists why the sensor is degraded, nil when it is not: the CPU
// above the hot limit, any throttling condition now, an under-voltage
// since boot (a weak supply also starves the RTL-SDR on USB, which drops
// samples, so it stays a complaint until the supply is fixed and the Pi
// rebooted), the queue's disk below either free limit, and every reading
// that failed.
func (h Health) Degraded() []string {
	var out []string
	if h.HasCPUTemp && h.CPUTemp > h.Limits.HotC {
		out = append(out, fmt.Sprintf("cpu temperature %.1f °C above %g °C", h.CPUTemp, h.Limits.HotC))
	}
	if h.HasThrottled {
		t := h.Throttled
		for _, c := range []struct {
			bit  Throttled
			text string
		}{
			{UnderVoltage, "under-voltage now"},
			{ThrottledNow, "cpu throttled now"},
			{FreqCapped, "arm frequency capped now"},
			{SoftTempLimit, "soft temperature limit active"},
		} {
			if t.Has(c.bit) {
				out = append(out, c.text)
			}
		}
		if t.Has(UnderVoltageOccurred) && !t.Has(UnderVoltage) {
			out = append(out, "under-voltage since boot: check the power supply")
		}
	}
	if h.HasDisk {
		d := h.Disk
		if d.Free < h.Limits.MinFreeBytes || d.FreeFraction() < h.Limits.MinFreeFraction {
			out = append(out, fmt.Sprintf("disk %s: %s free (%.1f %%), below %s or %g %%",
				d.Dir, megabytes(d.Free), 100*d.FreeFraction(), megabytes(h.Limits.MinFreeBytes), 100*h.Limits.MinFreeFraction))
		}
	}
	return append(out, h.Problems...)
}

func megabytes(b uint64) string {
	return fmt.Sprintf("%.0f MB", float64(b)/1e6)
}
