package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/mosquittotest"
	"github.com/cellsentry/cellsentry/alerting/store"
	"github.com/cellsentry/cellsentry/configs"
)

// groupConsole is one running instance of a shared group.
type groupConsole struct {
	c    *Console
	stop func()
}

func startGroupConsole(t *testing.T, dir, id, broker string, sites []string) *groupConsole {
	t.Helper()
	var files []string
	for _, s := range sites {
		files = append(files, s+".yaml")
	}
	yaml := fmt.Sprintf("console: {sites: [%s], store: %s}\nmqtt: {broker: %q, client_id: %s, share: consoles}\n"+
		"users: [{name: a, role: admin, password_hash: \"$2a$10$r7oUbXsLViZXgwLNXlUPvuKTLsh1Bs3ssNnd4KBsdtEiMJtLbDD3i\"}]\n",
		strings.Join(files, ", "), id+".db", broker, id)
	path := filepath.Join(dir, id+".yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.LoadConsole(path)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c, err := New(ctx, cfg, Options{Listener: ln})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once bool
	stop := func() {
		if !once {
			once = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("%s: Run: %v", id, err)
			}
		}
	}
	t.Cleanup(stop)
	return &groupConsole{c: c, stop: stop}
}

// waitGroup waits until the instances own every site between them.
func waitGroup(t *testing.T, sites []string, gs ...*groupConsole) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		n := 0
		for _, site := range sites {
			owners := 0
			for _, g := range gs {
				if g.c.sub.Owns(site) {
					owners++
				}
			}
			if owners == 1 {
				n++
			}
		}
		total, seen := 0, 0
		for _, g := range gs {
			st := g.c.sub.Stats().Share
			total += st.Owned
			if st.Members == len(gs) {
				seen++
			}
		}
		if n == len(sites) && total == len(sites) && seen == len(gs) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d instances did not settle on %d sites (%d with one owner, %d subscribed)", len(gs), len(sites), n, total)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// phoneIncidents are the phone incidents stored by the instances that
// list an alert of round, by site.
func phoneIncidents(t *testing.T, round int, gs ...*groupConsole) map[string][]alerting.Incident {
	t.Helper()
	by := map[string][]alerting.Incident{}
	for _, g := range gs {
		incs, err := g.c.st.Incidents(context.Background(), store.Filter{Kind: alerting.IncidentPhone})
		if err != nil {
			t.Fatal(err)
		}
		for _, inc := range incs {
			for _, h := range inc.Sensors {
				if strings.HasSuffix(h.AlertID, fmt.Sprintf("-gsm-%d", round)) {
					by[inc.Site] = append(by[inc.Site], inc)
					break
				}
			}
		}
	}
	return by
}

