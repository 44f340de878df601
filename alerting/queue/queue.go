package queue

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultMaxBytes is the size cap used when Options.MaxBytes is 0.
const DefaultMaxBytes = 64 << 20

// Segment size bounds for the default Options.SegmentBytes (MaxBytes/16).
const (
	minSegmentBytes = 4 << 10
	maxSegmentBytes = 4 << 20
)

// Errors callers can branch on with errors.Is.
var (
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("queue closed")
	// ErrTooLarge is returned by Append for data longer than
	// Options.SegmentBytes minus the 26-byte frame header.
	ErrTooLarge = errors.New("record larger than a segment")
	// ErrLocked is returned by Open when another Queue (in this process or
	// another) holds the directory.
	ErrLocked = errors.New("queue directory in use")
	// ErrUnknownSeq is returned by Ack for a sequence number the queue never
	// handed out.
	ErrUnknownSeq = errors.New("sequence number never issued")
)

// Options configure a Queue. Zero fields take their defaults.
type Options struct {
	// MaxBytes caps the total size of the segment files, bytes (default
	// DefaultMaxBytes, 64 MiB). See the package documentation for what is
	// dropped when it is reached.
	MaxBytes int64
	// SegmentBytes is the size at which a segment is sealed and a new one
	// started, and so the unit in which space is reclaimed and, when the cap
	// is reached, records dropped (default MaxBytes/16, within 4 KiB..4 MiB;
	// at most MaxBytes/2). A record's data may be at most SegmentBytes-26
	// bytes.
	SegmentBytes int64
	// NoSync skips fsync, for tests and benchmarks only: a machine crash
	// may then lose records Append returned.
	NoSync bool
	// Log receives recovery and drop reports (default: discarded).
	Log *slog.Logger
}

// Record is one queued record. Data is a slice the caller owns.
type Record struct {
	Seq  uint64
	Data []byte
}

// Stats is the queue's state, for the health message and metrics.
type Stats struct {
	Depth   int       // records not yet acknowledged
	Bytes   int64     // size of the segment files
	Dropped int64     // records discarded by the size cap since Open
	Oldest  time.Time // Append time of the oldest unacknowledged record; zero when empty
	// Truncated is the number of bytes cut from torn or corrupt segment
	// tails at Open.
	Truncated int64
	// SetAside counts files moved or copied aside as unreadable or corrupt
	// at Open.
	SetAside int
	// Corrupt counts records that failed their CRC when read back after
	// Open (media corruption); they are removed from the queue.
	Corrupt int64
}

// entry indexes one record of a segment (32 bytes).
type entry struct {
	seq       uint64
	off       int64 // byte offset of the frame in its segment
	time      int64 // Append time, Unix ns
	n         int32 // data length
	droppable bool
	dead      bool // acknowledged (a dropped record leaves the index)
}

func (e *entry) size() int64 { return headerSize + int64(e.n) }

// segment is one segment file and the index of its records.
type segment struct {
	base      uint64 // every record has seq ≥ base, and < the next segment's base
	name      string // file name in the queue directory
	f         *os.File
	size      int64 // bytes of valid frames; appends go here
	entries   []entry
	live      int   // entries not dead
	liveBytes int64 // frame bytes of live entries
	liveDrop  int   // live droppable entries
}

func segName(base uint64) string { return fmt.Sprintf("%016x.seg", base) }

// parseSegName returns the base of a segment file name, or false.
func parseSegName(name string) (uint64, bool) {
	hex, ok := strings.CutSuffix(name, ".seg")
	if !ok || len(hex) != 16 {
		return 0, false
	}
	base, err := strconv.ParseUint(hex, 16, 64)
	return base, err == nil
}

// Queue is a durable FIFO of records on disk. It is safe for concurrent use.
type Queue struct {
	mu     sync.Mutex
	dir    string
	opt    Options
	log    *slog.Logger
	lock   *os.File
	segs   []*segment // by base; the last is the active segment
	next   uint64     // sequence number of the next Append
	bytes  int64      // sum of segment sizes
	live   int
	stats  Stats // Dropped, Truncated, SetAside, Corrupt
	notify chan struct{}
	wbuf   []byte // frame encode buffer, reused
	ack    [1]byte
	closed bool
}

