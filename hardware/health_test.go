package hardware

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseThrottled(t *testing.T) {
	cases := []struct {
		name, in string
		want     Throttled
		names    []string
		err      string
	}{
		{"vcgencmd all clear", "throttled=0x0\n", 0, nil, ""},
		{"vcgencmd under-voltage and throttled now", "throttled=0x50005\n", 0x50005,
			[]string{"under_voltage", "throttled", "under_voltage_occurred", "throttled_occurred"}, ""},
		{"sysfs since boot only", "50000\n", 0x50000, []string{"under_voltage_occurred", "throttled_occurred"}, ""},
		{"sysfs hot", "80008", 0x80008, []string{"soft_temp_limit", "soft_temp_limit_occurred"}, ""},
		{"capped", "0x20002", 0x20002, []string{"freq_capped", "freq_capped_occurred"}, ""},
		{"unnamed bit", "0x100", 0x100, []string{"bit8"}, ""},
		{"upper case", "0XE0008", 0xe0008, []string{"soft_temp_limit", "freq_capped_occurred", "throttled_occurred", "soft_temp_limit_occurred"}, ""},
		{"empty", "", 0, nil, `"" is not a 32-bit hexadecimal bit field`},
		{"prefix only", "throttled=", 0, nil, `"" is not a 32-bit hexadecimal bit field`},
		{"not hex", "throttled=0xZZ", 0, nil, `"0xZZ" is not a 32-bit hexadecimal bit field`},
		{"wider than 32 bits", "123456789", 0, nil, `"123456789" is not a 32-bit hexadecimal bit field`},
		{"negative", "-1", 0, nil, `"-1" is not a 32-bit hexadecimal bit field`},
		{"trailing text", "throttled=0x5 (ok)", 0, nil, `"0x5 (ok)" is not a 32-bit hexadecimal bit field`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseThrottled([]byte(c.in))
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
			if !reflect.DeepEqual(got.Names(), c.names) {
				t.Fatalf("names %q, want %q", got.Names(), c.names)
			}
		})
	}
}

func FuzzParseThrottled(f *testing.F) {
	for _, s := range []string{"throttled=0x0\n", "throttled=0x50005\n", "50000\n", "0XE0008", "", "throttled=", "-1", "123456789"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParseThrottled(b)
		if err != nil {
			return
		}
		// What parsed prints back in vcgencmd's and sysfs's forms and
		// parses to the same bits.
		for _, form := range []string{"throttled=" + v.String() + "\n", fmt.Sprintf("%x\n", uint32(v))} {
			w, err := ParseThrottled([]byte(form))
			if err != nil || w != v {
				t.Fatalf("%q parsed to %v; its form %q gives %v, %v", b, v, form, w, err)
			}
		}
		if v == 0 && v.Names() != nil || v != 0 && len(v.Names()) == 0 {
			t.Fatalf("%v names %q", v, v.Names())
		}
	})
}

func TestParseMillidegrees(t *testing.T) {
	cases := []struct {
		name, in string
		want     float64
		err      string
	}{
		{"pi", "48692\n", 48.692, ""},
		{"freezing box", "-5250\n", -5.25, ""},
		{"zero", "0", 0, ""},
		{"word", "hot\n", 0, `"hot" is not millidegrees`},
		{"decimal point", "48.6", 0, `"48.6" is not millidegrees`},
		{"empty", "", 0, `"" is not millidegrees`},
		{"absurd", "99999999999", 0, `"99999999999" is not millidegrees`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseMillidegrees([]byte(c.in))
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

func FuzzParseMillidegrees(f *testing.F) {
	for _, s := range []string{"48692\n", "-5250\n", "0", "hot\n", "48.6", "", "99999999999"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseMillidegrees(b)
		if err != nil {
			return
		}
		milli := math.Round(c * 1000)
		if math.Abs(milli) > math.MaxInt32 {
			t.Fatalf("%q gave %v °C, beyond a 32-bit millidegree count", b, c)
		}
		back, err := parseMillidegrees([]byte(strconv.FormatInt(int64(milli), 10)))
		if err != nil || back != c {
			t.Fatalf("%q gave %v °C, printed back %v, %v", b, c, back, err)
		}
	})
}

func TestReadThrottled(t *testing.T) {
	cases := []struct {
		name     string
		patterns []string
		want     Throttled
		from     string
		err      string
	}{
		{"pi all clear", []string{"testdata/throttled/ok/get_throttled"}, 0, "testdata/throttled/ok/get_throttled", ""},
		{"first match wins", []string{"testdata/throttled/none/get_throttled", "testdata/throttled/u*-now/get_throttled", "testdata/throttled/ok/get_throttled"},
			0x50005, "testdata/throttled/undervolt-now/get_throttled", ""},
		{"since boot", []string{"testdata/throttled/since-boot/get_throttled"}, UnderVoltageOccurred | ThrottledOccurred, "testdata/throttled/since-boot/get_throttled", ""},
		{"garbage", []string{"testdata/throttled/garbage/get_throttled"}, 0, "",
			`throttling: testdata/throttled/garbage/get_throttled: "throttled" is not a 32-bit hexadecimal bit field`},
		{"no file", []string{"testdata/throttled/none/get_throttled"}, 0, "", "throttling: no get_throttled file: not available on this machine"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, from, err := ReadThrottled(c.patterns)
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || got != c.want || from != c.from {
				t.Fatalf("got %v from %q, %v; want %v from %q", got, from, err, c.want, c.from)
			}
		})
	}
	if _, _, err := ReadThrottled([]string{"testdata/throttled/none/get_throttled"}); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("no file: %v is not ErrUnavailable", err)
	}
}

