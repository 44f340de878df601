package queue

import (
	"bytes"
	"testing"
)

// alertSize is the size of a typical alert event's JSON.
const alertSize = 600

// BenchmarkAppend measures a durable enqueue of one alert, with fsync (what
// the daemon does) and without. Every 1024 appends the records are
// acknowledged so the queue stays small, as it does while the broker is up;
// the ack cost is included, amortised.
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name   string
		noSync bool
	}{{"fsync", false}, {"nosync", true}} {
		b.Run(bc.name, func(b *testing.B) {
			q, err := Open(b.TempDir(), Options{NoSync: bc.noSync})
			if err != nil {
				b.Fatal(err)
			}
			defer q.Close()
			data := bytes.Repeat([]byte("a"), alertSize)
			b.SetBytes(alertSize)
			b.ReportAllocs()
			var first uint64
			for b.Loop() {
				seq, err := q.Append(data, false)
				if err != nil {
					b.Fatal(err)
				}
				if first == 0 {
					first = seq
				}
				if seq-first == 1023 {
					for s := first; s <= seq; s++ {
						q.Ack(s)
					}
					first = 0
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
		})
	}
}

// BenchmarkPendingAck measures the publisher's side: read the next 64
// records and acknowledge each, from a queue of 10 000 alerts.
func BenchmarkPendingAck(b *testing.B) {
	q, err := Open(b.TempDir(), Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	data := bytes.Repeat([]byte("a"), alertSize)
	fill := func() {
		for range 10000 {
			if _, err := q.Append(data, false); err != nil {
				b.Fatal(err)
			}
		}
	}
	fill()
	var after uint64
	var buf []Record
	records := 0
	b.ReportAllocs()
	for b.Loop() {
		buf, err = q.Pending(buf[:0], after, 64)
		if err != nil {
			b.Fatal(err)
		}
		if len(buf) == 0 {
			b.StopTimer()
			fill()
			b.StartTimer()
			continue
		}
		for _, r := range buf {
			if err := q.Ack(r.Seq); err != nil {
				b.Fatal(err)
			}
		}
		after = buf[len(buf)-1].Seq
		records += len(buf)
	}
	b.SetBytes(0)
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
