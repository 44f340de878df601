package evidence

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
)

// Defaults of Config.
const (
	DefaultPre        = 500 * time.Millisecond
	DefaultPost       = 500 * time.Millisecond
	DefaultRing       = 3 * time.Second
	DefaultRate       = 2.4e6
	DefaultMaxCapture = 2 * time.Second
	DefaultMaxBytes   = 200 << 20
	DefaultMaxPending = 3
)

// Errors callers can branch on with errors.Is.
var (
	// ErrBusy is returned by Capture when MaxPending captures are already
	// waiting to be written.
	ErrBusy = errors.New("too many evidence captures pending")
	// ErrClosed is returned by Capture after Close.
	ErrClosed = errors.New("evidence recorder closed")
	// ErrBadName is returned by Capture for a name that is not a plain
	// file name.
	ErrBadName = errors.New("bad evidence name")
)

// Config configures a Recorder. Zero fields take the defaults above.
type Config struct {
	Dir string // evidence directory (required; created if missing)
	// Pre and Post are the pre- and post-trigger of CaptureAround.
	Pre, Post time.Duration
	// Ring is how much IQ the ring keeps at Rate; at least Pre.
	Ring time.Duration
	// Rate is the sample rate the ring and captures are sized for, S/s.
	// Faster blocks are kept too, but the ring then holds less time.
	Rate float64
	// MaxCapture bounds the length of one capture; a longer request is cut
	// after MaxCapture from its start (noted in the metadata).
	MaxCapture time.Duration
	// MaxBytes caps the size of the recordings in Dir (default 200 MiB).
	MaxBytes int64
	// MaxPending caps the captures collected or waiting to be written.
	MaxPending int
	// Datatype of the recordings (default sdr.CI16LE; see the package
	// documentation).
	Datatype sdr.Format
	// Hardware is written as core:hw ("RTL-SDR Blog V4 on sensor w3-12").
	Hardware string
	Log      *slog.Logger
	// OnDone, when set, is called from the writing goroutine after each
	// recording was written (err nil) or failed.
	OnDone func(name string, err error)
}

func (c *Config) setDefaults() error {
	if c.Dir == "" {
		return errors.New("evidence: Dir is required")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Pre, DefaultPre)
	def(&c.Post, DefaultPost)
	def(&c.Ring, DefaultRing)
	def(&c.MaxCapture, DefaultMaxCapture)
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxPending == 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.Datatype == sdr.FormatUnknown {
		c.Datatype = sdr.CI16LE
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.Pre < 0 || c.Post < 0:
		return fmt.Errorf("evidence: Pre %v and Post %v must not be negative", c.Pre, c.Post)
	case c.Ring < c.Pre:
		return fmt.Errorf("evidence: Ring %v must be at least Pre %v", c.Ring, c.Pre)
	case !(c.Rate > 0) || c.Rate > 100e6:
		return fmt.Errorf("evidence: Rate %g S/s must be within (0, 100e6]", c.Rate)
	case c.Ring.Seconds()*c.Rate > 1<<30:
		return fmt.Errorf("evidence: Ring %v at %g S/s is over 2^30 samples", c.Ring, c.Rate)
	case c.MaxCapture < 0 || c.MaxCapture.Seconds()*c.Rate > 1<<30:
		return fmt.Errorf("evidence: MaxCapture %v at %g S/s must be within 0..2^30 samples", c.MaxCapture, c.Rate)
	case c.MaxBytes < 0:
		return fmt.Errorf("evidence: MaxBytes %d must not be negative", c.MaxBytes)
	case c.MaxPending < 0:
		return fmt.Errorf("evidence: MaxPending %d must not be negative", c.MaxPending)
	case c.Datatype.BytesPerSample() == 0:
		return fmt.Errorf("evidence: Datatype %v not supported (cu8, ci8, ci16_le, cf32_le)", c.Datatype)
	}
	return nil
}

