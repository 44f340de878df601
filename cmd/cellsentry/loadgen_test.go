package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
	"github.com/cellsentry/cellsentry/configs"
)

// consoleBinary builds cmd/cellsentry-console once per test binary: the
// tests run the console as the program a site installs, not its
// internals.
var consoleBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "cellsentry-console-bin")
	if err != nil {
		return "", err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the tests build cmd/cellsentry-console and need go in PATH: %w", err)
	}
	bin := filepath.Join(dir, "cellsentry-console")
	out, err := exec.Command(goBin, "build", "-o", bin, "../cellsentry-console").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build ../cellsentry-console: %v\n%s", err, out)
	}
	return bin, nil
})

// demoHash is the bcrypt hash of "change-me-now", the shipped demo login.
const demoHash = "$2a$10$fCFpvbLPbTx82KTw/cAt9OocplJdPIKAVqIg9KN/lsVlV3Q322boS"

// consoleConfig writes a console config serving the given site plans.
// share is the $share group ("" for none); extra is more of the mqtt
// section (lines indented by two spaces).
func consoleConfig(t testing.TB, dir, name, broker, share string, sites []string, extra string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "console:\n  listen: 127.0.0.1:8080\n  store: %s.db\n  secure_cookies: false\n  sites:\n", name)
	for _, s := range sites {
		fmt.Fprintf(&b, "    - %s\n", s)
	}
	fmt.Fprintf(&b, "mqtt:\n  broker: %s\n  client_id: %s\n", broker, name)
	if share != "" {
		fmt.Fprintf(&b, "  share: %s\n", share)
	}
	b.WriteString(extra)
	fmt.Fprintf(&b, "users:\n  - name: admin\n    role: admin\n    password_hash: %q\nmetrics:\n  listen: \"\"\n", demoHash)
	p := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// consoleProc is a cellsentry-console process.
type consoleProc struct {
	t     testing.TB
	cfg   string
	db    string
	base  string // http://host:port of its web console
	cmd   *exec.Cmd
	out   *syncBuffer
	exits chan error
}

// startConsoleProc runs cellsentry-console --config cfg with its web
// console on a free port and waits until it serves; it is stopped (SIGTERM)
// when the test ends.
func startConsoleProc(t testing.TB, cfg string) *consoleProc {
	t.Helper()
	if _, err := consoleBinary(); err != nil {
		t.Fatal(err)
	}
	c := &consoleProc{t: t, cfg: cfg, db: strings.TrimSuffix(cfg, ".yaml") + ".db", out: &syncBuffer{}}
	c.start()
	t.Cleanup(func() { c.stop() })
	return c
}

var consoleURL = regexp.MustCompile(`url=(http://[0-9.:]+)/`)

func (c *consoleProc) start() {
	c.t.Helper()
	bin, _ := consoleBinary()
	mark := len(c.out.String())
	c.cmd = exec.Command(bin, "--config", c.cfg, "--listen", "127.0.0.1:0", "--store", c.db)
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.exits = make(chan error, 1)
	go func(cmd *exec.Cmd, ch chan error) { ch <- cmd.Wait() }(c.cmd, c.exits)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := consoleURL.FindStringSubmatch(c.out.String()[mark:]); m != nil {
			c.base = m[1]
			break
		}
		select {
		case err := <-c.exits:
			c.t.Fatalf("console %s exited at start: %v\n%s", c.cfg, err, c.out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("console %s did not start\n%s", c.cfg, c.out)
		}
	}
}

// stop sends SIGTERM and waits; the console flushes its last batch.
func (c *consoleProc) stop() {
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-c.exits:
		if err != nil {
			c.t.Errorf("console %s: %v\n%s", c.cfg, err, c.out)
		}
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exits
		c.t.Errorf("console %s ignored SIGTERM for 20 s", c.cfg)
	}
	c.cmd = nil
}

// kill stops the console with SIGKILL: no last batch, no handover.
func (c *consoleProc) kill() {
	if c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Kill()
	<-c.exits
	c.cmd = nil
}

