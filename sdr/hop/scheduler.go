package hop

import (
	"fmt"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// Tunable is a source the scheduler can retune: dongles, rtl_tcp and
// synthetic scenes.
type Tunable interface {
	sdr.Source
	Tune(centerHz float64) error
}

// Scheduler runs a plan over a tunable source: it retunes at the end of
// each dwell and marks the samples of the settle time after each retune as
// Settling, so the pipeline drops them (old samples still in the USB
// buffers, the PLL and DC loop settling). Blocks never straddle a hop.
type Scheduler struct {
	src     Tunable
	plan    *Plan
	rate    float64
	step    int
	left    int64 // samples left in the current dwell
	settle  int64 // samples left to mark Settling
	dwellN  int64
	settleN int64
	started bool
	retunes int64
}

// NewScheduler returns a scheduler over src at sample rate rate.
func NewScheduler(src Tunable, p *Plan, rate float64) *Scheduler {
	return &Scheduler{
		src: src, plan: p, rate: rate,
		dwellN:  int64(p.cfg.Dwell.Seconds() * rate),
		settleN: int64(p.cfg.Settle.Seconds() * rate),
	}
}

// Retunes counts the retunes made.
func (s *Scheduler) Retunes() int64 { return s.retunes }

// ReadBlock reads the next block of the current dwell, retuning first when
// the dwell is over. It reads at most up to the end of the dwell or of the
// settle time, so that a block is all settling or all heard.
func (s *Scheduler) ReadBlock(b *sdr.Block) error {
	if !s.started || s.left <= 0 {
		if s.started {
			s.step = (s.step + 1) % len(s.plan.Steps)
		}
		st := s.plan.Steps[s.step]
		if err := s.src.Tune(st.Center); err != nil {
			return fmt.Errorf("hop: tune to %.3f MHz: %w", st.Center/1e6, err)
		}
		s.retunes++
		s.started = true
		s.left = s.dwellN
		s.settle = s.settleN
	}
	limit := s.left
	if s.settle > 0 {
		limit = s.settle
	}
	// Sources fill up to the block's capacity: cap it at the limit, and
	// give the caller its whole buffer back next time.
	full := b.Samples[:cap(b.Samples)]
	if int64(len(full)) > limit {
		full = full[:limit:limit]
	}
	b.Samples = full
	if err := s.src.ReadBlock(b); err != nil {
		return err
	}
	n := int64(len(b.Samples))
	if s.settle > 0 {
		b.Settling = true
		s.settle -= n
	}
	s.left -= n
	return nil
}

// Close closes the source.
func (s *Scheduler) Close() error { return s.src.Close() }

// Dwell is the dwell of the plan, for callers that pace themselves.
func (s *Scheduler) Dwell() time.Duration { return s.plan.cfg.Dwell }