// span is a run of samples from one block: in the ring (start is then the
// absolute index of its first sample, counted since New) or in a capture
// (start is the index in the capture's buffer).
type span struct {
	start   int64
	n       int64
	scale   float32 // volts per int8 step: x = q × scale
	center  float64
	rate    float64
	t       time.Time // time of the first sample
	seq     uint64
	dropped int64 // samples lost just before (only on a block's first span)
}

// end is the time just after the last sample.
func (s *span) end() time.Time { return s.t.Add(samplesDur(s.n, s.rate)) }

func samplesDur(n int64, rate float64) time.Duration {
	return time.Duration(math.Round(float64(n) / rate * 1e9))
}

// capture is one requested recording while it collects samples and waits to
// be written.
type capture struct {
	name     string
	from, to time.Time // what is collected: [from, to)
	reqTo    time.Time // the end asked for (to may be earlier: MaxCapture)
	iq       []int8    // 2 per sample, fixed capacity
	used     int64     // samples in iq
	spans    []span
	notes    []string
	preNoted bool // a note already says the start is missing
	atClose  bool // flushed by Close: its error is Close's
}

// Stats counts what a Recorder did since New.
type Stats struct {
	Blocks   int64 // blocks written to the ring
	Samples  int64 // samples written to the ring
	Written  int64 // recordings written
	Failed   int64 // recordings that failed to write
	Refused  int64 // captures refused (ErrBusy)
	Deleted  int64 // recordings deleted by rotation
	Pending  int   // captures collecting or waiting to be written
	RingFrom time.Time
	RingTo   time.Time // the ring holds IQ over [RingFrom, RingTo)
}

// Recorder keeps recent IQ and writes evidence recordings. Write, Capture,
// Flush, Stats and Close may be called from different goroutines.
type Recorder struct {
	cfg Config
	log *slog.Logger

	mu   sync.Mutex
	iq   []int8 // ring of 2×size int8
	size int64  // ring capacity, samples
	head int64  // absolute index of the next sample
	// spans is a ring of the blocks in iq, oldest at s0, ns of them.
	spans    []span
	s0, ns   int
	lastRate float64
	lastEnd  time.Time
	open     []*capture // collecting
	pending  int        // collecting or queued for writing
	closed   bool
	stats    Stats

	work     chan *capture
	done     chan struct{}
	closeErr []error // errors of captures flushed by Close (worker-owned until done)
	scratch  []complex64
}

// New allocates the ring, creates Dir, applies the size cap to what Dir
// already holds, and starts the writing goroutine.
func New(cfg Config) (*Recorder, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	size := int64(math.Ceil(cfg.Ring.Seconds() * cfg.Rate))
	r := &Recorder{
		cfg:     cfg,
		log:     cfg.Log.With("stage", "evidence"),
		iq:      make([]int8, 2*size),
		size:    size,
		spans:   make([]span, size/1024+16),
		work:    make(chan *capture, cfg.MaxPending),
		done:    make(chan struct{}),
		scratch: make([]complex64, 1<<16),
	}
	r.rotate("")
	go r.writer()
	return r, nil
}

