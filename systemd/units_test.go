package systemd

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// maxExposure is the highest `systemd-analyze security` exposure a unit may
// have (0 = fully locked down, 10 = unprotected; systemd calls ≤ 2 "OK").
const maxExposure = 2.0

// units are the services the package installs, with the security checks
// each may fail and why. A check failing that is not listed here fails the
// test: the hardening can only get tighter without a reason written down.
var units = []struct {
	name    string
	allowed map[string]string // json_field of `systemd-analyze security --json` → why it cannot be set
}{
	{"cellsentry.service", map[string]string{
		"RootDirectoryOrRootImage":              "the daemon runs from the host's root file system",
		"SupplementaryGroups":                   "plugdev gives the RTL-SDR dongle (udev rule)",
		"PrivateDevices":                        "the dongle is a USB device, the LED and tamper switch GPIO",
		"PrivateUsers":                          "plugdev and gpio must map to the real groups",
		"DeviceAllow":                           "USB and GPIO character devices",
		"RestrictAddressFamilies_AF_NETLINK":    "libusb watches hotplug over netlink",
		"RestrictAddressFamilies_AF_UNIX":       "sd_notify",
		"RestrictAddressFamilies_AF_INET_INET6": "MQTT, rtl_tcp, metrics",
		"PrivateNetwork":                        "MQTT to the site broker",
		"IPAddressDeny":                         "the broker's address is the site's",
		"UMask":                                 "0027: a technician put in the cellsentry group can read the evidence",
	}},
	{"cellsentry-console.service", map[string]string{
		"RootDirectoryOrRootImage":              "the console runs from the host's root file system",
		"RestrictAddressFamilies_AF_UNIX":       "sd_notify, once the console speaks it",
		"RestrictAddressFamilies_AF_INET_INET6": "MQTT, the web console, metrics",
		"PrivateNetwork":                        "MQTT and the web console",
		"DeviceAllow":                           "ProtectClock's char-rtc:r, nothing else",
		"IPAddressDeny":                         "brokers and guards' desks are the site's",
	}},
}

// systemdAnalyze returns the path of systemd-analyze, skipping the test
// where it is missing (CI installs systemd; a laptop may not have it).
func systemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: the units are not checked here (CI has it)")
	}
	return p
}

var exposureRE = regexp.MustCompile(`Overall exposure level for (\S+): ([0-9.]+)`)

// parseExposure reads the overall exposure from the text report of
// `systemd-analyze security`.
func parseExposure(report string) (unit string, exposure float64, err error) {
	m := exposureRE.FindStringSubmatch(report)
	if m == nil {
		return "", 0, fmt.Errorf("no \"Overall exposure level\" line in the report")
	}
	v, err := strconv.ParseFloat(m[2], 64)
	if err != nil {
		return "", 0, fmt.Errorf("exposure %q: %w", m[2], err)
	}
	return m[1], v, nil
}

func TestParseExposure(t *testing.T) {
	good := []struct {
		name, report, unit string
		want               float64
	}{
		{"ok", "✓ UMask=  ...\n\n→ Overall exposure level for cellsentry.service: 1.5 OK 🙂\n", "cellsentry.service", 1.5},
		{"unsafe", "→ Overall exposure level for x.service: 9.6 UNSAFE 😨", "x.service", 9.6},
	}
	for _, c := range good {
		t.Run(c.name, func(t *testing.T) {
			unit, v, err := parseExposure(c.report)
			if err != nil || unit != c.unit || v != c.want {
				t.Fatalf("parseExposure = %q, %v, %v; want %q, %v", unit, v, err, c.unit, c.want)
			}
		})
	}
	bad := []struct{ name, report, msg string }{
		{"empty", "", `no "Overall exposure level" line in the report`},
		{"garbage", "Overall exposure level for x.service: 1.2.3 OK", `exposure "1.2.3": strconv.ParseFloat: parsing "1.2.3": invalid syntax`},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := parseExposure(c.report)
			if err == nil || err.Error() != c.msg {
				t.Fatalf("parseExposure error = %v, want %q", err, c.msg)
			}
		})
	}
}

