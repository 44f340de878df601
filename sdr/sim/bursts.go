package sim

import (
	"math"
	"time"
)

// UMTSCall is a UMTS (WCDMA) voice or data call: continuous 3.84 Mcps
// uplink from the emitter's Start to its Stop, one emission.
type UMTSCall struct {
	// Freq is the uplink carrier center, Hz (UARFCN N ↔ N/5 + 340 MHz in
	// band VIII).
	Freq float64
}

// Name implements Behaviour.
func (*UMTSCall) Name() string       { return "umts_call" }
func (*UMTSCall) interference() bool { return false }

func (u *UMTSCall) validate(f string, _ *Scene) error {
	if !(u.Freq >= minTune && u.Freq <= maxTune) {
		return sceneErr(f+".freq", "%s outside 24–1766 MHz", fmtHz(u.Freq))
	}
	return nil
}

func (u *UMTSCall) schedule(c *schedContext) schedule {
	return &onceSched{fill: func(em *emission) {
		em.Kind = KindUMTS
		em.Start = c.start
		em.Duration = c.stop - c.start
		em.Freq = u.Freq
		em.Bandwidth = umtsBW
		em.synth = synthWCDMA
	}}
}

// Bursts is for detector tests: Count isolated emissions of one Kind
// (KindGSMNormal, KindGSMAccess, KindLTEPUSCH, KindLTEPUCCH, KindLTEPRACH
// or KindLTESRS) at random times, a mean Interval apart from start to
// start and never overlapping, each on a random channel within
// [FreqMin, FreqMax] (GSM: the 200 kHz ARFCN raster; LTE: a 180 kHz grid),
// all at the same SNR in own bandwidth. The emitter's Level and Steps are
// not used.
//
//	sim.Bursts{Kind: sim.KindGSMNormal, Count: 200, Interval: 20 * time.Millisecond, SNR: 6}
type Bursts struct {
	Kind Kind
	// Count is the number of emissions (0: until the end of the scene).
	Count int
	// Interval is the mean time from one start to the next (0: 20 ms).
	// Gaps are exponential on top of the burst itself and a 200 µs guard.
	Interval time.Duration
	// SNR in own bandwidth at every sensor, dB.
	SNR float64
	// FreqMin and FreqMax bound the channels, Hz (both 0: the first
	// sensor's center ± 40 % of the sample rate).
	FreqMin, FreqMax float64
	// NPRB is the allocation of lte_pusch and lte_srs (0: 6 and 4);
	// Subframes the PUSCH length (0: 1).
	NPRB, Subframes int
}

// Name implements Behaviour.
func (*Bursts) Name() string       { return "bursts" }
func (*Bursts) interference() bool { return false }

// burstGuard separates consecutive test bursts.
const burstGuard = 200e-6

func (b *Bursts) validate(f string, s *Scene) error {
	switch b.Kind {
	case KindGSMNormal, KindGSMAccess, KindLTEPUSCH, KindLTEPUCCH, KindLTEPRACH, KindLTESRS:
	default:
		return sceneErr(f+".kind", "bursts of %v are not supported (gsm_normal, gsm_access, lte_pusch, lte_pucch, lte_prach, lte_srs)", b.Kind)
	}
	if b.Count < 0 {
		return sceneErr(f+".count", "negative")
	}
	if b.Interval < 0 {
		return sceneErr(f+".interval", "negative")
	}
	if math.IsNaN(b.SNR) || b.SNR < -60 || b.SNR > 100 {
		return sceneErr(f+".snr", "%g dB outside −60…+100 dB", b.SNR)
	}
	if b.NPRB < 0 || b.NPRB > 100 || b.Subframes < 0 || b.Subframes > 1000 {
		return sceneErr(f+".nprb", "allocation %d PRB × %d subframes out of range", b.NPRB, b.Subframes)
	}
	if b.Kind == KindLTEPUSCH && b.NPRB > 0 && !allowedSize(b.NPRB) {
		return sceneErr(f+".nprb", "%d PRB is not a PUSCH DFT size (2^a·3^b·5^c)", b.NPRB)
	}
	lo, hi := b.band(s)
	if !(lo > 0 && hi > lo) {
		return sceneErr(f+".freq_min", "empty frequency range %s – %s", fmtHz(lo), fmtHz(hi))
	}
	if _, n := b.channels(lo, hi); n <= 0 {
		return sceneErr(f+".freq_min", "no %v channel fits in %s – %s", b.Kind, fmtHz(lo), fmtHz(hi))
	}
	return nil
}