// Write keeps b's samples in the ring and hands them to the captures that
// want them. It skips settling blocks (samples from before a retune) and
// empty or rate-less ones. It does no I/O and allocates nothing (except,
// rarely, while a capture records more blocks than estimated).
func (r *Recorder) Write(b *sdr.Block) {
	if b.Settling || len(b.Samples) == 0 || !(b.Rate > 0) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	src := b.Samples
	s := span{center: b.Center, rate: b.Rate, t: b.Time, seq: b.Seq, dropped: b.Dropped}
	if k := int64(len(src)) - r.size; k > 0 {
		// Larger than the whole ring: keep its end.
		src = src[k:]
		s.t = s.t.Add(samplesDur(k, b.Rate))
	}
	n := int64(len(src))
	r.evict(r.head + n - r.size)
	if r.ns == len(r.spans) {
		r.popSpan()
	}
	s.start, s.n = r.head, n
	// Below 1e-30 full scale a block is silence (and 127/peak would
	// overflow float32).
	inv := float32(0)
	if p := peak(src); p > 1e-30 {
		s.scale, inv = p/127, 127/p
	}
	pos := r.head % r.size
	first := min(n, r.size-pos)
	quantize(r.iq[2*pos:2*(pos+first)], src[:first], inv)
	quantize(r.iq[:2*(n-first)], src[first:], inv)
	r.spans[(r.s0+r.ns)%len(r.spans)] = s
	r.ns++
	r.head += n
	r.lastRate = b.Rate
	r.lastEnd = s.end()
	r.stats.Blocks++
	r.stats.Samples += n
	for i := 0; i < len(r.open); i++ {
		c := r.open[i]
		r.collect(c, &s)
		if c.used == int64(len(c.iq)/2) || !r.lastEnd.Before(c.to) {
			r.open = append(r.open[:i], r.open[i+1:]...)
			i--
			r.work <- c // never blocks: cap(work) = MaxPending ≥ pending
		}
	}
}

// evict forgets the spans (or their beginnings) before absolute sample
// index keep, which the next write overwrites.
func (r *Recorder) evict(keep int64) {
	for r.ns > 0 {
		s := &r.spans[r.s0]
		if s.start >= keep {
			return
		}
		if k := keep - s.start; k < s.n {
			s.t = s.t.Add(samplesDur(k, s.rate))
			s.start, s.n, s.dropped = keep, s.n-k, 0
			return
		}
		r.popSpan()
	}
}

func (r *Recorder) popSpan() {
	if r.ns > 0 {
		r.s0 = (r.s0 + 1) % len(r.spans)
		r.ns--
	}
}

// peak is the largest |I| or |Q| of the finite samples. The fast loop
// compares the IEEE bit patterns with the sign cleared, which order like the
// magnitudes (branch-free max); a NaN or Inf, whose patterns are the
// largest, sends it to the slow loop that skips them.
func peak(x []complex64) float32 {
	var m uint32
	for _, v := range x {
		m = max(m, math.Float32bits(real(v))&0x7fffffff, math.Float32bits(imag(v))&0x7fffffff)
	}
	if m < 0x7f800000 {
		return math.Float32frombits(m)
	}
	var p float32
	for _, v := range x {
		for _, c := range [2]float32{real(v), imag(v)} {
			if c < 0 {
				c = -c
			}
			if c > p && c <= math.MaxFloat32 {
				p = c
			}
		}
	}
	return p
}

// roundMagic is 1.5·2^23: adding it to a float32 of magnitude below 2^22
// leaves round-to-nearest(x) in the low bits of the sum's mantissa, so
// bits(x + roundMagic) − bits(roundMagic) is the rounded integer.
const (
	roundMagic     = 12582912
	roundMagicBits = 0x4b400000
)

// quantize writes round(x·inv) of each component to dst (2 per sample).
// The caller makes |x·inv| ≤ 127 for finite x (inv = 127/peak); NaN and
// ±Inf come out as 0 (their bit patterns minus roundMagicBits end in a zero
// byte).
func quantize(dst []int8, src []complex64, inv float32) {
	dst = dst[:2*len(src)]
	for i, v := range src {
		dst[2*i] = int8(math.Float32bits(float32(real(v)*inv)+roundMagic) - roundMagicBits)
		dst[2*i+1] = int8(math.Float32bits(float32(imag(v)*inv)+roundMagic) - roundMagicBits)
	}
}

