package hardware

import (
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/configs"
)

// configs keeps its own copy of the board's defaults (it must not import
// periph.io, which this package does): the two must agree, or a sensor
// file that leaves a key out would wire the board differently from what
// its comments say.
func TestDefaultsMatchConfigs(t *testing.T) {
	got, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	h := configs.Default().Hardware
	for _, c := range []struct {
		name       string
		cfg, board any
	}{
		{"tamper_pull", h.TamperPull, got.TamperPull},
		{"tamper_open_level", h.TamperOpenLevel, got.TamperOpenLevel},
		{"tamper_debounce", time.Duration(h.TamperDebounce), got.Debounce},
		{"alarm_max_on", time.Duration(h.AlarmMaxOn), got.AlarmMaxOn},
		{"led_active_low", h.LEDActiveLow, got.LEDActiveLow},
		{"buzzer_active_low", h.BuzzerActiveLow, got.BuzzerActiveLow},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.cfg != c.board {
				t.Errorf("configs default %v, hardware default %v", c.cfg, c.board)
			}
		})
	}
}
