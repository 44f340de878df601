package main

import (
	"context"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// paced plays a source that is not a radio (a synthetic scene, a
// recording) as if it were one: each block is released when its last
// sample would have left a dongle, and its time stamps are moved onto the
// wall clock. A daemon on such a source then behaves as on a dongle: alert
// times are real times, quiet times elapse, and the latency from a burst in
// the IQ to its alert can be measured.
type paced struct {
	src   pacedSource
	ctx   context.Context
	now   func() time.Time
	start time.Time // wall time of sample 0
	n     int64     // samples released so far (including dropped)
	timer *time.Timer
	fast  bool // move the time stamps, but do not wait
}

type pacedSource interface {
	sdr.Source
	Rate() float64
}

// newPaced wraps src. With fast, blocks are released as soon as they are
// rendered, but their time stamps still start at the wall clock: several
// scenes played at once (one per dongle) then share one clock, as dongles
// do, instead of each scene's own start date.
func newPaced(ctx context.Context, src pacedSource, fast bool) *paced {
	return &paced{src: src, ctx: ctx, now: time.Now, fast: fast}
}

func (p *paced) ReadBlock(b *sdr.Block) error {
	if err := p.src.ReadBlock(b); err != nil {
		return err
	}
	rate := b.Rate
	if rate <= 0 {
		rate = p.src.Rate()
	}
	if p.start.IsZero() {
		p.start = p.now()
	}
	p.n += b.Dropped
	b.Time = p.start.Add(time.Duration(float64(p.n) / rate * float64(time.Second)))
	p.n += int64(len(b.Samples))
	if p.fast {
		return nil
	}
	due := p.start.Add(time.Duration(float64(p.n) / rate * float64(time.Second)))
	if d := due.Sub(p.now()); d > 0 {
		if p.timer == nil {
			p.timer = time.NewTimer(d)
		} else {
			p.timer.Reset(d) // Go ≥ 1.23 timers: Reset needs no drain
		}
		select {
		case <-p.timer.C:
		case <-p.ctx.Done():
			p.timer.Stop()
			return context.Cause(p.ctx)
		}
	}
	return nil
}

func (p *paced) Close() error { return p.src.Close() }

// Tune passes retunes through when the source takes them.
func (p *paced) Tune(hz float64) error {
	if t, ok := p.src.(interface{ Tune(float64) error }); ok {
		return t.Tune(hz)
	}
	return nil
}