// collect copies the part of ring span s that falls in [c.from, c.to) into
// c, as far as c's buffer allows.
func (r *Recorder) collect(c *capture, s *span) {
	i0 := sampleIndex(c.from, s)
	i1 := sampleIndex(c.to, s)
	room := int64(len(c.iq)/2) - c.used
	if i1-i0 > room {
		if room > 0 || i1 > i0 {
			// Blocks faster than the rate the buffer was sized for.
			c.note(fmt.Sprintf("cut at %d samples, the most its buffer holds", len(c.iq)/2))
		}
		i1 = i0 + room
	}
	if i1 <= i0 {
		return
	}
	p := span{start: c.used, n: i1 - i0, scale: s.scale, center: s.center, rate: s.rate,
		t: s.t.Add(samplesDur(i0, s.rate)), seq: s.seq}
	if i0 == 0 {
		p.dropped = s.dropped
	}
	// Copy from the ring, which may wrap.
	for from, to := s.start+i0, s.start+i1; from < to; {
		pos := from % r.size
		k := min(to-from, r.size-pos)
		copy(c.iq[2*c.used:], r.iq[2*pos:2*(pos+k)])
		c.used += k
		from += k
	}
	c.spans = append(c.spans, p)
}

// sampleIndex is the index in span s of the first sample at or after t,
// clamped to [0, s.n].
func sampleIndex(t time.Time, s *span) int64 {
	x := t.Sub(s.t).Seconds() * s.rate
	// A sample whose time rounds to t by a nanosecond is at t.
	i := int64(math.Ceil(x - 1e-6))
	return min(max(i, 0), s.n)
}

// note adds a note once.
func (c *capture) note(s string) {
	for _, n := range c.notes {
		if n == s {
			return
		}
	}
	c.notes = append(c.notes, s)
}

// CaptureAround is Capture(name, first−Pre, last+Post): the IQ around the
// bursts from first to last.
func (r *Recorder) CaptureAround(name string, first, last time.Time) error {
	return r.Capture(name, first.Add(-r.cfg.Pre), last.Add(r.cfg.Post))
}

// Capture asks for the IQ over [from, to) as the recording
// Dir/NAME.sigmf-meta (the name the alert carries, with ".sigmf-meta"). The
// part already heard is copied from the ring now (whatever of it the ring
// still holds: an older start is noted in the metadata), the rest as blocks
// arrive; the recording is written once a block reaches to, or by Flush or
// Close. The request is cut after MaxCapture. It returns ErrBusy when
// MaxPending captures are pending, ErrBadName unless name is a plain file
// name, and an error for to not after from; it never blocks on I/O.
func (r *Recorder) Capture(name string, from, to time.Time) error {
	if name == "" || name != filepath.Base(name) || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") || len(name) > 200 {
		return fmt.Errorf("evidence: %w: %q (want a plain file name)", ErrBadName, name)
	}
	if !to.After(from) {
		return fmt.Errorf("evidence: capture %s: end %v is not after start %v", name, to, from)
	}
	c := &capture{name: name, from: from, to: to, reqTo: to}

	// Reserve a slot and size the buffer under the lock, allocate without
	// it (a few MB: the block path must not wait for that), then fill.
	r.mu.Lock()
	if err := r.reserve(name); err != nil {
		r.mu.Unlock()
		return err
	}
	start := from
	if r.ns > 0 {
		if oldest := r.spans[r.s0].t; from.Before(oldest) && to.After(oldest) {
			c.note(fmt.Sprintf("pre-trigger from %s asked; the ring held IQ from %s on (%.3f s missing)",
				from.UTC().Format(time.RFC3339Nano), oldest.UTC().Format(time.RFC3339Nano), oldest.Sub(from).Seconds()))
			c.preNoted = true
			start = oldest
		}
	}
	rate := max(r.cfg.Rate, r.lastRate)
	r.mu.Unlock()

	d := to.Sub(start)
	if d > r.cfg.MaxCapture {
		d = r.cfg.MaxCapture
		c.to = start.Add(d)
		c.note(fmt.Sprintf("cut at %s, MaxCapture %v after its start", c.to.UTC().Format(time.RFC3339Nano), d))
	}
	// One more sample than the interval can hold, for rounding.
	c.iq = make([]int8, 2*(int64(math.Ceil(d.Seconds()*rate))+1))
	c.spans = make([]span, 0, len(c.iq)/2/1024+16)

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		r.pending--
		return fmt.Errorf("evidence: capture %s: %w", name, ErrClosed)
	}
	for i := 0; i < r.ns; i++ {
		r.collect(c, &r.spans[(r.s0+i)%len(r.spans)])
	}
	if c.used == int64(len(c.iq)/2) || (!r.lastEnd.IsZero() && !r.lastEnd.Before(to)) {
		r.work <- c
	} else {
		r.open = append(r.open, c)
	}
	return nil
}