// Open opens the queue in dir, creating the directory if needed, and
// recovers what the last process left: torn tails are truncated and corrupt
// or unreadable segments set aside (logged and counted in Stats), never
// failing the Open. It fails only for bad options, a directory it cannot
// create or list, a directory another Queue holds (ErrLocked), or when it
// cannot create the first segment.
func Open(dir string, opt Options) (*Queue, error) {
	if opt.MaxBytes == 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	if opt.SegmentBytes == 0 {
		opt.SegmentBytes = min(max(opt.MaxBytes/16, minSegmentBytes), maxSegmentBytes)
	}
	if opt.SegmentBytes <= headerSize || opt.SegmentBytes > maxFrameData {
		return nil, fmt.Errorf("queue %s: SegmentBytes %d must be within %d..%d", dir, opt.SegmentBytes, headerSize+1, maxFrameData)
	}
	if opt.MaxBytes < 2*opt.SegmentBytes {
		return nil, fmt.Errorf("queue %s: MaxBytes %d must be at least twice SegmentBytes (%d)", dir, opt.MaxBytes, opt.SegmentBytes)
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("queue %s: %w", dir, err)
	}
	q := &Queue{
		dir:    dir,
		opt:    opt,
		log:    opt.Log.With("queue", dir),
		lock:   lock,
		next:   1,
		notify: make(chan struct{}, 1),
	}
	if err := q.recover(); err != nil {
		q.closeFiles()
		return nil, err
	}
	return q, nil
}

// recover loads the segments found in the directory.
func (q *Queue) recover() error {
	des, err := os.ReadDir(q.dir)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	var bases []uint64
	for _, de := range des {
		name := de.Name()
		if strings.HasSuffix(name, ".tmp") {
			// A rewrite that did not reach its rename: the segment it
			// was replacing is still there.
			if err := os.Remove(filepath.Join(q.dir, name)); err != nil {
				q.log.Warn("queue: cannot remove leftover temporary file", "file", name, "err", err)
			}
			continue
		}
		// Anything else with a segment's name (a directory, a dangling
		// link) fails in loadSegment and is set aside, not skipped silently.
		if base, ok := parseSegName(name); ok {
			bases = append(bases, base)
		}
	}
	sort.Slice(bases, func(i, j int) bool { return bases[i] < bases[j] })
	minSeq := uint64(1)
	newestLoaded := false
	for i, base := range bases {
		q.next = max(q.next, base)
		s := q.loadSegment(base, max(base, minSeq), i == len(bases)-1)
		if s == nil {
			// Its records are unknown but numbered from base on: keep
			// new numbers clear of it.
			q.next = max(q.next, base+1)
			continue
		}
		newestLoaded = i == len(bases)-1
		if k := len(s.entries); k > 0 {
			minSeq = s.entries[k-1].seq + 1
			q.next = max(q.next, minSeq)
		}
		q.segs = append(q.segs, s)
		q.bytes += s.size
		q.live += s.live
	}
	// Segments with nothing left to send go, except the newest, whose name
	// keeps the sequence counter.
	for i := 0; i < len(q.segs)-1; i++ {
		if q.segs[i].live == 0 {
			q.removeSeg(i)
			i--
		}
	}
	if !newestLoaded {
		// No segment, or the newest was set aside: start a new one.
		return q.rotate()
	}
	return nil
}

// loadSegment opens and scans one segment, repairing it as the package
// documentation describes; nil when the file could not be used at all.
func (q *Queue) loadSegment(base, minSeq uint64, newest bool) *segment {
	name := segName(base)
	path := filepath.Join(q.dir, name)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	var buf []byte
	if err == nil {
		buf, err = io.ReadAll(f)
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		q.setAside(name, err)
		return nil
	}
	s := &segment{base: base, name: name, f: f}
	end, serr := scanFrames(buf, minSeq, func(fr frame) {
		s.entries = append(s.entries, entry{seq: fr.seq, off: fr.off, time: fr.time, n: int32(fr.n), droppable: fr.droppable, dead: fr.acked})
		if !fr.acked {
			s.live++
			s.liveBytes += fr.size()
			if fr.droppable {
				s.liveDrop++
			}
		}
	})
	s.size = end
	if serr == nil {
		return s
	}
	cut := int64(len(buf)) - end
	q.stats.Truncated += cut
	if newest {
		// The torn tail of an Append that never returned.
		q.log.Warn("queue: cutting torn tail of newest segment", "file", path, "offset", end, "bytes", cut, "err", serr)
	} else {
		// Sealed segments are only ever rewritten whole: a bad frame
		// here is media corruption. Keep the bytes for a post-mortem.
		aside := fmt.Sprintf("%s.%d.bad", name, end)
		if err := os.WriteFile(filepath.Join(q.dir, aside), buf[end:], 0o640); err != nil {
			q.log.Error("queue: cannot copy corrupt bytes aside", "file", path, "offset", end, "err", err)
		} else {
			q.stats.SetAside++
		}
		q.log.Error("queue: corrupt segment, records from the bad frame on are lost", "file", path, "offset", end, "bytes", cut, "aside", aside, "err", serr)
	}
	if err := f.Truncate(end); err != nil {
		q.log.Error("queue: cannot truncate segment; the next append overwrites the bad bytes", "file", path, "offset", end, "err", err)
	} else if err := q.sync(f); err != nil {
		q.log.Error("queue: cannot sync truncated segment", "file", path, "err", err)
	}
	return s
}

