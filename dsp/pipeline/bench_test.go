package pipeline

import (
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// cu8Stream renders seconds of dongle-like cu8 bytes: Gaussian noise at
// about 4 counts RMS with 200 kHz bursts every 4.615 ms at +10 dB.
func cu8Stream(seconds float64) []byte {
	const rate = 2.4e6
	rng := rand.New(rand.NewPCG(11, 12))
	n := int(seconds * rate)
	x := make([]complex64, n)
	sig := 4.0 / 127.5
	for i := range x {
		x[i] = complex(float32(rng.NormFloat64()*sig), float32(rng.NormFloat64()*sig))
	}
	noiseP := 2 * sig * sig
	pSig := 10 * noiseP * 200e3 / rate
	blen := int(math.Round(546e-6 * rate))
	for s := 0; s+blen < n; s += int(math.Round(60.0 / 13 * 1e-3 * rate)) {
		b := flatBurst(rng, blen, rate, -300e3, 200e3)
		a := float32(math.Sqrt(pSig))
		for i, v := range b {
			x[s+i] += v * complex(a, 0)
		}
	}
	out := make([]byte, 2*n)
	sdr.CU8.Encode(out, x)
	return out
}

// sceneStream renders seconds of a built-in scene as its first sensor
// hears it, as the cu8 bytes a dongle would deliver.
func sceneStream(tb testing.TB, name string, seconds float64) []byte {
	sc, err := sim.Builtin(name)
	if err != nil {
		tb.Fatal(err)
	}
	sc.Duration = time.Duration(seconds * float64(time.Second))
	src, err := sc.Open(sc.Sensors[0].ID)
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	var out []byte
	buf := make([]complex64, 1<<16)
	blk := sdr.Block{Samples: buf}
	raw := make([]byte, 2*len(buf))
	for {
		blk.Samples = buf
		if err := src.ReadBlock(&blk); err != nil {
			break
		}
		n := sdr.CU8.Encode(raw, blk.Samples)
		out = append(out, raw[:n]...)
	}
	return out
}

// BenchmarkPipeline runs the whole pipeline (cu8 decode included) on a
// 2.4 MS/s stream in blocks of 64 Ki samples, as replay and the daemon do:
// on built-in scenes (a quiet night, one GSM call, a busy wing with phones
// of every kind and interference) and on a worst case for the classifier
// (a 200 kHz noise burst every TDMA frame, each one checked for GSM's
// known bits and never matching).
func BenchmarkPipeline(b *testing.B) {
	for _, name := range []string{"quiet-night", "gsm-call", "busy-wing", "worst-case"} {
		b.Run(name, func(b *testing.B) {
			var raw []byte
			if name == "worst-case" {
				raw = cu8Stream(4)
			} else {
				raw = sceneStream(b, name, 4)
			}
			benchStream(b, raw)
		})
	}
}

func benchStream(b *testing.B, raw []byte) {
	const rate = 2.4e6
	const block = 1 << 16
	p, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]complex64, block)
	blk := sdr.Block{Center: 900e6, Rate: rate, Time: time.Unix(0, 0)}
	out := make([]dsp.Burst, 0, 1024)
	pos := 0
	step := func() {
		if pos+2*block > len(raw) {
			pos = 0
		}
		n := sdr.CU8.Decode(buf, raw[pos:pos+2*block])
		pos += 2 * block
		blk.Samples = buf[:n]
		out, _ = p.Process(out[:0], &blk)
		blk.Seq++
	}
	// Warm up: floor, first bursts, buffers grown.
	for range 100 {
		step()
	}
	b.SetBytes(2 * block)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		step()
	}
	sps := float64(block) * float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(sps/1e6, "Msamples/s")
	b.ReportMetric(sps/rate, "x-realtime")
	// CPU time rather than wall time: on a shared machine the wall clock
	// counts other processes' turns too.
	cpu := (cpuTime() - cpu0).Seconds()
	b.ReportMetric(float64(block)*float64(b.N)/cpu/rate, "x-realtime-cpu")
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestPipelineSteadyStateAllocs(t *testing.T) {
	const rate = 2.4e6
	raw := cu8Stream(1)
	const block = 1 << 16
	p, _ := New(Config{})
	buf := make([]complex64, block)
	blk := sdr.Block{Center: 900e6, Rate: rate}
	out := make([]dsp.Burst, 0, 4096)
	pos := 0
	step := func() {
		if pos+2*block > len(raw) {
			pos = 0
		}
		n := sdr.CU8.Decode(buf, raw[pos:pos+2*block])
		pos += 2 * block
		blk.Samples = buf[:n]
		out, _ = p.Process(out[:0], &blk)
	}
	for range 100 {
		step()
	}
	if a := testing.AllocsPerRun(50, step); a != 0 {
		t.Errorf("pipeline allocates %.1f times per 64 Ki-sample block in steady state", a)
	}
}
