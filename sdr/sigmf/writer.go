package sigmf

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// Writer records sdr.Blocks as a SigMF recording: samples go to
// PREFIX.sigmf-data as they come, the metadata to PREFIX.sigmf-meta at Sync
// and Close. It is not safe for concurrent use.
type Writer struct {
	f        *os.File
	metaPath string
	meta     Meta
	buf      []byte // encode buffer, fixed at Create
	count    int64  // samples written
	lost     int64  // samples lost so far (sum of Dropped)
	pending  int64  // Dropped of empty blocks, for the next capture
	center   float64
	next     time.Time // expected time of the next block's first sample; zero = unknown
	err      error     // sticky write error
	closed   bool
}

// writeChunk is the number of samples encoded per write: large enough for
// few syscalls, small enough that the buffer stays a fixed 512 KiB at most.
const writeChunk = 64 << 10

// Create starts a recording: it creates (or truncates) PREFIX.sigmf-data now
// and writes PREFIX.sigmf-meta at Close, atomically (temporary file and
// rename), so a reader never sees half a metadata file. A ".sigmf-meta",
// ".sigmf-data" or ".sigmf" suffix on prefix is dropped.
//
// m.Datatype is required. m.SampleRate may be 0, in which case the first
// block's rate is used; every block must have the recording's rate. The
// Writer builds the captures itself (m.Captures, m.Path, m.Dataset and
// m.TrailingBytes are ignored); the other fields, Extra and Annotations are
// written as given. With m.Offset > 0 sample indices are written absolute
// (Offset plus the data-file index), as SigMF specifies.
func Create(prefix string, m Meta) (*Writer, error) {
	for _, ext := range []string{".sigmf-meta", ".sigmf-data", ".sigmf"} {
		prefix = strings.TrimSuffix(prefix, ext)
	}
	bps := m.Datatype.BytesPerSample()
	if bps == 0 {
		return nil, fmt.Errorf("creating %s: %w: datatype %v (want cu8, ci8, ci16_le or cf32_le)", prefix, ErrUnsupported, m.Datatype)
	}
	if m.SampleRate < 0 || math.IsNaN(m.SampleRate) || math.IsInf(m.SampleRate, 0) {
		return nil, fmt.Errorf("creating %s: sample rate %v must be positive (or 0 to take the first block's)", prefix, m.SampleRate)
	}
	dataPath := prefix + ".sigmf-data"
	f, err := os.Create(dataPath)
	if err != nil {
		return nil, fmt.Errorf("creating SigMF recording: %w", err)
	}
	m.Path = dataPath
	m.Captures = nil
	m.Dataset = ""
	m.TrailingBytes = 0
	m.TruncatedBytes = 0
	return &Writer{
		f:        f,
		metaPath: prefix + ".sigmf-meta",
		meta:     m,
		buf:      make([]byte, writeChunk*bps),
	}, nil
}

