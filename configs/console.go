package configs

import (
	"bytes"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/subscribe"
)

// Console is the control-room console's configuration: where it serves
// and stores, its broker, its users, the fusion settings and the site
// plans it localizes on. configs/console.yaml documents each field.
//
// ParseConsole fills every field (defaults, then the file, relative paths
// made absolute from the file's directory); LoadConsole also loads the
// site plans the file lists (Sites).
type Console struct {
	Settings ConsoleSettings `yaml:"console"`
	MQTT     ConsoleMQTT     `yaml:"mqtt"`
	Users    []User          `yaml:"users"`
	Fusion   Fusion          `yaml:"fusion"`
	Logging  Logging         `yaml:"logging"`
	Metrics  Metrics         `yaml:"metrics"`

	file     string
	dir      string
	where    map[string]*yaml.Node
	warnings []*Error
	sites    []*Site
	// siteNames are the site files as messages name them: from the
	// console file's name as given, not absolute.
	siteNames []string
}

// ConsoleSettings is the console's own service.
type ConsoleSettings struct {
	// Listen is the web console's host:port.
	Listen string `yaml:"listen"`
	// Store is the SQLite database; absolute after parsing (a relative
	// path is taken from the config file's directory).
	Store string `yaml:"store"`
	// Retention is how long incidents, alerts and the audit log are kept.
	Retention Period `yaml:"retention"`
	// SecureCookies marks the session cookie Secure (sent over HTTPS
	// only) even when the console itself serves plain HTTP behind a TLS
	// proxy.
	SecureCookies bool `yaml:"secure_cookies"`
	// SessionTTL is how long an unused login session lasts.
	SessionTTL Duration `yaml:"session_ttl"`
	// Sites are the site-plan files; absolute after parsing (relative
	// paths are taken from the config file's directory).
	Sites []string `yaml:"sites"`
}

// ConsoleMQTT is the console's connection to the broker the sensors
// publish to.
type ConsoleMQTT struct {
	Broker   string `yaml:"broker"`
	Prefix   string `yaml:"prefix"`
	ClientID string `yaml:"client_id"`
	Username string `yaml:"username"`
	// The file paths are absolute after parsing (relative ones are taken
	// from the config file's directory).
	PasswordFile string `yaml:"password_file"`
	CAFile       string `yaml:"ca_file"`
	CertFile     string `yaml:"cert_file"`
	KeyFile      string `yaml:"key_file"`
	// Share is the group of console instances that split the sites
	// between them (each site's alerts through $share/<Share>/…, to the
	// one instance that owns the site; alerting/subscribe); "" for one
	// console that receives everything.
	Share string `yaml:"share"`
	// PublishIncidents publishes each incident to <prefix>/<site>/incident.
	PublishIncidents bool `yaml:"publish_incidents"`
}

// User is one console account. Its fields are alerting/web's User, so
// that web.User(u) converts it.
type User struct {
	Name string `yaml:"name"`
	// Role is guard, technician or admin.
	Role string `yaml:"role"`
	// PasswordHash is a bcrypt hash of cost 10 or more
	// (cellsentry-console hash-password makes one).
	PasswordHash string `yaml:"password_hash"`
}

// Roles of console users, least trusted first: a technician may do what a
// guard may, an admin what a technician may.
var Roles = []string{"guard", "technician", "admin"}

// Fusion is how alerts become incidents.
type Fusion struct {
	// LinkDays is how far back an incident on the same channel and wing
	// is linked to a new one, days.
	LinkDays int `yaml:"link_days"`
	// OfflineAfter is the silence after which a sensor counts as offline.
	OfflineAfter Duration `yaml:"offline_after"`
	// Hold is how long an incident stays active after its last alert.
	Hold Duration `yaml:"hold"`
	// Exponent and ShadowSigma are the propagation model's path-loss
	// exponent and shadow fading for the site plans that do not give
	// theirs (nil: the fusion defaults, 3 and 6dB).
	Exponent    *float64 `yaml:"exponent,omitempty"`
	ShadowSigma *Decibel `yaml:"shadow_sigma,omitempty"`
}

