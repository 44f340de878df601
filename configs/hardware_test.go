package configs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// TestHardware: the wiring keys of the hardware section, their defaults,
// their normalisation, and exact errors (file:line:col, the allowed
// values, a suggestion for a near miss).
func TestHardware(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string // under testdata; "" is good-minimal.yaml
		want Hardware
		errs []string
	}{
		{name: "defaults", file: "good-minimal.yaml", want: Hardware{
			LEDPin: "GPIO17", BuzzerPin: "GPIO27", TamperPin: "GPIO22",
			TamperPull: "up", TamperOpenLevel: "high",
			TamperDebounce: Duration(50 * time.Millisecond), AlarmMaxOn: Duration(2 * time.Minute),
		}},
		{name: "active low, pull-down, open low", file: "hardware-good-active-low.yaml", want: Hardware{
			Enabled: true, LEDPin: "GPIO5", BuzzerPin: "GPIO6", TamperPin: "GPIO26",
			LEDActiveLow: true, BuzzerActiveLow: true, TamperPull: "down", TamperOpenLevel: "low",
			TamperDebounce: Duration(20 * time.Millisecond), AlarmMaxOn: Duration(30 * time.Second),
		}},
		{name: "bad wiring", file: "hardware-bad-wiring.yaml", errs: []string{
			`testdata/hardware-bad-wiring.yaml:4:16: hardware.tamper_pull "upp": must be up (internal pull-up: a switch to ground), down (internal pull-down: a switch to 3.3V) or none (an external resistor) (did you mean "up"?)`,
			`testdata/hardware-bad-wiring.yaml:5:22: hardware.tamper_open_level "opened": must be high or low: the level the tamper pin reads with the enclosure open`,
			`testdata/hardware-bad-wiring.yaml:6:20: hardware.tamper_debounce 2s: must be from 1ms to 1s (how long the switch must hold a new position; default 50ms: contacts bounce for 1 to 10ms)`,
			`testdata/hardware-bad-wiring.yaml:7:17: hardware.alarm_max_on 500ms: must be from 1s to 24h (the buzzer's longest sound at a time; default 2m)`,
		}},
		{name: "bad types", file: "hardware-bad-types.yaml", errs: []string{
			`testdata/hardware-bad-types.yaml:3:19: hardware.led_active_low: want true or false, not "maybe"`,
			`testdata/hardware-bad-types.yaml:6:22: hardware.tamper_open_level "hi": must be high or low: the level the tamper pin reads with the enclosure open (did you mean "high"?)`,
			`testdata/hardware-bad-types.yaml:7:20: hardware.tamper_debounce: "50" has no unit: write e.g. 50ms or 50s`,
			`testdata/hardware-bad-types.yaml:8:17: hardware.alarm_max_on 0s: must be from 1s to 24h (the buzzer's longest sound at a time; default 2m)`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(filepath.Join("testdata", tc.file))
			if tc.errs == nil {
				if err != nil {
					t.Fatal(err)
				}
				if c.Hardware != tc.want {
					t.Errorf("hardware %+v\nwant     %+v", c.Hardware, tc.want)
				}
				return
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %v (%T), want Errors", err, err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tc.errs) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.errs, "\n"))
			}
		})
	}
}

// The shipped sensor.yaml writes every hardware key at its default, so
// that a technician sees what can be changed and the defaults cannot drift
// from the comments.
func TestShippedHardwareIsDefault(t *testing.T) {
	c, err := Load("sensor.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := Default().Hardware
	want.Enabled = true // the shipped file is for a sensor with the HAT
	if c.Hardware != want {
		t.Errorf("sensor.yaml hardware %+v\nDefault()          %+v", c.Hardware, want)
	}
	raw, err := os.ReadFile("sensor.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Hardware map[string]any `yaml:"hardware"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"enabled", "led_pin", "buzzer_pin", "tamper_pin", "led_active_low", "buzzer_active_low", "tamper_pull", "tamper_open_level", "tamper_debounce", "alarm_max_on"} {
		if _, ok := file.Hardware[key]; !ok {
			t.Errorf("sensor.yaml does not write hardware.%s", key)
		}
	}
}