// waitSubscribed waits until the console logged n "subscribed" lines.
func (c *consoleProc) waitSubscribed(n int) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for strings.Count(c.out.String(), "msg=subscribed") < n {
		if time.Now().After(deadline) {
			c.t.Fatalf("console %s: not subscribed to %d filters after 60 s\n%s", c.cfg, n, c.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitGroup waits until the consoles of a shared group agree that they
// are all members and own the n sites between them (their last "group"
// log lines).
func waitGroup(t *testing.T, n int, cs ...*consoleProc) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		owned, agree := 0, 0
		for _, c := range cs {
			out := c.out.String()
			i := strings.LastIndex(out, "msg=group ")
			if i < 0 {
				continue
			}
			var members, sites int
			line := out[i:]
			if j := strings.Index(line, "members="); j >= 0 {
				fmt.Sscanf(line[j:], "members=%d sites_owned=%d", &members, &sites)
			}
			if members == len(cs) {
				agree++
			}
			owned += sites
		}
		if agree == len(cs) && owned == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d consoles did not settle on %d sites in 60 s (%d agree, %d owned)", len(cs), n, agree, owned)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// healthy asks the console's /healthz.
func (c *consoleProc) healthy() bool {
	resp, err := http.Get(c.base + "/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// storedEvent is one row of a console store's alerts table.
type storedEvent struct{ id, state string }

// storedAlerts reads the alert events a console stored, keyed by
// "<id>/<rev>" (the table's primary key, so one store holds an event at
// most once; the tests look for the same key in several stores).
func storedAlerts(t testing.TB, db string) map[string]storedEvent {
	t.Helper()
	d, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	defer d.Close()
	rows, err := d.Query(`SELECT alert_id, rev, state FROM alerts`)
	if err != nil {
		t.Fatalf("%s: %v", db, err)
	}
	defer rows.Close()
	got := map[string]storedEvent{}
	for rows.Next() {
		var id, state string
		var rev int
		if err := rows.Scan(&id, &rev, &state); err != nil {
			t.Fatalf("%s: %v", db, err)
		}
		got[fmt.Sprintf("%s/%d", id, rev)] = storedEvent{id: id, state: state}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", db, err)
	}
	return got
}

// readRecord reads loadgen's --record file.
func readRecord(t testing.TB, file string) []loadRecord {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []loadRecord
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		var r loadRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s:%d: %v", file, line, err)
		}
		recs = append(recs, r)
	}
	return recs
}

// runLoadgenCmd runs "cellsentry loadgen ARGS" in the test's process and
// decodes its report.
func runLoadgenCmd(t testing.TB, args ...string) (*LoadReport, string) {
	t.Helper()
	var stdout, stderr syncBuffer
	e := &env{stdout: &stdout, stderr: &stderr, log: slog.New(slog.NewTextHandler(&stderr, nil))}
	if err := run(context.Background(), e, append([]string{"loadgen"}, args...)); err != nil {
		t.Fatalf("loadgen %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var rep LoadReport
	if err := json.Unmarshal([]byte(stdout.String()), &rep); err != nil {
		t.Fatalf("loadgen report: %v\n%s", err, stdout.String())
	}
	return &rep, stderr.String()
}

// The claim behind "adding console instances adds capacity": 200
// simulated sensors over 8 sites, two consoles in one shared group; every
// alert event the broker acknowledged is stored by exactly one of them,
// both took a share, and each site's events are in one store. With
// "restart", console-2 is stopped during the run and started again 2 s
// later: its sites go to console-1 and come back, and still every event is
// stored once.
func TestLoadgenTwoConsolesStoreEveryAlertOnce(t *testing.T) {
	for _, how := range []string{"steady", "restart", "kill"} {
		t.Run(how, func(t *testing.T) {
			// Mostly waiting on processes in real time: run beside the
			// other parallel tests of the package.
			t.Parallel()
			twoConsoles(t, how)
		})
	}
}

// twoConsoles: how is "steady", "restart" (console-2 stopped and started
// again during the run) or "kill" (console-2 killed with SIGKILL, no
// handover, and started again 2 s later: the alerts the broker kept for
// its session, and those it had stored but not acknowledged, come back to
// it then).
func twoConsoles(t *testing.T, how string) {
	restart := how != "steady"
	b := mosquittotest.Start(t, mosquittotest.Options{})
	dir := t.TempDir()
	var sitesOut syncBuffer
	e := &env{stdout: &sitesOut, stderr: os.Stderr, log: slog.New(slog.DiscardHandler)}
	if err := run(context.Background(), e, []string{"loadgen", "--write-sites", filepath.Join(dir, "sites"), "--sensors", "200"}); err != nil {
		t.Fatal(err)
	}
	sites := strings.Fields(sitesOut.String())
	if len(sites) != 8 {
		t.Fatalf("%d site plans for 200 sensors at 25 per site: %v", len(sites), sites)
	}
	c1 := startConsoleProc(t, consoleConfig(t, dir, "console-1", b.URL(), "consoles", sites, ""))
	c2 := startConsoleProc(t, consoleConfig(t, dir, "console-2", b.URL(), "consoles", sites, ""))
	waitGroup(t, len(sites), c1, c2)

	record := filepath.Join(dir, "sent.jsonl")
	restarted := make(chan struct{})
	if restart {
		go func() {
			defer close(restarted)
			time.Sleep(2500 * time.Millisecond)
			if how == "kill" {
				c2.kill()
			} else {
				c2.stop()
			}
			time.Sleep(2 * time.Second)
			c2.start()
		}()
	} else {
		close(restarted)
	}
	rep, _ := runLoadgenCmd(t, "--broker", b.URL(), "--sensors", "200", "--duration", "8s", "--alert-rate", "15",
		"--update-every", "1s", "--health-every", "4s", "--latency", "--record", record)
	<-restarted
	if rep.Failed != 0 {
		t.Errorf("%d messages failed", rep.Failed)
	}
	sent := readRecord(t, record)
	if len(sent) < 100 || int64(len(sent)) != rep.Sent[alerting.KindAlert] {
		t.Fatalf("record has %d alert events, report %d", len(sent), rep.Sent[alerting.KindAlert])
	}
	// The consoles write each batch within 100 ms; stopping them flushes.
	time.Sleep(500 * time.Millisecond)
	c1.stop()
	c2.stop()
	s1, s2 := storedAlerts(t, c1.db), storedAlerts(t, c2.db)
	want := map[string]string{}
	for _, r := range sent {
		k := fmt.Sprintf("%s/%d", r.ID, r.Rev)
		if _, dup := want[k]; dup {
			t.Errorf("loadgen sent %s twice", k)
		}
		want[k] = r.State
	}
	for k, state := range want {
		e1, in1 := s1[k]
		e2, in2 := s2[k]
		switch {
		case in1 && in2:
			t.Errorf("alert event %s stored by both consoles", k)
		case !in1 && !in2:
			t.Errorf("alert event %s (%s) stored by neither console", k, state)
		case in1 && e1.state != state, in2 && e2.state != state:
			t.Errorf("alert event %s stored as %s %s, sent %s", k, e1.state, e2.state, state)
		}
	}
	for k := range s1 {
		if _, ok := want[k]; !ok {
			t.Errorf("console-1 stored %s, never sent", k)
		}
	}
	for k := range s2 {
		if _, ok := want[k]; !ok {
			t.Errorf("console-2 stored %s, never sent", k)
		}
	}
	// Both instances carried load, each a site's whole traffic: every
	// site's events are in one store.
	siteOf := func(id string) string { return strings.SplitN(id, ".", 2)[0] }
	in := map[string]map[int]bool{}
	for i, st := range []map[string]storedEvent{s1, s2} {
		for k := range st {
			if in[siteOf(k)] == nil {
				in[siteOf(k)] = map[int]bool{}
			}
			in[siteOf(k)][i] = true
		}
	}
	split := 0
	for site, where := range in {
		if len(where) != 1 {
			split++
			if !restart {
				t.Errorf("site %s: its alert events are in both stores", site)
			}
		}
	}
	if restart {
		if split == 0 {
			t.Errorf("console-2 restarted but no site's events are in both stores:\n%s", c2.out)
		}
		t.Logf("%s: %d of %d sites have events in both stores (moved during the run)", how, split, len(in))
	}
	if n1, n2 := len(s1), len(s2); n1 == 0 || n2 == 0 {
		t.Errorf("one console carried everything: console-1 stored %d, console-2 %d of %d", n1, n2, len(want))
	}
	// Most events are seen in an incident (a console that falls behind
	// may write two revisions of an alert in one batch, and the incident
	// then shows only the later).
	if rep.Latency == nil || rep.Latency.Seen < rep.Latency.Events/2 || rep.Latency.P50MS <= 0 || rep.Latency.P99MS < rep.Latency.P50MS {
		t.Errorf("latency %+v", rep.Latency)
	}
	t.Logf("%d alert events, console-1 stored %d, console-2 %d; %.0f msgs/s; latency p50 %.0f ms p99 %.0f ms (%d of %d seen)",
		len(want), len(s1), len(s2), rep.MsgsPerS, rep.Latency.P50MS, rep.Latency.P99MS, rep.Latency.Seen, rep.Latency.Events)
}

// What loadgen sends is schema v1, on the topics of the sensor it names,
// with the QoS and retain flags the real sensor uses, and every alert goes
// raised → updated… → cleared with rev counting up.
func TestLoadgenMessages(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	sub := mosquittotest.Subscribe(t, b.URL(), mosquittotest.ClientOptions{}, alerting.DefaultPrefix+"/#")
	rep, _ := runLoadgenCmd(t, "--broker", b.URL(), "--sensors", "30", "--per-site", "10", "--connections", "3",
		"--duration", "3s", "--alert-rate", "4", "--updates", "1", "--update-every", "500ms", "--health-every", "1s")
	total := rep.Sent[alerting.KindStatus] + rep.Sent[alerting.KindHealth] + rep.Sent[alerting.KindAlert]
	if got := sub.WaitCount(int(total), 10*time.Second); int64(got) != total {
		t.Fatalf("subscriber got %d messages, loadgen reports %d acknowledged", got, total)
	}
	type life struct{ states []string }
	alerts := map[string]*life{}
	count := map[string]int64{}
	for _, m := range sub.Messages() {
		site, sensor, kind, err := alerting.ParseTopic("", m.Topic)
		if err != nil {
			t.Fatal(err)
		}
		if err := alerting.Validate(kind, m.Payload); err != nil {
			t.Fatalf("%s: %v\n%s", m.Topic, err, m.Payload)
		}
		var o alerting.Origin
		if err := json.Unmarshal(m.Payload, &o); err != nil {
			t.Fatal(err)
		}
		if o.Site != site || o.Sensor != sensor {
			t.Errorf("%s carries site %s sensor %s", m.Topic, o.Site, o.Sensor)
		}
		if m.QoS != 1 {
			t.Errorf("%s: QoS %d", m.Topic, m.QoS)
		}
		count[kind]++
		if kind == alerting.KindAlert {
			var a alerting.Alert
			if err := json.Unmarshal(m.Payload, &a); err != nil {
				t.Fatal(err)
			}
			l := alerts[a.ID]
			if l == nil {
				l = &life{}
				alerts[a.ID] = l
			}
			if a.Rev != len(l.states) {
				t.Errorf("alert %s: rev %d after %v", a.ID, a.Rev, l.states)
			}
			l.states = append(l.states, a.State)
		}
	}
	for kind, n := range count {
		if n != rep.Sent[kind] {
			t.Errorf("%s: received %d, report says %d", kind, n, rep.Sent[kind])
		}
	}
	if count[alerting.KindStatus] != 60 {
		t.Errorf("%d status messages from 30 sensors, want online and offline each", count[alerting.KindStatus])
	}
	if len(alerts) < 3 {
		t.Fatalf("only %d alerts in 3 s at 4/s", len(alerts))
	}
	// Status and health are retained (the broker gives a console that
	// connects later each sensor's last ones); alerts are not.
	late := mosquittotest.Subscribe(t, b.URL(), mosquittotest.ClientOptions{}, alerting.DefaultPrefix+"/#")
	late.WaitCount(60, 5*time.Second)
	time.Sleep(200 * time.Millisecond)
	retained := map[string]int{}
	for _, m := range late.Messages() {
		_, _, kind, _ := alerting.ParseTopic("", m.Topic)
		if m.Retained {
			retained[kind]++
		}
	}
	if retained[alerting.KindStatus] != 30 || retained[alerting.KindHealth] != 30 || retained[alerting.KindAlert] != 0 {
		t.Errorf("retained messages by kind: %v, want 30 status, 30 health, no alert", retained)
	}
	for id, l := range alerts {
		s := strings.Join(l.states, ",")
		// The run ends with open alerts cleared at once.
		if s != "raised,updated,cleared" && s != "raised,cleared" {
			t.Errorf("alert %s: %s", id, s)
		}
	}
}

// The site plans loadgen writes are valid for the console and declare
// exactly the sensors it simulates.
func TestLoadgenSitePlans(t *testing.T) {
	dir := t.TempDir()
	c := loadConfig{sensors: 53, perSite: 25, site: "nat"}
	sensors := loadSensors(&c)
	files, err := writeSitePlans(dir, &c, sensors)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("%d files for 53 sensors at 25 per site", len(files))
	}
	declared := map[string]string{}
	for _, f := range files {
		s, err := configs.LoadSite(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, sn := range s.Sensors {
			declared[sn.ID] = s.Name + "/" + sn.Wing
		}
	}
	if len(declared) != len(sensors) {
		t.Fatalf("%d sensors declared, %d simulated", len(declared), len(sensors))
	}
	for _, s := range sensors {
		if got := declared[s.origin.Sensor]; got != s.origin.Site+"/"+s.origin.Wing {
			t.Errorf("sensor %s: declared in %q, simulated in %s/%s", s.origin.Sensor, got, s.origin.Site, s.origin.Wing)
		}
	}
}

func TestLoadgenFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no broker", []string{"--sensors", "5"}, "--broker is required"},
		{"no sensors", []string{"--broker", "tcp://x:1", "--sensors", "0"}, "--sensors 0: want 1 to 1000000"},
		{"bad site", []string{"--broker", "tcp://x:1", "--site", "a/b"}, `--site: name "a/b"`},
		{"too many connections", []string{"--broker", "tcp://x:1", "--sensors", "3", "--connections", "4"}, "--connections 4: want 1 to --sensors (3)"},
		{"negative updates", []string{"--broker", "tcp://x:1", "--updates", "-1"}, "--updates -1: want 0 to 1000"},
		{"fast health", []string{"--broker", "tcp://x:1", "--health-every", "100ms"}, "--health-every 100ms: want 1s or more"},
		{"bad mode", []string{"--broker", "tcp://x:1", "--mode", "real"}, `--mode "real": want actual, test or exercise`},
		{"cert alone", []string{"--broker", "ssl://x:1", "--cert-file", "c.pem"}, "--cert-file and --key-file go together"},
		{"arguments", []string{"--broker", "tcp://x:1", "extra"}, `loadgen takes no arguments, got ["extra"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out syncBuffer
			e := &env{stdout: &out, stderr: &out, log: slog.New(slog.DiscardHandler)}
			err := run(context.Background(), e, append([]string{"loadgen"}, tc.args...))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "usage") {
				t.Fatalf("err %v, want a usage error containing %q", err, tc.want)
			}
		})
	}
}

func TestQuantileMS(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x) * time.Millisecond
		}
		return d
	}
	for _, tc := range []struct {
		name string
		in   []time.Duration
		q    float64
		want float64
	}{
		{"empty", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7},
		{"median of four is the second", ms(1, 2, 3, 4), 0.5, 2},
		{"p99 of 100 is the 99th", ms(seq(100)...), 0.99, 99},
		{"p99 of 101 is the 100th", ms(seq(101)...), 0.99, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := quantileMS(tc.in, tc.q); math.Abs(got-tc.want) > 1e-9 {
				t.Fatalf("quantile %g of %d values = %g, want %g", tc.q, len(tc.in), got, tc.want)
			}
		})
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i + 1
	}
	return s
}

// incident payloads for the matcher: the first showing of an event gives
// its latency, later ones and unknown alerts nothing, garbage is ignored.
var incidentCases = []struct {
	name    string
	payload string
	matched int
}{
	{"shows a pending event", `{"id":"i1","sensors":[{"sensor":"s-1","alert_id":"a1","bursts":40}]}`, 1},
	{"other rev", `{"id":"i1","sensors":[{"sensor":"s-1","alert_id":"a1","bursts":80}]}`, 0},
	{"unknown alert", `{"id":"i2","sensors":[{"sensor":"s-2","alert_id":"zz","bursts":40}]}`, 0},
	{"two sensors", `{"id":"i3","sensors":[{"alert_id":"a2","bursts":40},{"alert_id":"a3","bursts":40}]}`, 2},
	{"not json", `{"id":`, 0},
	{"wrong types", `{"sensors":"a1"}`, 0},
}

func TestLoadgenIncidentMatch(t *testing.T) {
	for _, tc := range incidentCases {
		t.Run(tc.name, func(t *testing.T) {
			st := &loadStats{pending: map[string]time.Time{}}
			t0 := time.Unix(1000, 0)
			for _, id := range []string{"a1", "a2", "a3"} {
				st.pending[latencyKey(id, 40)] = t0
			}
			st.incident([]byte(tc.payload), t0.Add(75*time.Millisecond))
			st.incident([]byte(tc.payload), t0.Add(90*time.Millisecond)) // a second showing counts nothing
			if len(st.lat) != tc.matched || len(st.pending) != 3-tc.matched {
				t.Fatalf("%d latencies, %d pending; want %d matched", len(st.lat), len(st.pending), tc.matched)
			}
			for _, d := range st.lat {
				if d != 75*time.Millisecond {
					t.Errorf("latency %v, want 75ms", d)
				}
			}
		})
	}
}

func FuzzLoadgenIncident(f *testing.F) {
	for _, tc := range incidentCases {
		f.Add([]byte(tc.payload))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		st := &loadStats{pending: map[string]time.Time{latencyKey("a1", 40): time.Unix(1000, 0)}}
		st.incident(payload, time.Unix(1001, 0))
		if len(st.lat)+len(st.pending) != 1 {
			t.Fatalf("%d latencies + %d pending from one pending event", len(st.lat), len(st.pending))
		}
		if len(st.lat) == 1 && st.lat[0] != time.Second {
			t.Fatalf("latency %v", st.lat[0])
		}
	})
}

// A site broker bridged to the central broker the console uses: what the
// sensors publish on the site reaches the console's store, also what they
// publish while the bridge link is down (queued on the site broker and
// delivered when the link returns).
func TestLoadgenThroughBridge(t *testing.T) {
	// Mostly waiting on processes in real time: run beside the other
	// parallel tests of the package.
	t.Parallel()
	central := mosquittotest.Start(t, mosquittotest.Options{MaxQueued: 100000})
	link := mosquittotest.NewProxy(t, central.Addr())
	dir := t.TempDir()
	var sitesOut syncBuffer
	e := &env{stdout: &sitesOut, stderr: os.Stderr, log: slog.New(slog.DiscardHandler)}
	if err := run(context.Background(), e, []string{"loadgen", "--write-sites", filepath.Join(dir, "sites"), "--sensors", "20"}); err != nil {
		t.Fatal(err)
	}
	sites := strings.Fields(sitesOut.String())
	site := mosquittotest.Start(t, mosquittotest.Options{MaxQueued: 100000, Bridge: &mosquittotest.Bridge{
		Name: "loadgen-bridge", Address: link.Addr(), Topics: mosquittotest.SiteBridgeTopics(alerting.DefaultPrefix, "loadgen-0001"),
	}})
	console := startConsoleProc(t, consoleConfig(t, dir, "console", central.URL(), "", sites, ""))
	console.waitSubscribed(len(sites))
	if central.WaitLog("as loadgen-bridge", 1, 10*time.Second) < 1 {
		t.Fatalf("the bridge did not connect\n%s", site.Log())
	}

	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		e := &env{stdout: &out, stderr: &errOut, log: slog.New(slog.NewTextHandler(&errOut, nil))}
		done <- run(context.Background(), e, []string{"loadgen", "--broker", site.URL(), "--sensors", "20", "--duration", "7s",
			"--alert-rate", "8", "--update-every", "500ms", "--health-every", "2s"})
	}()
	// Cut once the first alerts have come through (the console may be
	// slow on a loaded machine), while loadgen keeps sending.
	time.Sleep(time.Second)
	storedBefore := 0
	for deadline := time.Now().Add(3 * time.Second); storedBefore == 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		storedBefore = len(storedAlerts(t, console.db))
	}
	link.Refuse(true)
	link.Cut()
	time.Sleep(3 * time.Second)
	storedDuring := len(storedAlerts(t, console.db))
	link.Refuse(false)
	if err := <-done; err != nil {
		t.Fatalf("loadgen: %v\n%s", err, errOut.String())
	}
	var rep LoadReport
	if err := json.Unmarshal([]byte(out.String()), &rep); err != nil {
		t.Fatalf("loadgen report: %v\n%s", err, out.String())
	}
	if rep.Failed != 0 {
		t.Errorf("%d messages failed", rep.Failed)
	}
	sent := rep.Sent[alerting.KindAlert]
	deadline := time.Now().Add(30 * time.Second)
	var stored map[string]storedEvent
	for {
		stored = storedAlerts(t, console.db)
		if int64(len(stored)) >= sent || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if int64(len(stored)) != sent {
		t.Fatalf("console stored %d alert events, the site broker acknowledged %d", len(stored), sent)
	}
	// While the link was down the console got (almost) nothing: what was
	// sent then was held on the site broker. A few events may have been
	// in flight at the cut.
	if storedDuring-storedBefore > 10 || storedBefore == 0 {
		t.Errorf("stored %d before the cut and %d at its end (of %d): the cut did not hold events back", storedBefore, storedDuring, sent)
	}
	t.Logf("%d alert events through the bridge; %d stored before the 3 s cut, %d at its end, the rest after it", sent, storedBefore, storedDuring)
}
