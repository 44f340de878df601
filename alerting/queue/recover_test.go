package queue

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// segFiles lists the segment files of dir, oldest first.
func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(segs)
	return segs
}

// lastFrame returns the byte range of the last frame of a segment file.
func lastFrame(t testing.TB, path string) (start, end int64) {
	t.Helper()
	buf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	end, err = scanFrames(buf, 0, func(f frame) { start = f.off })
	if err != nil || end != int64(len(buf)) {
		t.Fatalf("%s does not scan cleanly: end %d of %d: %v", path, end, len(buf), err)
	}
	return start, end
}

// copyDir copies the regular files of src into a new temporary directory.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	des, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(src, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, de.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// damage describes what is done to the last frame of a segment.
type damage struct {
	name     string
	keepLast bool                                        // the last record itself is intact
	do       func(buf []byte, start, end int64) [][]byte // damaged versions of the file
}

var damages = []damage{
	{"truncated at every offset", false, func(buf []byte, start, end int64) [][]byte {
		var out [][]byte
		for cut := start; cut < end; cut++ {
			out = append(out, slices.Clone(buf[:cut]))
		}
		return out
	}},
	{"every byte flipped", false, func(buf []byte, start, end int64) [][]byte {
		var out [][]byte
		for i := start; i < end; i++ {
			b := slices.Clone(buf)
			b[i] ^= 0xFF
			out = append(out, b)
		}
		return out
	}},
	{"zeros after the end", true, func(buf []byte, start, end int64) [][]byte {
		// A file system that extended the file but never wrote it.
		return [][]byte{append(slices.Clone(buf), make([]byte, 4096)...)}
	}},
	{"zeros over the last frame", false, func(buf []byte, start, end int64) [][]byte {
		b := slices.Clone(buf)
		clear(b[start:])
		return [][]byte{b}
	}},
}

// TestTornTail damages the last record of the newest segment in every way
// listed and checks that Open recovers every record before it, says how
// many bytes it cut, and that the queue then works and survives a reopen.
func TestTornTail(t *testing.T) {
	src := t.TempDir()
	q := open(t, src, Options{MaxBytes: 8192, SegmentBytes: 1024})
	var want []uint64
	for i := range 30 { // several segments: the torn one is not the only one
		want = append(want, mustAppend(t, q, payload(i+1), false))
	}
	q.Close()
	segs := segFiles(t, src)
	if len(segs) < 2 {
		t.Fatalf("want at least 2 segments, have %v", segs)
	}
	newest := filepath.Base(segs[len(segs)-1])
	start, end := lastFrame(t, segs[len(segs)-1])
	intact, err := os.ReadFile(segs[len(segs)-1])
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			want, goodEnd := want[:len(want)-1], start
			if d.keepLast {
				want, goodEnd = want[:len(want)+1], end
			}
			for _, bad := range d.do(intact, start, end) {
				dir := copyDir(t, src)
				if err := os.WriteFile(filepath.Join(dir, newest), bad, 0o600); err != nil {
					t.Fatal(err)
				}
				q := open(t, dir, Options{MaxBytes: 8192, SegmentBytes: 1024})
				got := all(t, q)
				if !slices.Equal(seqs(got), want) {
					q.Close()
					t.Fatalf("file of %d bytes: recovered %v, want %v", len(bad), seqs(got), want)
				}
				for _, r := range got {
					if !bytes.Equal(r.Data, payload(int(r.Seq))) {
						t.Fatalf("record %d: data %q", r.Seq, r.Data)
					}
				}
				st := q.Stats()
				if cut := int64(len(bad)) - goodEnd; st.Truncated != cut {
					t.Errorf("file of %d bytes: Stats.Truncated %d, want %d", len(bad), st.Truncated, cut)
				}
				seq := mustAppend(t, q, payload(99), false)
				if seq <= want[len(want)-1] {
					t.Errorf("append after recovery got seq %d, want > %d", seq, want[len(want)-1])
				}
				q.Close()
				q = open(t, dir, Options{MaxBytes: 8192, SegmentBytes: 1024})
				if got := seqs(all(t, q)); !slices.Equal(got, append(slices.Clone(want), seq)) {
					t.Errorf("after reopen: %v, want %v then %d", got, want, seq)
				}
				if st := q.Stats(); st.Truncated != 0 {
					t.Errorf("second reopen truncated %d more bytes", st.Truncated)
				}
				q.Close()
			}
		})
	}
}

