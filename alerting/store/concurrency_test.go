package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

// TestConcurrentIngest: readers and an operator work while a writer
// ingests batches. Readers never fail (no SQLITE_BUSY), always see whole
// batches (an incident's three alerts arrive together), never see the
// incident count go down; acknowledgements made during the ingest survive
// the fusion's later updates.
func TestConcurrentIngest(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	declare(t, s, "a1", "a2")
	batches, perBatch := 40, 10
	if testing.Short() {
		batches = 15
	}
	var (
		done  atomic.Bool
		wg    sync.WaitGroup
		saved atomic.Int64 // incidents committed so far
	)
	errc := make(chan error, 16)
	fail := func(err error) {
		select {
		case errc <- err:
		default:
		}
	}
	wg.Add(1)
	go func() { // the ingest
		defer wg.Done()
		defer done.Store(true)
		var b Batch
		for n := 0; n < batches; n++ {
			b.Reset()
			for k := 0; k < perBatch; k++ {
				id := fmt.Sprintf("i%d", n*perBatch+k)
				b.Incidents = append(b.Incidents, phone(id, t0.Add(time.Duration(n)*time.Second), true, "a1", "a2"))
				for r := 0; r < 3; r++ {
					b.Alerts = append(b.Alerts, IncidentAlert{IncidentID: id, Alert: alert(id+"-x", r, "a1", t0.Add(time.Duration(r)*time.Millisecond))})
				}
			}
			// And the earlier incidents again, as the fusion updates them.
			if n > 0 {
				for k := 0; k < perBatch; k++ {
					b.Incidents = append(b.Incidents, phone(fmt.Sprintf("i%d", (n-1)*perBatch+k), t0, true, "a1", "a2"))
				}
			}
			res, err := s.Ingest(ctx, &b)
			if err != nil {
				fail(fmt.Errorf("ingest %d: %w", n, err))
				return
			}
			if res.Alerts != 3*perBatch || res.Dups != 0 {
				fail(fmt.Errorf("ingest %d: %+v", n, res))
			}
			saved.Store(int64((n + 1) * perBatch))
		}
	}()
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() { // a console page
			defer wg.Done()
			last := 0
			for !done.Load() {
				floor := int(saved.Load())
				l, err := s.Incidents(ctx, Filter{Limit: 10000})
				if err != nil {
					fail(fmt.Errorf("reader: %w", err))
					return
				}
				if len(l) < last || len(l) < floor {
					fail(fmt.Errorf("reader saw %d incidents after %d (committed ≥ %d)", len(l), last, floor))
					return
				}
				last = len(l)
				for _, inc := range l[:min(5, len(l))] {
					a, err := s.Alerts(ctx, inc.ID)
					if err != nil {
						fail(fmt.Errorf("reader alerts: %w", err))
						return
					}
					if len(a) != 3 {
						fail(fmt.Errorf("reader saw %d alerts of %s, want 3 (half a batch)", len(a), inc.ID))
						return
					}
				}
				if _, err := s.Sensors(ctx, ""); err != nil {
					fail(fmt.Errorf("reader sensors: %w", err))
					return
				}
			}
		}()
	}
	acked := make(map[string]bool)
	wg.Add(1)
	go func() { // a guard
		defer wg.Done()
		for !done.Load() {
			n := saved.Load()
			if n == 0 {
				time.Sleep(time.Millisecond)
				continue
			}
			id := fmt.Sprintf("i%d", n-1)
			if acked[id] {
				time.Sleep(time.Millisecond)
				continue
			}
			if _, err := s.Ack(ctx, id, "ann", ""); err != nil {
				fail(fmt.Errorf("ack %s: %w", id, err))
				return
			}
			acked[id] = true
		}
	}()
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if len(acked) == 0 {
		t.Fatal("the guard acknowledged nothing")
	}
	for id := range acked {
		inc := must[alerting.Incident](t)(s.Incident(ctx, id))
		if inc.AckedBy != "ann" || inc.Alarm != alerting.AlarmAcknowledged {
			t.Errorf("%s after the ingest: acked by %q, %s", id, inc.AckedBy, inc.Alarm)
		}
	}
	if l := must[[]alerting.Incident](t)(s.Incidents(ctx, Filter{Limit: 10000})); len(l) != batches*perBatch {
		t.Errorf("%d incidents, want %d", len(l), batches*perBatch)
	}
}

// crashEnv names the database the crash child writes.
const crashEnv = "CELLSENTRY_STORE_CRASH_DB"

// TestCrashChild is the child process of TestCrashDurability: it
// acknowledges, audits, says so, and waits to be killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("child of TestCrashDurability")
	}
	ctx := WithRemote(context.Background(), "10.1.1.1:9")
	s, err := Open(path, Options{Now: func() time.Time { return t0 }})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	inc := phone("crash", t0, true, "a1")
	if _, err := s.SaveIncident(ctx, &inc); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	if _, err := s.Ack(ctx, "crash", "ann", "before the crash"); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	if err := s.Audit(ctx, AuditEntry{User: "ann", Action: "export", Target: "incidents.csv"}); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("done")
	time.Sleep(time.Minute) // killed before
	os.Exit(2)
}

// TestCrashDurability: a child process acknowledges an incident and
// writes an audit entry, then is SIGKILLed without closing the store;
// reopening shows both.
func TestCrashDurability(t *testing.T) {
	path := t.TempDir() + "/crash.db"
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(out)
	ready := false
	for lines.Scan() {
		if lines.Text() == "done" {
			ready = true
			break
		}
		if len(lines.Text()) > 5 && lines.Text()[:5] == "error" {
			t.Fatal(lines.Text())
		}
	}
	if !ready {
		t.Fatalf("child ended without acknowledging: %v", lines.Err())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v, want killed by SIGKILL", err)
	}
	// The commits are in the WAL, not yet in the main file: a crash, not a
	// clean close (which checkpoints and removes the WAL).
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("WAL after the kill: %v (size %d)", err, sizeOf(fi))
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	inc := must[alerting.Incident](t)(s.Incident(ctx, "crash"))
	if inc.AckedBy != "ann" || inc.Note != "before the crash" || !inc.AckedAt.Equal(t0) {
		t.Errorf("after the crash: acked by %q at %v note %q", inc.AckedBy, inc.AckedAt, inc.Note)
	}
	log := must[[]AuditEntry](t)(s.AuditLog(ctx, time.Time{}, 0))
	if len(log) != 2 || log[0].Action != "export" || log[1].Action != ActionAck || log[1].Target != "crash" || log[1].Remote != "10.1.1.1:9" {
		t.Errorf("audit after the crash: %+v", log)
	}
}

func sizeOf(fi os.FileInfo) int64 {
	if fi == nil {
		return -1
	}
	return fi.Size()
}
