// Package resilient keeps a sensor reading through a dongle that vanishes
// and comes back: it wraps a source opener, and when reads fail or stall it
// says so at once, closes the source, reopens it with jittered exponential
// backoff, and resumes by itself, accounting for the samples lost meanwhile
// in Block.Dropped so that the time base stays honest.
package resilient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// Source is what an opener returns: any sdr.Source that knows its rate.
type Source interface {
	sdr.Source
	Rate() float64
}

// Opener opens the underlying source (a dongle, an rtl_tcp connection).
type Opener func(ctx context.Context) (Source, error)

// EventKind says what happened to the source.
type EventKind int

// The events a Reader reports.
const (
	Lost     EventKind = iota // a read failed or stalled; the source was closed
	Reopened                  // the source is back
	Retrying                  // an open attempt failed; the next comes after Wait
)

func (k EventKind) String() string {
	return [...]string{"lost", "reopened", "retrying"}[k]
}

// Event is reported through Options.OnEvent.
type Event struct {
	Kind     EventKind
	Err      error
	Attempts int           // open attempts since the loss
	Wait     time.Duration // Retrying: time until the next attempt
	Gap      time.Duration // Reopened: time without samples
}

// Options tune a Reader. Zero fields take defaults.
type Options struct {
	// BackoffMin and BackoffMax bound the wait between open attempts
	// (defaults 250 ms and 30 s); each failure doubles it, and half of it
	// is random so that many sensors do not retry in step.
	BackoffMin, BackoffMax time.Duration
	// Stall is how long a read may take before the source counts as lost
	// (default 3 s: a dongle streams a block every few tens of ms).
	Stall time.Duration
	// OnEvent, if set, is called for every event (from the reading
	// goroutine).
	OnEvent func(Event)
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Reader is an sdr.Source over a source that may fail. Reads happen on a
// goroutine of its own so that a read that hangs can be abandoned; blocks
// are handed over by copying into the caller's buffer, so nothing is
// allocated per block.
type Reader struct {
	open Opener
	opt  Options
	ctx  context.Context

	src      Source
	rate     float64
	attempts int
	lostAt   time.Time
	pending  int64 // dropped samples to report with the next block
	lastErr  error

	// The reading goroutine and its hand-over.
	req   chan []complex64
	resp  chan result
	busy  bool // a read is in flight
	rng   *rand.Rand
	buf   []complex64 // the reader goroutine's buffer; a new one per source
	timer *time.Timer

	// center is the frequency asked for by Tune (0: the source's own);
	// tune carries it to the reader goroutine, which retunes between
	// reads so a Tune never races a read inside the driver.
	center float64
	tune   atomic.Uint64
}

// tuner is a source that can be retuned.
type tuner interface{ Tune(hz float64) error }

// Tune retunes the source before its next read, and again after every
// reopen. It fails only when the source cannot be tuned at all.
func (r *Reader) Tune(hz float64) error {
	if r.src != nil {
		if _, ok := r.src.(tuner); !ok {
			return fmt.Errorf("resilient: the source cannot be retuned")
		}
	}
	r.center = hz
	r.tune.Store(math.Float64bits(hz))
	return nil
}

// Center is the frequency last asked for by Tune (0 before any).
func (r *Reader) Center() float64 { return r.center }

type result struct {
	blk sdr.Block
	err error
}

// New returns a Reader; the source is opened on the first ReadBlock.
func New(ctx context.Context, open Opener, opt Options) *Reader {
	if opt.BackoffMin == 0 {
		opt.BackoffMin = 250 * time.Millisecond
	}
	if opt.BackoffMax == 0 {
		opt.BackoffMax = 30 * time.Second
	}
	if opt.Stall == 0 {
		opt.Stall = 3 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Reader{open: open, opt: opt, ctx: ctx, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))}
}

func (r *Reader) event(e Event) {
	if r.opt.OnEvent != nil {
		r.opt.OnEvent(e)
	}
}

