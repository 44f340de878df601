package main

import (
	"log/slog"
	"sync"
	"time"

	sdnotify "github.com/coreos/go-systemd/v22/daemon"
)

// notifier speaks systemd's notify protocol when the daemon runs as a
// Type=notify service (NOTIFY_SOCKET set), and does nothing otherwise.
// READY goes out once the radio streams; WATCHDOG only while blocks go
// through the pipeline, so that systemd restarts a daemon whose dongle
// hung or whose pipeline stalled; STATUS carries a one-line state for
// `systemctl status`.
type notifier struct {
	log      *slog.Logger
	watchdog time.Duration // WatchdogSec, 0 when disabled

	mu       sync.Mutex
	ready    bool
	progress time.Time // wall time of the latest processed block
	lastPet  time.Time
	status   string
}

func newNotifier(log *slog.Logger) *notifier {
	wd, err := sdnotify.SdWatchdogEnabled(false)
	if err != nil {
		log.Warn("systemd watchdog settings unreadable", "err", err)
	}
	return &notifier{log: log, watchdog: wd}
}

func (n *notifier) send(state string) {
	if _, err := sdnotify.SdNotify(false, state); err != nil {
		n.log.Debug("sd_notify failed", "state", state, "err", err)
	}
}

// processed records that a block went through the pipeline; the first one
// makes the service ready.
func (n *notifier) processed(now time.Time) {
	n.mu.Lock()
	n.progress = now
	first := !n.ready
	n.ready = true
	n.mu.Unlock()
	if first {
		n.send(sdnotify.SdNotifyReady)
	}
}

// tick pets the watchdog if the pipeline progressed recently; called about
// once a second.
func (n *notifier) tick(now time.Time) {
	if n.watchdog <= 0 {
		return
	}
	n.mu.Lock()
	fresh := now.Sub(n.progress) < n.watchdog/2
	due := now.Sub(n.lastPet) >= n.watchdog/4
	if fresh && due {
		n.lastPet = now
	}
	n.mu.Unlock()
	if fresh && due {
		n.send(sdnotify.SdNotifyWatchdog)
	}
}

// setStatus sends a new STATUS line when it changed.
func (n *notifier) setStatus(s string) {
	n.mu.Lock()
	changed := s != n.status
	n.status = s
	n.mu.Unlock()
	if changed {
		n.send("STATUS=" + s)
	}
}

// reloading and stopping tell systemd what the daemon is doing.
func (n *notifier) reloading() { n.send(sdnotify.SdNotifyReloading) }
func (n *notifier) reloaded()  { n.send(sdnotify.SdNotifyReady) }
func (n *notifier) stopping()  { n.send(sdnotify.SdNotifyStopping) }
