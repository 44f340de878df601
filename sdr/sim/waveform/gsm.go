package waveform

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// GSM timing (TS 45.002 §5.2, TS 45.004 §2): the modulation rate is
// 1625/6 kbit/s = 13 MHz/48, one bit lasts 48/13 µs ≈ 3.692 µs.
const (
	GSMBitRate = 13e6 / 48 // bit/s
	gsmBit     = 48 / 13e6 // s

	// GSMRamp is how long the power takes to rise before the first useful
	// bit and to fall after the last one, in seconds: a burst written by
	// GSM.Burst starts GSMRamp before its useful part. TS 45.005 Annex B
	// (time mask) lets the ramp use the 10 µs before the useful part (and
	// 10 µs after it); we use all of it, which keeps the switching
	// transients narrow-band.
	GSMRamp = 10e-6
	gsmRamp = GSMRamp

	// gsmBT is the Gaussian filter's 3 dB bandwidth × bit period.
	gsmBT = 0.3
)

// GSMBurstKind selects the burst structure.
type GSMBurstKind int

// The burst kinds a handset sends on the uplink.
const (
	// GSMNormal: 3 tail, 57 data, 1 stealing flag, 26 training, 1 flag,
	// 57 data, 3 tail = 148 useful bits (546.5 µs), then 8.25 bits guard.
	GSMNormal GSMBurstKind = iota
	// GSMAccess: 8 extended tail, 41 synchronisation, 36 data, 3 tail =
	// 88 useful bits (324.9 µs), then 68.25 bits guard (RACH).
	GSMAccess
	// GSMFrequencyCorrection is the downlink FCCH burst (TS 45.002
	// §5.2.4): 3 tail, 142 fixed, 3 tail bits, all zero = 148 bits. After
	// differential encoding every α is +1, so the GMSK phase advances by
	// π/2 per bit: a pure tone at +GSMBitRate/4 = 1625/24 kHz ≈
	// 67.708 kHz above the carrier.
	GSMFrequencyCorrection
	// GSMSynchronisation is the downlink SCH burst (TS 45.002 §5.2.5):
	// 3 tail, 39 data, the 64-bit extended training sequence, 39 data,
	// 3 tail = 148 bits. The data bits are random here (the real ones
	// carry the BSIC and the frame number, convolutionally coded).
	GSMSynchronisation
)

// Bits returns the number of useful bits of the burst kind.
func (k GSMBurstKind) Bits() int {
	if k == GSMAccess {
		return 88
	}
	return 148
}

// gsmTSC holds the normal-burst training sequences of TS 45.002 §5.2.3,
// training sequence set 1, TSC 0–7, first transmitted bit first.
var gsmTSC = [8][26]uint8{
	{0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 1},
	{0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1},
	{0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0},
	{0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0},
	{0, 0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 1},
	{0, 1, 0, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 1, 0, 1, 0},
	{1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1},
	{1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0},
}

// gsmSCHTraining is the SCH's 64-bit extended training sequence
// (TS 45.002 §5.2.5), first transmitted bit first.
var gsmSCHTraining = [64]uint8{
	1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1,
	0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 1,
}

// GSMSCHTraining returns the SCH's extended training sequence.
func GSMSCHTraining() [64]uint8 { return gsmSCHTraining }

// gsmAccessTail is the access burst's extended tail (TS 45.002 §5.2.7).
var gsmAccessTail = [8]uint8{0, 0, 1, 1, 1, 0, 1, 0}

// gsmAccessSync is the access burst's 41-bit synchronisation sequence TS0
// (TS 45.002 §5.2.7), the one every GSM handset uses for its RACH.
var gsmAccessSync = [41]uint8{
	0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1,
	0, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0,
}

// GSMTrainingSequence returns TSC tsc (0–7) of training sequence set 1 as
// 26 bits of value 0 or 1, first transmitted first.
func GSMTrainingSequence(tsc int) [26]uint8 { return gsmTSC[tsc] }

