package sigmf

import (
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// Reader streams the samples of a recording as sdr.Blocks. It is not safe
// for concurrent use.
type Reader struct {
	f        *os.File
	dataPath string
	metaPath string // "" for raw files
	meta     Meta
	format   sdr.Format
	bps      int64
	rate     float64
	segs     []segment
	n        int64 // samples in the data file
	pos      int64 // next sample to deliver (data-file index)
	seg      int   // segment holding pos
	seq      uint64
	dropNext int64  // Dropped for the next block
	buf      []byte // read buffer, fixed at Open
	trunc    error
}

// segment is a capture resolved against the data file.
type segment struct {
	start, end int64 // data-file sample indices [start, end)
	byteStart  int64 // file offset of sample start
	freq       float64
	t0         time.Time // time of sample start
	dropped    int64     // samples lost just before start
}

// readChunk bounds the read buffer: ReadBlock reads and decodes a large
// block in pieces of this many bytes, so memory does not grow with the
// caller's block size or the file size.
const readChunk = 256 << 10

var _ sdr.Source = (*Reader)(nil)

// epoch is the clock of recordings that carry no datetime.
var epoch = time.Unix(0, 0).UTC()

// RawOptions describes a raw IQ file. Zero fields are taken from the file
// name (ParseName) when it tells them.
type RawOptions struct {
	Format     sdr.Format // 0: from the extension
	SampleRate float64    // Hz; required unless the name gives it
	Frequency  float64    // Hz; 0 = unknown
	Start      time.Time  // time of the first sample; zero: the name's, else the Unix epoch
}

// Open opens a recording for reading. path may be a SigMF prefix ("rec"),
// either file of the pair ("rec.sigmf-meta", "rec.sigmf-data"), or a raw
// file (.cu8 .cs8 .cs16 .cf32 .bin .raw .cfile) whose name gives at least
// its sample rate (see ParseName); use OpenRaw to give them explicitly.
func Open(path string) (*Reader, error) {
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".sigmf-meta":
		return openSigMF(path)
	case ".sigmf-data":
		return openSigMF(strings.TrimSuffix(path, filepath.Ext(path)) + ".sigmf-meta")
	case ".sigmf":
		if exists(path + "-meta") {
			return openSigMF(path + "-meta")
		}
		return nil, fmt.Errorf("%s: %w: SigMF archives (.sigmf) are not read directly; extract them with tar -xf", path, ErrUnsupported)
	}
	if _, ok := sdr.FormatFromExt(ext); ok {
		return OpenRaw(path, RawOptions{})
	}
	if exists(path + ".sigmf-meta") {
		return openSigMF(path + ".sigmf-meta")
	}
	if !exists(path) {
		return nil, fmt.Errorf("%s: no such recording (neither the file nor %s.sigmf-meta exists): %w", path, path, fs.ErrNotExist)
	}
	return nil, fmt.Errorf("%s: %w: not a SigMF recording and not a raw IQ file (.cu8 .cs8 .cs16 .cf32 .bin .raw .cfile); give the format explicitly", path, ErrUnsupported)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func openSigMF(metaPath string) (*Reader, error) {
	raw, err := os.ReadFile(metaPath)
	if err != nil {
		return nil, fmt.Errorf("reading SigMF metadata: %w", err)
	}
	m, err := ParseMeta(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", metaPath, err)
	}
	dataPath := strings.TrimSuffix(metaPath, filepath.Ext(metaPath)) + ".sigmf-data"
	if m.Dataset != "" {
		dataPath = filepath.Join(filepath.Dir(metaPath), m.Dataset)
	}
	f, err := os.Open(dataPath)
	if err != nil {
		return nil, fmt.Errorf("%s: missing data file: %w", metaPath, err)
	}
	r, err := newReader(f, dataPath, m)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", metaPath, err)
	}
	r.metaPath = metaPath
	return r, nil
}