// setAside renames an unreadable segment to NAME.bad so that the queue
// starts without it and a technician can look at it.
func (q *Queue) setAside(name string, cause error) {
	path := filepath.Join(q.dir, name)
	if err := os.Rename(path, path+".bad"); err != nil {
		q.log.Error("queue: unreadable segment ignored, and it cannot be renamed aside", "file", path, "err", cause, "rename_err", err)
		return
	}
	q.stats.SetAside++
	q.log.Error("queue: unreadable segment set aside; its records are lost", "file", path, "aside", name+".bad", "err", cause)
}

func (q *Queue) active() *segment { return q.segs[len(q.segs)-1] }

// Append stores data durably (written and fsync'ed, with the directory
// fsync'ed when a file is created) before returning its sequence number
// (strictly increasing, also across reopen). droppable marks records the
// size cap may discard first (alert "updated" events, superseded by the next
// one). When the queue is full it drops old records to make room (see the
// package documentation); it never refuses a record for lack of room.
func (q *Queue) Append(data []byte, droppable bool) (uint64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 0, ErrClosed
	}
	fl := headerSize + int64(len(data))
	if fl > q.opt.SegmentBytes {
		return 0, fmt.Errorf("queue: appending %d bytes: %w (at most %d)", len(data), ErrTooLarge, q.opt.SegmentBytes-headerSize)
	}
	if err := q.makeRoom(fl); err != nil {
		return 0, err
	}
	if a := q.active(); a.size > 0 && a.size+fl > q.opt.SegmentBytes {
		if err := q.rotate(); err != nil {
			return 0, err
		}
	}
	a := q.active()
	seq := q.next
	// Consumed even if the write fails: a frame that reached the disk
	// anyway must not share its number with the next one.
	q.next++
	now := time.Now().UnixNano()
	q.wbuf = appendFrame(q.wbuf[:0], seq, now, droppable, data)
	_, err := a.f.WriteAt(q.wbuf, a.size)
	if err == nil {
		err = q.sync(a.f)
	}
	if err != nil {
		// Best effort: cut what was written so the next frame goes where
		// this one started; if the cut fails the next WriteAt overwrites.
		_ = a.f.Truncate(a.size)
		return 0, fmt.Errorf("queue: appending to %s at byte offset %d: %w", a.name, a.size, err)
	}
	a.entries = append(a.entries, entry{seq: seq, off: a.size, time: now, n: int32(len(data)), droppable: droppable})
	a.size += fl
	a.live++
	a.liveBytes += fl
	if droppable {
		a.liveDrop++
	}
	q.bytes += fl
	q.live++
	select {
	case q.notify <- struct{}{}:
	default:
	}
	return seq, nil
}

// makeRoom frees space until a frame of fl bytes fits under MaxBytes, by the
// policy in the package documentation. Every step either frees bytes, removes
// a segment, or seals an active segment holding droppable records (which the
// next step then drops), so it terminates; with only an empty active segment
// left the frame fits, since SegmentBytes ≤ MaxBytes/2.
func (q *Queue) makeRoom(fl int64) error {
	for q.bytes+fl > q.opt.MaxBytes {
		if q.reclaim() {
			continue
		}
		if i := q.oldestDroppable(); i >= 0 {
			q.dropDroppable(i)
			continue
		}
		a := q.active()
		if a.liveDrop > 0 || (len(q.segs) == 1 && a.size > 0) {
			// Seal the active segment so the next round can drop from it.
			if err := q.rotate(); err != nil {
				return err
			}
			continue
		}
		if len(q.segs) > 1 {
			s := q.segs[0]
			q.stats.Dropped += int64(s.live)
			q.log.Warn("queue: full, dropping oldest segment", "file", s.name, "records", s.live, "bytes", s.size)
			q.removeSeg(0)
			continue
		}
		break
	}
	return nil
}

