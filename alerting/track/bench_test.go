package track

import (
	"sort"
	"testing"
	"time"
	"unsafe"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/dsp"
)

// busyStream is 10 s of a busy band: a hopping call, a second call on
// another timeslot, an SMS-like signalling phone and an LTE UE, in the
// order the pipeline reports bursts (by end).
func busyStream() []dsp.Burst {
	a := gsmPhone{phase: 1700 * time.Microsecond, channels: eightChannels, from: 0, to: 2167, snr: 40, dbm: -60}
	b := gsmPhone{phase: 3431 * time.Microsecond, channels: []float64{arfcn(61), arfcn(62)}, from: 0, to: 2167, snr: 25, dbm: -80}
	c := gsmPhone{phase: 600 * time.Microsecond, channels: []float64{arfcn(60)}, from: 100, to: 2167, every: 13, snr: 30, dbm: -70}
	bs := concat(a.bursts(), b.bursts(), c.bursts(), lteUE(0, 10, 300*time.Microsecond, -90, 20))
	sort.SliceStable(bs, func(i, j int) bool {
		return bs[i].Start.Add(bs[i].Duration).Before(bs[j].Start.Add(bs[j].Duration))
	})
	return bs
}

// BenchmarkAdd feeds a busy 10 s stream (about 7000 bursts: two calls,
// signalling and an LTE UE) with Advance every 27 ms of stream time, as
// replay does. Msamples/s is the 2.4 MS/s stream the tracker keeps up
// with; bytes are the bursts' size.
func BenchmarkAdd(b *testing.B) {
	bs := busyStream()
	const streamRate = 2.4e6
	span := bs[len(bs)-1].Start.Sub(t0).Seconds()
	tr, err := New(Config{}, testOrigin)
	if err != nil {
		b.Fatal(err)
	}
	ev := make([]alerting.Alert, 0, 64)
	b.SetBytes(int64(len(bs)) * int64(unsafe.Sizeof(dsp.Burst{})))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		tick := t0
		for i := range bs {
			ev = tr.Add(ev[:0], &bs[i])
			if end := bs[i].Start.Add(bs[i].Duration); end.Sub(tick) >= 27*time.Millisecond {
				tick = end
				ev = tr.Advance(ev[:0], tick)
			}
		}
		ev = tr.Flush(ev[:0], tick)
	}
	s := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)*float64(len(bs))/s, "bursts/s")
	b.ReportMetric(float64(b.N)*span*streamRate/s/1e6, "Msamples/s")
}

// TestAddAllocs: feeding a burst to an open alert allocates nothing (the
// raise and the updates do: an event carries its own FreqsHz).
func TestAddAllocs(t *testing.T) {
	tr, err := New(Config{}, testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	call := gsmPhone{phase: 1700 * time.Microsecond, channels: eightChannels, from: 0, to: 400, snr: 40, dbm: -60}
	ev := feed(t, tr, call.bursts(), frameStart(400, 0), time.Time{}).events
	if len(raisedOf(ev, "")) != 1 {
		t.Fatalf("setup: %d alerts raised, want 1", len(raisedOf(ev, "")))
	}
	// 1000 more frames: 4.6 s, within the update interval.
	n := 400
	b := gsmBurst(frameStart(n, call.phase), eightChannels[n%8], 40, -60)
	dst := make([]alerting.Alert, 0, 8)
	allocs := testing.AllocsPerRun(1000, func() {
		n++
		b.Start, b.Freq = frameStart(n, call.phase), eightChannels[n%8]
		b.FreqLow, b.FreqHigh = b.Freq-90e3, b.Freq+90e3
		dst = tr.Add(dst[:0], &b)
		if n%6 == 0 {
			dst = tr.Advance(dst, b.Start)
		}
	})
	if allocs != 0 {
		t.Errorf("%.2f allocations per burst of an open alert, want 0", allocs)
	}
	if len(dst) != 0 || tr.Open() != 1 {
		t.Errorf("events %+v, %d open: want none and the call still open", dst, tr.Open())
	}
}
