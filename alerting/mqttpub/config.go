package mqttpub

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// Config configures a Publisher. Zero fields take the defaults named on
// each field.
type Config struct {
	// Broker is the broker's URL: tcp:// or mqtt:// (plain, default port
	// 1883), ssl://, mqtts:// or tls:// (TLS, default port 8883), or MQTT
	// over WebSocket, ws:// or wss:// (TLS), with a port and a path.
	Broker string
	// ClientID identifies the session at the broker (default: the sensor
	// name, Origin.Sensor). Two clients with the same id kick each other
	// off.
	ClientID string
	// Username authenticates the sensor; with a password from
	// PasswordFile. Empty for anonymous or certificate-only access.
	Username string
	// PasswordFile holds the password on its first line (a trailing
	// newline is ignored). It is read at every connection, so a new
	// password needs no restart, and the password is never logged.
	PasswordFile string
	// CAFile holds the PEM certificates of the CAs that may sign the
	// broker's certificate (default: the system's roots).
	CAFile string
	// CertFile and KeyFile hold the sensor's client certificate and key
	// (PEM) for mutual TLS; both or neither.
	CertFile, KeyFile string
	// ServerName is the name the broker's certificate must carry (default:
	// the host of Broker).
	ServerName string
	// InsecureSkipVerify accepts any broker certificate. It is never
	// turned on by itself, only when set here, and it is logged loudly:
	// anyone on the path can then read the alerts.
	InsecureSkipVerify bool

	// Prefix is the topic prefix (default alerting.DefaultPrefix).
	Prefix string
	// Origin is who the sensor is and where it hangs; Site and Sensor
	// are required and become topic levels.
	Origin alerting.Origin
	// Version is the software version published in the status message.
	Version string

	// KeepAlive is the MQTT keep-alive (default 30 s, 1 s..18 h): a dead
	// connection is noticed after about 1.5 times this.
	KeepAlive time.Duration
	// ConnectTimeout bounds the dial, the TLS handshake and the wait for
	// CONNACK, and also a write to the socket (default 10 s, 100 ms..5 min).
	ConnectTimeout time.Duration
	// Backoff paces reconnections after network failures (default 1 s to
	// 60 s).
	Backoff Backoff
	// AuthBackoff paces reconnections after failures that need a person
	// to act: credentials or certificates refused, files unreadable
	// (default 1 min to 10 min).
	AuthBackoff Backoff
	// Inflight is how many alerts may await their PUBACK at once (default
	// 32, 1..1024).
	Inflight int
	// BurstBuffer is how many burst messages may wait for the connection
	// before new ones are dropped (default 256, 1..65536).
	BurstBuffer int
	// DrainTimeout bounds a graceful stop: the wait for the alerts in
	// flight and for the offline status to be acknowledged (default 5 s).
	DrainTimeout time.Duration
}

// Backoff is a range of waits between connection attempts: the wait starts
// at Min and doubles at each failure up to Max, with a random part so that
// the sensors of a site do not all retry at the same instant after the
// broker restarts.
type Backoff struct {
	Min, Max time.Duration
}

// Defaults.
const (
	DefaultKeepAlive      = 30 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	DefaultInflight       = 32
	DefaultBurstBuffer    = 256
	DefaultDrainTimeout   = 5 * time.Second
)

var (
	// DefaultBackoff paces retries after network failures.
	DefaultBackoff = Backoff{Min: time.Second, Max: time.Minute}
	// DefaultAuthBackoff paces retries after refused credentials or
	// certificates: a person must fix something, and a broker should not
	// see a tight loop of failed logins from a fleet of sensors.
	DefaultAuthBackoff = Backoff{Min: time.Minute, Max: 10 * time.Minute}
)

// Delay is the wait before the given attempt (1 for the first retry), with
// r in [0, 1) the random part: the base Min·2^(attempt-1), capped at Max,
// is stretched by up to 50 %; at the cap the wait is drawn from
// [0.75·Max, Max]. It never leaves [Min, Max].
func (b Backoff) Delay(attempt int, r float64) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := b.Max
	if attempt <= 40 {
		if s := b.Min << (attempt - 1); s > 0 && s < b.Max {
			d = s
		}
	}
	var j time.Duration
	if d >= b.Max {
		j = b.Max - time.Duration(r*float64(b.Max)/4)
	} else {
		j = d + time.Duration(r*float64(d)/2)
	}
	return min(max(j, b.Min), b.Max)
}