// reclaim deletes sealed segments with nothing left to send and rewrites
// sealed segments that are at least half dead. It reports whether it freed
// anything.
func (q *Queue) reclaim() bool {
	freed := false
	for i := 0; i < len(q.segs)-1; i++ {
		s := q.segs[i]
		if s.live == 0 {
			q.removeSeg(i)
			i--
			freed = true
			continue
		}
		if dead := s.size - s.liveBytes; dead > 0 && 2*dead >= s.size {
			before := q.bytes
			if err := q.rewrite(s, false); err != nil {
				q.log.Error("queue: cannot compact segment", "file", s.name, "err", err)
				continue
			}
			freed = freed || q.bytes < before
		}
	}
	return freed
}

// oldestDroppable returns the index of the oldest sealed segment holding
// live droppable records, or -1.
func (q *Queue) oldestDroppable() int {
	for i, s := range q.segs[:len(q.segs)-1] {
		if s.liveDrop > 0 {
			return i
		}
	}
	return -1
}

// dropDroppable drops the live droppable records of sealed segment i by
// rewriting it without them; if the rewrite fails (a full disk), the whole
// segment goes, since deleting needs no space.
func (q *Queue) dropDroppable(i int) {
	s := q.segs[i]
	n := s.liveDrop
	live := s.live
	if err := q.rewrite(s, true); err != nil {
		q.log.Error("queue: full and cannot rewrite segment, dropping it whole", "file", s.name, "records", live, "err", err)
		q.stats.Dropped += int64(live)
		q.removeSeg(i)
		return
	}
	q.stats.Dropped += int64(n)
	q.log.Warn("queue: full, dropped droppable records", "file", s.name, "records", n)
	if s.live == 0 {
		q.removeSeg(i)
	}
}

// rewrite replaces sealed segment s by a file holding only its live records,
// without the droppable ones if dropDroppable: temporary file, fsync,
// rename, directory fsync, so that a crash leaves the old or the new file.
// Records that fail their CRC on the way are counted as corrupt and left out.
func (q *Queue) rewrite(s *segment, dropDroppable bool) error {
	var out []byte
	var kept []entry
	var liveBytes int64
	liveDrop := 0
	for _, e := range s.entries {
		if e.dead || (dropDroppable && e.droppable) {
			continue
		}
		start := len(out)
		out = append(out, make([]byte, e.size())...)
		fr := out[start:]
		_, err := s.f.ReadAt(fr, e.off)
		if err == nil {
			err = checkFrame(fr, e.seq)
		}
		if err != nil {
			q.log.Error("queue: corrupt record left out of compaction", "file", s.name, "seq", e.seq, "offset", e.off, "err", err)
			q.stats.Corrupt++
			out = out[:start]
			continue
		}
		e.off = int64(start)
		kept = append(kept, e)
		liveBytes += e.size()
		if e.droppable {
			liveDrop++
		}
	}
	path := filepath.Join(q.dir, s.name)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("compacting %s: %w", s.name, err)
	}
	_, err = f.Write(out)
	if err == nil {
		err = q.sync(f)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("compacting %s: %w", s.name, err)
	}
	if err := q.syncDir(); err != nil {
		q.log.Error("queue: cannot sync directory after compaction", "err", err)
	}
	s.f.Close()
	s.f = f
	q.bytes += int64(len(out)) - s.size
	q.live -= s.live - len(kept)
	s.size = int64(len(out))
	s.entries = kept
	s.live = len(kept)
	s.liveBytes = liveBytes
	s.liveDrop = liveDrop
	return nil
}

// removeSeg deletes segment i and forgets its records.
func (q *Queue) removeSeg(i int) {
	s := q.segs[i]
	s.f.Close()
	path := filepath.Join(q.dir, s.name)
	if err := os.Remove(path); err != nil {
		q.log.Error("queue: cannot delete segment; its records may be sent again after a restart", "file", path, "err", err)
	} else if err := q.syncDir(); err != nil {
		q.log.Error("queue: cannot sync directory after delete", "err", err)
	}
	q.bytes -= s.size
	q.live -= s.live
	q.segs = append(q.segs[:i], q.segs[i+1:]...)
}

// rotate seals the active segment and starts a new one named by the next
// sequence number.
func (q *Queue) rotate() error {
	name := segName(q.next)
	path := filepath.Join(q.dir, name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("queue: starting segment: %w", err)
	}
	if err := q.syncDir(); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("queue: starting segment %s: %w", name, err)
	}
	q.segs = append(q.segs, &segment{base: q.next, name: name, f: f})
	return nil
}

func (q *Queue) sync(f *os.File) error {
	if q.opt.NoSync {
		return nil
	}
	return f.Sync()
}

// syncDir makes file creations, renames and deletions in the directory
// durable.
func (q *Queue) syncDir() error {
	if q.opt.NoSync {
		return nil
	}
	d, err := os.Open(q.dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("syncing directory %s: %w", q.dir, err)
	}
	return nil
}

