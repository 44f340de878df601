package configs

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/web"
)

func mustLoadConsole(t *testing.T, path string) *Console {
	t.Helper()
	c, err := LoadConsole(path)
	if err != nil {
		t.Fatalf("LoadConsole(%s):\n%v", path, err)
	}
	return c
}

// TestConsoleShipped: the example loads as shipped with its site plan,
// warns only about the anonymous local broker and the demo password, and
// the password its comments give is the one of its hash.
func TestConsoleShipped(t *testing.T) {
	c := mustLoadConsole(t, "console.yaml")
	var got []string
	for _, w := range c.Warnings() {
		got = append(got, w.Error())
	}
	want := []string{
		"console.yaml:49:11: mqtt.broker tcp://127.0.0.1:1883: no mqtt.username or mqtt.cert_file: the console connects anonymously; give it its own broker account (username and password_file, or cert_file and key_file)",
		"console.yaml:92:20: users[0].password_hash: the shipped demo password \"change-me-now\": change it before the console serves a site (make one with: cellsentry-console hash-password)",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(c.Users) != 1 || c.Users[0].Role != "admin" || c.Users[0].PasswordHash != DemoPasswordHash {
		t.Fatalf("users %+v, want one admin with the demo hash", c.Users)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(DemoPasswordHash), []byte(DemoPassword)); err != nil {
		t.Errorf("the demo hash is not of %q: %v", DemoPassword, err)
	}
	text, err := os.ReadFile("console.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), `password of this hash is "`+DemoPassword+`"`) {
		t.Errorf("console.yaml does not give the demo password %q in its comments", DemoPassword)
	}
	if u, err := ParseBroker(c.MQTT.Broker); err != nil || u.Host != "127.0.0.1:1883" || IsTLS(u) {
		t.Errorf("broker %s (%v), want the local Mosquitto", c.MQTT.Broker, err)
	}
	if len(c.Sites()) != 1 || c.Sites()[0].Name != "example-site" || c.Settings.Sites[0] != abs(t, "site.yaml") {
		t.Fatalf("sites %v", c.Settings.Sites)
	}
	// site.yaml leaves exponent and shadow_sigma to the console.
	m := c.Sites()[0].Propagation
	if m.Exponent == nil || *m.Exponent != 3 || m.ShadowSigma == nil || *m.ShadowSigma != 6 || m.FloorLoss == nil || *m.FloorLoss != 18 {
		t.Errorf("site propagation %+v", m)
	}
	sc := c.Subscribe()
	if sc.Broker != c.MQTT.Broker || sc.Prefix != alerting.DefaultPrefix || !slices.Equal(sc.Sites, []string{"example-site"}) || sc.ClientID != "cellsentry-console" {
		t.Errorf("subscribe config %+v", sc)
	}
	// Every field of the schemas appears in the examples, so that they
	// document them all.
	for _, ex := range []struct {
		file string
		typ  reflect.Type
	}{{"console.yaml", reflect.TypeFor[Console]()}, {"site.yaml", reflect.TypeFor[Site]()}} {
		text, err := os.ReadFile(ex.file)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range fieldNames(ex.typ) {
			if !regexp.MustCompile(`(?m)^[ #-]*(- )?\{?` + regexp.QuoteMeta(name) + `:|[{,] ?` + regexp.QuoteMeta(name) + `:`).Match(text) {
				t.Errorf("%s does not mention %s", ex.file, name)
			}
		}
	}
}

// TestConsoleGood checks the values the good configs give: the file's,
// the defaults, the resolved paths and the site plans with the console's
// propagation settings.
func TestConsoleGood(t *testing.T) {
	dir := abs(t, "testdata")
	for _, tc := range []struct {
		file  string
		check func(t *testing.T, c *Console)
	}{
		{"console-good-minimal.yaml", func(t *testing.T, c *Console) {
			s := c.Settings
			if s.Listen != "127.0.0.1:8080" || s.Store != "/var/lib/cellsentry-console/console.db" || s.Retention.D() != 400*24*time.Hour ||
				!s.SecureCookies || s.SessionTTL.D() != 12*time.Hour || !slices.Equal(s.Sites, []string{filepath.Join(dir, "site-good-minimal.yaml")}) {
				t.Errorf("console %+v", s)
			}
			m := c.MQTT
			if m.Prefix != "cellsentry/v1" || m.ClientID != "cellsentry-console" || !m.PublishIncidents || m.Share != "" ||
				m.PasswordFile != filepath.Join(dir, "secrets", "mqtt-password") {
				t.Errorf("mqtt %+v", m)
			}
			f := c.Fusion
			if f.LinkDays != 14 || f.OfflineAfter.D() != 90*time.Second || f.Hold.D() != time.Minute || f.Exponent != nil || f.ShadowSigma != nil {
				t.Errorf("fusion %+v", f)
			}
			if c.Logging != (Logging{"info", "text"}) || c.Metrics.Listen != "127.0.0.1:9476" {
				t.Errorf("logging %+v, metrics %+v", c.Logging, c.Metrics)
			}
			if len(c.Sites()) != 1 || c.Sites()[0].Name != "lab" || c.Sites()[0].Propagation.Exponent != nil {
				t.Errorf("sites %+v", c.Sites())
			}
		}},
		{"console-good-full.yaml", func(t *testing.T, c *Console) {
			s := c.Settings
			if s.Listen != "0.0.0.0:8443" || s.Store != filepath.Join(dir, "state", "console.db") || s.Retention.String() != "400d" || s.SessionTTL.D() != 8*time.Hour {
				t.Errorf("console %+v", s)
			}
			if !slices.Equal(s.Sites, []string{filepath.Join(dir, "site-good-minimal.yaml"), filepath.Join(dir, "site-good-full.yaml")}) {
				t.Errorf("sites %q", s.Sites)
			}
			m := c.MQTT
			if m.CAFile != filepath.Join(dir, "pki", "ca.pem") || m.CertFile != filepath.Join(dir, "pki", "console.crt") || m.KeyFile != "/etc/cellsentry-console/console.key" ||
				m.Share != "consoles" || m.PublishIncidents || m.ClientID != "console-2" || m.Prefix != "prisons/v1" {
				t.Errorf("mqtt %+v", m)
			}
			var roles []string
			for _, u := range c.Users {
				roles = append(roles, u.Name+":"+u.Role)
			}
			if !slices.Equal(roles, []string{"Alice:admin", "bob:guard", "carol.tech:technician"}) {
				t.Errorf("users %v", roles)
			}
			if c.Logging != (Logging{"debug", "json"}) || c.Metrics.Listen != "" || c.Fusion.LinkDays != 30 || c.Fusion.Hold.D() != 2*time.Minute {
				t.Errorf("logging %+v, metrics %+v, fusion %+v", c.Logging, c.Metrics, c.Fusion)
			}
			sites := c.Sites()
			if len(sites) != 2 || sites[0].Name != "lab" || sites[1].Name != "fresnes-d" {
				t.Fatalf("sites %v", sites)
			}
			// The lab plan gives no model: the console's fills it; the
			// fresnes plan keeps its exponent and takes the console's sigma.
			for i, want := range []struct{ exp, sigma float64 }{{3.5, 7.5}, {2.5, 7.5}} {
				m := sites[i].Propagation
				if m.Exponent == nil || *m.Exponent != want.exp || m.ShadowSigma == nil || m.ShadowSigma.DB() != want.sigma {
					t.Errorf("%s: propagation %+v, want exponent %v, shadow_sigma %v", sites[i].Name, m, want.exp, want.sigma)
				}
			}
			// The console's setting is copied, not shared.
			*sites[0].Propagation.Exponent = 5
			if *c.Fusion.Exponent != 3.5 || *sites[1].Propagation.Exponent != 2.5 {
				t.Error("sites share the console's exponent")
			}
			sc := c.Subscribe()
			if !slices.Equal(sc.Sites, []string{"lab", "fresnes-d"}) || sc.Share != "consoles" || sc.CertFile != m.CertFile || sc.KeyFile != m.KeyFile || sc.CAFile != m.CAFile || sc.Prefix != "prisons/v1" {
				t.Errorf("subscribe config %+v", sc)
			}
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c := mustLoadConsole(t, filepath.Join("testdata", tc.file))
			for _, w := range c.Warnings() {
				t.Errorf("warning: %v", w)
			}
			tc.check(t, c)
		})
	}
}

// TestConsoleBad: each broken file gives exactly these errors, in file
// order, the site plans' with their own file names.
func TestConsoleBad(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"console-bad-listen.yaml", []string{
			"testdata/console-bad-listen.yaml:2:11: console.listen \"8080\": want host:port (127.0.0.1:8080; 0.0.0.0:8080 for every interface)",
			"testdata/console-bad-listen.yaml:3:10: console.store is empty: name the SQLite file (default /var/lib/cellsentry-console/console.db)",
			"testdata/console-bad-listen.yaml:4:25: console.sites[1] \"./../site.yaml\": the same file as console.sites[0]: list each site once",
			"testdata/console-bad-listen.yaml:4:41: console.sites[2] is empty: name a site-plan file",
		}},
		{"console-bad-missing.yaml", []string{
			"testdata/console-bad-missing.yaml:1:1: console.sites is required: list the site-plan files (e.g. [site.yaml]), relative to this file",
			"testdata/console-bad-missing.yaml:1:1: mqtt.broker is required: the broker the sensors publish to (ssl://broker.site:8883, or tcp://127.0.0.1:1883 on the same machine)",
			"testdata/console-bad-missing.yaml:1:1: users is required: list who may log in, at least one admin ({name: admin, role: admin, password_hash: …} from cellsentry-console hash-password)",
		}},
		{"console-bad-mqtt.yaml", []string{
			"testdata/console-bad-mqtt.yaml:3:11: mqtt.broker: broker \"broker.site:1883\": unknown scheme \"broker.site\" (known: tcp, mqtt, ssl, tls, mqtts, ws, wss)",
			"testdata/console-bad-mqtt.yaml:4:11: mqtt.prefix \"cellsentry/#\": MQTT wildcards (+ #) are not allowed in a topic",
			"testdata/console-bad-mqtt.yaml:5:14: mqtt.client_id \"my console\": want 1 to 128 characters without spaces (default cellsentry-console)",
			"testdata/console-bad-mqtt.yaml:8:10: mqtt.share \"a/b\": a group name has no / + or # (it becomes $share/<group>/…)",
			"testdata/console-bad-mqtt.yaml:9:3: unknown field \"port\" in mqtt: the port is part of the broker URL (broker: ssl://broker.site:8883)",
		}},
		{"console-bad-member.yaml", []string{
			"testdata/console-bad-member.yaml:2:51: mqtt.client_id \"console:2\": with mqtt.share it names this instance in the group (a topic level): name \"console:2\": only letters, digits, '-', '_' and '.' are allowed (it becomes an MQTT topic level), not ':'",
		}},
		{"console-bad-plain-password.yaml", []string{
			"testdata/console-bad-plain-password.yaml:4:5: users[0].password_hash is required: the bcrypt hash of the user's password (make one with: cellsentry-console hash-password)",
			"testdata/console-bad-plain-password.yaml:6:5: unknown field \"password\" in users[0]: a password is never written in the config: write its bcrypt hash as password_hash (make one with: cellsentry-console hash-password)",
			"testdata/console-bad-plain-password.yaml:9:20: users[1].password_hash: not a bcrypt hash; if it is a plain password, delete it now (never write one here) and make one with: cellsentry-console hash-password",
		}},
		{"console-bad-ranges.yaml", []string{
			"testdata/console-bad-ranges.yaml:2:14: console.retention: \"400\" has no unit: write e.g. 400d (days) or 400h (hours)",
			"testdata/console-bad-ranges.yaml:3:16: console.session_ttl 30s: must be from 1m to 30d (an unused login lasts this long)",
			"testdata/console-bad-ranges.yaml:8:14: fusion.link_days 0: must be from 1 to 365 (days over which a phone coming back is linked to its past incidents)",
			"testdata/console-bad-ranges.yaml:9:18: fusion.offline_after 5s: must be from 10s to 24h (silence before a sensor counts as offline)",
			"testdata/console-bad-ranges.yaml:10:9: fusion.hold 2h: must be from 1s to 1h (an incident stays active this long after its last alert)",
			"testdata/console-bad-ranges.yaml:11:13: fusion.exponent 9: must be from 1 to 6 (2 is free space, 3 typical indoors, 3.5 to 4 dense concrete)",
			"testdata/console-bad-ranges.yaml:12:17: fusion.shadow_sigma -1dB: must be from 1dB to 20dB (indoors typically 4dB to 8dB)",
			"testdata/console-bad-ranges.yaml:13:18: logging.level \"verbose\": must be debug, info, warn or error",
		}},
		{"console-bad-retention.yaml", []string{
			"testdata/console-bad-retention.yaml:1:22: console.retention 5000d: must be from 1d to 3650d (how long incidents and the audit log are kept)",
		}},
		{"console-bad-same-listen.yaml", []string{
			"testdata/console-bad-same-listen.yaml:4:19: metrics.listen \"127.0.0.1:9000\": the same address as console.listen: give the metrics another port",
		}},
		{"console-bad-sites.yaml", []string{
			"testdata/console-bad-sites.yaml:4:7: console.sites[0]: site plan: open testdata/no-such-site.yaml: no such file or directory",
			"testdata/site-bad-unknown-wing.yaml:5:19: sensors[0].wing \"B1-wset\": not a wing of the site (did you mean \"B1-west\"?)",
			"testdata/site-bad-unknown-wing.yaml:6:19: sensors[1].wing \"kitchen\": not a wing of the site (wings: B1-west)",
			"testdata/site-bad-unknown-wing.yaml:7:5: sensors[2].wing is required: the wing the sensor hangs in",
			"testdata/console-bad-sites.yaml:7:7: console.sites[3] testdata/site-good-twin.yaml: site \"example-site\" is also console.sites[2] (site.yaml): each site once",
		}},
		{"console-bad-tls-plain.yaml", []string{
			"testdata/console-bad-tls-plain.yaml:4:18: mqtt.password_file is given without mqtt.username: the broker needs both",
			"testdata/console-bad-tls-plain.yaml:5:12: mqtt.ca_file is given but mqtt.broker tcp://10.0.0.2:1883 is not TLS: use ssl:// (port 8883) or remove ca_file",
		}},
		{"console-bad-top.yaml", []string{
			"testdata/console-bad-top.yaml:1:1: unknown field \"sites\" at the top level: the site plans are listed under console: sites: [site.yaml]",
			"testdata/console-bad-top.yaml:1:1: console.sites is required: list the site-plan files (e.g. [site.yaml]), relative to this file",
			"testdata/console-bad-top.yaml:1:1: mqtt.broker is required: the broker the sensors publish to (ssl://broker.site:8883, or tcp://127.0.0.1:1883 on the same machine)",
			"testdata/console-bad-top.yaml:1:1: users is required: list who may log in, at least one admin ({name: admin, role: admin, password_hash: …} from cellsentry-console hash-password)",
			"testdata/console-bad-top.yaml:2:1: unknown field \"consle\" at the top level (did you mean \"console\"?)",
		}},
		{"console-bad-users.yaml", []string{
			"testdata/console-bad-users.yaml:4:3: users: no admin: give at least one user role admin (admins manage the others)",
			"testdata/console-bad-users.yaml:4:45: users[0].password_hash: bcrypt cost 4: at least 10, or a stolen database is cracked quickly (make one with: cellsentry-console hash-password)",
			"testdata/console-bad-users.yaml:5:12: users[1].name \"bob\": users[0] has the same name: each user once (names are compared without case)",
			"testdata/console-bad-users.yaml:5:23: users[1].role \"boss\": must be guard (sees, acknowledges, resolves), technician (also sensor views, shelving) or admin (also users)",
			"testdata/console-bad-users.yaml:5:44: users[1].password_hash: a damaged bcrypt hash (a bcrypt hash is 60 characters, $2b$10$…; was it cut when pasted?): make one with: cellsentry-console hash-password",
			"testdata/console-bad-users.yaml:6:12: users[2].name \"night shift\": 1 to 64 characters without spaces",
			"testdata/console-bad-users.yaml:6:33: users[2].role \"technicain\": must be guard (sees, acknowledges, resolves), technician (also sensor views, shelving) or admin (also users) (did you mean \"technician\"?)",
			"testdata/console-bad-users.yaml:6:60: users[2].password_hash: a bcrypt hash of a variant other than $2a$, $2b$ or $2y$: make one with: cellsentry-console hash-password",
			"testdata/console-bad-users.yaml:7:5: users[3].name is required: the login name",
			"testdata/console-bad-users.yaml:7:5: users[3].password_hash is required: the bcrypt hash of the user's password (make one with: cellsentry-console hash-password)",
		}},
	}
	files, err := filepath.Glob("testdata/console-bad-*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(cases) {
		t.Errorf("%d console-bad-*.yaml files, %d cases: give every file a case", len(files), len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			c, err := LoadConsole(filepath.Join("testdata", tc.file))
			if c != nil {
				t.Errorf("a config came back with the error")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %v (%T), want Errors", err, err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
				if strings.Contains(e.Error(), "hunter2") {
					t.Errorf("an error shows the plain password: %v", e)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestConsoleWarnings: what does not stop the console but deserves a
// look.
func TestConsoleWarnings(t *testing.T) {
	const users = "users: [{name: a, role: admin, password_hash: \"$2a$10$r7oUbXsLViZXgwLNXlUPvuKTLsh1Bs3ssNnd4KBsdtEiMJtLbDD3i\"}]\n"
	const tls = "mqtt: {broker: \"ssl://b:8883\", username: c, password_file: p}\n"
	const sites = "console: {sites: [s.yaml]}\n"
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"none", sites + tls + users, nil},
		{"anonymous", sites + "mqtt: {broker: \"ssl://b:8883\"}\n" + users,
			[]string{"w.yaml:2:16: mqtt.broker ssl://b:8883: no mqtt.username or mqtt.cert_file: the console connects anonymously; give it its own broker account (username and password_file, or cert_file and key_file)"}},
		{"client certificate is not anonymous", sites + "mqtt: {broker: \"ssl://b:8883\", cert_file: c, key_file: k}\n" + users, nil},
		{"password in clear", sites + "mqtt: {broker: \"tcp://10.0.0.2:1883\", username: c, password_file: p}\n" + users,
			[]string{"w.yaml:2:16: mqtt.broker tcp://10.0.0.2:1883: the password goes in clear over the network: use ssl://"}},
		{"alerts in clear", sites + "mqtt: {broker: \"ws://broker.lan:80\", username: c}\n" + users,
			[]string{"w.yaml:2:16: mqtt.broker ws://broker.lan:80: alerts and incidents travel in clear over the network: use ssl:// (port 8883)"}},
		{"plain tcp on this machine", sites + "mqtt: {broker: \"tcp://localhost:1883\", username: c, password_file: p}\n" + users, nil},
		{"cookies in clear", "console: {sites: [s.yaml], listen: \"0.0.0.0:8080\", secure_cookies: false}\n" + tls + users,
			[]string{"w.yaml:1:68: console.secure_cookies is false and console.listen \"0.0.0.0:8080\" is reachable from the network: session cookies would travel in clear; serve the console through HTTPS (a TLS proxy) and set secure_cookies: true"}},
		{"plain cookies on this machine", "console: {sites: [s.yaml], secure_cookies: false}\n" + tls + users, nil},
		{"offline before a health message", sites + tls + users + "fusion: {offline_after: 45s}\n",
			[]string{"w.yaml:4:25: fusion.offline_after 45s: shorter than the sensors' default mqtt.health_interval 1m: sensors that keep the default would look offline between two health messages"}},
		{"metrics on the network", sites + tls + users + "metrics: {listen: \":9476\"}\n",
			[]string{"w.yaml:4:19: metrics.listen \":9476\": the metrics are reachable from the network, not only from this machine"}},
		{"demo password", sites + tls + "users: [{name: a, role: admin, password_hash: \"" + DemoPasswordHash + "\"}]\n",
			[]string{"w.yaml:3:47: users[0].password_hash: the shipped demo password \"change-me-now\": change it before the console serves a site (make one with: cellsentry-console hash-password)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConsole("w.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range c.Warnings() {
				got = append(got, w.Error())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestConsoleRoundTrip: the effective configuration reads back to itself.
func TestConsoleRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/console-good-*.yaml")
	files = append(files, "console.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c := mustLoadConsole(t, f)
			eff := c.Effective()
			back, err := ParseConsole("/elsewhere/effective.yaml", eff)
			if err != nil {
				t.Fatalf("effective config does not parse:\n%v\n%s", err, eff)
			}
			if string(back.Effective()) != string(eff) {
				t.Errorf("round trip changed the config:\n%s\n---\n%s", eff, back.Effective())
			}
		})
	}
}

func TestConsoleCheckFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, mode os.FileMode, body string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("pw", 0o600, "x")
	write("ca.pem", 0o644, "x")
	write("open.key", 0o644, "x")
	write("site.yaml", 0o644, "name: s\nwings: [{name: A, image: a.png, polygon: [[0, 0], [10, 0], [10, 10]]}]\nsensors: [{id: a, wing: A, position: {x: 9, y: 1}}]\n")
	cfg := func(mqtt string) *Console {
		t.Helper()
		path := filepath.Join(dir, "c.yaml")
		write("c.yaml", 0o600, "console: {sites: [site.yaml]}\n"+users1+"mqtt:\n  broker: ssl://h:8883\n  username: u\n"+mqtt)
		return mustLoadConsole(t, path)
	}
	if err := cfg("  password_file: pw\n  ca_file: ca.pem\n").CheckFiles(); err == nil || !strings.Contains(err.Error(), "wings[0].image: open "+filepath.Join(dir, "a.png")) {
		t.Errorf("missing image: %v", err)
	}
	write("a.png", 0o644, "png")
	if err := cfg("  password_file: pw\n  ca_file: ca.pem\n").CheckFiles(); err != nil {
		t.Errorf("good files: %v", err)
	}
	err := cfg("  password_file: missing\n  cert_file: ca.pem\n  key_file: open.key\n").CheckFiles()
	c := filepath.Join(dir, "c.yaml")
	want := []string{
		c + ":6:18: mqtt.password_file: open " + filepath.Join(dir, "missing") + ": no such file or directory",
		c + ":8:13: mqtt.key_file " + filepath.Join(dir, "open.key") + ": every user of the machine can read this secret (mode 0644): chmod o-r it",
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("CheckFiles:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

const users1 = "users: [{name: a, role: admin, password_hash: \"$2a$10$r7oUbXsLViZXgwLNXlUPvuKTLsh1Bs3ssNnd4KBsdtEiMJtLbDD3i\"}]\n"

// FuzzParseConsole: any input gives a config or errors that say where,
// never a panic; an accepted config has what the checks promise and reads
// back from its effective form.
func FuzzParseConsole(f *testing.F) {
	files, _ := filepath.Glob("testdata/console-*.yaml")
	files = append(files, "console.yaml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConsole("f.yaml", data)
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v is not Errors", err)
			}
			for _, e := range errs {
				if e.File != "f.yaml" || e.Line < 1 || e.Msg == "" {
					t.Fatalf("error without its place: %+v", e)
				}
			}
			return
		}
		admin := false
		for _, u := range c.Users {
			cost, err := bcrypt.Cost([]byte(u.PasswordHash))
			if err != nil || cost < minBcryptCost || !slices.Contains(Roles, u.Role) {
				t.Fatalf("user %+v accepted", u)
			}
			admin = admin || u.Role == "admin"
		}
		if !admin || c.MQTT.Broker == "" || len(c.Settings.Sites) == 0 {
			t.Fatalf("config without admin, broker or sites accepted:\n%s", c.Effective())
		}
		back, err := ParseConsole("f.yaml", c.Effective())
		if err != nil {
			t.Fatalf("effective config does not parse: %v\n%s", err, c.Effective())
		}
		if string(back.Effective()) != string(c.Effective()) {
			t.Fatalf("round trip changed the config:\n%s\n---\n%s", c.Effective(), back.Effective())
		}
	})
}

// TestWebLayout: users, wings and band gaps convert to alerting/web's
// types as they are (the conversions compile only while the fields match),
// so that the console maps its config onto the web server field by field.
func TestWebLayout(t *testing.T) {
	c := mustLoadConsole(t, "console.yaml")
	u := web.User(c.Users[0])
	if u.Name != "admin" || u.Role != web.RoleAdmin || u.PasswordHash != DemoPasswordHash {
		t.Errorf("web user %+v", u)
	}
	p := c.Sites()[0].Plan()
	w := web.Wing(p.Wings[2])
	if w.Name != "B2" || w.Building != "B" || w.Floor != 2 || len(w.Polygon) != 4 || w.Polygon[2] != [2]float64{60, 14} {
		t.Errorf("web wing %+v", w)
	}
	g := web.BandGap(p.Sensors[0].NotHeard[0])
	if g.Band != "DCS1800 / B3 1800 MHz, 1766–1785 MHz" || g.Why != "beyond the dongle's 1766 MHz" {
		t.Errorf("web band gap %+v", g)
	}
	for _, r := range []string{web.RoleGuard, web.RoleTechnician, web.RoleAdmin} {
		if !slices.Contains(Roles, r) {
			t.Errorf("web role %q is not a configs role", r)
		}
	}
}