func allowedSize(n int) bool {
	for _, s := range lteSizes {
		if s == n {
			return true
		}
	}
	return false
}

// band is the frequency range with its default.
func (b *Bursts) band(s *Scene) (lo, hi float64) {
	if b.FreqMin == 0 && b.FreqMax == 0 && len(s.Sensors) > 0 {
		c := s.Sensors[0].Center
		return c - 0.4*s.rate(), c + 0.4*s.rate()
	}
	return b.FreqMin, b.FreqMax
}

// nprb is the allocation size of the kind.
func (b *Bursts) nprb() int {
	switch b.Kind {
	case KindLTEPUSCH:
		if b.NPRB == 0 {
			return 6
		}
	case KindLTESRS:
		if b.NPRB == 0 {
			return 4
		}
	case KindLTEPUCCH:
		return 1
	case KindLTEPRACH:
		return 6
	}
	return b.NPRB
}

// channels returns the lowest channel center and the number of channels of
// the kind's raster whose whole band fits in [lo, hi].
func (b *Bursts) channels(lo, hi float64) (first float64, n int) {
	if b.Kind == KindGSMNormal || b.Kind == KindGSMAccess {
		// ARFCN frequencies are 890 MHz + k·200 kHz (E-GSM) or
		// 1710.2 MHz + k·200 kHz (DCS); count those in range that are
		// real channels.
		base := 890e6
		if lo >= 1710e6 {
			base = 1710.2e6
		}
		k0 := math.Ceil((lo + gsmBW/2 - base) / gsmBW)
		k1 := math.Floor((hi - gsmBW/2 - base) / gsmBW)
		for k := k0; k <= k1; k++ {
			if gsmARFCN(base+k*gsmBW) >= 0 {
				if n == 0 {
					first = base + k*gsmBW
				}
				n++
			} else if n > 0 {
				break
			}
		}
		return first, n
	}
	bw := float64(b.nprb()) * ltePRB
	first = lo + bw/2
	n = int(math.Floor((hi-lo-bw)/ltePRB)) + 1
	return first, n
}

func (b *Bursts) schedule(c *schedContext) schedule {
	lo, hi := b.band(c.scene)
	first, n := b.channels(lo, hi)
	step := ltePRB
	if b.Kind == KindGSMNormal || b.Kind == KindGSMAccess {
		step = gsmBW
	}
	interval := 0.02
	if b.Interval > 0 {
		interval = b.Interval.Seconds()
	}
	return &burstsSched{b: b, c: c, first: first, n: n, step: step, interval: interval,
		t: c.start + c.rng.Float64()*interval}
}

type burstsSched struct {
	b        *Bursts
	c        *schedContext
	first    float64
	n        int
	step     float64
	interval float64
	t        float64
	count    int
}

func (s *burstsSched) next(em *emission) bool {
	if s.b.Count > 0 && s.count >= s.b.Count {
		return false
	}
	s.count++
	f := s.first + float64(s.c.rng.IntN(s.n))*s.step
	t := s.t
	k := s.b.Kind
	switch k {
	case KindGSMNormal, KindGSMAccess:
		gsmBurst(em, k, gsmARFCN(f), s.c.rng.IntN(8), s.c.rng.IntN(8), t)
	default:
		n := s.b.nprb()
		// An LTE burst is described as an allocation of the whole of a
		// carrier of n PRB centred on f.
		em.Kind = k
		em.Start = t
		em.Duration = durationOf(k)
		em.Carrier = f
		em.nRB = n
		em.PRB, em.NPRB = 0, n
		em.Freq = f
		em.Bandwidth = float64(n) * ltePRB
		switch k {
		case KindLTEPUSCH:
			em.synth = synthPUSCH
			em.mod = s.c.rng.IntN(2)
			em.Duration = float64(max(s.b.Subframes, 1)) * lteSF
		case KindLTEPUCCH:
			em.synth = synthPUCCH
		case KindLTEPRACH:
			em.synth = synthPRACH
			em.Bandwidth = prachBW
			em.root = 1 + s.c.rng.IntN(837)
			em.cs = s.c.rng.IntN(64)
		case KindLTESRS:
			em.synth = synthSRS
		}
	}
	gap := s.interval - em.Duration - burstGuard
	s.t = t + em.Duration + burstGuard + s.c.rng.ExpFloat64()*math.Max(gap, 0)
	return true
}