// reserve counts a new pending capture (r.mu held).
func (r *Recorder) reserve(name string) error {
	if r.closed {
		return fmt.Errorf("evidence: capture %s: %w", name, ErrClosed)
	}
	if r.pending >= r.cfg.MaxPending {
		r.stats.Refused++
		return fmt.Errorf("evidence: capture %s: %w (%d)", name, ErrBusy, r.cfg.MaxPending)
	}
	for _, c := range r.open {
		if c.name == name {
			return fmt.Errorf("evidence: capture %s: %w: already being captured", name, ErrBadName)
		}
	}
	r.pending++
	return nil
}

// Flush ends every capture still collecting with the samples it has, and
// queues it for writing (for a source that stopped delivering).
func (r *Recorder) Flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.flushLocked("flushed before the end asked for (no more blocks)", false)
}

func (r *Recorder) flushLocked(why string, atClose bool) {
	for _, c := range r.open {
		if r.lastEnd.Before(c.to) {
			c.note(why)
		}
		c.atClose = atClose
		r.work <- c
	}
	r.open = r.open[:0]
}

// Stats returns what the Recorder did since New.
func (r *Recorder) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.stats
	st.Pending = r.pending
	if r.ns > 0 {
		st.RingFrom = r.spans[r.s0].t
		st.RingTo = r.lastEnd
	}
	return st
}

// Close writes the pending captures with what they have, waits for the
// writing goroutine, and returns the errors of those last recordings.
// Write and Capture do nothing after Close.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	r.flushLocked("cut short by shutdown", true)
	close(r.work)
	r.mu.Unlock()
	<-r.done
	return errors.Join(r.closeErr...)
}

// writer writes the finished captures, one at a time, then rotates.
func (r *Recorder) writer() {
	defer close(r.done)
	for c := range r.work {
		err := r.save(c)
		r.mu.Lock()
		r.pending--
		if err != nil {
			r.stats.Failed++
		} else {
			r.stats.Written++
		}
		r.mu.Unlock()
		if err != nil {
			r.log.Error("evidence recording failed", "name", c.name, "err", err)
			if c.atClose {
				r.closeErr = append(r.closeErr, err)
			}
		} else {
			r.log.Info("evidence recorded", "name", c.name, "samples", c.used, "captures", len(c.spans), "notes", strings.Join(c.notes, "; "))
		}
		r.rotate(c.name)
		if r.cfg.OnDone != nil {
			r.cfg.OnDone(c.name, err)
		}
	}
}

// Metadata keys of the cellsentry namespace written with each recording.
const (
	keyFrom = "cellsentry:requested_from"
	keyTo   = "cellsentry:requested_to"
	keyNote = "cellsentry:note"
)

