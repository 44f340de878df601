package hardware

import (
	"errors"
	"strings"
	"testing"
)

func TestCPUTemperature(t *testing.T) {
	cases := []struct {
		name, root string
		want       float64
		err        string
	}{
		{"raspberry pi", "testdata/thermal-pi", 48.692, ""},
		{"pc picks the package sensor", "testdata/thermal-multi", 61, ""},
		{"garbage", "testdata/thermal-bad", 0, `"hot" is not millidegrees`},
		{"none", "testdata/nothing-here", 0, "no thermal zone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := CPUTemperature(c.root)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
	if _, err := CPUTemperature("testdata/nothing-here"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("missing zones: %v is not ErrUnavailable", err)
	}
}