// GSMAccessSync returns the access burst's 41-bit synchronisation sequence.
func GSMAccessSync() [41]uint8 { return gsmAccessSync }

// GMSK phase table.
//
// TS 45.004 defines GMSK as a continuous-phase FM signal: with the
// differentially encoded symbols α_i = 1 − 2(d_i ⊕ d_{i−1}) ∈ {±1}, the
// phase is
//
//	φ(t) = Σ_i α_i · (π/2) · Qn(t/T − i − ½)
//
// where T is the bit period, bit i occupies [iT, (i+1)T) and Qn is the
// integral of the frequency pulse g = Gaussian ∗ rect (normalised to area 1):
//
//	g(x)  = Φ((x+½)/δ) − Φ((x−½)/δ),   δ = √(ln 2)/(2π·BT) = 0.4417 bits
//	Qn(x) = F(x+½) − F(x−½),           F(y) = y·Φ(y/δ) + δ·ϕ(y/δ)
//
// with Φ, ϕ the standard normal CDF and density. We compute exactly this
// phase at every output instant and output exp(jφ): the "symbol rotation"
// in TS 45.004 belongs to the Laurent (linearised, pulse-amplitude)
// description of the same signal and is not needed when the phase is
// built directly; both descriptions produce the identical waveform, hence
// the identical spectrum.
//
// Qn rises from 0 to 1 within |x| < 3.5 bits (Qn(−3.5) < 1e−12), so the
// phase at a time inside bit b depends on the seven symbols b−3…b+3 and on
// the running sum of all earlier symbols. gmskTable tabulates, for each of
// the 2^7 sign patterns of those seven symbols, their phase contribution
// (in units of π/2) at gmskSteps+1 positions across the bit.
const gmskSteps = 256

type gmskTable [128][gmskSteps + 1]float32

// gmskTab is rate independent and immutable, so it is built once and
// shared by every GSM generator.
var gmskTab = sync.OnceValue(func() *gmskTable {
	delta := math.Sqrt(math.Ln2) / (2 * math.Pi * gsmBT)
	F := func(y float64) float64 {
		z := y / delta
		return y*0.5*math.Erfc(-z/math.Sqrt2) + delta*math.Exp(-z*z/2)/math.Sqrt(2*math.Pi)
	}
	qn := func(x float64) float64 { return F(x+0.5) - F(x-0.5) }
	var q [7][gmskSteps + 1]float64 // q[m+3][k] = Qn(µ − m − ½), µ = k/gmskSteps
	for m := -3; m <= 3; m++ {
		for k := 0; k <= gmskSteps; k++ {
			q[m+3][k] = qn(float64(k)/gmskSteps - float64(m) - 0.5)
		}
	}
	t := new(gmskTable)
	for p := range 128 {
		for k := 0; k <= gmskSteps; k++ {
			var s float64
			for m := range 7 { // bit m of p set ⇔ α_{b+m−3} = −1
				if p>>m&1 == 1 {
					s -= q[m][k]
				} else {
					s += q[m][k]
				}
			}
			t[p][k] = float32(s)
		}
	}
	return t
})

// gsmPad is how many bit periods before the first useful bit (and after
// the last) the modulator state is kept: the ramp (10 µs < 3 bits) plus
// the 3-bit reach of the Gaussian pulse, plus one for rounding.
const gsmPad = 3 + 3 + 2

// GSM generates GMSK bursts (TS 45.004) with the uplink burst structures of
// TS 45.002 at one sample rate.
type GSM struct {
	rate float64
	tab  *gmskTable

	// Per burst scratch, indexed by bit index i + gsmPad (i = −gsmPad…
	// N−1+gsmPad): d the bits, pat the 7-symbol sign pattern around
	// bit i, cum the sum of α_j for j ≤ i−4 (phase in units of π/2).
	d   [148 + 2*gsmPad]uint8
	pat [148 + 2*gsmPad]uint8
	cum [148 + 2*gsmPad]float64

	bits bitSource
}