// Console defaults that the file documents.
const (
	DefaultConsoleListen  = "127.0.0.1:8080"
	DefaultConsoleStore   = "/var/lib/cellsentry-console/console.db"
	DefaultConsoleMetrics = "127.0.0.1:9476"
	DefaultConsoleClient  = "cellsentry-console"
	DefaultRetention      = Period(400 * day)
	DefaultSessionTTL     = Duration(12 * time.Hour)
	DefaultLinkDays       = 14
	DefaultOfflineAfter   = Duration(90 * time.Second)
	DefaultHold           = Duration(60 * time.Second)
)

// DemoPassword is the password of the admin user shipped in
// configs/console.yaml, and DemoPasswordHash its hash there. A console
// whose user has this hash gets a warning: the password is public.
const (
	DemoPassword     = "change-me-now"
	DemoPasswordHash = "$2a$10$fCFpvbLPbTx82KTw/cAt9OocplJdPIKAVqIg9KN/lsVlV3Q322boS"
)

// minBcryptCost is the least bcrypt cost accepted: golang.org/x/crypto's
// DefaultCost, about 50 ms a guess on a server core.
const minBcryptCost = 10

// DefaultConsole returns the configuration of a console file that gives
// only the required fields (mqtt.broker, one admin user, the sites).
func DefaultConsole() *Console {
	return &Console{
		Settings: ConsoleSettings{
			Listen: DefaultConsoleListen, Store: DefaultConsoleStore, Retention: DefaultRetention,
			SecureCookies: true, SessionTTL: DefaultSessionTTL,
		},
		MQTT:    ConsoleMQTT{Prefix: alerting.DefaultPrefix, ClientID: DefaultConsoleClient, PublishIncidents: true},
		Fusion:  Fusion{LinkDays: DefaultLinkDays, OfflineAfter: DefaultOfflineAfter, Hold: DefaultHold},
		Logging: Logging{Level: "info", Format: "text"},
		Metrics: Metrics{Listen: DefaultConsoleMetrics},
	}
}

// consoleHints answer keys people try in a console config.
var consoleHints = map[string]string{
	"mqtt.password":    "a password is never written in the config: put it in a file only the console's user can read and name that file with password_file",
	"mqtt.port":        "the port is part of the broker URL (broker: ssl://broker.site:8883)",
	"users[].password": "a password is never written in the config: write its bcrypt hash as password_hash (make one with: cellsentry-console hash-password)",
	"users[].hash":     "the hash is password_hash (make one with: cellsentry-console hash-password)",
	"console.port":     "the port is part of console.listen (listen: 127.0.0.1:8080)",
	"console.database": "the SQLite file is console.store",
	"console.site":     "the site plans are a list: sites: [site.yaml]",
	"site":             "the site plans are listed under console: sites: [site.yaml]",
	"sites":            "the site plans are listed under console: sites: [site.yaml]",
}

