package main

import (
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The watchdog is fed while blocks go through the pipeline, and no longer
// once it stalls, so that systemd restarts a hung sensor; READY goes out
// with the first block. A real notify socket stands in for systemd.
func TestWatchdogStopsWhenPipelineStalls(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "2000000") // WatchdogSec=2s
	n := newNotifier(slog.New(slog.DiscardHandler))
	if n.watchdog != 2*time.Second {
		t.Fatalf("watchdog %v, want 2s from WATCHDOG_USEC", n.watchdog)
	}
	read := func() []string {
		var got []string
		buf := make([]byte, 512)
		for {
			conn.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			k, err := conn.Read(buf)
			if err != nil {
				return got
			}
			got = append(got, strings.TrimSpace(string(buf[:k])))
		}
	}
	t0 := time.Now()
	n.processed(t0)
	n.tick(t0)
	if got := strings.Join(read(), ","); got != "READY=1,WATCHDOG=1" {
		t.Fatalf("after the first block: %q", got)
	}
	// Blocks keep flowing: fed every watchdog/4.
	fed := 0
	for i := 1; i <= 8; i++ {
		now := t0.Add(time.Duration(i) * 250 * time.Millisecond)
		n.processed(now)
		n.tick(now)
		fed += strings.Count(strings.Join(read(), ","), "WATCHDOG=1")
	}
	if fed < 3 {
		t.Fatalf("fed %d times in 2 s of flowing blocks", fed)
	}
	// The pipeline stalls: ticks go on, no block is processed.
	last := t0.Add(2 * time.Second)
	for i := 1; i <= 12; i++ {
		n.tick(last.Add(time.Duration(i) * 250 * time.Millisecond))
	}
	got := read()
	// At most the pet due before half the watchdog has elapsed.
	stalledPets := strings.Count(strings.Join(got, ","), "WATCHDOG=1")
	if stalledPets > 1 {
		t.Fatalf("watchdog fed %d times during a 3 s stall, want at most 1 (in its first second)", stalledPets)
	}
	n.setStatus("1/1 sources streaming, 0 alerts open")
	n.setStatus("1/1 sources streaming, 0 alerts open")
	if got := read(); len(got) != 1 || !strings.HasPrefix(got[0], "STATUS=1/1 sources") {
		t.Fatalf("status sent %q, want once", got)
	}
}