// WriteBlock appends b's samples, encoded in the recording's datatype. It
// starts a new capture on the first block, when b.Center changes, when
// b.Dropped > 0 (the loss is recorded in core:global_index), and when b.Time
// is not within one sample period of where the previous block ended. A block
// with a zero Time continues the previous clock. It does not allocate except
// when it starts a capture.
func (w *Writer) WriteBlock(b *sdr.Block) error {
	if w.closed {
		return fmt.Errorf("%s: write: %w", w.meta.Path, os.ErrClosed)
	}
	if w.err != nil {
		return w.err
	}
	if b.Rate > 0 {
		if w.meta.SampleRate == 0 {
			w.meta.SampleRate = b.Rate
		} else if math.Abs(b.Rate-w.meta.SampleRate) > 1e-9*w.meta.SampleRate {
			return fmt.Errorf("%s: block %d has rate %g S/s, the recording %g S/s (a SigMF recording has one rate)", w.meta.Path, b.Seq, b.Rate, w.meta.SampleRate)
		}
	} else if w.meta.SampleRate == 0 {
		return fmt.Errorf("%s: block %d has no sample rate and the recording none either", w.meta.Path, b.Seq)
	}
	n := len(b.Samples)
	if n == 0 {
		w.pending += b.Dropped
		return nil
	}
	dropped := b.Dropped + w.pending
	if len(w.meta.Captures) == 0 || b.Center != w.center || dropped > 0 || !w.contiguous(b.Time) {
		w.lost += dropped
		w.pending = 0
		start := w.meta.Offset + w.count
		c := Capture{SampleStart: start, Frequency: b.Center, GlobalIndex: start + w.lost}
		switch {
		case !b.Time.IsZero():
			c.Datetime = b.Time.UTC()
		case !w.next.IsZero():
			// A zero-time block after a timed one: carry the clock over the
			// lost samples.
			c.Datetime = w.next.Add(sampleDuration(dropped, w.meta.SampleRate)).UTC()
		}
		w.meta.Captures = append(w.meta.Captures, c)
	}
	bps := w.meta.Datatype.BytesPerSample()
	for i := 0; i < n; i += writeChunk {
		k := min(n-i, writeChunk)
		nb := w.meta.Datatype.Encode(w.buf, b.Samples[i:i+k])
		if _, err := w.f.Write(w.buf[:nb]); err != nil {
			w.err = fmt.Errorf("writing samples at byte offset %d: %w", (w.count+int64(i))*int64(bps), err)
			w.count += int64(i) // what was written before the failing chunk
			return w.err
		}
	}
	w.count += int64(n)
	w.center = b.Center
	switch {
	case !b.Time.IsZero():
		w.next = b.Time.Add(sampleDuration(int64(n), w.meta.SampleRate))
	case !w.next.IsZero():
		w.next = w.next.Add(sampleDuration(int64(n), w.meta.SampleRate))
	}
	return nil
}

// contiguous reports whether a block stamped t follows the previous one
// without a gap: within one sample period (plus a nanosecond of rounding).
func (w *Writer) contiguous(t time.Time) bool {
	if t.IsZero() {
		return true
	}
	if w.next.IsZero() {
		return false // the first timed block: start a capture to record its datetime
	}
	d := t.Sub(w.next)
	if d < 0 {
		d = -d
	}
	return d <= time.Duration(1e9/w.meta.SampleRate)+1
}

// Meta returns the metadata as it would be written now, with capture
// lengths.
func (w *Writer) Meta() Meta {
	m := w.meta
	m.Captures = append([]Capture(nil), w.meta.Captures...)
	for i := range m.Captures {
		end := w.meta.Offset + w.count
		if i+1 < len(m.Captures) {
			end = m.Captures[i+1].SampleStart
		}
		m.Captures[i].Length = end - m.Captures[i].SampleStart
	}
	return m
}

// Sync makes what was written so far durable: it flushes the data file and
// writes the metadata describing it, so that a crash loses at most the
// samples after the last Sync. Recorders call it every few seconds.
func (w *Writer) Sync() error {
	if w.closed {
		return fmt.Errorf("%s: sync: %w", w.meta.Path, os.ErrClosed)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", w.meta.Path, err)
	}
	return w.writeMeta()
}

// Close flushes and closes the data file and writes the metadata. After a
// write error it still writes metadata for the samples written before it,
// and returns that error.
func (w *Writer) Close() error {
	if w.closed {
		return fmt.Errorf("%s: close: %w", w.meta.Path, os.ErrClosed)
	}
	w.closed = true
	errs := []error{w.err}
	if err := w.f.Sync(); err != nil {
		errs = append(errs, fmt.Errorf("syncing %s: %w", w.meta.Path, err))
	}
	if err := w.f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("closing %s: %w", w.meta.Path, err))
	}
	errs = append(errs, w.writeMeta())
	return errors.Join(errs...)
}

// writeMeta writes the metadata to a temporary file in the same directory
// and renames it over PREFIX.sigmf-meta: rename is atomic on POSIX file
// systems, so readers see the old or the new metadata, never a mix.
func (w *Writer) writeMeta() error {
	m := w.Meta()
	if m.SampleRate == 0 {
		return fmt.Errorf("%s: no sample rate: no block was written and Meta.SampleRate was 0", w.metaPath)
	}
	data, err := EncodeMeta(m)
	if err != nil {
		return fmt.Errorf("%s: %w", w.metaPath, err)
	}
	dir, base := filepath.Split(w.metaPath)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing SigMF metadata: %w", err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// CreateTemp makes the file 0600; metadata is no more secret than
		// the data file beside it.
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), w.metaPath)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", w.metaPath, err)
	}
	return nil
}