// LoadConsole reads and checks the console config at path, then loads
// and checks every site plan it lists. It only reads files. Problems come
// as Errors, each with its own file name: the console file's when it has
// any (the site plans are then not read), else each site plan's in turn,
// with an error at the plan's line of the console file when the plan
// cannot be read or names a site already loaded. A console file that
// cannot be read gives a wrapped os error.
func LoadConsole(path string) (*Console, error) {
	data, err := readConfig(path)
	if err != nil {
		return nil, fmt.Errorf("console config: %w", err)
	}
	c, err := ParseConsole(path, data)
	if err != nil {
		return nil, err
	}
	var errs Errors
	names := map[string]int{}
	for i := range c.Settings.Sites {
		field := fmt.Sprintf("console.sites[%d]", i)
		s, err := LoadSite(c.siteNames[i])
		if err != nil {
			if es, ok := err.(Errors); ok {
				errs = append(errs, es...)
				continue
			}
			errs = append(errs, c.errorAt(field, "%s: %v", field, err))
			continue
		}
		if j, dup := names[s.Name]; dup {
			errs = append(errs, c.errorAt(field, "%s %s: site %q is also console.sites[%d] (%s): each site once", field, c.siteNames[i], s.Name, j, c.siteNames[j]))
			continue
		}
		names[s.Name] = i
		// The console's propagation settings stand in for what a plan
		// leaves out.
		if s.Propagation.Exponent == nil && c.Fusion.Exponent != nil {
			v := *c.Fusion.Exponent
			s.Propagation.Exponent = &v
		}
		if s.Propagation.ShadowSigma == nil && c.Fusion.ShadowSigma != nil {
			v := *c.Fusion.ShadowSigma
			s.Propagation.ShadowSigma = &v
		}
		c.sites = append(c.sites, s)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return c, nil
}

// errorAt is a problem with field of the console file, at its value.
func (c *Console) errorAt(field, format string, args ...any) *Error {
	e := &Error{File: c.file, Field: field, Msg: fmt.Sprintf(format, args...)}
	if n, ok := c.where[field]; ok {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

// ParseConsole checks the console config in data; name is the file's name
// for messages and its directory is where relative paths are taken from.
// It touches no file: the site plans are only named (LoadConsole loads
// them).
func ParseConsole(name string, data []byte) (*Console, error) {
	c := DefaultConsole()
	c.file, c.dir = name, absDir(name)
	d := newDecoder(name, nil)
	d.what, d.hints = "a console config", consoleHints
	if e := decodeFile(d, data, c); e != nil {
		return nil, Errors{e}
	}
	c.where = d.vals
	k := &consoleChecker{report: report{d: d}, c: c}
	if !d.failed[""] {
		k.run()
	}
	errs := append(d.errs, k.errs...)
	if len(errs) > 0 {
		sortErrors(errs)
		return nil, Errors(errs)
	}
	sortErrors(k.warns)
	c.warnings = k.warns
	return c, nil
}

// Warnings are problems that do not stop the console but deserve a look
// (an anonymous or unencrypted broker connection, the demo password), the
// console file's then each site plan's, in file order.
func (c *Console) Warnings() []*Error {
	out := append([]*Error(nil), c.warnings...)
	for _, s := range c.sites {
		out = append(out, s.Warnings()...)
	}
	return out
}

// File is the config's file name as given to LoadConsole or ParseConsole.
func (c *Console) File() string { return c.file }

// Sites are the site plans LoadConsole loaded, in the order of
// console.sites, with the fusion section's exponent and shadow_sigma
// filled in where a plan gives none. ParseConsole loads none.
func (c *Console) Sites() []*Site { return c.sites }

// Effective is the configuration as the console runs it, in YAML: every
// default filled in, paths absolute. ParseConsole reads it back to the
// same configuration.
func (c *Console) Effective() []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		panic(fmt.Sprintf("configs: encoding the effective console config: %v", err))
	}
	enc.Close()
	return b.Bytes()
}

// Subscribe is the subscriber's configuration: the broker connection and
// the sites of the loaded plans (every site under the prefix when none is
// loaded, as after ParseConsole).
func (c *Console) Subscribe() subscribe.Config {
	m := c.MQTT
	sc := subscribe.Config{
		Broker: m.Broker, ClientID: m.ClientID, Username: m.Username, PasswordFile: m.PasswordFile,
		CAFile: m.CAFile, CertFile: m.CertFile, KeyFile: m.KeyFile, Prefix: m.Prefix, Share: m.Share,
	}
	for _, s := range c.sites {
		sc.Sites = append(sc.Sites, s.Name)
	}
	return sc
}

// consoleChecker checks a decoded console config.
type consoleChecker struct {
	report
	c *Console
}

func (k *consoleChecker) run() {
	k.settings()
	k.mqtt()
	k.users()
	k.fusion()
	k.checkLogging(&k.c.Logging)
	k.checkMetrics(k.c.Metrics.Listen, DefaultConsoleMetrics, "this machine")
	if l := k.c.Settings.Listen; l != "" && l == k.c.Metrics.Listen && !k.bad("metrics.listen") {
		k.errf("metrics.listen", "metrics.listen %q: the same address as console.listen: give the metrics another port", l)
	}
	k.paths()
}

func (k *consoleChecker) settings() {
	s := &k.c.Settings
	if !k.bad("console.listen") {
		host, port, err := net.SplitHostPort(s.Listen)
		p, perr := strconv.Atoi(port)
		switch {
		case err != nil:
			k.errf("console.listen", "console.listen %q: want host:port (%s; 0.0.0.0:8080 for every interface)", s.Listen, DefaultConsoleListen)
		case perr != nil || p < 1 || p > 65535:
			k.errf("console.listen", "console.listen %q: port %q is not 1–65535", s.Listen, port)
		case !isLoopback(host) && !s.SecureCookies && !k.bad("console.secure_cookies"):
			k.warnf("console.secure_cookies", "console.secure_cookies is false and console.listen %q is reachable from the network: session cookies would travel in clear; serve the console through HTTPS (a TLS proxy) and set secure_cookies: true", s.Listen)
		}
	}
	if s.Store == "" && !k.bad("console.store") {
		k.errf("console.store", "console.store is empty: name the SQLite file (default %s)", DefaultConsoleStore)
	}
	k.inRange("console.retention", float64(s.Retention), float64(day), float64(3650*day), showPeriod, " (how long incidents and the audit log are kept)")
	k.inRange("console.session_ttl", float64(s.SessionTTL), float64(time.Minute), float64(30*day), showPeriod, " (an unused login lasts this long)")
	switch {
	case k.bad("console.sites"):
	case len(s.Sites) == 0:
		k.errf("console.sites", "console.sites is required: list the site-plan files (e.g. [site.yaml]), relative to this file")
	}
	seen := map[string]string{}
	for i, p := range s.Sites {
		f := fmt.Sprintf("console.sites[%d]", i)
		if k.bad(f) {
			continue
		}
		if p == "" {
			k.errf(f, "%s is empty: name a site-plan file", f)
			continue
		}
		abs := p
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(k.c.dir, abs)
		}
		abs = filepath.Clean(abs)
		if other, dup := seen[abs]; dup {
			k.errf(f, "%s %q: the same file as %s: list each site once", f, p, other)
		}
		seen[abs] = f
	}
}