// TestUnitSecurity: each unit scores at most maxExposure, and fails only
// the checks its table entry explains.
func TestUnitSecurity(t *testing.T) {
	sa := systemdAnalyze(t)
	for _, u := range units {
		t.Run(u.name, func(t *testing.T) {
			out, err := exec.Command(sa, "security", "--offline=true", "--no-pager", u.name).CombinedOutput()
			// Exit status 0 unless --threshold is exceeded; read the report.
			if err != nil && len(out) == 0 {
				t.Fatalf("systemd-analyze security %s: %v", u.name, err)
			}
			unit, exposure, perr := parseExposure(string(out))
			if perr != nil {
				t.Fatalf("systemd-analyze security %s: %v\n%s", u.name, perr, out)
			}
			if unit != u.name {
				t.Errorf("report is for %s, want %s", unit, u.name)
			}
			if exposure > maxExposure {
				t.Errorf("%s: exposure %.1f, want ≤ %.1f\n%s", u.name, exposure, maxExposure, out)
			}
			t.Logf("%s: exposure %.1f", u.name, exposure)

			js, err := exec.Command(sa, "security", "--offline=true", "--no-pager", "--json=short", u.name).Output()
			if err != nil {
				t.Fatalf("systemd-analyze security --json %s: %v", u.name, err)
			}
			var checks []struct {
				Set   bool   `json:"set"`
				Name  string `json:"name"`
				Field string `json:"json_field"`
			}
			if err := json.Unmarshal(js, &checks); err != nil {
				t.Fatalf("systemd-analyze security --json %s: %v", u.name, err)
			}
			if len(checks) < 50 {
				t.Fatalf("only %d checks in the JSON report: not the report this test reads", len(checks))
			}
			for _, c := range checks {
				if _, ok := u.allowed[c.Field]; !c.Set && !ok {
					t.Errorf("%s: %s (%s) is not set, and the test does not say why it may not be", u.name, c.Name, c.Field)
				}
			}
		})
	}
}

// TestUnitVerify runs `systemd-analyze verify` on both units together. The
// binaries are not installed where the tests run, and verify refuses an
// ExecStart that does not exist: the copies verified here start a stub
// instead, everything else as written. (install-test.sh verifies the
// installed units as they are.)
func TestUnitVerify(t *testing.T) {
	sa := systemdAnalyze(t)
	dir := t.TempDir()
	stub := filepath.Join(dir, "stub")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, u := range units {
		b, err := os.ReadFile(u.name)
		if err != nil {
			t.Fatal(err)
		}
		bin := "/usr/bin/" + strings.TrimSuffix(u.name, ".service") + " "
		if !bytes.Contains(b, []byte("ExecStart="+bin)) {
			t.Fatalf("%s: no ExecStart=%s", u.name, bin)
		}
		b = bytes.ReplaceAll(b, []byte("ExecStart="+bin), []byte("ExecStart="+stub+" "))
		p := filepath.Join(dir, u.name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	out, err := exec.Command(sa, append([]string{"verify"}, paths...)...).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) != 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// unit is a parsed unit file: "Section.Key" → values in file order.
type unit map[string][]string

func (u unit) one(t *testing.T, key string) string {
	t.Helper()
	if len(u[key]) != 1 {
		t.Fatalf("%s: %d values, want 1: %q", key, len(u[key]), u[key])
	}
	return u[key][0]
}

// parseUnit reads the subset of the unit file syntax the units use:
// [Section] headers, Key=Value lines, comments.
func parseUnit(path string) (unit, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				return nil, fmt.Errorf("%s:%d: neither a section nor Key=Value: %q", path, n, line)
			}
			u[section+"."+k] = append(u[section+"."+k], v)
		}
	}
	return u, sc.Err()
}