func (b Backoff) jittered(attempt int) time.Duration { return b.Delay(attempt, rand.Float64()) }

// fill sets the defaults of zero fields and checks every field, naming the
// first bad one.
func (c *Config) fill() error {
	u, isTLS, err := parseBroker(c.Broker)
	if err != nil {
		return err
	}
	c.Broker = u
	if err := alerting.CheckName(c.Origin.Site); err != nil {
		return fmt.Errorf("origin.site: %w", err)
	}
	if err := alerting.CheckName(c.Origin.Sensor); err != nil {
		return fmt.Errorf("origin.sensor: %w", err)
	}
	if c.ClientID == "" {
		c.ClientID = c.Origin.Sensor
	}
	if len(c.ClientID) > 65535 || strings.ContainsAny(c.ClientID, "\x00") {
		return fmt.Errorf("client_id %q: want at most 65535 bytes without NUL", c.ClientID)
	}
	if c.PasswordFile != "" && c.Username == "" {
		return fmt.Errorf("password_file %s is set but username is empty: the broker needs the user the password belongs to", c.PasswordFile)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		return fmt.Errorf("cert_file %q and key_file %q: set both for mutual TLS, or neither", c.CertFile, c.KeyFile)
	}
	if !isTLS {
		for _, f := range []struct{ name, v string }{{"ca_file", c.CAFile}, {"cert_file", c.CertFile}, {"server_name", c.ServerName}} {
			if f.v != "" {
				return fmt.Errorf("%s is set but broker %s is not TLS: use ssl://, mqtts://, tls:// or wss://", f.name, c.Broker)
			}
		}
		if c.InsecureSkipVerify {
			return fmt.Errorf("insecure_skip_verify is set but broker %s is not TLS", c.Broker)
		}
	}
	if c.Prefix == "" {
		c.Prefix = alerting.DefaultPrefix
	}
	if strings.ContainsAny(c.Prefix, "+#\x00") || strings.HasPrefix(c.Prefix, "/") || strings.HasSuffix(c.Prefix, "/") || strings.Contains(c.Prefix, "//") {
		return fmt.Errorf("prefix %q: want topic levels separated by '/', without wildcards and without empty levels", c.Prefix)
	}
	durations := []struct {
		name     string
		v        *time.Duration
		def      time.Duration
		min, max time.Duration
	}{
		{"keepalive", &c.KeepAlive, DefaultKeepAlive, time.Second, 65535 * time.Second},
		{"connect_timeout", &c.ConnectTimeout, DefaultConnectTimeout, 100 * time.Millisecond, 5 * time.Minute},
		{"drain_timeout", &c.DrainTimeout, DefaultDrainTimeout, time.Millisecond, 5 * time.Minute},
	}
	for _, d := range durations {
		if *d.v == 0 {
			*d.v = d.def
		}
		if *d.v < d.min || *d.v > d.max {
			return fmt.Errorf("%s %v: want %v..%v", d.name, *d.v, d.min, d.max)
		}
	}
	for _, b := range []struct {
		name string
		v    *Backoff
		def  Backoff
	}{{"backoff", &c.Backoff, DefaultBackoff}, {"auth_backoff", &c.AuthBackoff, DefaultAuthBackoff}} {
		if b.v.Min == 0 {
			b.v.Min = b.def.Min
		}
		if b.v.Max == 0 {
			b.v.Max = max(b.def.Max, b.v.Min)
		}
		if b.v.Min < time.Millisecond || b.v.Max < b.v.Min || b.v.Max > 24*time.Hour {
			return fmt.Errorf("%s %v..%v: want 1ms <= min <= max <= 24h", b.name, b.v.Min, b.v.Max)
		}
	}
	ints := []struct {
		name          string
		v             *int
		def, min, max int
	}{
		{"inflight", &c.Inflight, DefaultInflight, 1, 1024},
		{"burst_buffer", &c.BurstBuffer, DefaultBurstBuffer, 1, 65536},
	}
	for _, n := range ints {
		if *n.v == 0 {
			*n.v = n.def
		}
		if *n.v < n.min || *n.v > n.max {
			return fmt.Errorf("%s %d: want %d..%d", n.name, *n.v, n.min, n.max)
		}
	}
	return nil
}