func (k *consoleChecker) mqtt() {
	m := &k.c.MQTT
	var u *urlOK
	switch {
	case k.bad("mqtt.broker"):
	case m.Broker == "":
		k.errf("mqtt.broker", "mqtt.broker is required: the broker the sensors publish to (ssl://broker.site:8883, or tcp://127.0.0.1:1883 on the same machine)")
	default:
		pu, err := ParseBroker(m.Broker)
		if err != nil {
			k.errf("mqtt.broker", "mqtt.broker: %v", err)
			break
		}
		u = &urlOK{pu.Hostname(), IsTLS(pu)}
		k.credentials(pu, brokerAuth{m.Broker, m.Username, m.PasswordFile, m.CAFile, m.CertFile, m.KeyFile})
	}
	k.prefix("mqtt.prefix", m.Prefix)
	k.clientID("mqtt.client_id", m.ClientID, DefaultConsoleClient)
	switch {
	case m.Share == "" || k.bad("mqtt.share"):
	case strings.ContainsAny(m.Share, "/+#"):
		k.errf("mqtt.share", "mqtt.share %q: a group name has no / + or # (it becomes $share/<group>/…)", m.Share)
	case alerting.CheckName(m.Share) != nil:
		k.errf("mqtt.share", "mqtt.share: %v", alerting.CheckName(m.Share))
	case k.bad("mqtt.client_id"):
	case alerting.CheckName(m.ClientID) != nil:
		// It names the instance in the group's member topic.
		k.errf("mqtt.client_id", "mqtt.client_id %q: with mqtt.share it names this instance in the group (a topic level): %v", m.ClientID, alerting.CheckName(m.ClientID))
	}
	if u == nil {
		return
	}
	switch {
	case !u.tls && !isLoopback(u.host) && m.PasswordFile != "":
		k.warnf("mqtt.broker", "mqtt.broker %s: the password goes in clear over the network: use ssl://", m.Broker)
	case !u.tls && !isLoopback(u.host):
		k.warnf("mqtt.broker", "mqtt.broker %s: alerts and incidents travel in clear over the network: use ssl:// (port 8883)", m.Broker)
	}
	if m.Username == "" && m.CertFile == "" {
		k.warnf("mqtt.broker", "mqtt.broker %s: no mqtt.username or mqtt.cert_file: the console connects anonymously; give it its own broker account (username and password_file, or cert_file and key_file)", m.Broker)
	}
}