// TestCorruptSealedSegment damages a record in the middle of an older
// segment: the records before it are kept, the bad bytes copied aside,
// and the later segments are untouched.
func TestCorruptSealedSegment(t *testing.T) {
	dir := t.TempDir()
	q := open(t, dir, Options{MaxBytes: 8192, SegmentBytes: 1024})
	for i := range 30 {
		mustAppend(t, q, payload(i+1), false)
	}
	before := all(t, q)
	q.Close()
	segs := segFiles(t, dir)
	first := segs[0]
	buf, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	var frames []frame
	scanFrames(buf, 0, func(f frame) { frames = append(frames, f) })
	bad := frames[2]
	buf[bad.off+headerSize] ^= 0x01 // one bit of data
	if err := os.WriteFile(first, buf, 0o600); err != nil {
		t.Fatal(err)
	}

	q = open(t, dir, Options{MaxBytes: 8192, SegmentBytes: 1024})
	defer q.Close()
	var want []uint64
	for _, r := range before {
		if r.Seq < bad.seq || r.Seq > frames[len(frames)-1].seq {
			want = append(want, r.Seq)
		}
	}
	if got := seqs(all(t, q)); !slices.Equal(got, want) {
		t.Errorf("recovered %v, want %v", got, want)
	}
	st := q.Stats()
	if st.SetAside != 1 || st.Truncated != int64(len(buf))-bad.off {
		t.Errorf("SetAside %d, Truncated %d; want 1, %d", st.SetAside, st.Truncated, int64(len(buf))-bad.off)
	}
	aside, err := os.ReadFile(first + "." + strconv.FormatInt(bad.off, 10) + ".bad")
	if err != nil {
		t.Fatalf("bad bytes not copied aside: %v", err)
	}
	if !bytes.Equal(aside, buf[bad.off:]) {
		t.Errorf("aside file holds %d bytes, want the %d from the bad frame on", len(aside), len(buf)-int(bad.off))
	}
}

// TestUnreadableSegment: something with a segment's name that cannot be
// read (here a directory) is renamed aside; the other segments load.
func TestUnreadableSegment(t *testing.T) {
	for _, tc := range []struct {
		name string
		base string // name of the unreadable entry
	}{
		{"oldest", "0000000000000000.seg"},
		{"newest", "00000000000000ff.seg"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			q := open(t, dir, Options{MaxBytes: 8192, SegmentBytes: 1024})
			for i := range 20 {
				mustAppend(t, q, payload(i+1), false)
			}
			before := seqs(all(t, q))
			q.Close()
			if err := os.Mkdir(filepath.Join(dir, tc.base), 0o700); err != nil {
				t.Fatal(err)
			}
			q = open(t, dir, Options{MaxBytes: 8192, SegmentBytes: 1024})
			defer q.Close()
			if got := seqs(all(t, q)); !slices.Equal(got, before) {
				t.Errorf("records %v, want %v", got, before)
			}
			if st := q.Stats(); st.SetAside != 1 {
				t.Errorf("SetAside %d, want 1", st.SetAside)
			}
			if fi, err := os.Stat(filepath.Join(dir, tc.base+".bad")); err != nil || !fi.IsDir() {
				t.Errorf("%s not renamed aside: %v", tc.base, err)
			}
			seq := mustAppend(t, q, payload(0), false)
			if seq <= before[len(before)-1] {
				t.Errorf("seq %d after recovery, want > %d", seq, before[len(before)-1])
			}
		})
	}
}

// TestLeftoverTemp: a compaction that crashed before its rename leaves a
// .tmp file; Open removes it and keeps the original segment.
func TestLeftoverTemp(t *testing.T) {
	dir := t.TempDir()
	q := open(t, dir, Options{})
	mustAppend(t, q, payload(1), false)
	q.Close()
	seg := segFiles(t, dir)[0]
	if err := os.WriteFile(seg+".tmp", []byte("half a rewrite"), 0o600); err != nil {
		t.Fatal(err)
	}
	q = open(t, dir, Options{})
	defer q.Close()
	if got := seqs(all(t, q)); !slices.Equal(got, []uint64{1}) {
		t.Errorf("records %v, want [1]", got)
	}
	if _, err := os.Stat(seg + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file still there: %v", err)
	}
}