// find returns the segment and entry index of seq, or nil.
func (q *Queue) find(seq uint64) (*segment, int) {
	i := sort.Search(len(q.segs), func(i int) bool { return q.segs[i].base > seq }) - 1
	if i < 0 {
		return nil, -1
	}
	s := q.segs[i]
	j := sort.Search(len(s.entries), func(j int) bool { return s.entries[j].seq >= seq })
	if j == len(s.entries) || s.entries[j].seq != seq {
		return nil, -1
	}
	return s, j
}

// Pending appends to dst up to max unacknowledged records with Seq > after,
// in Seq order, and returns the extended slice. Each Record's Data is newly
// allocated and belongs to the caller. A record whose bytes no longer pass
// their CRC is logged, counted in Stats.Corrupt and removed.
func (q *Queue) Pending(dst []Record, after uint64, max int) ([]Record, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return dst, ErrClosed
	}
	for _, s := range q.segs {
		if max <= 0 {
			break
		}
		if k := len(s.entries); k == 0 || s.entries[k-1].seq <= after {
			continue
		}
		j := sort.Search(len(s.entries), func(j int) bool { return s.entries[j].seq > after })
		for ; j < len(s.entries) && max > 0; j++ {
			e := &s.entries[j]
			if e.dead {
				continue
			}
			buf := make([]byte, e.size())
			_, err := s.f.ReadAt(buf, e.off)
			if err == nil {
				err = checkFrame(buf, e.seq)
			}
			if err != nil {
				q.log.Error("queue: record unreadable, removed", "file", s.name, "seq", e.seq, "offset", e.off, "err", err)
				q.stats.Corrupt++
				q.kill(s, e)
				continue
			}
			dst = append(dst, Record{Seq: e.seq, Data: buf[headerSize:]})
			max--
		}
	}
	return dst, nil
}

// kill marks a live entry dead and updates the counts.
func (q *Queue) kill(s *segment, e *entry) {
	e.dead = true
	s.live--
	s.liveBytes -= e.size()
	if e.droppable {
		s.liveDrop--
	}
	q.live--
}

// Ack marks one record delivered (the broker's PUBACK). Acks may arrive in
// any order; acking a record twice, or one the size cap dropped, is not an
// error. The mark is written in place without fsync: after a power loss a
// few records may be sent again. A segment is deleted as soon as all its
// records are acknowledged (except the newest segment, which is reused).
func (q *Queue) Ack(seq uint64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrClosed
	}
	if seq == 0 || seq >= q.next {
		return fmt.Errorf("queue: ack %d: %w (next is %d)", seq, ErrUnknownSeq, q.next)
	}
	s, j := q.find(seq)
	if s == nil || s.entries[j].dead {
		return nil
	}
	e := &s.entries[j]
	q.kill(s, e)
	q.ack[0] = ackDone
	_, err := s.f.WriteAt(q.ack[:], e.off+offAck)
	if s.live == 0 && s != q.active() {
		for i := range q.segs {
			if q.segs[i] == s {
				q.removeSeg(i)
				return nil
			}
		}
	}
	if err != nil {
		return fmt.Errorf("queue: marking ack of %d in %s at byte offset %d (it may be sent again after a restart): %w", seq, s.name, e.off+offAck, err)
	}
	return nil
}

// Notify returns a channel that receives (a non-blocking send, capacity 1)
// after each Append, so a publisher can wait for work without polling.
func (q *Queue) Notify() <-chan struct{} { return q.notify }

// Stats returns the queue's state.
func (q *Queue) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	st := q.stats
	st.Depth = q.live
	st.Bytes = q.bytes
	for _, s := range q.segs {
		if s.live == 0 {
			continue
		}
		for j := range s.entries {
			if !s.entries[j].dead {
				st.Oldest = time.Unix(0, s.entries[j].time)
				return st
			}
		}
	}
	return st
}

// Close closes the segment files and releases the directory. Records not yet
// acknowledged stay on disk for the next Open. Calling Close again does
// nothing.
func (q *Queue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return nil
	}
	q.closed = true
	return q.closeFiles()
}

func (q *Queue) closeFiles() error {
	var errs []error
	for _, s := range q.segs {
		if err := s.f.Close(); err != nil {
			errs = append(errs, fmt.Errorf("queue: closing %s: %w", s.name, err))
		}
	}
	q.segs = nil
	if q.lock != nil {
		if err := q.lock.Close(); err != nil {
			errs = append(errs, fmt.Errorf("queue: releasing lock: %w", err))
		}
		q.lock = nil
	}
	return errors.Join(errs...)
}