func showPeriod(v float64) string { return Period(v).String() }

// urlOK is what the warnings need of a broker URL that parsed.
type urlOK struct {
	host string
	tls  bool
}

func (k *consoleChecker) users() {
	us := k.c.Users
	switch {
	case k.bad("users"):
		return
	case len(us) == 0:
		k.errf("users", "users is required: list who may log in, at least one admin ({name: admin, role: admin, password_hash: …} from cellsentry-console hash-password)")
		return
	}
	names := map[string]string{}
	admin, unreadable := false, false
	for i := range us {
		u := &us[i]
		p := fmt.Sprintf("users[%d]", i)
		if k.bad(p) {
			unreadable = true
			continue
		}
		switch {
		case k.bad(p + ".name"):
		case u.Name == "":
			k.errf(p+".name", "%s.name is required: the login name", p)
		case len(u.Name) > 64 || strings.ContainsFunc(u.Name, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }):
			k.errf(p+".name", "%s.name %q: 1 to 64 characters without spaces", p, u.Name)
		default:
			low := strings.ToLower(u.Name)
			if other, dup := names[low]; dup {
				k.errf(p+".name", "%s.name %q: %s has the same name: each user once (names are compared without case)", p, u.Name, other)
			}
			names[low] = p
		}
		switch {
		case k.bad(p + ".role"):
			unreadable = true
		case u.Role == "":
			k.errf(p+".role", "%s.role is required: guard, technician or admin", p)
		case !containsString(Roles, u.Role):
			hint := ""
			if s := suggest(u.Role, Roles); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			k.errf(p+".role", "%s.role %q: must be guard (sees, acknowledges, resolves), technician (also sensor views, shelving) or admin (also users)%s", p, u.Role, hint)
		case u.Role == "admin":
			admin = true
		}
		k.passwordHash(p+".password_hash", u.PasswordHash)
	}
	if !admin && !unreadable {
		k.errf("users", "users: no admin: give at least one user role admin (admins manage the others)")
	}
}