// OpenRaw opens a raw interleaved IQ file. Zero fields of opt are taken from
// the file name when it tells them; the error wraps ErrNoRate when neither
// gives the sample rate.
func OpenRaw(path string, opt RawOptions) (*Reader, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".sigmf-meta", ".sigmf-data":
		return nil, fmt.Errorf("%s: is a SigMF file, open it with Open (its metadata holds the rate)", path)
	}
	info, _ := ParseName(path)
	m := Meta{Datatype: opt.Format, SampleRate: opt.SampleRate, Path: path}
	if m.Datatype == sdr.FormatUnknown {
		m.Datatype = info.Format
	}
	if m.Datatype.BytesPerSample() == 0 {
		return nil, fmt.Errorf("%s: %w: sample format unknown: extension %q is not .cu8 .cs8 .cs16 .cf32 .bin .raw .cfile; pass the format", path, ErrUnsupported, filepath.Ext(path))
	}
	if m.SampleRate == 0 {
		m.SampleRate = info.SampleRate
	}
	if m.SampleRate == 0 {
		return nil, fmt.Errorf("%s: %w: the file name carries no rate (rtl_433 style: g001_902M_2400k.cu8); pass the sample rate (and frequency)", path, ErrNoRate)
	}
	if !(m.SampleRate > 0) || math.IsInf(m.SampleRate, 0) {
		return nil, fmt.Errorf("%s: sample rate %v must be a positive number of samples per second", path, m.SampleRate)
	}
	c := Capture{Frequency: opt.Frequency, Datetime: opt.Start}
	if c.Frequency == 0 {
		c.Frequency = info.Frequency
	}
	if c.Datetime.IsZero() {
		c.Datetime = info.Start
	}
	if !c.Datetime.IsZero() {
		c.Datetime = c.Datetime.UTC()
	}
	m.Captures = []Capture{c}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening raw IQ file: %w", err)
	}
	r, err := newReader(f, path, m)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// newReader resolves m's captures against the data file's size.
func newReader(f *os.File, dataPath string, m Meta) (*Reader, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("data file: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("data file %s is a directory", dataPath)
	}
	bps := int64(m.Datatype.BytesPerSample())
	size := st.Size()
	if len(m.Captures) == 0 {
		// SigMF allows an empty captures array; one untuned capture then
		// covers the file.
		m.Captures = []Capture{{SampleStart: m.Offset, GlobalIndex: m.Offset}}
	}
	var base int64
	if m.Offset > 0 && m.Captures[0].SampleStart >= m.Offset {
		base = m.Offset // indices are absolute (spec: "all sample indices in SigMF are absolute")
	}
	var headers int64
	for _, c := range m.Captures {
		headers += c.HeaderBytes
	}
	dataEnd := size - m.TrailingBytes
	payload := dataEnd - headers
	if m.TrailingBytes > size || payload < 0 {
		return nil, fmt.Errorf("%w: core:header_bytes (%d in all) and core:trailing_bytes (%d) exceed the %d bytes of %s",
			ErrBadMeta, headers, m.TrailingBytes, size, dataPath)
	}
	n := payload / bps
	r := &Reader{
		f: f, dataPath: dataPath, format: m.Datatype, bps: bps, rate: m.SampleRate, n: n,
		buf: make([]byte, readChunk/bps*bps),
	}
	if rem := payload % bps; rem != 0 {
		m.TruncatedBytes = rem
		r.trunc = fmt.Errorf("%s: %w: the last %d byte(s), from byte offset %d, are a partial %s sample (%d bytes per sample); the %d whole samples before them are read",
			dataPath, ErrTruncated, rem, dataEnd-rem, m.Datatype, bps, n)
	}
	r.segs = make([]segment, len(m.Captures))
	var hdr int64
	var t time.Time
	for k := range m.Captures {
		c := &m.Captures[k]
		rel := c.SampleStart - base
		if rel > n {
			return nil, fmt.Errorf("%w: capture %d: core:sample_start %d is beyond the end of data (%d samples in %s)",
				ErrBadMeta, k, c.SampleStart, n, dataPath)
		}
		hdr += c.HeaderBytes
		s := &r.segs[k]
		s.start, s.end = rel, n
		s.byteStart = hdr + rel*bps
		s.freq = c.Frequency
		if k+1 < len(m.Captures) {
			s.end = m.Captures[k+1].SampleStart - base
			if s.end > n {
				s.end = n // reported as beyond the end on the next iteration
			}
		}
		c.Length = s.end - s.start
		if k == 0 {
			s.dropped = c.GlobalIndex - c.SampleStart
		} else {
			p := &m.Captures[k-1]
			s.dropped = (c.GlobalIndex - p.GlobalIndex) - (c.SampleStart - p.SampleStart)
		}
		s.dropped = max(s.dropped, 0)
		switch {
		case !c.Datetime.IsZero():
			t = c.Datetime
		case k == 0:
			t = epoch
		default:
			// No datetime: continue the previous capture's clock across its
			// samples and any lost ones.
			t = t.Add(sampleDuration(r.segs[k-1].end-r.segs[k-1].start+s.dropped, r.rate))
		}
		s.t0 = t
	}
	m.Path = dataPath
	r.meta = m
	r.pos = r.segs[0].start
	r.dropNext = r.segs[0].dropped
	r.skipEmpty()
	return r, nil
}

