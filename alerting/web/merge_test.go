package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/store"
)

// TestMergedIncident: once the fusion merges two incidents of one emitter,
// the pages and the API show one open incident, the merged one says where
// it went, the acknowledgement follows, and the live stream carries the
// merged one closed.
func TestMergedIncident(t *testing.T) {
	e := newEnv(t, false)
	ctx := context.Background()
	c := e.login("alice")
	old := e.phone("inc-old", "A", "sA")
	young := e.phone("inc-young", "A", "sB")
	if r := c.postJSON("/api/incidents/inc-young/ack", `{"note":"on camera 4"}`); r.status != http.StatusOK {
		t.Fatal(r.status, r.body)
	}
	events := make(chan sseEvent, 16)
	req, err := http.NewRequest("GET", e.ts.URL+"/api/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Jar: c.hc.Jar}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	go readEvents(resp, events)
	if !waitFor(2*time.Second, func() bool { return e.srv.hub.count() == 1 }) {
		t.Fatal("the stream did not subscribe")
	}

	// What the console does with the fusion's output: one batch, then the
	// incidents as stored to the pages.
	merged := young
	merged.Method, merged.LinkedTo, merged.Active, merged.Sensors = store.MethodMerged, "inc-old", false, nil
	survivor := old
	survivor.Sensors = append(survivor.Sensors, young.Sensors...)
	res, err := e.st.Ingest(ctx, &store.Batch{Incidents: []alerting.Incident{merged, survivor}})
	if err != nil || res.Merged != 1 {
		t.Fatalf("ingest: %+v %v", res, err)
	}
	for _, id := range []string{"inc-young", "inc-old"} {
		inc, err := e.st.Incident(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		e.srv.IncidentChanged(inc)
	}

	t.Run("live stream", func(t *testing.T) {
		got := map[string]alerting.Incident{}
		for len(got) < 2 {
			select {
			case ev := <-events:
				if ev.name != "incident" {
					continue
				}
				var inc alerting.Incident
				if err := json.Unmarshal([]byte(ev.data), &inc); err != nil {
					t.Fatal(err)
				}
				got[inc.ID] = inc
			case <-time.After(time.Second):
				t.Fatalf("events within a second: %d of 2", len(got))
			}
		}
		if y := got["inc-young"]; y.Alarm != alerting.AlarmClosed || y.Method != store.MethodMerged || y.LinkedTo != "inc-old" {
			t.Errorf("merged incident on the stream: alarm %s method %s linked %s", y.Alarm, y.Method, y.LinkedTo)
		}
		if o := got["inc-old"]; o.Alarm != alerting.AlarmAcknowledged || o.AckedBy != "alice" || len(o.Sensors) != 2 {
			t.Errorf("survivor on the stream: alarm %s acked by %q, %d sensors", o.Alarm, o.AckedBy, len(o.Sensors))
		}
	})
	t.Run("live panel shows one", func(t *testing.T) {
		r := c.get("/live/panel")
		if r.status != http.StatusOK || !strings.Contains(r.body, "inc-old") || strings.Contains(r.body, "inc-young") {
			t.Errorf("live panel %d: inc-old shown %v, inc-young shown %v", r.status, strings.Contains(r.body, "inc-old"), strings.Contains(r.body, "inc-young"))
		}
	})
	t.Run("open incidents API", func(t *testing.T) {
		r := c.get("/api/incidents?open=true")
		var list struct{ Incidents []alerting.Incident }
		if err := json.Unmarshal([]byte(r.body), &list); err != nil {
			t.Fatal(r.status, err)
		}
		if len(list.Incidents) != 1 || list.Incidents[0].ID != "inc-old" || list.Incidents[0].Note != "on camera 4" {
			t.Errorf("open incidents %+v, want inc-old with the carried note", list.Incidents)
		}
	})
	t.Run("merged incident page", func(t *testing.T) {
		r := c.get("/incidents/inc-young")
		if r.status != http.StatusOK || !strings.Contains(r.body, `merged into it`) || !strings.Contains(r.body, `href="/incidents/inc-old"`) {
			t.Errorf("page %d does not say where it was merged:\n%s", r.status, r.body)
		}
		if strings.Contains(r.body, "/api/incidents/inc-young/resolve") || strings.Contains(r.body, "It came back") {
			t.Error("a merged incident offers resolve, or shows its survivor as linked history")
		}
	})
	t.Run("survivor page lists the moved alerts", func(t *testing.T) {
		r := c.get("/incidents/inc-old")
		if r.status != http.StatusOK || !strings.Contains(r.body, young.Sensors[0].AlertID) {
			t.Errorf("survivor page %d lacks the moved alert %s", r.status, young.Sensors[0].AlertID)
		}
	})
}
