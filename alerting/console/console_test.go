package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/console"
	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
	"github.com/cellsentry/cellsentry/configs"
)

// shipped loads configs/console.yaml and configs/site.yaml as a site
// installs them, with the broker, the store and the cookies of a test.
func shipped(t *testing.T, broker, store string) *configs.Console {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"console.yaml", "site.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "configs", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := configs.LoadConsole(filepath.Join(dir, "console.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MQTT.Broker = broker
	cfg.Settings.Store = store
	cfg.Settings.SecureCookies = false
	return cfg
}

func alert(site, sensor, wing, id string, freq float64, at time.Time) []byte {
	a := alerting.Alert{Schema: alerting.SchemaAlert, Origin: alerting.Origin{Site: site, Sensor: sensor, Wing: wing},
		ID: id, State: alerting.StateRaised, Mode: alerting.ModeActual, Time: at, Class: "lte",
		FreqHz: freq, FreqsHz: []float64{freq}, BandwidthHz: 1.08e6, FirstSeen: at.Add(-2 * time.Second), LastSeen: at,
		Bursts: 30, PowerDBm: alerting.Level(-50), RecentDBm: alerting.Level(-50), PowerDBFS: -30, SNR: 25, Confidence: 0.9}
	b, _ := json.Marshal(a)
	return b
}

// A console on a listener of port 0 tells its URL, serves the API there,
// hands every stored incident to OnIncident with the wing of the sensor
// that heard it, and after Run has returned nothing listens on the port.
func TestConsoleRun(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	cfg := shipped(t, b.URL(), filepath.Join(t.TempDir(), "console.db"))
	site := cfg.Sites()[0]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	incs := make(chan alerting.Incident, 16)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := console.New(ctx, cfg, console.Options{Listener: ln, OnIncident: func(i alerting.Incident) { incs <- i }})
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://" + ln.Addr().String() + "/"; c.URL() != want {
		t.Fatalf("URL %q, want %q", c.URL(), want)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	body, _ := json.Marshal(map[string]string{"user": "admin", "password": configs.DemoPassword})
	resp, err := http.Post(c.URL()+"api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d", resp.StatusCode)
	}

	pub, err := mosquittotest.Connect(t, b.URL(), mosquittotest.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the console's SUBSCRIBE
	for i, sn := range []configs.SiteSensor{site.Sensors[0], site.Sensors[len(site.Sensors)-1]} {
		t.Run(sn.ID, func(t *testing.T) {
			// Channels 10 MHz apart: two phones, not one heard twice.
			freq := 880e6 + 10e6*float64(i)
			id := "call-" + sn.ID
			tok := pub.Publish(alerting.Topic("", site.Name, sn.ID, alerting.KindAlert), 1, false, alert(site.Name, sn.ID, sn.Wing, id, freq, time.Now().UTC()))
			tok.Wait()
			timeout := time.After(10 * time.Second)
			for {
				select {
				case inc := <-incs:
					if !heard(inc, id) {
						continue // an earlier case's incident changing
					}
					if inc.Wing != sn.Wing || inc.Kind != alerting.IncidentPhone {
						t.Fatalf("incident %s: wing %q kind %q, want %q phone", inc.ID, inc.Wing, inc.Kind, sn.Wing)
					}
					return
				case <-timeout:
					t.Fatal("no incident 10 s after the alert")
				}
			}
		})
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after Run returned", ln.Addr())
	}
}

// New fails with the config file and the field named, and releases what
// it had opened (the listener it was given is closed).
func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(cfg *configs.Console)
		want string
	}{
		{"store in a missing directory", func(cfg *configs.Console) {
			cfg.Settings.Store = filepath.Join(t.TempDir(), "no", "such", "dir", "console.db")
		}, "console.yaml: console.store"},
		{"no broker", func(cfg *configs.Console) { cfg.MQTT.Broker = "" }, "console.yaml: mqtt: subscribe: no broker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := shipped(t, "tcp://127.0.0.1:1", filepath.Join(t.TempDir(), "console.db"))
			tc.edit(cfg)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			_, err = console.New(context.Background(), cfg, console.Options{Listener: ln})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if conn, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
				conn.Close()
				t.Fatal("the listener is still open after New failed")
			}
		})
	}
}

// Close releases a console that never ran: the address it listened on
// is free again.
func TestCloseWithoutRun(t *testing.T) {
	cfg := shipped(t, "tcp://127.0.0.1:1", filepath.Join(t.TempDir(), "console.db"))
	cfg.Settings.Listen = "127.0.0.1:0"
	c, err := console.New(context.Background(), cfg, console.Options{})
	if err != nil {
		t.Fatal(err)
	}
	addr := c.Addr().String()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("%s not free after Close: %v", addr, err)
	}
	ln.Close()
}

// heard says whether the incident lists the alert.
func heard(inc alerting.Incident, alertID string) bool {
	for _, h := range inc.Sensors {
		if h.AlertID == alertID {
			return true
		}
	}
	return false
}