// sampleDuration is k samples at rate, rounded to the nanosecond.
func sampleDuration(k int64, rate float64) time.Duration {
	return time.Duration(math.Round(float64(k) / rate * 1e9))
}

// Meta returns the recording's metadata, with capture lengths set and Path
// naming the data file. Captures is never empty: a file without captures
// gets one untuned capture covering it.
func (r *Reader) Meta() Meta { return r.meta }

// MetaPath is the .sigmf-meta file read, or "" for a raw file.
func (r *Reader) MetaPath() string { return r.metaPath }

// Len is the number of whole samples in the data file.
func (r *Reader) Len() int64 { return r.n }

// Truncated reports a partial sample at the end of the data file, as an
// error wrapping ErrTruncated that gives its byte offset, or nil.
func (r *Reader) Truncated() error { return r.trunc }

// ReadBlock implements sdr.Source. It fills b.Samples[:cap(b.Samples)] with
// the next samples of the current capture (never crossing into the next),
// and sets Center, Rate, Time (the capture's datetime plus the offset into
// it), Seq, and Dropped (samples the metadata says were lost just before
// this capture, on the capture's first block; otherwise 0). It returns
// io.EOF after the last sample. It does not allocate.
func (r *Reader) ReadBlock(b *sdr.Block) error {
	if r.f == nil {
		b.Samples = b.Samples[:0]
		return fmt.Errorf("%s: read: %w", r.dataPath, os.ErrClosed)
	}
	c := int64(cap(b.Samples))
	if c == 0 {
		return sdr.ErrNoBuffer
	}
	if r.seg >= len(r.segs) {
		b.Samples = b.Samples[:0]
		return io.EOF
	}
	s := &r.segs[r.seg]
	n := min(c, s.end-r.pos)
	b.Samples = b.Samples[:n]
	off := s.byteStart + (r.pos-s.start)*r.bps
	per := int64(len(r.buf)) / r.bps
	for done := int64(0); done < n; {
		k := min(n-done, per)
		want := int(k * r.bps)
		got, err := r.f.ReadAt(r.buf[:want], off)
		if got < want {
			b.Samples = b.Samples[:0]
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF // the file shrank since Open
			}
			return fmt.Errorf("%s: reading %d bytes at byte offset %d: %w", r.dataPath, want, off, err)
		}
		r.format.Decode(b.Samples[done:done+k], r.buf[:want])
		done += k
		off += int64(want)
	}
	b.Center = s.freq
	b.Rate = r.rate
	b.Time = s.t0.Add(sampleDuration(r.pos-s.start, r.rate))
	b.Seq = r.seq
	b.Dropped = r.dropNext
	b.Settling = false
	r.seq++
	r.dropNext = 0
	r.pos += n
	if r.pos >= s.end {
		r.seg++
		if r.seg < len(r.segs) {
			r.dropNext = r.segs[r.seg].dropped
		}
		r.skipEmpty()
	}
	return nil
}

// skipEmpty moves past zero-length captures, carrying their lost-sample
// counts to the next one.
func (r *Reader) skipEmpty() {
	for r.seg < len(r.segs) && r.pos >= r.segs[r.seg].end {
		r.seg++
		if r.seg < len(r.segs) {
			r.dropNext += r.segs[r.seg].dropped
		}
	}
}

// SeekSample positions the reader at a sample index of the data file,
// 0 ≤ sample ≤ Len(); the next block starts there. (It is not called Seek:
// go vet reserves that name for io.Seeker's byte-offset signature.) Samples before the first capture
// are not delivered, so seeking there starts at the first capture. Seq keeps
// counting; the next block reports Dropped 0.
func (r *Reader) SeekSample(sample int64) error {
	if sample < 0 || sample > r.n {
		return fmt.Errorf("%s: seek to sample %d: outside 0..%d", r.dataPath, sample, r.n)
	}
	sample = max(sample, r.segs[0].start)
	r.pos = sample
	r.seg = sort.Search(len(r.segs), func(i int) bool { return r.segs[i].end > sample })
	r.dropNext = 0
	return nil
}

// Close closes the data file.
func (r *Reader) Close() error {
	if r.f == nil {
		return fmt.Errorf("%s: close: %w", r.dataPath, os.ErrClosed)
	}
	err := r.f.Close()
	r.f = nil
	if err != nil {
		return fmt.Errorf("closing %s: %w", r.dataPath, err)
	}
	return nil
}
