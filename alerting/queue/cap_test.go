package queue

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
)

// record is what a cap test appended.
type record struct {
	seq       uint64
	droppable bool
}

// capOpt: 8 segments of 8 frames of 126 bytes (100 bytes of data).
var capOpt = Options{MaxBytes: 8192, SegmentBytes: 1024}

func fixed(i int) []byte {
	b := bytes.Repeat([]byte{'.'}, 100)
	copy(b, fmt.Sprint(i))
	return b
}

// TestCapPolicy checks the size cap: the files never exceed MaxBytes,
// droppable records go first and oldest first, then the oldest of any; the
// newest record is always kept; every drop is counted.
func TestCapPolicy(t *testing.T) {
	tests := []struct {
		name string
		// droppable says whether the i-th record (from 0) is droppable.
		droppable func(i int) bool
		n         int
	}{
		{"none droppable", func(int) bool { return false }, 300},
		{"all droppable", func(int) bool { return true }, 300},
		{"every other droppable", func(i int) bool { return i%2 == 1 }, 300},
		{"updates then raised", func(i int) bool { return i < 60 }, 200},
		{"raised then updates", func(i int) bool { return i >= 30 }, 300},
		{"sparse updates", func(i int) bool { return i%9 == 4 }, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			q := open(t, dir, capOpt)
			t.Cleanup(func() { q.Close() })
			var recs []record
			var kept map[uint64]bool
			for i := range tc.n {
				d := tc.droppable(i)
				seq := mustAppend(t, q, fixed(i), d)
				recs = append(recs, record{seq, d})
				st := q.Stats()
				if st.Bytes > capOpt.MaxBytes {
					t.Fatalf("after %d appends: %d bytes, cap %d", i+1, st.Bytes, capOpt.MaxBytes)
				}
				if disk := dirBytes(t, dir); disk != st.Bytes {
					t.Fatalf("after %d appends: Stats.Bytes %d, files hold %d", i+1, st.Bytes, disk)
				}
				if int64(st.Depth)+st.Dropped != int64(i+1) {
					t.Fatalf("after %d appends: depth %d + dropped %d ≠ appended", i+1, st.Depth, st.Dropped)
				}
				kept = checkPolicy(t, q, recs, kept)
			}
			if q.Stats().Dropped == 0 {
				t.Fatalf("%d records of 126 bytes under a %d-byte cap and nothing dropped", tc.n, capOpt.MaxBytes)
			}
			// Reopening keeps exactly what survived.
			before := seqs(all(t, q))
			q.Close()
			q = open(t, dir, capOpt)
			if after := seqs(all(t, q)); !slices.Equal(before, after) {
				t.Errorf("reopen changed the records: %v → %v", before, after)
			}
		})
	}
}

// checkPolicy checks what survived the cap after the last of recs was
// appended, given what was kept before: the newest record is kept; a
// droppable record is dropped only if every older droppable was; an Append
// drops a non-droppable record only once it has dropped every droppable one
// older than itself; the survivors' data is intact. It returns what is kept.
func checkPolicy(t *testing.T, q *Queue, recs []record, prev map[uint64]bool) map[uint64]bool {
	t.Helper()
	got := all(t, q)
	kept := make(map[uint64]bool, len(got))
	for _, r := range got {
		kept[r.Seq] = true
		if !bytes.Equal(r.Data, fixed(int(r.Seq-1))) {
			t.Fatalf("record %d: data %q", r.Seq, r.Data)
		}
	}
	last := recs[len(recs)-1]
	if !kept[last.seq] {
		t.Fatalf("newest record %d dropped", last.seq)
	}
	var lastDroppedUpdate uint64
	firstKeptUpdate := ^uint64(0)
	raisedDropped := false // by this Append
	for _, r := range recs[:len(recs)-1] {
		switch {
		case !kept[r.seq] && r.droppable:
			lastDroppedUpdate = r.seq
		case !kept[r.seq] && prev[r.seq]:
			raisedDropped = true
		case kept[r.seq] && r.droppable && firstKeptUpdate == ^uint64(0):
			firstKeptUpdate = r.seq
		}
	}
	if lastDroppedUpdate > firstKeptUpdate {
		t.Fatalf("droppable %d dropped while the older droppable %d was kept", lastDroppedUpdate, firstKeptUpdate)
	}
	if raisedDropped && firstKeptUpdate != ^uint64(0) {
		t.Fatalf("append %d dropped a non-droppable record while keeping the droppable %d", last.seq, firstKeptUpdate)
	}
	// Non-droppable records go oldest first.
	seenKeptRaised := false
	for _, r := range recs {
		if r.droppable {
			continue
		}
		if kept[r.seq] {
			seenKeptRaised = true
		} else if seenKeptRaised {
			t.Fatalf("non-droppable %d dropped after an older one was kept", r.seq)
		}
	}
	// Over-dropping is bounded: at worst the queue holds what fits in the
	// cap less two segments (the active one and the one just dropped).
	if st := q.Stats(); st.Bytes+2*capOpt.SegmentBytes < capOpt.MaxBytes && st.Dropped > 0 {
		t.Fatalf("dropped %d records but holds only %d bytes of a %d cap", st.Dropped, st.Bytes, capOpt.MaxBytes)
	}
	return kept
}

// TestCapReclaimsAckedFirst checks that space held by acknowledged records
// is reclaimed before anything is dropped, also when the acks leave holes.
func TestCapReclaimsAckedFirst(t *testing.T) {
	dir := t.TempDir()
	q := open(t, dir, capOpt)
	defer q.Close()
	var n int
	for ; q.Stats().Bytes+2*126 <= capOpt.MaxBytes; n++ {
		mustAppend(t, q, fixed(n), false)
	}
	// Ack every other record: no segment is fully acked, each half dead.
	for s := uint64(1); s <= uint64(n); s += 2 {
		if err := q.Ack(s); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n / 3 {
		mustAppend(t, q, fixed(n+i), false)
	}
	st := q.Stats()
	if st.Dropped != 0 {
		t.Errorf("dropped %d records while half the queue was acknowledged", st.Dropped)
	}
	if st.Bytes > capOpt.MaxBytes || dirBytes(t, dir) != st.Bytes {
		t.Errorf("bytes %d (files %d), cap %d", st.Bytes, dirBytes(t, dir), capOpt.MaxBytes)
	}
	for _, r := range all(t, q) {
		if r.Seq <= uint64(n) && r.Seq%2 == 1 {
			t.Errorf("acknowledged record %d pending again after compaction", r.Seq)
		}
		if !bytes.Equal(r.Data, fixed(int(r.Seq-1))) {
			t.Errorf("record %d: data %q after compaction", r.Seq, r.Data)
		}
	}
}