// NewGSM returns a GSM burst generator for sample rate rate (samples/s,
// at least 1e6 so the 200 kHz channel and its modulation sidebands fit).
func NewGSM(rate float64) (*GSM, error) {
	if err := checkRate(rate); err != nil {
		return nil, fmt.Errorf("waveform: NewGSM: %w", err)
	}
	return &GSM{rate: rate, tab: gmskTab()}, nil
}

// checkRate validates a sample rate for the burst generators.
func checkRate(rate float64) error {
	if !(rate >= 1e6 && rate <= 100e6) {
		return fmt.Errorf("sample rate %g S/s outside 1e6…100e6", rate)
	}
	return nil
}

// gsmTotal is the duration of a burst from the start of the ramp-up to the
// end of the ramp-down, in seconds.
func gsmTotal(kind GSMBurstKind) float64 { return 2*gsmRamp + float64(kind.Bits())*gsmBit }

// BurstLen returns the number of samples Burst writes at most for kind:
// ramp-up (10 µs), the useful bits and ramp-down (10 µs), plus one sample
// for the fractional start. Guard periods are not included: they are
// silence, and the caller places the next burst.
func (g *GSM) BurstLen(kind GSMBurstKind) int {
	return ceilEps(gsmTotal(kind)*g.rate + 1)
}

// Burst writes one burst of kind into dst, starting frac (0 ≤ frac < 1) of
// a sample after dst[0], and returns the number of samples written and the
// active span.
//
// Timing: the ramp-up starts at t = 0 (sample position frac) and lasts
// 10 µs; the useful bits follow, bit i over [10 µs + iT, 10 µs + (i+1)T);
// the ramp-down takes the 10 µs after the last useful bit. The active span
// holds exactly the samples taken during the useful bits (148 bits =
// 546.5 µs for a normal burst, 88 bits = 324.9 µs for an access burst);
// over it |s| = 1, so the mean power is 1. The ramps are raised-cosine in
// amplitude, zero at their outer end.
//
// Bits: a normal burst carries tail 000, 57 random data bits, stealing
// flag 0 (speech), the 26-bit training sequence tsc (0–7, TS 45.002 set 1),
// flag 0, 57 random data bits, tail 000. An access burst carries the
// extended tail 00111010, the 41-bit synchronisation sequence, 36 random
// bits and tail 000; tsc is ignored. A frequency correction burst is 148
// zeros and a synchronisation burst carries the extended training sequence
// between random data (downlink kinds; tsc ignored). Before and after the burst the
// modulator runs on as if fed with ones (TS 45.004 §2.2), so the ramps are
// modulated too. Each burst gets a random carrier phase.
//
// Burst panics if len(dst) < BurstLen(kind), if tsc is not in 0…7 for a
// normal burst or if frac is not in [0, 1). Samples of dst past n are not
// touched.
func (g *GSM) Burst(dst []complex64, kind GSMBurstKind, tsc int, frac float64, rng *rand.Rand) (n int, active Span) {
	checkFrac(frac)
	if len(dst) < g.BurstLen(kind) {
		panic("waveform: GSM.Burst: dst shorter than BurstLen")
	}
	nbits := kind.Bits()
	g.bits.reset(rng)
	g.fillBits(kind, tsc)

	// Differential encoding (TS 45.004 §2.3): d̂_i = d_i ⊕ d_{i−1},
	// α_i = 1 − 2 d̂_i. Outside the burst d = 1, so α = +1 there.
	total := nbits + 2*gsmPad
	var alpha [148 + 2*gsmPad + 1]uint8 // 1 ⇔ α = −1
	for j := 1; j < total; j++ {
		alpha[j] = g.d[j] ^ g.d[j-1]
	}
	// pat[j] collects α for bit indices j−3…j+3 (bit m ⇔ index j+m−3);
	// cum[j] = Σ α over indices < j−3. Indices outside the array are +1.
	sum := 0.0
	for j := range total {
		var p uint8
		for m := range 7 {
			if k := j + m - 3; k >= 0 && k < total && alpha[k] == 1 {
				p |= 1 << m
			}
		}
		g.pat[j] = p
		// cum[j] = Σ_{k ≤ j−4} α_k, counting from index 0 (the constant
		// phase of the infinite run of +1 before it is absorbed in phase0).
		g.cum[j] = sum
		if k := j - 3; k >= 0 {
			if alpha[k] == 1 {
				sum--
			} else {
				sum++
			}
		}
	}

	T := gsmBit
	n = ceilEps(frac + gsmTotal(kind)*g.rate)
	start := firstSampleAt(gsmRamp, frac, g.rate)
	end := firstSampleAt(gsmRamp+float64(nbits)*T, frac, g.rate)
	active = Span{Start: start, Len: end - start}

	phase0 := rng.Float64() // random carrier phase, cycles
	tab := g.tab
	for i := range n {
		t := (float64(i) - frac) / g.rate // s since the ramp-up started
		u := (t-gsmRamp)/T + gsmPad       // bit position, ≥ gsmPad−3
		b := int(u)
		mu := (u - float64(b)) * gmskSteps
		k := int(mu)
		w := float32(mu - float64(k))
		row := &tab[g.pat[b]]
		q := row[k] + w*(row[k+1]-row[k])
		s := cis(phase0 + 0.25*(g.cum[b]+float64(q)))
		if i < start || i >= end {
			s *= complex(float32(gsmRampGain(t, nbits)), 0)
		}
		dst[i] = s
	}
	return n, active
}

