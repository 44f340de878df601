package queue

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// crashEnv names the queue directory of the child process of TestKill9;
// crashStartEnv the index of its first record.
const (
	crashEnv      = "CELLSENTRY_QUEUE_CRASH_DIR"
	crashStartEnv = "CELLSENTRY_QUEUE_CRASH_START"
)

var crashOpt = Options{MaxBytes: 1 << 20, SegmentBytes: 2048}

// crashChild is the body of the child process: it appends record after
// record with fsync (as the daemon does), acknowledges most of them, and
// prints "seq index acked" for each once Append (and Ack) returned, until it
// is killed.
func crashChild() {
	dir := os.Getenv(crashEnv)
	start, _ := strconv.Atoi(os.Getenv(crashStartEnv))
	q, err := Open(dir, crashOpt)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	out := bufio.NewWriterSize(os.Stdout, 64)
	for i := start; ; i++ {
		seq, err := q.Append(payload(i), i%4 == 0)
		if err != nil {
			fmt.Fprintln(out, "append:", err)
			out.Flush()
			os.Exit(3)
		}
		// Leave a few records unacknowledged, spread out, so that some
		// segments empty completely (deleted) and others do not.
		acked := i%23 != 0
		if acked {
			if err := q.Ack(seq); err != nil {
				fmt.Fprintln(out, "ack:", err)
				out.Flush()
				os.Exit(3)
			}
		}
		fmt.Fprintln(out, seq, i, acked)
		out.Flush()
	}
}

// TestKill9 runs the test binary as a child that appends in a loop, kills it
// with SIGKILL at a random point, and checks that the reopened queue has
// every record whose Append returned (and none whose Ack returned), in
// order; three rounds on the same directory, each child recovering what the
// last one left.
func TestKill9(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		crashChild()
		return
	}
	dir := t.TempDir()
	type rec struct {
		index int
		acked bool
	}
	printed := map[uint64]rec{}
	var lastSeq uint64
	next := 0
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKill9$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir, crashStartEnv+"="+strconv.Itoa(next))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a number of records that differs per round.
		killAt := 150 + 137*round
		sc := bufio.NewScanner(stdout)
		n := 0
		killed := false
		timeout := time.AfterFunc(60*time.Second, func() { cmd.Process.Kill() })
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) != 3 {
				t.Fatalf("round %d: child said %q", round, sc.Text())
			}
			seq, err1 := strconv.ParseUint(f[0], 10, 64)
			idx, err2 := strconv.Atoi(f[1])
			if err1 != nil || err2 != nil {
				t.Fatalf("round %d: child said %q", round, sc.Text())
			}
			if seq <= lastSeq {
				t.Fatalf("round %d: seq %d after %d", round, seq, lastSeq)
			}
			lastSeq = seq
			printed[seq] = rec{idx, f[2] == "true"}
			next = idx + 1
			if n++; n == killAt && !killed {
				killed = true
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
			}
		}
		timeout.Stop()
		err = cmd.Wait()
		if !killed {
			t.Fatalf("round %d: child exited by itself after %d records: %v\n%s", round, n, err, stderr.String())
		}

		q, err := Open(dir, crashOpt)
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		got := all(t, q)
		q.Close()
		pending := map[uint64][]byte{}
		for i, r := range got {
			if i > 0 && r.Seq <= got[i-1].Seq {
				t.Fatalf("round %d: pending out of order: %d after %d", round, r.Seq, got[i-1].Seq)
			}
			pending[r.Seq] = r.Data
		}
		lost, resent := 0, 0
		for seq, r := range printed {
			data, ok := pending[seq]
			switch {
			case !r.acked && !ok:
				lost++
				t.Errorf("round %d: record %d (index %d) returned by Append is gone", round, seq, r.index)
			case !r.acked && !bytes.Equal(data, payload(r.index)):
				t.Errorf("round %d: record %d: data %q, want %q", round, seq, data, payload(r.index))
			case r.acked && ok:
				resent++
			}
		}
		if resent > 0 {
			t.Errorf("round %d: %d records acknowledged before the kill are pending again", round, resent)
		}
		t.Logf("round %d: killed after %d records; %d pending, %d lost", round, n, len(got), lost)
	}
}
