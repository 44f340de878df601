package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/cellsentry/cellsentry/alerting"
)

// stdoutSink is where alerts go when no broker is configured (a bench
// test, a technician trying a dongle): one JSON object per line on stdout,
// the same messages the broker would get. Health goes to the log.
type stdoutSink struct {
	mu  sync.Mutex
	w   io.Writer
	log *slog.Logger
}

func (s *stdoutSink) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err = s.w.Write(append(b, '\n'))
	return err
}

func (s *stdoutSink) Enqueue(a *alerting.Alert) error { return s.write(a) }

func (s *stdoutSink) PublishHealth(h *alerting.Health) error {
	s.log.Info("health", "state", h.State, "uptime_s", h.UptimeS, "queue", h.Queue.Depth, "events", h.Events)
	return nil
}

func (s *stdoutSink) PublishBurst(b *alerting.Burst) error { return s.write(b) }