// passwordHash checks a bcrypt hash without ever printing it: a plain
// password written by mistake must not end up in a log.
func (k *consoleChecker) passwordHash(path, h string) {
	const howTo = "make one with: cellsentry-console hash-password"
	switch {
	case k.bad(path):
		return
	case h == "":
		k.errf(path, "%s is required: the bcrypt hash of the user's password (%s)", path, howTo)
		return
	case !strings.HasPrefix(h, "$2"):
		k.errf(path, "%s: not a bcrypt hash; if it is a plain password, delete it now (never write one here) and %s", path, howTo)
		return
	case !(strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$")):
		k.errf(path, "%s: a bcrypt hash of a variant other than $2a$, $2b$ or $2y$: %s", path, howTo)
		return
	}
	cost, err := bcrypt.Cost([]byte(h))
	switch {
	case err != nil || len(h) != 60 || strings.ContainsFunc(h[7:], func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '/')
	}):
		k.errf(path, "%s: a damaged bcrypt hash (a bcrypt hash is 60 characters, $2b$10$…; was it cut when pasted?): %s", path, howTo)
	case cost < minBcryptCost:
		k.errf(path, "%s: bcrypt cost %d: at least %d, or a stolen database is cracked quickly (%s)", path, cost, minBcryptCost, howTo)
	case h == DemoPasswordHash:
		k.warnf(path, "%s: the shipped demo password %q: change it before the console serves a site (%s)", path, DemoPassword, howTo)
	}
}

func (k *consoleChecker) fusion() {
	f := &k.c.Fusion
	k.inRange("fusion.link_days", float64(f.LinkDays), 1, 365, showFloat, " (days over which a phone coming back is linked to its past incidents)")
	if k.inRange("fusion.offline_after", float64(f.OfflineAfter), float64(10*time.Second), float64(day), showDur, " (silence before a sensor counts as offline)") &&
		f.OfflineAfter < Default().MQTT.HealthInterval && !k.bad("fusion.offline_after") {
		k.warnf("fusion.offline_after", "fusion.offline_after %s: shorter than the sensors' default mqtt.health_interval %s: sensors that keep the default would look offline between two health messages",
			f.OfflineAfter, Default().MQTT.HealthInterval)
	}
	k.inRange("fusion.hold", float64(f.Hold), float64(time.Second), float64(time.Hour), showDur, " (an incident stays active this long after its last alert)")
	if f.Exponent != nil {
		k.inRange("fusion.exponent", *f.Exponent, 1, 6, showFloat, " (2 is free space, 3 typical indoors, 3.5 to 4 dense concrete)")
	}
	if f.ShadowSigma != nil {
		k.inRange("fusion.shadow_sigma", f.ShadowSigma.DB(), 1, 20, showDB, " (indoors typically 4dB to 8dB)")
	}
}

// paths resolves the store, the site plans and the MQTT files from the
// config file's directory.
func (k *consoleChecker) paths() {
	c := k.c
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(c.dir, p)
	}
	c.Settings.Store = abs(c.Settings.Store)
	for i, p := range c.Settings.Sites {
		name := p
		if !filepath.IsAbs(p) {
			name = filepath.Join(filepath.Dir(c.file), p)
		}
		c.siteNames = append(c.siteNames, name)
		c.Settings.Sites[i] = abs(p)
	}
	c.MQTT.PasswordFile = abs(c.MQTT.PasswordFile)
	c.MQTT.CAFile = abs(c.MQTT.CAFile)
	c.MQTT.CertFile = abs(c.MQTT.CertFile)
	c.MQTT.KeyFile = abs(c.MQTT.KeyFile)
}

// CheckFiles checks that the files the config names can be read (the MQTT
// password, CA, certificate and key, and the sites' floor-plan images),
// and that the password and key are not readable by every user. LoadConsole
// does not, so that a config can be checked away from its console.
func (c *Console) CheckFiles() error {
	var errs Errors
	for _, f := range []struct {
		field, path string
		secret      bool
	}{
		{"mqtt.password_file", c.MQTT.PasswordFile, true},
		{"mqtt.ca_file", c.MQTT.CAFile, false},
		{"mqtt.cert_file", c.MQTT.CertFile, false},
		{"mqtt.key_file", c.MQTT.KeyFile, true},
	} {
		if f.path == "" {
			continue
		}
		if e := checkReadable(c.file, c.where, f.field, f.path, f.secret); e != nil {
			errs = append(errs, e)
		}
	}
	for _, s := range c.sites {
		if err := s.CheckFiles(); err != nil {
			errs = append(errs, err.(Errors)...)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}
