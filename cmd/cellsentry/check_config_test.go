package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cellsentry/cellsentry/configs"
)

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("pw", "secret\n", 0o600)
	write("open-pw", "secret\n", 0o644)
	withPW := write("pw.yaml", "sensor: {id: a, site: b}\nmqtt: {broker: \"ssl://h:8883\", username: a, password_file: pw}\n", 0o644)
	openPW := write("open.yaml", "sensor: {id: a, site: b}\nmqtt: {broker: \"ssl://h:8883\", username: a, password_file: open-pw}\n", 0o644)
	warn := write("warn.yaml", "sensor: {id: a, site: b}\nmetrics: {listen: \"0.0.0.0:9475\"}\n", 0o644)
	shipped := filepath.Join("..", "..", "configs", "sensor.yaml")
	bad := filepath.Join("..", "..", "configs", "testdata", "bad-many.yaml")

	for _, tc := range []struct {
		name       string
		args       []string
		err        string // "" for success
		usage      bool
		stderr     []string // lines expected on stderr, in order (regexps)
		wantOutput bool     // stdout holds the effective config
	}{
		{"shipped example", []string{"-files=false", shipped}, "", false, nil, true},
		{"password file readable", []string{withPW}, "", false, nil, true},
		{"warning", []string{warn}, "", false,
			[]string{`^warning: .*warn\.yaml:2:19: metrics\.listen "0\.0\.0\.0:9475": the metrics are reachable from the network`}, true},
		{"every error", []string{bad}, "bad-many.yaml: 8 errors", false, []string{
			`bad-many\.yaml:5:33: sensor\.position\.floor: want a whole number`,
			`bad-many\.yaml:7:16: radio\.sample_rate 10MHz: must be from 1MHz to 3\.2MHz`,
			`bad-many\.yaml:9:3: unknown field "dwel" in scan \(did you mean "dwell"\?\)`,
			`bad-many\.yaml:11:17: detection\.threshold_db 60dB`,
			`bad-many\.yaml:15:15: alerting\.min_bursts 0`,
			`bad-many\.yaml:17:14: mqtt\.keepalive 2s`,
			`bad-many\.yaml:19:12: hardware\.led_pin: "GPIO1" is not a GPIO pin`,
			`bad-many\.yaml:22:12: state_dir is empty`,
		}, false},
		{"world-readable password", []string{openPW}, "open.yaml: 1 error", false,
			[]string{`open\.yaml:2:60: mqtt\.password_file .*open-pw: every user of the Pi can read this secret \(mode 0644\): chmod o-r it`}, false},
		{"files not checked", []string{"-files=false", openPW}, "", false, nil, true},
		{"missing file", []string{filepath.Join(dir, "nope.yaml")}, "no such file", false, nil, false},
		{"no file", nil, "exactly one config file", true, nil, false},
		{"two files", []string{withPW, warn}, "exactly one config file", true, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, err := runCmd(t, "check-config", tc.args...)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("error %v\n%s", err, stderr)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if errors.Is(err, errUsage) != tc.usage {
				t.Errorf("usage error %v, want %v", errors.Is(err, errUsage), tc.usage)
			}
			if tc.stderr != nil {
				lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
				if len(lines) != len(tc.stderr) {
					t.Fatalf("%d lines on stderr, want %d:\n%s", len(lines), len(tc.stderr), stderr)
				}
				for i, re := range tc.stderr {
					if !regexp.MustCompile(re).MatchString(lines[i]) {
						t.Errorf("stderr line %d %q does not match %q", i+1, lines[i], re)
					}
				}
			}
			if !tc.wantOutput {
				if stdout != "" {
					t.Errorf("stdout on failure: %q", stdout)
				}
				return
			}
			// The output is a config: it parses back to the hash in its
			// first line.
			head, body, _ := strings.Cut(stdout, "\n")
			m := regexp.MustCompile(`^# effective configuration of (.*) \(hash ([0-9a-f]{12})\)$`).FindStringSubmatch(head)
			if m == nil || m[1] != tc.args[len(tc.args)-1] {
				t.Fatalf("first line %q", head)
			}
			c, err := configs.Parse("out.yaml", []byte(stdout))
			if err != nil {
				t.Fatalf("output does not parse: %v\n%s", err, stdout)
			}
			if c.Hash() != m[2] {
				t.Errorf("output hashes to %s, header says %s", c.Hash(), m[2])
			}
			for _, key := range []string{"\nstate_dir: ", "\n  client_id: ", "\n    - name: dongle0\n"} {
				if !strings.Contains(body, key) {
					t.Errorf("output lacks %q: defaults not filled in?", key)
				}
			}
		})
	}
}
