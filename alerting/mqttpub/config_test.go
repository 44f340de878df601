package mqttpub

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
)

func baseConfig() Config {
	return Config{
		Broker: "tcp://127.0.0.1:1883",
		Origin: alerting.Origin{Site: "site1", Sensor: "sensor-a"},
	}
}

func TestConfigDefaults(t *testing.T) {
	c := baseConfig()
	if err := c.fill(); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"client id is the sensor", c.ClientID, "sensor-a"},
		{"prefix", c.Prefix, alerting.DefaultPrefix},
		{"keepalive", c.KeepAlive, DefaultKeepAlive},
		{"connect timeout", c.ConnectTimeout, DefaultConnectTimeout},
		{"backoff", c.Backoff, Backoff{time.Second, time.Minute}},
		{"auth backoff", c.AuthBackoff, Backoff{time.Minute, 10 * time.Minute}},
		{"inflight", c.Inflight, DefaultInflight},
		{"burst buffer", c.BurstBuffer, DefaultBurstBuffer},
		{"drain", c.DrainTimeout, DefaultDrainTimeout},
	}
	for _, tc := range checks {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"no broker", func(c *Config) { c.Broker = "" }, "broker is empty: want tcp://HOST:PORT or ssl://HOST:PORT"},
		{"bad scheme", func(c *Config) { c.Broker = "http://b:1883" }, `broker "http://b:1883": scheme "http": want tcp://, mqtt://, ssl://, mqtts://, tls://, ws:// or wss://`},
		{"credentials in URL", func(c *Config) { c.Broker = "tcp://u:secret@b:1883" }, `broker "tcp://REDACTED@b:1883": no credentials in the URL: use Username and PasswordFile`},
		{"no host", func(c *Config) { c.Broker = "tcp://:1883" }, `broker "tcp://:1883": no host`},
		{"path", func(c *Config) { c.Broker = "tcp://b:1883/x" }, `broker "tcp://b:1883/x": want scheme://host[:port] without path, query or fragment`},
		{"ws without port", func(c *Config) { c.Broker = "ws://b/mqtt" }, `broker "ws://b/mqtt": MQTT over WebSocket has no default port: give one`},
		{"no site", func(c *Config) { c.Origin.Site = "" }, "origin.site: empty name"},
		{"wildcard sensor", func(c *Config) { c.Origin.Sensor = "a+b" }, `origin.sensor: name "a+b": only letters, digits, '-', '_' and '.' are allowed (it becomes an MQTT topic level), not '+'`},
		{"password without user", func(c *Config) { c.PasswordFile = "/x" }, "password_file /x is set but username is empty: the broker needs the user the password belongs to"},
		{"cert without key", func(c *Config) { c.Broker = "ssl://b"; c.CertFile = "/c" }, `cert_file "/c" and key_file "": set both for mutual TLS, or neither`},
		{"CA on plain", func(c *Config) { c.CAFile = "/ca" }, "ca_file is set but broker tcp://127.0.0.1:1883 is not TLS: use ssl://, mqtts://, tls:// or wss://"},
		{"insecure on plain", func(c *Config) { c.InsecureSkipVerify = true }, "insecure_skip_verify is set but broker tcp://127.0.0.1:1883 is not TLS"},
		{"prefix wildcard", func(c *Config) { c.Prefix = "a/#" }, `prefix "a/#": want topic levels separated by '/', without wildcards and without empty levels`},
		{"prefix slash", func(c *Config) { c.Prefix = "a/" }, `prefix "a/": want topic levels separated by '/', without wildcards and without empty levels`},
		{"keepalive short", func(c *Config) { c.KeepAlive = time.Millisecond }, "keepalive 1ms: want 1s..18h12m15s"},
		{"timeout long", func(c *Config) { c.ConnectTimeout = time.Hour }, "connect_timeout 1h0m0s: want 100ms..5m0s"},
		{"backoff inverted", func(c *Config) { c.Backoff = Backoff{Min: 2 * time.Second, Max: time.Second} }, "backoff 2s..1s: want 1ms <= min <= max <= 24h"},
		{"auth backoff negative", func(c *Config) { c.AuthBackoff = Backoff{Min: -time.Second} }, "auth_backoff -1s..10m0s: want 1ms <= min <= max <= 24h"},
		{"inflight", func(c *Config) { c.Inflight = 5000 }, "inflight 5000: want 1..1024"},
		{"burst buffer", func(c *Config) { c.BurstBuffer = -1 }, "burst_buffer -1: want 1..65536"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := baseConfig()
			tc.edit(&c)
			_, err := New(c, newFakeQueue(), nil)
			if err == nil {
				t.Fatal("accepted")
			}
			if want := "mqttpub: config: " + tc.want; err.Error() != want {
				t.Errorf("error\n%s\nwant\n%s", err, want)
			}
		})
	}
}

func TestNewFileErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing")
	cases := []struct {
		name string
		edit func(c *Config)
		want string
	}{
		{"missing password file", func(c *Config) { c.Username = "u"; c.PasswordFile = missing },
			"mqttpub: password file: open " + missing + ": no such file or directory"},
		{"empty password file", func(c *Config) { c.Username = "u"; c.PasswordFile = empty },
			"mqttpub: password file " + empty + ": empty: want the password on the first line"},
		{"CA not PEM", func(c *Config) { c.Broker = "ssl://b"; c.CAFile = notPEM },
			"mqttpub: CA file " + notPEM + ": no PEM certificate in it"},
		{"missing client cert", func(c *Config) { c.Broker = "ssl://b"; c.CertFile = missing; c.KeyFile = missing },
			"mqttpub: client certificate " + missing + " with key " + missing + ": open " + missing + ": no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := baseConfig()
			tc.edit(&c)
			_, err := New(c, newFakeQueue(), nil)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n%v\nwant\n%s", err, tc.want)
			}
		})
	}
}

var brokerCases = []struct {
	in    string
	want  string
	isTLS bool
}{
	{"tcp://host", "tcp://host:1883", false},
	{"mqtt://host:1884", "mqtt://host:1884", false},
	{"ssl://host", "ssl://host:8883", true},
	{"mqtts://10.0.0.1:8884", "mqtts://10.0.0.1:8884", true},
	{"tls://[::1]", "tls://[::1]:8883", true},
	{"tcp://host/", "tcp://host:1883", false},
	{"ws://host:9001/mqtt", "ws://host:9001/mqtt", false},
	{"wss://host:443/mqtt", "wss://host:443/mqtt", true},
}

func TestParseBroker(t *testing.T) {
	for _, tc := range brokerCases {
		t.Run(tc.in, func(t *testing.T) {
			got, isTLS, err := parseBroker(tc.in)
			if err != nil || got != tc.want || isTLS != tc.isTLS {
				t.Errorf("parseBroker(%q) = %q, %t, %v; want %q, %t", tc.in, got, isTLS, err, tc.want, tc.isTLS)
			}
		})
	}
}

// FuzzParseBroker: whatever it accepts is a URL it accepts again unchanged
// (so the normalised form is stable), and it never panics.
func FuzzParseBroker(f *testing.F) {
	for _, tc := range brokerCases {
		f.Add(tc.in)
	}
	f.Add("tcp://u:p@h")
	f.Add("tcp://%zz")
	f.Fuzz(func(t *testing.T, s string) {
		got, isTLS, err := parseBroker(s)
		if err != nil {
			return
		}
		again, isTLS2, err := parseBroker(got)
		if err != nil || again != got || isTLS2 != isTLS {
			t.Fatalf("parseBroker(%q) = %q, but parseBroker of that = %q, %v", s, got, again, err)
		}
	})
}

var passwordCases = []struct {
	name, in, want, err string
}{
	{"plain", "s3cret", "s3cret", ""},
	{"trailing LF", "s3cret\n", "s3cret", ""},
	{"trailing CRLF", "s3cret\r\n", "s3cret", ""},
	{"inner spaces kept", " a b \n", " a b ", ""},
	{"empty", "", "", "empty: want the password on the first line"},
	{"only newline", "\n", "", "empty: want the password on the first line"},
	{"two lines", "a\nb\n", "", "more than one line (byte offset 1): want the password alone on one line"},
}

func TestParsePassword(t *testing.T) {
	for _, tc := range passwordCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parsePassword([]byte(tc.in))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Errorf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Errorf("got %q, %v; want %q", string(got), err, tc.want)
			}
		})
	}
}

// FuzzParsePassword: an accepted password is one line, and the file it
// came from is that line with at most a line ending.
func FuzzParsePassword(f *testing.F) {
	for _, tc := range passwordCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePassword(b)
		if err != nil {
			return
		}
		if len(p) == 0 || strings.ContainsAny(string(p), "\r\n") {
			t.Fatalf("accepted %q as %q", b, string(p))
		}
		if s := string(b); s != string(p) && s != string(p)+"\n" && s != string(p)+"\r\n" && s != string(p)+"\r" {
			t.Fatalf("file %q gave password %q", b, string(p))
		}
	})
}

func TestSecretNeverPrinted(t *testing.T) {
	const pw = "hunter2-very-secret"
	s := secret(pw)
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "pw", s, "any", any(s))
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "pw", s)
	js, err := json.Marshal(struct{ P secret }{s})
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v":   fmt.Sprintf("%v", s),
		"%s":   fmt.Sprintf("pw=%s", s),
		"%q":   fmt.Sprintf("%q", s),
		"%+v":  fmt.Sprintf("%+v", struct{ P secret }{s}),
		"%#v":  fmt.Sprintf("%#v", s),
		"slog": logs.String(),
		"json": string(js),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(out, pw) {
				t.Errorf("password printed: %s", out)
			}
			if !strings.Contains(out, redacted) {
				t.Errorf("no placeholder in %q", out)
			}
		})
	}
}

