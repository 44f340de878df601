package sim

import (
	"math"
	"math/rand/v2"

	"github.com/cellsentry/cellsentry/sdr/sim/waveform"
)

// streamState holds one emitter's continuous generators for a source.
// They are made when first needed and remade only when the tuning moves
// the signal within the window (WCDMA and swept carriers are generated
// at their offset, band-limited to the window).
type streamState struct {
	pcg *rand.PCG
	rng *rand.Rand
	// owner is the emission the generators were last seeded for.
	owner    uint64
	hasOwner bool

	wcdma    *waveform.WCDMA
	wcdmaOff float64

	nbfm *waveform.NBFM

	swept    *waveform.SweptCW
	sweptOff float64

	noise noiseGen
}

// stream fills src with the samples n0, n0+1, … of a continuous emission
// for a dongle tuned to c (cps is the emission's offset in cycles per
// sample) and returns the gain and offset to mix them with.
func (s *Source) stream(a *active, st *streamState, src []complex64, n0 int64, c, cps float64) (gain, mixCPS float64) {
	em := &a.em
	if st.pcg == nil {
		st.pcg = rand.NewPCG(0, 0)
		st.rng = rand.New(st.pcg)
	}
	fresh := !st.hasOwner || st.owner != em.seed
	if fresh {
		st.pcg.Seed(em.seed, 0)
		st.owner, st.hasOwner = em.seed, true
	}
	ec := s.effCenter(c)
	switch em.synth {
	case synthWCDMA:
		off := em.Freq - ec
		if st.wcdma == nil || fresh || off != st.wcdmaOff {
			w, err := waveform.NewWCDMA(s.rate, off, st.rng)
			if err != nil {
				clear(src)
				return 0, 0
			}
			st.wcdma, st.wcdmaOff = w, off
		}
		st.wcdma.Read(src)
		return 1, 0
	case synthNBFM:
		if st.nbfm == nil {
			st.nbfm = waveform.NewNBFM(s.rate, em.dev, st.rng)
		}
		st.nbfm.Read(src)
		return 1, cps
	case synthSwept:
		from, to := em.from-ec, em.to-ec
		if st.swept == nil || fresh || ec != st.sweptOff {
			st.swept = waveform.NewSweptCW(s.rate, from, to, em.period)
			st.sweptOff = ec
			// Bring the sweep to where it is now: it started at the
			// emission's start and repeats every period.
			skip := math.Mod(math.Max(float64(n0)/s.rate-em.Start, 0), em.period)
			for k := int64(skip * s.rate); k > 0; {
				m := min(k, int64(len(src)))
				st.swept.Read(src[:m])
				k -= m
			}
		}
		st.swept.Read(src)
		// The receiver's passband: the carrier fades out as it sweeps past
		// the window's edges instead of aliasing back in.
		// The frequency of sample n is from + (to − from)·u, u its position
		// in the sweep period (from the absolute index, so it does not
		// depend on the block size).
		for i := range src {
			u := (float64(n0+int64(i))/s.rate - em.Start) / em.period
			u -= math.Floor(u)
			src[i] *= complex(float32(passband((from+(to-from)*u)/s.rate)), 0)
		}
		return 1, 0
	case synthNoise:
		lo := math.Max(em.Freq-em.Bandwidth/2-ec, -s.rate/2)
		hi := math.Min(em.Freq+em.Bandwidth/2-ec, s.rate/2)
		if hi <= lo {
			clear(src)
			return 0, 0
		}
		st.noise.configure((hi-lo)/s.rate, st.rng)
		st.noise.read(src)
		// The jammer's power is spread evenly over its bandwidth; the
		// window holds (hi − lo)/bandwidth of it.
		return math.Sqrt((hi - lo) / em.Bandwidth), (lo + hi) / 2 / s.rate
	}
	clear(src)
	return 0, 0
}

// passband is the amplitude response of the receiver at x = offset/rate:
// flat to ±0.42, a raised-cosine skirt to zero at ±0.5, the convention
// of the waveform generators.
func passband(x float64) float64 {
	x = math.Abs(x)
	switch {
	case x <= 0.42:
		return 1
	case x >= 0.5:
		return 0
	}
	return 0.5 + 0.5*math.Cos(math.Pi*(x-0.42)/0.08)
}

// noiseTaps is the length of the jammer's band-limiting filter.
const noiseTaps = 63

// noiseGen makes complex Gaussian noise of unit power, white or low-pass
// filtered to a fraction of the sampled band.
type noiseGen struct {
	rng   *rand.Rand
	width float64 // bandwidth / rate; ≥ 0.98 means white
	taps  [noiseTaps]float32
	hist  [2 * noiseTaps]complex64
	pos   int
}

// configure sets the bandwidth (fraction of the rate) and the random
// source. The filter is a Blackman-windowed sinc normalised to unit noise
// gain (Σh² = 1), so the output power stays 1.
func (g *noiseGen) configure(width float64, rng *rand.Rand) {
	g.rng = rng
	if width == g.width {
		return
	}
	g.width = width
	if width >= 0.98 {
		return
	}
	var e float64
	h := make([]float64, noiseTaps) // once per retune
	for i := range h {
		m := float64(i - noiseTaps/2)
		x := width * m
		sinc := 1.0
		if x != 0 {
			sinc = math.Sin(math.Pi*x) / (math.Pi * x)
		}
		w := 0.42 - 0.5*math.Cos(2*math.Pi*float64(i)/(noiseTaps-1)) + 0.08*math.Cos(4*math.Pi*float64(i)/(noiseTaps-1))
		h[i] = width * sinc * w
		e += h[i] * h[i]
	}
	for i := range h {
		g.taps[i] = float32(h[i] / math.Sqrt(e))
	}
}

func (g *noiseGen) read(dst []complex64) {
	const s = 0.7071067811865476 // unit complex power from two N(0,1)
	if g.width >= 0.98 {
		for i := range dst {
			dst[i] = complex(float32(s*g.rng.NormFloat64()), float32(s*g.rng.NormFloat64()))
		}
		return
	}
	for i := range dst {
		x := complex(float32(s*g.rng.NormFloat64()), float32(s*g.rng.NormFloat64()))
		// Circular history stored twice so the convolution reads one
		// contiguous window.
		g.hist[g.pos] = x
		g.hist[g.pos+noiseTaps] = x
		g.pos++
		if g.pos == noiseTaps {
			g.pos = 0
		}
		win := g.hist[g.pos : g.pos+noiseTaps]
		var re, im float32
		for k, h := range g.taps {
			re += h * real(win[k])
			im += h * imag(win[k])
		}
		dst[i] = complex(re, im)
	}
}