// parseBroker checks a broker URL and adds the default port. It refuses
// credentials in the URL: they would end up in logs and in ps output.
func parseBroker(s string) (broker string, isTLS bool, err error) {
	if s == "" {
		return "", false, fmt.Errorf("broker is empty: want tcp://HOST:PORT or ssl://HOST:PORT")
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", false, fmt.Errorf("broker %q: %w", s, err)
	}
	port := "1883"
	switch u.Scheme {
	case "tcp", "mqtt":
	case "ssl", "mqtts", "tls":
		isTLS, port = true, "8883"
	case "ws", "wss":
		// MQTT over WebSocket has no standard port: it must be given.
		isTLS, port = u.Scheme == "wss", ""
	default:
		return "", false, fmt.Errorf("broker %q: scheme %q: want tcp://, mqtt://, ssl://, mqtts://, tls://, ws:// or wss://", s, u.Scheme)
	}
	if u.User != nil {
		return "", false, fmt.Errorf("broker %q: no credentials in the URL: use Username and PasswordFile", redactURL(u))
	}
	if u.Hostname() == "" {
		return "", false, fmt.Errorf("broker %q: no host", s)
	}
	ws := u.Scheme == "ws" || u.Scheme == "wss"
	if (!ws && u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false, fmt.Errorf("broker %q: want scheme://host[:port] without path, query or fragment", s)
	}
	if p := u.Port(); p != "" {
		port = p
	}
	if port == "" {
		return "", false, fmt.Errorf("broker %q: MQTT over WebSocket has no default port: give one", s)
	}
	path := ""
	if ws {
		path = u.EscapedPath()
	}
	return u.Scheme + "://" + net.JoinHostPort(u.Hostname(), port) + path, isTLS, nil
}

func redactURL(u *url.URL) string {
	c := *u
	c.User = url.User("REDACTED")
	return c.String()
}

// secret is a password in memory: whatever formats or logs it sees a
// placeholder, so that a debug print of the options cannot leak it.
type secret string

const redacted = "[REDACTED]"

func (secret) String() string               { return redacted }
func (secret) GoString() string             { return redacted }
func (secret) LogValue() slog.Value         { return slog.StringValue(redacted) }
func (secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// readPassword reads the password file: one line; a trailing newline
// (LF or CRLF, as editors leave) is not part of the password.
func readPassword(file string) (secret, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("password file: %w", err)
	}
	p, err := parsePassword(b)
	if err != nil {
		return "", fmt.Errorf("password file %s: %w", file, err)
	}
	return p, nil
}

func parsePassword(b []byte) (secret, error) {
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) == 0 {
		return "", fmt.Errorf("empty: want the password on the first line")
	}
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		return "", fmt.Errorf("more than one line (byte offset %d): want the password alone on one line", i)
	}
	if len(b) > 65535 {
		return "", fmt.Errorf("%d bytes: MQTT allows at most 65535", len(b))
	}
	return secret(b), nil
}

// tlsConfig builds the TLS configuration from the files, at every
// connection so that renewed certificates are picked up.
func (c *Config) tlsConfig() (*tls.Config, error) {
	u, err := url.Parse(c.Broker)
	if err != nil {
		return nil, fmt.Errorf("broker %q: %w", c.Broker, err)
	}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         u.Hostname(),
		InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // only when the operator set it; logged at New
	}
	if c.ServerName != "" {
		cfg.ServerName = c.ServerName
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s: no PEM certificate in it", c.CAFile)
		}
		cfg.RootCAs = pool
	}
	if c.CertFile != "" {
		pair, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate %s with key %s: %w", c.CertFile, c.KeyFile, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// certCommonName is the common name of the first certificate in a PEM
// file, or "" when there is none to read.
func certCommonName(file string) string {
	if file == "" {
		return ""
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return ""
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return ""
	}
	return cert.Subject.CommonName
}

// LogValue shows the configuration without secrets (the password is not in
// it; the file's name is).
func (c Config) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("broker", c.Broker),
		slog.String("client_id", c.ClientID),
		slog.String("user", c.Username),
		slog.String("password_file", c.PasswordFile),
		slog.String("prefix", c.Prefix),
		slog.String("site", c.Origin.Site),
		slog.String("sensor", c.Origin.Sensor),
	}
	if c.CAFile != "" || c.CertFile != "" || c.InsecureSkipVerify {
		attrs = append(attrs,
			slog.String("ca_file", c.CAFile),
			slog.String("cert_file", c.CertFile),
			slog.String("server_name", c.ServerName),
			slog.Bool("insecure_skip_verify", c.InsecureSkipVerify))
	}
	return slog.GroupValue(attrs...)
}
