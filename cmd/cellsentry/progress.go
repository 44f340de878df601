package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progress prints a one-line status on a terminal: position, speed, time
// left. Piped, it says nothing.
type progress struct {
	w       io.Writer
	on      bool
	total   int64
	rate    float64
	start   time.Time
	last    time.Time
	printed bool
}

func newProgress(w io.Writer, mode string, total int64, rate float64) *progress {
	on := mode == "always"
	if mode == "auto" {
		if f, ok := w.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
				on = true
			}
		}
	}
	now := time.Now()
	return &progress{w: w, on: on, total: total, rate: rate, start: now, last: now}
}

func (p *progress) update(done int64) {
	if !p.on {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 500*time.Millisecond {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	pos := float64(done) / p.rate
	speed := pos / el
	msg := fmt.Sprintf("\r%8.1f s", pos)
	if p.total > 0 {
		left := float64(p.total-done) / p.rate / speed
		msg += fmt.Sprintf(" of %.1f s (%3.0f %%)  %.1f× real time  %s left   ", float64(p.total)/p.rate,
			100*float64(done)/float64(p.total), speed, time.Duration(left*float64(time.Second)).Round(time.Second))
	} else {
		msg += fmt.Sprintf("  %.1f× real time   ", speed)
	}
	fmt.Fprint(p.w, msg)
	p.printed = true
}

func (p *progress) done() {
	if p.printed {
		fmt.Fprintln(p.w)
	}
}
