package sim

import (
	"testing"
	"time"
)

// BenchmarkRender renders built-in scenes for their first sensor in
// blocks of 65536 samples (27 ms at 2.4 MS/s), after a second of warm-up,
// and reports the rate in Msamples/s and as a multiple of real time.
// Bytes are those of the cu8 recording it would make.
func BenchmarkRender(b *testing.B) {
	for _, name := range []string{"quiet-night", "gsm-call", "busy-wing"} {
		b.Run(name, func(b *testing.B) {
			sc, err := Builtin(name)
			if err != nil {
				b.Fatal(err)
			}
			sc.Duration = 0 // open-ended: the benchmark decides how long
			src, err := sc.Open(sc.Sensors[0].ID)
			if err != nil {
				b.Fatal(err)
			}
			const n = 65536
			blk := newBlock(n)
			for range int(sc.rate()) / n {
				if err := src.ReadBlock(blk); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.SetBytes(2 * n)
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				if err := src.ReadBlock(blk); err != nil {
					b.Fatal(err)
				}
			}
			el := time.Since(start).Seconds()
			msps := float64(b.N) * n / el / 1e6
			b.ReportMetric(msps, "Msamples/s")
			b.ReportMetric(msps*1e6/sc.rate(), "x_realtime")
		})
	}
}