func TestConfigLogValue(t *testing.T) {
	c := baseConfig()
	c.Username, c.PasswordFile = "sensor-a", "/etc/cellsentry/mqtt.pass"
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "config", c)
	for _, want := range []string{"config.broker=tcp://127.0.0.1:1883", "config.user=sensor-a", "config.password_file=/etc/cellsentry/mqtt.pass"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q lacks %q", logs.String(), want)
		}
	}
}

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Min: time.Second, Max: time.Minute}
	cases := []struct {
		attempt  int
		r        float64
		min, max time.Duration
	}{
		{1, 0, time.Second, time.Second},
		{1, 0.999, time.Second, 1500 * time.Millisecond},
		{2, 0, 2 * time.Second, 2 * time.Second},
		{3, 0.5, 5 * time.Second, 5 * time.Second},
		{6, 0.999, 32 * time.Second, 48 * time.Second},
		{7, 0, time.Minute, time.Minute},
		{7, 0.999, 45 * time.Second, 45*time.Second + 15*time.Millisecond},
		{1000, 0.5, 52 * time.Second, 53 * time.Second},
		{0, 0, time.Second, time.Second},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("attempt %d r %.3f", tc.attempt, tc.r), func(t *testing.T) {
			d := b.Delay(tc.attempt, tc.r)
			if d < tc.min || d > tc.max {
				t.Errorf("Delay = %v, want %v..%v", d, tc.min, tc.max)
			}
		})
	}
	t.Run("jitter spreads retries", func(t *testing.T) {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := b.jittered(3)
			if d < 4*time.Second || d > 6*time.Second {
				t.Fatalf("jittered(3) = %v, want 4s..6s", d)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("50 retries took only %d distinct waits", len(seen))
		}
	})
	t.Run("never outside min max", func(t *testing.T) {
		narrow := Backoff{Min: 50 * time.Millisecond, Max: 60 * time.Millisecond}
		for a := range 70 {
			for _, r := range []float64{0, 0.5, 0.9999} {
				if d := narrow.Delay(a, r); d < narrow.Min || d > narrow.Max {
					t.Fatalf("Delay(%d, %v) = %v outside %v..%v", a, r, d, narrow.Min, narrow.Max)
				}
			}
		}
	})
}

func TestNewWarnings(t *testing.T) {
	tlsBroker := mosquittotest.Start(t, mosquittotest.Options{TLS: true})
	cases := []struct {
		name string
		edit func(c *Config)
		want string // "" for no warning
	}{
		{"quiet", func(c *Config) {}, ""},
		{"password in clear", func(c *Config) {
			c.Username, c.PasswordFile = "sensor-a", writeFile(t, "pw", "x")
		}, "the password goes in clear over the network"},
		{"password file readable by others", func(c *Config) {
			c.Broker, c.CAFile = "ssl://b", tlsBroker.CAFile()
			c.Username, c.PasswordFile = "sensor-a", writeFile(t, "pw", "x")
			if err := os.Chmod(c.PasswordFile, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "password file is readable by other users"},
		{"user name is not the sensor", func(c *Config) {
			c.Broker, c.CAFile = "ssl://b", tlsBroker.CAFile()
			c.Username, c.PasswordFile = "sensor-b", writeFile(t, "pw", "x")
		}, "username differs from the sensor name"},
		{"certificate is not the sensor", func(c *Config) {
			c.Broker, c.CAFile = "ssl://b", tlsBroker.CAFile()
			c.CertFile, c.KeyFile = tlsBroker.ClientCert("sensor-b")
		}, "client certificate's common name differs from the sensor name"},
		{"certificate is the sensor", func(c *Config) {
			c.Broker, c.CAFile = "ssl://b", tlsBroker.CAFile()
			c.CertFile, c.KeyFile = tlsBroker.ClientCert("sensor-a")
		}, ""},
		{"no verification", func(c *Config) { c.Broker, c.InsecureSkipVerify = "ssl://b", true }, "TLS certificate verification is OFF"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := baseConfig()
			tc.edit(&c)
			var logs bytes.Buffer
			if _, err := New(c, newFakeQueue(), slog.New(slog.NewTextHandler(&logs, nil))); err != nil {
				t.Fatal(err)
			}
			got := logs.String()
			if tc.want == "" && got != "" || tc.want != "" && (!strings.Contains(got, tc.want) || strings.Count(got, "level=WARN") != 1) {
				t.Errorf("log\n%s\nwant one warning saying %q", got, tc.want)
			}
		})
	}
}