func TestDiskSpace(t *testing.T) {
	dir := t.TempDir()
	d, err := DiskSpace(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Dir != dir || d.Total == 0 || d.Free > d.Total || d.FreeFraction() < 0 || d.FreeFraction() > 1 {
		t.Fatalf("implausible %+v", d)
	}
	t.Run("agrees with df", func(t *testing.T) {
		out, err := exec.Command("df", "-B1", "--output=avail,size", dir).Output()
		if err != nil {
			t.Skipf("df: %v", err)
		}
		f := strings.Fields(string(out))
		if len(f) != 4 {
			t.Fatalf("df printed %q", out)
		}
		avail, _ := strconv.ParseUint(f[2], 10, 64)
		size, _ := strconv.ParseUint(f[3], 10, 64)
		// Others write to the disk meanwhile: within 1 % of its size.
		if diff := math.Abs(float64(avail) - float64(d.Free)); diff > 0.01*float64(size) || size != d.Total {
			t.Fatalf("statfs free %d of %d, df %d of %d", d.Free, d.Total, avail, size)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		missing := filepath.Join(dir, "queue")
		_, err := DiskSpace(missing)
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "disk: statfs "+missing) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestDegraded(t *testing.T) {
	lim := Limits{HotC: 80, MinFreeFraction: 0.10, MinFreeBytes: 100e6}
	roomy := Disk{Dir: "/var/lib/cellsentry", Free: 20e9, Total: 30e9}
	cases := []struct {
		name string
		h    Health
		want []string
	}{
		{"healthy", Health{CPUTemp: 55, HasCPUTemp: true, HasThrottled: true, Disk: roomy, HasDisk: true}, nil},
		{"nothing readable is not degraded", Health{CPUTemp: math.NaN()}, nil},
		{"at the hot limit is fine", Health{CPUTemp: 80, HasCPUTemp: true}, nil},
		{"hot", Health{CPUTemp: 83.25, HasCPUTemp: true}, []string{"cpu temperature 83.2 °C above 80 °C"}},
		{"under-voltage and throttled now", Health{Throttled: 0x50005, HasThrottled: true},
			[]string{"under-voltage now", "cpu throttled now"}},
		{"under-voltage since boot", Health{Throttled: 0x50000, HasThrottled: true},
			[]string{"under-voltage since boot: check the power supply"}},
		{"throttled since boot only is history", Health{Throttled: 0x40000, HasThrottled: true}, nil},
		{"capped and soft limit", Health{Throttled: 0xa, HasThrottled: true},
			[]string{"arm frequency capped now", "soft temperature limit active"}},
		{"disk below 100 MB", Health{Disk: Disk{Dir: "/var/lib/cellsentry", Free: 80e6, Total: 500e6}, HasDisk: true},
			[]string{"disk /var/lib/cellsentry: 80 MB free (16.0 %), below 100 MB or 10 %"}},
		{"disk below 10 %", Health{Disk: Disk{Dir: "/data", Free: 2e9, Total: 32e9}, HasDisk: true},
			[]string{"disk /data: 2000 MB free (6.2 %), below 100 MB or 10 %"}},
		{"failed readings", Health{Problems: []string{"disk: statfs /q: no such file or directory"}},
			[]string{"disk: statfs /q: no such file or directory"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.h.Limits = lim
			if got := c.h.Degraded(); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestMonitor(t *testing.T) {
	fake, err := filepath.Abs("testdata/throttled/vcgencmd/vcgencmd")
	if err != nil {
		t.Fatal(err)
	}
	none := []string{"testdata/throttled/none/get_throttled"}
	disk := t.TempDir()
	cases := []struct {
		name        string
		cfg         MonitorConfig
		temp        float64 // NaN: none
		throttled   Throttled
		from        string // "": none
		hasDisk     bool
		degraded    []string
		problemPart string
	}{
		{"pi from sysfs", MonitorConfig{ThermalRoot: "testdata/thermal-pi", ThrottledPaths: []string{"testdata/throttled/undervolt-now/get_throttled"}, Vcgencmd: "none", DiskDir: disk},
			48.692, 0x50005, "testdata/throttled/undervolt-now/get_throttled", true, []string{"under-voltage now", "cpu throttled now"}, ""},
		{"pi from vcgencmd", MonitorConfig{ThermalRoot: "testdata/thermal-pi", ThrottledPaths: none, Vcgencmd: fake},
			48.692, 0x50000, "vcgencmd", false, []string{"under-voltage since boot: check the power supply"}, ""},
		{"hot laptop", MonitorConfig{ThermalRoot: "testdata/thermal-multi", ThrottledPaths: none, Vcgencmd: "none", Limits: Limits{HotC: 60}},
			61, 0, "", false, []string{"cpu temperature 61.0 °C above 60 °C"}, ""},
		{"vcgencmd not installed", MonitorConfig{ThermalRoot: "testdata/nothing-here", ThrottledPaths: none, Vcgencmd: filepath.Join(disk, "vcgencmd")},
			math.NaN(), 0, "", false, nil, ""},
		{"vcgencmd without /dev/vcio", MonitorConfig{ThermalRoot: "testdata/thermal-pi", ThrottledPaths: none, Vcgencmd: fake + "-broken"},
			48.692, 0, "", false, nil, "Can't open device file: /dev/vcio"},
		{"broken sensor files", MonitorConfig{ThermalRoot: "testdata/thermal-bad", ThrottledPaths: []string{"testdata/throttled/garbage/get_throttled"}, DiskDir: filepath.Join(disk, "gone")},
			math.NaN(), 0, "", false, nil, `"hot" is not millidegrees`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := NewMonitor(c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			h := m.Health()
			if math.IsNaN(c.temp) != !h.HasCPUTemp || h.HasCPUTemp && h.CPUTemp != c.temp || !h.HasCPUTemp && !math.IsNaN(h.CPUTemp) {
				t.Fatalf("temperature %v (has %v), want %v", h.CPUTemp, h.HasCPUTemp, c.temp)
			}
			if h.HasThrottled != (c.from != "") || h.Throttled != c.throttled || h.ThrottledFrom != c.from {
				t.Fatalf("throttled %v from %q (has %v), want %v from %q", h.Throttled, h.ThrottledFrom, h.HasThrottled, c.throttled, c.from)
			}
			if h.HasDisk != c.hasDisk || c.hasDisk && h.Disk.Total == 0 {
				t.Fatalf("disk %+v (has %v)", h.Disk, h.HasDisk)
			}
			deg := h.Degraded()
			if c.problemPart == "" {
				if !reflect.DeepEqual(deg, c.degraded) || h.Problems != nil {
					t.Fatalf("degraded %q, problems %q; want %q", deg, h.Problems, c.degraded)
				}
				return
			}
			if !strings.Contains(strings.Join(deg, "\n"), c.problemPart) {
				t.Fatalf("degraded %q lacks %q", deg, c.problemPart)
			}
		})
	}
	t.Run("broken files are each a problem", func(t *testing.T) {
		m, _ := NewMonitor(cases[len(cases)-1].cfg)
		if p := m.Health().Problems; len(p) != 3 {
			t.Fatalf("problems %q, want temperature, throttling and disk", p)
		}
	})
}

func TestNewMonitorErrors(t *testing.T) {
	cases := []struct {
		name string
		lim  Limits
		err  string
	}{
		{"too cold", Limits{HotC: 20}, "health: hot limit 20 °C is out of range: want 40 to 110"},
		{"NaN", Limits{HotC: math.NaN()}, "health: hot limit NaN °C is out of range: want 40 to 110"},
		{"fraction 1", Limits{MinFreeFraction: 1}, "health: minimum free disk fraction 1 is out of range: want between 0 and 1"},
		{"negative fraction", Limits{MinFreeFraction: -0.1}, "health: minimum free disk fraction -0.1 is out of range: want between 0 and 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := NewMonitor(MonitorConfig{Limits: c.lim}); err == nil || err.Error() != c.err {
				t.Fatalf("err %v, want %q", err, c.err)
			}
		})
	}
}

func ExampleParseThrottled() {
	t, err := ParseThrottled([]byte("throttled=0x50005\n"))
	if err != nil {
		panic(err)
	}
	fmt.Println(t, t.Names(), t.Has(UnderVoltage))
	// Output: 0x50005 [under_voltage throttled under_voltage_occurred throttled_occurred] true
}
