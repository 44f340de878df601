package waveform

import (
	"math/rand/v2"
	"testing"
)

// report sets the benchmark's throughput metrics from samples per op.
func report(b *testing.B, samplesPerOp int) {
	b.SetBytes(int64(samplesPerOp) * 8) // complex64
	b.ReportMetric(float64(samplesPerOp)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Msamples/s")
}

func BenchmarkGSMBurst(b *testing.B) {
	for _, kind := range []GSMBurstKind{GSMNormal, GSMAccess} {
		name := map[GSMBurstKind]string{GSMNormal: "normal", GSMAccess: "access"}[kind]
		b.Run(name, func(b *testing.B) {
			g, _ := NewGSM(2.4e6)
			rng := rand.New(rand.NewPCG(1, 2))
			buf := make([]complex64, g.BurstLen(kind))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n, _ = g.Burst(buf, kind, 0, 0.3, rng)
			}
			report(b, n)
		})
	}
}
