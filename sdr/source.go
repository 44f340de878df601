package sdr

import (
	"errors"
	"time"
)

// Block is one run of contiguous IQ samples from a single tuning.
//
// A block never spans a retune: every sample in it was taken at Center with
// rate Rate, and Time is the instant of Samples[0]. Seq increases by one per
// block delivered by a source; Dropped counts samples the source knows were
// lost between the previous block and this one (USB overruns, a truncated
// capture), so that consumers keep their time base honest.
type Block struct {
	// Samples holds the IQ samples, full scale ±1. The caller owns the
	// backing array: sources write into Samples[:cap(Samples)] and set the
	// length to the number of samples delivered.
	Samples []complex64
	Center  float64   // tuned center frequency, Hz
	Rate    float64   // sample rate, samples per second
	Time    time.Time // time of Samples[0]
	Seq     uint64    // block sequence number, from 0
	Dropped int64     // samples known lost just before this block
	// Settling is true while the tuner may still deliver samples from before
	// the last retune; consumers discard such blocks.
	Settling bool
}

// Duration is the time span covered by the samples in b.
func (b *Block) Duration() time.Duration {
	if b.Rate <= 0 {
		return 0
	}
	return time.Duration(float64(len(b.Samples)) / b.Rate * float64(time.Second))
}

// Source is anything that delivers IQ blocks: recordings, synthetic scenes,
// rtl_tcp servers and RTL-SDR dongles.
//
// ReadBlock fills b.Samples[:cap(b.Samples)] with up to cap(b.Samples)
// samples, reslices b.Samples to the count delivered (at least one unless an
// error is returned) and sets the other fields. It never allocates per call.
// At the end of a finite source it returns io.EOF.
type Source interface {
	ReadBlock(b *Block) error
	Close() error
}

// ErrNoBuffer is returned by ReadBlock when the caller's block has no
// capacity to read into.
var ErrNoBuffer = errors.New("sdr: block has zero capacity")
