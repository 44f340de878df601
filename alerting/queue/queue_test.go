package queue

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// payload is the data of the i-th record a test appends: its length varies
// with i so that frames do not line up on round offsets.
func payload(i int) []byte {
	return fmt.Appendf(nil, `{"id":"a%d","rev":%d,"pad":%q}`, i, i%7, strings.Repeat("x", i%13))
}

func open(t testing.TB, dir string, opt Options) *Queue {
	t.Helper()
	opt.NoSync = true
	q, err := Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func mustAppend(t testing.TB, q *Queue, data []byte, droppable bool) uint64 {
	t.Helper()
	seq, err := q.Append(data, droppable)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// all returns every pending record.
func all(t testing.TB, q *Queue) []Record {
	t.Helper()
	recs, err := q.Pending(nil, 0, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func seqs(recs []Record) []uint64 {
	var s []uint64
	for _, r := range recs {
		s = append(s, r.Seq)
	}
	return s
}

func TestAppendPendingAck(t *testing.T) {
	tests := []struct {
		name   string
		n      int      // records appended
		acks   []uint64 // acked, in this order
		after  uint64
		max    int
		want   []uint64 // Pending result
		depth  int
		reopen bool // close and reopen before Pending
	}{
		{name: "empty", n: 0, max: 10, want: nil, depth: 0},
		{name: "all", n: 5, max: 10, want: []uint64{1, 2, 3, 4, 5}, depth: 5},
		{name: "max limits", n: 5, max: 2, want: []uint64{1, 2}, depth: 5},
		{name: "after skips", n: 5, after: 3, max: 10, want: []uint64{4, 5}, depth: 5},
		{name: "max zero", n: 5, max: 0, want: nil, depth: 5},
		{name: "acked skipped", n: 5, acks: []uint64{2, 4}, max: 10, want: []uint64{1, 3, 5}, depth: 3},
		{name: "out of order acks", n: 6, acks: []uint64{5, 1, 3, 2}, max: 10, want: []uint64{4, 6}, depth: 2},
		{name: "ack twice", n: 3, acks: []uint64{2, 2}, max: 10, want: []uint64{1, 3}, depth: 2},
		{name: "all acked", n: 3, acks: []uint64{3, 2, 1}, max: 10, want: nil, depth: 0},
		{name: "reopen keeps order", n: 5, max: 10, want: []uint64{1, 2, 3, 4, 5}, depth: 5, reopen: true},
		{name: "reopen keeps acks", n: 6, acks: []uint64{6, 1, 4}, max: 10, want: []uint64{2, 3, 5}, depth: 3, reopen: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			q := open(t, dir, Options{})
			for i := range tc.n {
				if seq := mustAppend(t, q, payload(i+1), false); seq != uint64(i+1) {
					t.Fatalf("append %d: seq %d, want %d", i, seq, i+1)
				}
			}
			for _, a := range tc.acks {
				if err := q.Ack(a); err != nil {
					t.Fatalf("ack %d: %v", a, err)
				}
			}
			if tc.reopen {
				if err := q.Close(); err != nil {
					t.Fatal(err)
				}
				q = open(t, dir, Options{})
			}
			defer q.Close()
			got, err := q.Pending(nil, tc.after, tc.max)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(seqs(got), tc.want) {
				t.Errorf("Pending seqs %v, want %v", seqs(got), tc.want)
			}
			for _, r := range got {
				if !bytes.Equal(r.Data, payload(int(r.Seq))) {
					t.Errorf("record %d: data %q, want %q", r.Seq, r.Data, payload(int(r.Seq)))
				}
			}
			if st := q.Stats(); st.Depth != tc.depth {
				t.Errorf("Depth %d, want %d", st.Depth, tc.depth)
			}
		})
	}
}

func TestAckErrors(t *testing.T) {
	q := open(t, t.TempDir(), Options{})
	mustAppend(t, q, payload(1), false)
	for _, seq := range []uint64{0, 2, 100} {
		t.Run(fmt.Sprint(seq), func(t *testing.T) {
			if err := q.Ack(seq); !errors.Is(err, ErrUnknownSeq) {
				t.Errorf("Ack(%d) = %v, want ErrUnknownSeq", seq, err)
			}
		})
	}
	q.Close()
	for name, f := range map[string]func() error{
		"Append":  func() error { _, err := q.Append(nil, false); return err },
		"Pending": func() error { _, err := q.Pending(nil, 0, 1); return err },
		"Ack":     func() error { return q.Ack(1) },
	} {
		t.Run("closed "+name, func(t *testing.T) {
			if err := f(); !errors.Is(err, ErrClosed) {
				t.Errorf("%s after Close = %v, want ErrClosed", name, err)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		dir  string
		opt  Options
		want string
	}{
		{"segment too small", dir, Options{SegmentBytes: 10}, "SegmentBytes 10 must be within"},
		{"cap below two segments", dir, Options{MaxBytes: 10000, SegmentBytes: 8000}, "MaxBytes 10000 must be at least twice SegmentBytes (8000)"},
		{"default segment, tiny cap", dir, Options{MaxBytes: 4096}, "MaxBytes 4096 must be at least twice SegmentBytes (4096)"},
		{"dir is a file", filepath.Join(dir, "f", "q"), Options{}, "not a directory"},
	}
	if err := os.WriteFile(filepath.Join(dir, "f"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Open(tc.dir, tc.opt)
			if err == nil {
				q.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

func TestLocked(t *testing.T) {
	dir := t.TempDir()
	q := open(t, dir, Options{})
	if _, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open = %v, want ErrLocked", err)
	}
	q.Close()
	q2 := open(t, dir, Options{})
	q2.Close()
}

func TestTooLarge(t *testing.T) {
	q := open(t, t.TempDir(), Options{MaxBytes: 8192, SegmentBytes: 1024})
	defer q.Close()
	if _, err := q.Append(make([]byte, 1024-headerSize), false); err != nil {
		t.Errorf("record filling a segment exactly: %v", err)
	}
	if _, err := q.Append(make([]byte, 1024-headerSize+1), false); !errors.Is(err, ErrTooLarge) {
		t.Errorf("record one byte over a segment: %v, want ErrTooLarge", err)
	}
}

// TestSeqAcrossReopen checks that numbers keep increasing after a reopen,
// also when everything was acknowledged and the old segments are gone.
func TestSeqAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	opt := Options{MaxBytes: 16 << 10, SegmentBytes: 512}
	q := open(t, dir, opt)
	var last uint64
	for i := range 40 {
		last = mustAppend(t, q, payload(i), false)
	}
	for s := uint64(1); s <= last; s++ {
		if err := q.Ack(s); err != nil {
			t.Fatal(err)
		}
	}
	st := q.Stats()
	if st.Depth != 0 {
		t.Errorf("Depth %d after acking everything", st.Depth)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.seg"))
	if len(segs) != 1 {
		t.Errorf("%d segment files after acking everything, want 1 (the active one): %v", len(segs), segs)
	}
	q.Close()
	for round := range 3 {
		q = open(t, dir, opt)
		seq := mustAppend(t, q, payload(0), false)
		if seq <= last {
			t.Fatalf("round %d: seq %d after reopen, want > %d", round, seq, last)
		}
		last = seq
		q.Close()
	}
}

// TestReclaim checks that space comes back as segments are acknowledged,
// out of order too, and that Bytes is the size of the files.
func TestReclaim(t *testing.T) {
	dir := t.TempDir()
	q := open(t, dir, Options{MaxBytes: 64 << 10, SegmentBytes: 512})
	defer q.Close()
	var all []uint64
	for i := range 100 {
		all = append(all, mustAppend(t, q, payload(i), false))
	}
	// Ack from the newest down: nothing sealed is freed until its oldest
	// record is acked.
	for i := len(all) - 1; i >= 0; i-- {
		if err := q.Ack(all[i]); err != nil {
			t.Fatal(err)
		}
		st := q.Stats()
		if disk := dirBytes(t, dir); st.Bytes != disk {
			t.Fatalf("after ack %d: Stats.Bytes %d, files %d", all[i], st.Bytes, disk)
		}
	}
	st := q.Stats()
	if st.Depth != 0 || st.Bytes > 512 {
		t.Errorf("after acking all: depth %d, bytes %d (want 0, at most one segment)", st.Depth, st.Bytes)
	}
	if !st.Oldest.IsZero() {
		t.Errorf("Oldest %v on an empty queue", st.Oldest)
	}
}

// dirBytes is the total size of the segment files in dir.
func dirBytes(t testing.TB, dir string) int64 {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, s := range segs {
		fi, err := os.Stat(s)
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

func TestNotify(t *testing.T) {
	q := open(t, t.TempDir(), Options{})
	defer q.Close()
	select {
	case <-q.Notify():
		t.Fatal("notified before any Append")
	default:
	}
	mustAppend(t, q, payload(1), false)
	mustAppend(t, q, payload(2), false) // must not block on the full channel
	select {
	case <-q.Notify():
	default:
		t.Fatal("no notification after Append")
	}
	select {
	case <-q.Notify():
		t.Fatal("two notifications queued; capacity should be 1")
	default:
	}
}

func TestOldest(t *testing.T) {
	q := open(t, t.TempDir(), Options{})
	defer q.Close()
	before := time.Now()
	mustAppend(t, q, payload(1), false)
	time.Sleep(2 * time.Millisecond)
	mid := time.Now()
	mustAppend(t, q, payload(2), false)
	if o := q.Stats().Oldest; o.Before(before) || o.After(mid) {
		t.Errorf("Oldest %v, want between %v and %v", o, before, mid)
	}
	q.Ack(1)
	if o := q.Stats().Oldest; o.Before(mid) {
		t.Errorf("Oldest %v after acking the first, want after %v", o, mid)
	}
}

// TestConcurrent has an appender and a publisher-like reader/acker racing;
// run with -race. Every record appended must be delivered exactly once and
// in order, with its own data.
func TestConcurrent(t *testing.T) {
	q := open(t, t.TempDir(), Options{MaxBytes: 1 << 20, SegmentBytes: 4096})
	defer q.Close()
	const n = 2000
	var wg sync.WaitGroup
	wg.Add(2)
	appended := make(map[uint64]int, n)
	var amu sync.Mutex
	go func() {
		defer wg.Done()
		for i := range n {
			seq, err := q.Append(payload(i), false)
			if err != nil {
				t.Error(err)
				return
			}
			amu.Lock()
			appended[seq] = i
			amu.Unlock()
		}
	}()
	var got []uint64
	go func() {
		defer wg.Done()
		var after uint64
		var buf []Record
		deadline := time.After(30 * time.Second)
		for len(got) < n {
			var err error
			buf, err = q.Pending(buf[:0], after, 64)
			if err != nil {
				t.Error(err)
				return
			}
			if len(buf) == 0 {
				select {
				case <-q.Notify():
				case <-time.After(10 * time.Millisecond):
				case <-deadline:
					t.Error("timed out waiting for records")
					return
				}
				continue
			}
			// Ack in reverse, as a broker may.
			for i := len(buf) - 1; i >= 0; i-- {
				if err := q.Ack(buf[i].Seq); err != nil {
					t.Error(err)
					return
				}
			}
			for _, r := range buf {
				amu.Lock()
				i, ok := appended[r.Seq]
				amu.Unlock()
				if ok && !bytes.Equal(r.Data, payload(i)) {
					t.Errorf("record %d: data %q, want %q", r.Seq, r.Data, payload(i))
				}
				got = append(got, r.Seq)
			}
			after = buf[len(buf)-1].Seq
			_ = q.Stats()
		}
	}()
	wg.Wait()
	if len(got) != n {
		t.Fatalf("delivered %d records, want %d", len(got), n)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Fatalf("delivery out of order at %d: %d after %d", i, got[i], got[i-1])
		}
	}
	if st := q.Stats(); st.Depth != 0 || st.Dropped != 0 {
		t.Errorf("after delivering all: %+v", st)
	}
}