// save writes c as a SigMF recording.
func (r *Recorder) save(c *capture) error {
	rate := r.cfg.Rate
	if len(c.spans) > 0 {
		rate = c.spans[0].rate
		if gap := c.spans[0].t.Sub(c.from); !c.preNoted && gap > samplesDur(1, rate) {
			c.note(fmt.Sprintf("no IQ before %s, %.3f s after the start asked for", c.spans[0].t.UTC().Format(time.RFC3339Nano), gap.Seconds()))
		}
	} else {
		c.note("no IQ was heard in the interval asked for")
	}
	for _, s := range c.spans {
		if s.rate != rate {
			c.note(fmt.Sprintf("blocks at %g S/s left out: a recording has one rate, %g S/s", s.rate, rate))
		}
	}
	m := sigmf.Meta{
		Datatype:    r.cfg.Datatype,
		SampleRate:  rate,
		Description: "cellsentry alert evidence " + c.name,
		Recorder:    "cellsentry",
		Hardware:    r.cfg.Hardware,
		Extra: map[string]any{
			keyFrom: c.from.UTC().Format(time.RFC3339Nano),
			keyTo:   c.reqTo.UTC().Format(time.RFC3339Nano),
		},
	}
	if len(c.notes) > 0 {
		m.Extra[keyNote] = strings.Join(c.notes, "; ")
	}
	w, err := sigmf.Create(filepath.Join(r.cfg.Dir, c.name), m)
	if err != nil {
		return fmt.Errorf("evidence %s: %w", c.name, err)
	}
	var werr error
	for _, s := range c.spans {
		if s.rate != rate {
			continue
		}
		for i := int64(0); i < s.n && werr == nil; {
			k := min(s.n-i, int64(len(r.scratch)))
			out := r.scratch[:k]
			iq := c.iq[2*(s.start+i) : 2*(s.start+i+k)]
			for j := range out {
				out[j] = complex(float32(iq[2*j])*s.scale, float32(iq[2*j+1])*s.scale)
			}
			b := sdr.Block{Samples: out, Center: s.center, Rate: s.rate, Time: s.t.Add(samplesDur(i, s.rate)), Seq: s.seq}
			if i == 0 {
				b.Dropped = s.dropped
			}
			werr = w.WriteBlock(&b)
			i += k
		}
	}
	if err := errors.Join(werr, w.Close()); err != nil {
		return fmt.Errorf("evidence %s: %w", c.name, err)
	}
	return nil
}

// rotate deletes the oldest recordings in Dir until the recordings there fit
// in MaxBytes, never the one named keep.
func (r *Recorder) rotate(keep string) {
	des, err := os.ReadDir(r.cfg.Dir)
	if err != nil {
		r.log.Error("evidence rotation: cannot list directory", "dir", r.cfg.Dir, "err", err)
		return
	}
	type rec struct {
		name  string
		size  int64
		mtime time.Time
	}
	byName := map[string]*rec{}
	var total int64
	for _, de := range des {
		name, ok := strings.CutSuffix(de.Name(), ".sigmf-data")
		if !ok {
			name, ok = strings.CutSuffix(de.Name(), ".sigmf-meta")
		}
		if !ok || !de.Type().IsRegular() {
			continue
		}
		fi, err := de.Info()
		if err != nil {
			continue // deleted meanwhile
		}
		x := byName[name]
		if x == nil {
			x = &rec{name: name}
			byName[name] = x
		}
		x.size += fi.Size()
		if x.mtime.IsZero() || fi.ModTime().Before(x.mtime) {
			x.mtime = fi.ModTime()
		}
		total += fi.Size()
	}
	if total <= r.cfg.MaxBytes {
		return
	}
	recs := make([]*rec, 0, len(byName))
	for _, x := range byName {
		recs = append(recs, x)
	}
	sort.Slice(recs, func(i, j int) bool {
		if !recs[i].mtime.Equal(recs[j].mtime) {
			return recs[i].mtime.Before(recs[j].mtime)
		}
		return recs[i].name < recs[j].name
	})
	for _, x := range recs {
		if total <= r.cfg.MaxBytes {
			break
		}
		if x.name == keep {
			continue
		}
		// Metadata first: a data file without its metadata is not a
		// recording anyone will try to open.
		var errs []error
		for _, ext := range []string{".sigmf-meta", ".sigmf-data"} {
			if err := os.Remove(filepath.Join(r.cfg.Dir, x.name+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			r.log.Error("evidence rotation: cannot delete recording", "name", x.name, "err", err)
			continue
		}
		total -= x.size
		r.mu.Lock()
		r.stats.Deleted++
		r.mu.Unlock()
		r.log.Info("evidence rotation: deleted oldest recording", "name", x.name, "bytes", x.size)
	}
}
