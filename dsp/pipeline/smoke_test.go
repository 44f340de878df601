package pipeline

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/fft"
	"github.com/cellsentry/cellsentry/sdr"
)

// flatBurst returns n samples of Gaussian noise band-limited to bw around
// off Hz, with unit mean power: the energy detector's textbook signal.
func flatBurst(rng *rand.Rand, n int, rate, off, bw float64) []complex64 {
	size := 1
	for size < n {
		size *= 2
	}
	f, _ := fft.New(size)
	x := make([]complex64, size)
	for k := range x {
		fk := float64(k) * rate / float64(size)
		if fk >= rate/2 {
			fk -= rate
		}
		if math.Abs(fk-off) <= bw/2 {
			x[k] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
		}
	}
	f.Inverse(x, x)
	x = x[:n]
	var p float64
	for _, v := range x {
		p += float64(real(v)*real(v) + imag(v)*imag(v))
	}
	g := float32(1 / math.Sqrt(p/float64(n)))
	for i := range x {
		x[i] *= complex(g, 0)
	}
	return x
}

func TestSmokeFlatBursts(t *testing.T) {
	const rate = 2.4e6
	rng := rand.New(rand.NewPCG(1, 2))
	seconds := 3.0
	n := int(seconds * rate)
	x := make([]complex64, n)
	noiseP := 1e-3 // total noise power in the window
	sig := math.Sqrt(noiseP / 2)
	for i := range x {
		x[i] = complex(float32(rng.NormFloat64()*sig), float32(rng.NormFloat64()*sig))
	}
	// Bursts of 200 kHz × 546 µs at +10 dB in-channel SNR every 50 ms after 1 s.
	bw, dur := 200e3, 546e-6
	snr := 10.0
	pSig := math.Pow(10, snr/10) * noiseP * bw / rate
	var starts []int
	for s := int(1.0 * rate); s+int(dur*rate) < n; s += int(0.05 * rate) {
		b := flatBurst(rng, int(dur*rate), rate, 400e3, bw)
		a := float32(math.Sqrt(pSig))
		for i, v := range b {
			x[s+i] += v * complex(a, 0)
		}
		starts = append(starts, s)
	}
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	var out []dsp.Burst
	blk := sdr.Block{Center: 900e6, Rate: rate, Time: time.Unix(0, 0)}
	for off := 0; off < n; off += 16384 {
		end := min(n, off+16384)
		blk.Samples = x[off:end]
		out, err = p.Process(out, &blk)
		if err != nil {
			t.Fatal(err)
		}
		blk.Seq++
		blk.Time = blk.Time.Add(time.Duration(float64(end-off) / rate * 1e9))
	}
	out = p.Flush(out)
	found := 0
	for _, b := range out {
		if b.Rhythm {
			continue
		}
		t.Logf("burst off=%.6f dur=%.1fus f=%.0f bw=%.0f snr=%.1f p=%.1f class=%v/%s", float64(b.Offset)/rate, b.Duration.Seconds()*1e6, b.Freq-900e6, b.Bandwidth(), b.SNR, b.PowerDBFS, b.Class, b.Kind)
		found++
	}
	t.Logf("thresholds %+v", p.Thresholds())
	if found < len(starts)*9/10 {
		t.Errorf("found %d bursts of %d", found, len(starts))
	}
}
