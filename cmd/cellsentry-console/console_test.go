package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
	"github.com/cellsentry/cellsentry/configs"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// shippedConfig copies configs/console.yaml and configs/site.yaml into
// dir, as a site would install them; the test serves plain HTTP, so the
// cookie is not marked Secure there.
func shippedConfig(t *testing.T, dir string) string {
	t.Helper()
	for _, f := range []string{"console.yaml", "site.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "configs", f))
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.Replace(b, []byte("secure_cookies: true"), []byte("secure_cookies: false"), 1)
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "console.yaml")
}

// startConsole runs the console until the returned stop is called, and
// returns its web address.
func startConsole(t *testing.T, cfg, broker, db string) (base string, stop func(), log *syncBuf) {
	t.Helper()
	log = &syncBuf{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- dispatch(ctx, []string{"--config", cfg, "--broker", broker, "--listen", "127.0.0.1:0", "--store", db}, log, log)
	}()
	re := regexp.MustCompile(`url=(http://[0-9.:]+)/`)
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := re.FindStringSubmatch(log.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("console exited: %v\n%s", err, log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("console did not start\n%s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("console: %v", err)
		}
	}
	t.Cleanup(stop)
	return base, stop, log
}

type apiClient struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func login(t *testing.T, base, user, password string) *apiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	a := &apiClient{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	if code := a.do("POST", "/api/login", map[string]string{"user": user, "password": password}, &me); code != 200 {
		t.Fatalf("login: %d", code)
	}
	a.csrf = me.CSRF
	return a
}

func (a *apiClient) do(method, path string, body, out any) int {
	a.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, a.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if a.csrf != "" {
		req.Header.Set("X-CSRF-Token", a.csrf)
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func (a *apiClient) incidents() []alerting.Incident {
	var r struct {
		Incidents []alerting.Incident `json:"incidents"`
	}
	if code := a.do("GET", "/api/incidents", nil, &r); code != 200 {
		a.t.Fatalf("incidents: %d", code)
	}
	return r.Incidents
}

const site = "example-site"

func sensorAlert(sensor, wing, id string, rev int, power float64, at time.Time) []byte {
	a := alerting.Alert{Schema: alerting.SchemaAlert, Origin: alerting.Origin{Site: site, Sensor: sensor, Wing: wing},
		ID: id, Rev: rev, State: alerting.StateRaised, Mode: alerting.ModeActual, Time: at, Class: "gsm",
		FreqHz: 902.4e6, FreqsHz: []float64{902.4e6}, BandwidthHz: 200e3, FirstSeen: at.Add(-3 * time.Second), LastSeen: at,
		Bursts: 40, PowerDBm: alerting.Level(power), RecentDBm: alerting.Level(power), PowerDBFS: -30, SNR: 20, Confidence: 0.95}
	b, _ := json.Marshal(a)
	return b
}

// The shipped console config against a real broker: an alert published by
// a sensor is an incident in the API within a second; a malformed message
// changes nothing; the acknowledgement and its audit entry outlive a
// console restart; the incident is published for other consoles.
func TestConsoleEndToEnd(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	dir := t.TempDir()
	cfgPath := shippedConfig(t, dir)
	cfg, err := configs.LoadConsole(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	sn := cfg.Sites()[0].Sensors[0]
	db := filepath.Join(dir, "console.db")
	incSub := mosquittotest.Subscribe(t, b.URL(), mosquittotest.ClientOptions{}, alerting.IncidentTopic("", site))
	base, stop, log := startConsole(t, cfgPath, b.URL(), db)
	api := login(t, base, "admin", configs.DemoPassword)
	time.Sleep(300 * time.Millisecond) // the console's SUBSCRIBE

	sensor, err := mosquittotest.Connect(t, b.URL(), mosquittotest.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pub := func(kind string, payload []byte) {
		tok := sensor.Publish(alerting.Topic("", site, sn.ID, kind), 1, false, payload)
		tok.Wait()
	}
	pub(alerting.KindAlert, []byte(`{"schema":"cellsentry/v1/alert","id":1}`)) // malformed
	sent := time.Now()
	pub(alerting.KindAlert, sensorAlert(sn.ID, sn.Wing, "a1-call", 0, -55, sent.UTC()))
	var inc alerting.Incident
	for {
		if l := api.incidents(); len(l) > 0 {
			inc = l[0]
			break
		}
		if time.Since(sent) > 5*time.Second {
			t.Fatalf("no incident 5 s after the alert\n%s", log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	lat := time.Since(sent)
	t.Logf("alert → incident in the API: %v", lat)
	if lat > time.Second {
		t.Errorf("incident visible after %v, want within 1 s", lat)
	}
	if inc.Kind != alerting.IncidentPhone || inc.Class != "gsm" || inc.Wing != sn.Wing || inc.Alarm != alerting.AlarmUnacknowledged {
		t.Fatalf("incident %+v", inc)
	}
	m := incSub.Expect(t, 5*time.Second)
	var published alerting.Incident
	if err := json.Unmarshal(m.Payload, &published); err != nil || published.ID != inc.ID || published.Schema != alerting.SchemaIncident {
		t.Fatalf("published incident %s: %v", m.Payload, err)
	}

	// Acknowledge through the API, then restart the console on the same
	// database.
	var acked alerting.Incident
	if code := api.do("POST", "/api/incidents/"+inc.ID+"/ack", map[string]string{"note": "patrol sent"}, &acked); code != 200 {
		t.Fatalf("ack: %d", code)
	}
	stop()
	base, _, _ = startConsole(t, cfgPath, b.URL(), db)
	api = login(t, base, "admin", configs.DemoPassword)
	var detail struct {
		Incident alerting.Incident `json:"incident"`
	}
	if code := api.do("GET", "/api/incidents/"+inc.ID, nil, &detail); code != 200 {
		t.Fatalf("incident after restart: %d", code)
	}
	again := detail.Incident
	if again.AckedBy != "admin" || again.Alarm != alerting.AlarmAcknowledged {
		t.Fatalf("after restart: acked by %q, alarm %q", again.AckedBy, again.Alarm)
	}
	var audit struct {
		Entries []struct {
			User   string `json:"user"`
			Action string `json:"action"`
			Target string `json:"target"`
		} `json:"entries"`
	}
	api.do("GET", "/api/audit", nil, &audit)
	found := false
	for _, e := range audit.Entries {
		if e.Action == "ack" && e.User == "admin" && strings.Contains(e.Target, inc.ID) {
			found = true
		}
	}
	if !found {
		t.Fatalf("no ack in the audit log after restart: %+v", audit.Entries)
	}
}

func TestConsoleBadConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "console.yaml")
	os.WriteFile(p, []byte("console:\n  listn: x\n"), 0o644)
	err := dispatch(context.Background(), []string{"--config", p}, &syncBuf{}, &syncBuf{})
	if err == nil || !strings.Contains(err.Error(), "console.yaml:2:3") {
		t.Fatalf("err = %v", err)
	}
}

func TestHashPassword(t *testing.T) {
	var out bytes.Buffer
	if err := runHashPassword(strings.NewReader("correct horse\n"), &out); err != nil {
		t.Fatal(err)
	}
	h := strings.TrimSpace(out.String())
	if !strings.HasPrefix(h, "$2a$10$") || len(h) != 60 {
		t.Fatalf("hash %q", h)
	}
	if err := runHashPassword(strings.NewReader("short\n"), &out); err == nil {
		t.Fatal("a 5-character password was hashed")
	}
}