func TestParseUnit(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.service")
	if err := os.WriteFile(good, []byte("# c\n[Unit]\nDescription=x y\n[Service]\nDeviceAllow=a rw\nDeviceAllow=b rw\nCapabilityBoundingSet=\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	u, err := parseUnit(good)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string][]string{
		"Unit.Description":              {"x y"},
		"Service.DeviceAllow":           {"a rw", "b rw"},
		"Service.CapabilityBoundingSet": {""},
	} {
		if !slices.Equal(u[key], want) {
			t.Errorf("%s = %q, want %q", key, u[key], want)
		}
	}
	bad := filepath.Join(dir, "bad.service")
	if err := os.WriteFile(bad, []byte("[Unit]\nDescription x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := parseUnit(bad); err == nil || err.Error() != bad+`:2: neither a section nor Key=Value: "Description x"` {
		t.Errorf("parseUnit(bad) error = %v", err)
	}
}

// TestGPIOAccess: the sensor reaches the GPIO chips of every Pi, the Pi 5's
// RP1 whatever number the kernel gives it, and nothing more; the udev rule
// gives the chips to a group the service runs in.
func TestGPIOAccess(t *testing.T) {
	u, err := parseUnit("cellsentry.service")
	if err != nil {
		t.Fatal(err)
	}
	allow := u["Service.DeviceAllow"]
	t.Run("DeviceAllow", func(t *testing.T) {
		// char-gpiochip is the major of every /dev/gpiochipN: the Pi 5's
		// RP1 is gpiochip0 or gpiochip4 depending on the kernel.
		if !slices.Contains(allow, "char-gpiochip rw") {
			t.Errorf("DeviceAllow %q: no char-gpiochip rw", allow)
		}
		for _, a := range allow {
			dev := strings.Fields(a)[0]
			if strings.HasPrefix(dev, "/dev/gpiochip") {
				t.Errorf("DeviceAllow %q names one chip: the number differs between boards and kernels, allow char-gpiochip", a)
			}
			if dev == "/dev/mem" || strings.HasPrefix(dev, "/dev/gpiomem") || dev == "char-mem" {
				t.Errorf("DeviceAllow %q: register access, which periph.io's gpiochip driver does not need", a)
			}
		}
		if got := u.one(t, "Service.DevicePolicy"); got != "closed" {
			t.Errorf("DevicePolicy=%s, want closed", got)
		}
	})
	t.Run("ProcSubset", func(t *testing.T) {
		// periph.io's bcm283x driver, which maps /dev/gpiomem or
		// /dev/mem (and on a Pi 5 would map the Pi 4's register
		// addresses), only loads where it can read
		// /proc/device-tree/compatible; ProcSubset=pid hides it.
		if got := u.one(t, "Service.ProcSubset"); got != "pid" {
			t.Errorf("ProcSubset=%s, want pid", got)
		}
	})
	t.Run("udev rule", func(t *testing.T) {
		b, err := os.ReadFile("60-cellsentry-gpio.rules")
		if err != nil {
			t.Fatal(err)
		}
		groups := append([]string{u.one(t, "Service.Group")}, strings.Fields(u.one(t, "Service.SupplementaryGroups"))...)
		rules := 0
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || line[0] == '#' {
				continue
			}
			rules++
			if !strings.Contains(line, `SUBSYSTEM=="gpio"`) || !strings.Contains(line, `KERNEL=="gpiochip*"`) {
				t.Errorf("rule %q does not match the GPIO chips", line)
			}
			m := regexp.MustCompile(`GROUP="([^"]+)"`).FindStringSubmatch(line)
			if m == nil || !slices.Contains(groups, m[1]) {
				t.Errorf("rule %q: its group is not one of the service's %v", line, groups)
			}
			if !strings.Contains(line, `MODE="0660"`) {
				t.Errorf("rule %q: want MODE=\"0660\" (the group, never everyone)", line)
			}
		}
		if rules == 0 {
			t.Fatal("no rule")
		}
	})
}