// TestSharedGroupFusesEachPhoneOnce: two console instances share four
// sites; a phone in each site, heard by the three sensors of its wing,
// becomes one incident with all three sensors, stored by the site's owner
// only — the broker does not split a phone's alerts between instances.
// When one instance stops, the other takes its sites and fuses the next
// phones the same way; a sensor going offline is reported once.
func TestSharedGroupFusesEachPhoneOnce(t *testing.T) {
	b := mosquittotest.Start(t, mosquittotest.Options{})
	dir := t.TempDir()
	sites := []string{"bench-a", "bench-b", "bench-c", "bench-d"}
	for _, s := range sites {
		// Sensor ids are unique over the sites a console serves.
		y := strings.Replace(benchSiteYAML(), "name: bench\n", "name: "+s+"\n", 1)
		y = strings.ReplaceAll(y, "  - id: w", "  - id: "+s+"-w")
		y = strings.ReplaceAll(y, "name: W", "name: "+s+"-W")
		y = strings.ReplaceAll(y, "wing: W", "wing: "+s+"-W")
		if err := os.WriteFile(filepath.Join(dir, s+".yaml"), []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c1 := startGroupConsole(t, dir, "console-1", b.URL(), sites)
	c2 := startGroupConsole(t, dir, "console-2", b.URL(), sites)
	waitGroup(t, sites, c1, c2)
	owners := map[string]*groupConsole{}
	for _, s := range sites {
		owners[s] = c1
		if c2.c.sub.Owns(s) {
			owners[s] = c2
		}
	}
	pub, err := mosquittotest.Connect(t, b.URL(), mosquittotest.ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	send := func(topic string, v any) {
		data, _ := json.Marshal(v)
		if tok := pub.Publish(topic, 1, false, data); tok.Wait() && tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	// phone: in wing wing of every site, heard by its three sensors at
	// −50, −57 and −63 dBm; every sensor's alert raised, then updated.
	phone := func(round, wing int, freq float64) {
		now := time.Now().UTC()
		for rev := range 2 {
			for _, site := range sites {
				for k, dbm := range []float64{-57, -50, -63} {
					sensor := fmt.Sprintf("%s-w%d-s%d", site, wing, k)
					a := alerting.Alert{Schema: alerting.SchemaAlert, Origin: alerting.Origin{Site: site, Sensor: sensor},
						ID: fmt.Sprintf("%s.%s-gsm-%d", site, sensor, round), Rev: rev, State: alerting.StateRaised, Mode: alerting.ModeActual,
						Time: now.Add(time.Duration(rev) * 2 * time.Second), Class: "gsm", Kind: "call", FreqHz: freq, FreqsHz: []float64{freq},
						BandwidthHz: 200e3, FirstSeen: now.Add(-3 * time.Second), LastSeen: now.Add(time.Duration(rev) * 2 * time.Second), Bursts: 40 + rev*20,
						PowerDBm: alerting.Level(dbm), RecentDBm: alerting.Level(dbm), PowerDBFS: alerting.Level(dbm + 30), SNR: alerting.Level(dbm + 110), Confidence: 0.9}
					if rev > 0 {
						a.State = alerting.StateUpdated
					}
					send(alerting.Topic("", site, sensor, alerting.KindAlert), a)
				}
			}
		}
	}
	check := func(round int, wantWing string, gs ...*groupConsole) {
		t.Helper()
		var by map[string][]alerting.Incident
		deadline := time.Now().Add(10 * time.Second)
		for {
			by = phoneIncidents(t, round, gs...)
			full := 0
			for _, s := range sites {
				if l := by[s]; len(l) == 1 && len(l[0].Sensors) == 3 {
					full++
				}
			}
			if full == len(sites) || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond) // a second incident would come now
		by = phoneIncidents(t, round, gs...)
		for _, s := range sites {
			l := by[s]
			if len(l) != 1 {
				t.Errorf("round %d, site %s: %d phone incidents, want 1", round, s, len(l))
				for _, inc := range l {
					t.Logf("  %s wing %s method %s linked %s sensors %+v", inc.ID, inc.Wing, inc.Method, inc.LinkedTo, inc.Sensors)
				}
				continue
			}
			if len(l[0].Sensors) != 3 || l[0].Wing != s+"-"+wantWing {
				t.Errorf("site %s: incident in wing %s with %d sensors, want %s and 3", s, l[0].Wing, len(l[0].Sensors), wantWing)
			}
		}
	}
	phone(1, 2, 902.4e6)
	check(1, "W2", c1, c2)
	t.Logf("console-1 %+v, console-2 %+v", c1.c.sub.Stats(), c2.c.sub.Stats())
	for _, s := range sites {
		mine, err := owners[s].c.st.Incidents(context.Background(), store.Filter{Kind: alerting.IncidentPhone, Site: s})
		if err != nil || len(mine) != 1 {
			t.Errorf("site %s: its owner stored %d phone incidents (%v), want it", s, len(mine), err)
		}
	}

	// A sensor of every site goes offline: one incident per site, from
	// its owner.
	for _, s := range sites {
		send(alerting.Topic("", s, s+"-w7-s1", alerting.KindStatus), alerting.Status{Schema: alerting.SchemaStatus,
			Origin: alerting.Origin{Site: s, Sensor: s + "-w7-s1"}, State: "offline", Reason: "test", Time: time.Now().UTC()})
	}
	offline := func(gs ...*groupConsole) map[string]int {
		n := map[string]int{}
		for _, g := range gs {
			incs, err := g.c.st.Incidents(context.Background(), store.Filter{Kind: alerting.IncidentSensorOffline})
			if err != nil {
				t.Fatal(err)
			}
			for _, inc := range incs {
				n[inc.Site]++
			}
		}
		return n
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(offline(c1, c2)) < len(sites) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // past the next advance tick
	for _, s := range sites {
		if n := offline(c1, c2)[s]; n != 1 {
			t.Errorf("site %s: %d sensor-offline incidents over the two instances, want 1", s, n)
		}
	}

	// console-2 stops: console-1 takes every site and fuses the next
	// phone of each.
	c2.stop()
	waitGroup(t, sites, c1)
	phone(2, 5, 880.2e6)
	check(2, "W5", c1)
}
