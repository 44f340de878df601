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

func BenchmarkLTESlot(b *testing.B) {
	for _, nPRB := range []int{1, 6, 25} {
		b.Run(map[int]string{1: "1PRB", 6: "6PRB", 25: "25PRB"}[nPRB], func(b *testing.B) {
			l, _ := NewLTE(2.4e6)
			rng := rand.New(rand.NewPCG(1, 2))
			buf := make([]complex64, l.SlotLen())
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n, _ = l.Slot(buf, nPRB, QPSK, 0.3, rng)
			}
			report(b, n)
		})
	}
	b.Run("6PRB-1.024MSps", func(b *testing.B) {
		l, _ := NewLTE(1.024e6)
		rng := rand.New(rand.NewPCG(1, 2))
		buf := make([]complex64, l.SlotLen())
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			n, _ = l.Slot(buf, 6, QPSK, 0.3, rng)
		}
		report(b, n)
	})
}

func BenchmarkLTEPUCCHSlot(b *testing.B) {
	l, _ := NewLTE(2.4e6)
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]complex64, l.SlotLen())
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n, _ = l.PUCCHSlot(buf, 0.3, rng)
	}
	report(b, n)
}

func BenchmarkLTESRS(b *testing.B) {
	l, _ := NewLTE(2.4e6)
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]complex64, l.SRSLen())
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n, _ = l.SRS(buf, 4, 0.3, rng)
	}
	report(b, n)
}

func BenchmarkLTEPRACH(b *testing.B) {
	l, _ := NewLTE(2.4e6)
	buf := make([]complex64, l.PRACHLen())
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n, _ = l.PRACH(buf, 129, 13, 0.3)
	}
	report(b, n)
}

func BenchmarkWCDMA(b *testing.B) {
	for _, tc := range []struct {
		name string
		rate float64
	}{{"2.4MSps", 2.4e6}, {"1.024MSps", 1.024e6}, {"odd-rate", 2.3456e6}} {
		b.Run(tc.name, func(b *testing.B) {
			w, _ := NewWCDMA(tc.rate, 1e6, rand.New(rand.NewPCG(1, 2)))
			buf := make([]complex64, 16384)
			b.ReportAllocs()
			for b.Loop() {
				w.Read(buf)
			}
			report(b, len(buf))
		})
	}
}

func BenchmarkInterference(b *testing.B) {
	buf := make([]complex64, 16384)
	for _, tc := range []struct {
		name string
		read func([]complex64)
	}{
		{"CW", NewCW(2.4e6, 1e5).Read},
		{"SweptCW", NewSweptCW(2.4e6, -1e5, 1e5, 1e-3).Read},
		{"NBFM", NewNBFM(2.4e6, 2.5e3, rand.New(rand.NewPCG(1, 1))).Read},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tc.read(buf)
			}
			report(b, len(buf))
		})
	}
	b.Run("Impulse", func(b *testing.B) {
		p := NewImpulse(2.4e6)
		rng := rand.New(rand.NewPCG(1, 1))
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			n, _ = p.Burst(buf, 5e-6, 0.5, rng)
		}
		report(b, n)
	})
}