// gsmRampGain is the amplitude envelope outside the useful part: a raised
// cosine from 0 at the start of the ramp-up to 1 at the first useful bit,
// and back to 0 over the 10 µs after the last one.
func gsmRampGain(t float64, nbits int) float64 {
	end := gsmRamp + float64(nbits)*gsmBit
	switch {
	case t <= 0 || t >= end+gsmRamp:
		return 0
	case t < gsmRamp:
		return 0.5 - 0.5*math.Cos(math.Pi*t/gsmRamp)
	case t > end:
		return 0.5 + 0.5*math.Cos(math.Pi*(t-end)/gsmRamp)
	}
	return 1
}

// fillBits writes the burst's bits into g.d[gsmPad:] and ones around them.
func (g *GSM) fillBits(kind GSMBurstKind, tsc int) {
	for j := range g.d {
		g.d[j] = 1
	}
	d := g.d[gsmPad:]
	random := func(dst []uint8) {
		for i := range dst {
			dst[i] = uint8(g.bits.bits(1))
		}
	}
	switch kind {
	case GSMNormal:
		if tsc < 0 || tsc > 7 {
			panic("waveform: GSM.Burst: training sequence code must be 0…7")
		}
		copy(d[0:3], []uint8{0, 0, 0})
		random(d[3:60])
		d[60] = 0
		copy(d[61:87], gsmTSC[tsc][:])
		d[87] = 0
		random(d[88:145])
		copy(d[145:148], []uint8{0, 0, 0})
	case GSMAccess:
		copy(d[0:8], gsmAccessTail[:])
		copy(d[8:49], gsmAccessSync[:])
		random(d[49:85])
		copy(d[85:88], []uint8{0, 0, 0})
	case GSMFrequencyCorrection:
		clear(d[:148])
	case GSMSynchronisation:
		copy(d[0:3], []uint8{0, 0, 0})
		random(d[3:42])
		copy(d[42:106], gsmSCHTraining[:])
		random(d[106:145])
		copy(d[145:148], []uint8{0, 0, 0})
	default:
		panic(fmt.Sprintf("waveform: GSM.Burst: unknown burst kind %d", kind))
	}
}