// ReadBlock reads the next block, reopening the source as often as it
// takes. It returns only for io.EOF from a source that ended (a file), for
// the context's end, or never otherwise.
func (r *Reader) ReadBlock(b *sdr.Block) error {
	for {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		if r.src == nil {
			if err := r.reopen(); err != nil {
				return err
			}
		}
		err := r.read(b)
		if err == nil {
			b.Dropped += r.pending
			r.pending = 0
			return nil
		}
		if errors.Is(err, io.EOF) {
			return err
		}
		r.lose(err)
	}
}

// read runs one ReadBlock of the source on the reader goroutine, giving up
// after the stall time.
func (r *Reader) read(b *sdr.Block) error {
	if cap(r.buf) < cap(b.Samples) {
		r.buf = make([]complex64, cap(b.Samples))
	}
	if !r.busy {
		r.busy = true
		r.req <- r.buf[:cap(b.Samples)]
	}
	if r.timer == nil {
		r.timer = time.NewTimer(r.opt.Stall)
	} else {
		r.timer.Reset(r.opt.Stall)
	}
	defer r.timer.Stop()
	select {
	case res := <-r.resp:
		r.busy = false
		if res.err != nil {
			return res.err
		}
		n := copy(b.Samples[:cap(b.Samples)], res.blk.Samples)
		samples := b.Samples[:n]
		*b = res.blk
		b.Samples = samples
		return nil
	case <-r.timer.C:
		return fmt.Errorf("resilient: no samples for %v: stalled", r.opt.Stall)
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

// lose closes the source after a failure.
func (r *Reader) lose(err error) {
	r.lostAt = r.opt.Now()
	r.lastErr = err
	r.event(Event{Kind: Lost, Err: err})
	src := r.src
	r.src = nil
	close(r.req)
	// A hung read keeps its goroutine until the source returns; closing
	// the source usually wakes it.
	_ = src.Close()
	r.busy = false
	r.attempts = 0
	// A hung read may still write into the old buffer when it wakes.
	r.buf = nil
}

// reopen opens the source, backing off between failures.
func (r *Reader) reopen() error {
	wait := r.opt.BackoffMin
	for {
		src, err := r.open(r.ctx)
		r.attempts++
		if err == nil {
			r.src = src
			r.rate = src.Rate()
			r.req = make(chan []complex64)
			r.resp = make(chan result, 1)
			if r.center != 0 {
				r.tune.Store(math.Float64bits(r.center))
			}
			go reader(src, r.req, r.resp, &r.tune)
			if !r.lostAt.IsZero() {
				gap := r.opt.Now().Sub(r.lostAt)
				r.pending += int64(gap.Seconds() * r.rate)
				r.event(Event{Kind: Reopened, Attempts: r.attempts, Gap: gap})
			}
			return nil
		}
		if r.lostAt.IsZero() {
			r.lostAt = r.opt.Now()
		}
		// Half fixed, half random, doubling up to the cap.
		d := wait/2 + time.Duration(r.rng.Int64N(int64(wait/2)+1))
		r.event(Event{Kind: Retrying, Err: err, Attempts: r.attempts, Wait: d})
		select {
		case <-time.After(d):
		case <-r.ctx.Done():
			return r.ctx.Err()
		}
		wait = min(2*wait, r.opt.BackoffMax)
	}
}

// reader reads blocks into the buffers it is given until req closes.
// A pending retune is applied first.
func reader(src Source, req <-chan []complex64, resp chan<- result, tune *atomic.Uint64) {
	blk := new(sdr.Block) // one per source: the interface call lets it escape
	for buf := range req {
		if bits := tune.Swap(0); bits != 0 {
			if t, ok := src.(tuner); ok {
				if err := t.Tune(math.Float64frombits(bits)); err != nil {
					resp <- result{err: fmt.Errorf("resilient: retune: %w", err)}
					continue
				}
			}
		}
		*blk = sdr.Block{Samples: buf}
		err := src.ReadBlock(blk)
		resp <- result{blk: *blk, err: err}
	}
}

// Close closes the current source.
func (r *Reader) Close() error {
	if r.src == nil {
		return nil
	}
	close(r.req)
	err := r.src.Close()
	r.src = nil
	return err
}

// Rate is the rate of the current (or last) source.
func (r *Reader) Rate() float64 { return r.rate }
