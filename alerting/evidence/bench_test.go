package evidence

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// BenchmarkWrite measures the block path: quantising a block into the ring
// (3 s at 2.4 MS/s), with no capture collecting.
func BenchmarkWrite(b *testing.B) {
	for _, n := range []int{4096, 16384, 65536} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r, err := New(Config{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			blk := sdr.Block{Samples: make([]complex64, n), Center: 902.4e6, Rate: 2.4e6, Time: t0}
			rng := rand.New(rand.NewPCG(3, 4))
			for i := range blk.Samples {
				blk.Samples[i] = complex(float32(rng.NormFloat64()*0.1), float32(rng.NormFloat64()*0.1))
			}
			step := blk.Duration()
			b.SetBytes(int64(8 * n))
			b.ReportAllocs()
			for b.Loop() {
				r.Write(&blk)
				blk.Time = blk.Time.Add(step)
				blk.Seq++
			}
			b.ReportMetric(float64(b.N)*float64(n)/b.Elapsed().Seconds()/1e6, "Msamples/s")
		})
	}
}

// BenchmarkCaptureSave measures a whole 1 s capture at 2.4 MS/s: copying
// 0.5 s from the ring, collecting 0.5 s more, writing the ci16 recording.
func BenchmarkCaptureSave(b *testing.B) {
	done := make(chan error, 1)
	r, err := New(Config{Dir: b.TempDir(), OnDone: func(_ string, err error) { done <- err }})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	blk := sdr.Block{Samples: make([]complex64, 16384), Center: 902.4e6, Rate: 2.4e6, Time: t0}
	for i := range blk.Samples {
		blk.Samples[i] = complex(float32(i%200)/200, 0.1)
	}
	step := blk.Duration()
	write := func() {
		r.Write(&blk)
		blk.Time = blk.Time.Add(step)
	}
	for range 100 {
		write()
	}
	b.SetBytes(int64(2.4e6 * 8))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		at := blk.Time
		if err := r.Capture(fmt.Sprint("c", i%4), at.Add(-500*time.Millisecond), at.Add(500*time.Millisecond)); err != nil {
			b.Fatal(err)
		}
		for blk.Time.Before(at.Add(500 * time.Millisecond)) {
			write()
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)*2.4/b.Elapsed().Seconds(), "Msamples/s")
}
