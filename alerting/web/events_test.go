package web

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// sseEvent is one parsed server-sent event.
type sseEvent struct {
	name, data string
}

// readEvents parses a text/event-stream into ch until it ends.
func readEvents(resp *http.Response, ch chan<- sseEvent) {
	defer close(ch)
	sc := bufio.NewScanner(resp.Body)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.name != "" {
				ch <- ev
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data += strings.TrimPrefix(line, "data: ")
		}
	}
}

// waitFor polls cond every millisecond until it holds or d has passed.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(time.Millisecond)
	}
	return cond()
}

func TestEvents(t *testing.T) {
	e := newEnv(t, false)
	c := e.login("alice")
	req, err := http.NewRequest("GET", e.ts.URL+"/api/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Jar: c.hc.Jar} // no timeout: a stream
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := make(chan sseEvent, 16)
	go readEvents(resp, events)
	if !waitFor(2*time.Second, func() bool { return e.srv.hub.count() == 1 }) {
		t.Fatal("the stream did not subscribe")
	}
	next := func(t *testing.T) (sseEvent, time.Duration) {
		t.Helper()
		start := time.Now()
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("stream ended")
			}
			return ev, time.Since(start)
		case <-time.After(time.Second):
			t.Fatal("no event within a second")
		}
		return sseEvent{}, 0
	}

	t.Run("incident", func(t *testing.T) {
		inc := e.phone("inc-live", "B", "sB")
		e.srv.IncidentChanged(inc)
		ev, took := next(t)
		t.Logf("incident event after %v", took)
		if ev.name != "incident" {
			t.Fatalf("event %q, want incident", ev.name)
		}
		var got alerting.Incident
		if err := json.Unmarshal([]byte(ev.data), &got); err != nil {
			t.Fatal(err)
		}
		if got.ID != "inc-live" || got.Alarm != alerting.AlarmUnacknowledged || got.Wing != "B" {
			t.Errorf("got %s %s %s", got.ID, got.Alarm, got.Wing)
		}
	})
	t.Run("sensor", func(t *testing.T) {
		e.srv.SensorChanged("sB")
		ev, _ := next(t)
		if ev.name != "sensor" || ev.data != `{"id":"sB"}` {
			t.Errorf("event %q %s", ev.name, ev.data)
		}
	})
	t.Run("an action notifies the pages", func(t *testing.T) {
		if r := c.postJSON("/api/incidents/inc-live/ack", "{}"); r.status != http.StatusOK {
			t.Fatal(r.status, r.body)
		}
		ev, _ := next(t)
		if ev.name != "incident" || !strings.Contains(ev.data, `"alarm":"acknowledged"`) || !strings.Contains(ev.data, `"acked_by":"alice"`) {
			t.Errorf("event %q %s", ev.name, ev.data)
		}
	})
	t.Run("close ends the stream", func(t *testing.T) {
		if err := e.srv.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case _, ok := <-events:
			if ok {
				t.Error("an event after Close")
			}
		case <-time.After(2 * time.Second):
			t.Error("the stream is still open after Close")
		}
		e.srv.IncidentChanged(alerting.Incident{ID: "late"}) // must not block or panic
	})
}

func TestEventsOverflow(t *testing.T) {
	e := newEnv(t, false)
	c := e.hub()
	// Many more changes than the queue holds, with nobody reading the
	// client: the caller never blocks, the client is dropped or told to
	// refresh, never left silently behind.
	start := time.Now()
	for i := 0; i < 10*cap(e.srv.changes); i++ {
		e.srv.SensorChanged("sA")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("notifying took %v", d)
	}
	if !waitFor(5*time.Second, func() bool {
		select {
		case <-c.gone:
			return true
		default:
		}
		return false
	}) {
		t.Error("a client that does not read stays subscribed")
	}
}

// hub subscribes a client directly to the server's hub.
func (e *env) hub() *sseClient {
	c := e.srv.hub.subscribe()
	if c == nil {
		e.t.Fatal("hub closed")
	}
	return c
}
