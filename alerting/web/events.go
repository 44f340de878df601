package web

import (
	"bytes"
	"net/http"
	"sync"
	"time"
)

// hub fans server-sent events out to the open pages. A page that does not
// read fast enough is dropped; its browser reconnects and reloads its view.
type hub struct {
	mu      sync.Mutex
	clients map[*sseClient]struct{}
	closed  bool
}

type sseClient struct {
	ch   chan []byte
	gone chan struct{} // closed when the hub drops the client
}

// clientBuffer is how many events a page may fall behind before it is
// dropped.
const clientBuffer = 256

func newHub() *hub { return &hub{clients: map[*sseClient]struct{}{}} }

// subscribe adds a client, or returns nil when the hub is closed.
func (h *hub) subscribe() *sseClient {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil
	}
	c := &sseClient{ch: make(chan []byte, clientBuffer), gone: make(chan struct{})}
	h.clients[c] = struct{}{}
	return c
}

func (h *hub) unsubscribe(c *sseClient) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.clients[c]; ok {
		delete(h.clients, c)
		close(c.gone)
	}
}

func (h *hub) broadcast(msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.clients {
		select {
		case c.ch <- msg:
		default:
			delete(h.clients, c)
			close(c.gone)
		}
	}
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.clients {
		delete(h.clients, c)
		close(c.gone)
	}
}

// sseMessage formats one event. data must not contain a newline (JSON
// from encoding/json does not).
func sseMessage(event string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("event: ")
	b.WriteString(event)
	b.WriteString("\ndata: ")
	b.Write(bytes.ReplaceAll(data, []byte("\n"), []byte("\ndata: ")))
	b.WriteString("\n\n")
	return b.Bytes()
}

// heartbeat keeps proxies from closing an idle stream and checks that the
// session still exists (a logout ends the stream).
const heartbeat = 15 * time.Second

// apiEvents streams the live changes: "incident" (the incident as JSON,
// with the alarm state the pages show), "sensor" ({"id"}) and "refresh"
// (events were lost: reload everything). The open stream keeps the
// session alive.
func (s *Server) apiEvents(w http.ResponseWriter, r *http.Request, ss session) error {
	c := s.hub.subscribe()
	if c == nil {
		return errorf(http.StatusServiceUnavailable, "the console is shutting down")
	}
	defer s.hub.unsubscribe(c)
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	// retry: how soon the browser reconnects after a drop (ms).
	if _, err := w.Write([]byte("retry: 2000\n: connected\n\n")); err != nil {
		return nil
	}
	_ = rc.Flush()
	token := ""
	if ck, err := r.Cookie(sessionCookie); err == nil {
		token = ck.Value
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-c.gone:
			return nil
		case <-tick.C:
			if _, ok := s.sessions.get(token); !ok {
				_, _ = w.Write(sseMessage("logout", []byte(`{}`)))
				_ = rc.Flush()
				return nil
			}
			if _, err := w.Write([]byte(": ping\n\n")); err != nil {
				return nil
			}
		case msg := <-c.ch:
			if _, err := w.Write(msg); err != nil {
				return nil
			}
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}
