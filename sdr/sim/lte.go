package sim

import (
	"math"
	"time"
)

// LTEData is a bursty LTE data session (web, chat) on an uplink carrier.
// The UE wakes with a PRACH preamble and its Msg3, then alternates activity
// periods (exponential, mean On) and pauses (mean Off). During activity the
// eNodeB schedules PUSCH in runs of consecutive 1 ms subframes (mean
// RunLength subframes, a fraction Load of subframes overall), each run on
// a contiguous allocation of nPRB (a DFT size 2^a·3^b·5^c, up to MaxPRB)
// at a random position between the PUCCH regions; downlink traffic makes
// the UE answer HARQ ACKs on PUCCH four subframes later. While connected
// the UE sends periodic CQI on PUCCH and periodic SRS in the last symbol
// of a subframe, once the connection is set up; in those subframes PUSCH
// and PUCCH leave the last symbol to the SRS (shortened formats). PUCCH
// is one PRB at a carrier edge that hops to the other edge at the slot
// boundary, and is only sent in subframes without PUSCH (UCI rides on
// PUSCH otherwise). A pause longer than Inactivity releases
// the connection: no CQI or SRS, and the next activity starts with a
// PRACH again; a shorter pause ends with a scheduling request on PUCCH.
//
// Power follows LTE open-loop power control with full path-loss
// compensation: a constant power per PRB, PRBBackoff dB under the
// emitter's level, capped at the level (the UE's maximum, +23 dBm for a
// class 3 phone).
type LTEData struct {
	// Carrier is the uplink carrier center, Hz; Bandwidth its channel
	// bandwidth: 1.4, 3, 5, 10, 15 or 20 MHz (6, 15, 25, 50, 75, 100 PRB).
	Carrier, Bandwidth float64
	// MaxPRB caps PUSCH allocations (0: every PRB between the PUCCH regions).
	MaxPRB int
	// On and Off are the mean activity and pause lengths (0: 400 ms, 3 s).
	On, Off time.Duration
	// Load is the fraction of subframes with PUSCH during activity
	// (0: 0.5); RunLength the mean run of consecutive PUSCH subframes
	// (0: 4).
	Load      float64
	RunLength float64
	// Inactivity is the RRC inactivity timer (0: 10 s).
	Inactivity time.Duration
	// CQIPeriod and SRSPeriod are the periodic CQI and SRS intervals
	// (0: 20 ms and 40 ms); NoCQI, NoSRS turn them off. SRSPRB is the SRS
	// bandwidth in PRB, a multiple of 4 (0: 4); it hops across the band.
	CQIPeriod, SRSPeriod time.Duration
	NoCQI, NoSRS         bool
	SRSPRB               int
	// PRBBackoff is the power per PRB below the emitter's level, dB
	// (0: 10, so allocations of 10 PRB or more run at full power).
	PRBBackoff float64
}

// Name implements Behaviour.
func (*LTEData) Name() string       { return "lte_data" }
func (*LTEData) interference() bool { return false }

func (l *LTEData) validate(f string, _ *Scene) error {
	nRB, ok := lteNRB(l.Bandwidth)
	if !ok {
		return sceneErr(f+".bandwidth", "%s is not an LTE channel bandwidth (1.4, 3, 5, 10, 15, 20 MHz)", fmtHz(l.Bandwidth))
	}
	if !(l.Carrier >= minTune && l.Carrier <= maxTune) {
		return sceneErr(f+".carrier", "%s outside 24–1766 MHz", fmtHz(l.Carrier))
	}
	if l.MaxPRB < 0 || l.MaxPRB > nRB-2*pucchRegion(nRB) {
		return sceneErr(f+".max_prb", "%d outside 0–%d for %d PRB", l.MaxPRB, nRB-2*pucchRegion(nRB), nRB)
	}
	if l.On < 0 || l.Off < 0 || l.Inactivity < 0 || l.CQIPeriod < 0 || l.SRSPeriod < 0 {
		return sceneErr(f, "negative duration")
	}
	if l.CQIPeriod > 0 && l.CQIPeriod < 2*time.Millisecond || l.SRSPeriod > 0 && l.SRSPeriod < 2*time.Millisecond {
		return sceneErr(f+".cqi_period", "periods are at least 2 ms")
	}
	if !(l.Load >= 0 && l.Load <= 1) {
		return sceneErr(f+".load", "%g outside 0–1", l.Load)
	}
	if !(l.RunLength == 0 || l.RunLength >= 1 && l.RunLength <= 1000) {
		return sceneErr(f+".run_length", "%g outside 1–1000 subframes", l.RunLength)
	}
	if l.SRSPRB < 0 || l.SRSPRB%4 != 0 || l.SRSPRB > nRB-2*pucchRegion(nRB) {
		return sceneErr(f+".srs_prb", "%d is not a multiple of 4 within the carrier", l.SRSPRB)
	}
	if !(l.PRBBackoff >= 0 && l.PRBBackoff <= 40) {
		return sceneErr(f+".prb_backoff", "%g dB outside 0–40 dB", l.PRBBackoff)
	}
	return nil
}

func (l *LTEData) schedule(c *schedContext) schedule {
	e := newLTEEngine(l, c)
	e.nextOn = c.start
	e.activity = func() (on, off float64) {
		return c.rng.ExpFloat64() * e.onMean, c.rng.ExpFloat64() * e.offMean
	}
	return e
}

// LTEIdle is an idle LTE phone: silent except for a periodic tracking-area
// update every Period (T3412, default 54 min): PRACH, Msg3, a short burst
// of PUSCH signalling, then CQI and SRS until the inactivity timer
// releases the connection. The first update is at the emitter's Start.
type LTEIdle struct {
	Carrier, Bandwidth float64
	Period             time.Duration
	// Inactivity is the RRC inactivity timer (0: 10 s).
	Inactivity time.Duration
}

// Name implements Behaviour.
func (*LTEIdle) Name() string       { return "lte_idle" }
func (*LTEIdle) interference() bool { return false }

func (l *LTEIdle) validate(f string, s *Scene) error {
	d := LTEData{Carrier: l.Carrier, Bandwidth: l.Bandwidth, Inactivity: l.Inactivity}
	if err := d.validate(f, s); err != nil {
		return err
	}
	if l.Period < 0 || l.Period > 0 && l.Period < l.Inactivity+time.Second {
		return sceneErr(f+".period", "%v shorter than the connection it opens", l.Period)
	}
	return nil
}

func (l *LTEIdle) schedule(c *schedContext) schedule {
	e := newLTEEngine(&LTEData{Carrier: l.Carrier, Bandwidth: l.Bandwidth, Inactivity: l.Inactivity, Load: 0.3, RunLength: 2, MaxPRB: 4}, c)
	period := 54 * 60.0
	if l.Period > 0 {
		period = l.Period.Seconds()
	}
	e.nextOn = c.start
	e.activity = func() (on, off float64) {
		// One short signalling burst, then silence until the next update.
		on = 0.02 + c.rng.ExpFloat64()*0.03
		return on, period - on
	}
	return e
}

// pucchRegion is the number of PRBs at each carrier edge kept for PUCCH.
func pucchRegion(nRB int) int {
	if nRB < 25 {
		return 1
	}
	return 2
}

// lteSizes are the PUSCH allocation sizes allowed by the DFT precoder
// (2^a·3^b·5^c, TS 36.211 §5.3.3) up to 100 PRB.
var lteSizes = func() (s []int) {
	for n := 1; n <= 100; n++ {
		m := n
		for _, p := range []int{2, 3, 5} {
			for m%p == 0 {
				m /= p
			}
		}
		if m == 1 {
			s = append(s, n)
		}
	}
	return s
}()

// lteEngine runs one UE subframe by subframe.
type lteEngine struct {
	l        *LTEData
	c        *schedContext
	nRB      int
	edge     int // PUCCH region, PRB per edge
	region   int // PRBs between the PUCCH regions
	maxPRB   int
	offset   float64 // subframe 0 starts here, s
	sf       int64   // next subframe to run
	activity func() (on, off float64)

	onMean, offMean, inactivity float64
	load, runMean               float64
	cqi, srs                    int64 // periods in subframes, 0 off
	cqiOff, srsOff              int64
	srsPRB, srsHop              int
	backoff                     float64

	connected bool
	nextOn    float64 // when the next activity starts, s
	onEnd     float64 // end of the current activity, s (< now: in a pause)
	pauseEnd  float64 // end of the current pause, s
	idleAt    float64 // when the inactivity timer expires, s
	msg3At    int64   // subframe of the pending Msg3, -1 none
	dataFrom  int64   // PUSCH may be scheduled from this subframe
	run       int     // subframes left in the current PUSCH run
	gap       int     // subframes left before the next run may start
	srPending bool
	dl        uint8 // downlink data in recent subframes, bit i: i subframes ago (HARQ ACK 4 later)

	queue [6]emission
	qn    int
	qi    int
}

func newLTEEngine(l *LTEData, c *schedContext) *lteEngine {
	nRB, _ := lteNRB(l.Bandwidth)
	e := &lteEngine{l: l, c: c, nRB: nRB, edge: pucchRegion(nRB), msg3At: -1}
	e.region = nRB - 2*e.edge
	e.maxPRB = e.region
	if l.MaxPRB > 0 {
		e.maxPRB = l.MaxPRB
	}
	pick := func(d time.Duration, def float64) float64 {
		if d > 0 {
			return d.Seconds()
		}
		return def
	}
	e.onMean = pick(l.On, 0.4)
	e.offMean = pick(l.Off, 3)
	e.inactivity = pick(l.Inactivity, 10)
	e.load = l.Load
	if e.load == 0 {
		e.load = 0.5
	}
	e.runMean = l.RunLength
	if e.runMean == 0 {
		e.runMean = 4
	}
	if !l.NoCQI {
		e.cqi = int64(math.Round(pick(l.CQIPeriod, 0.02) / lteSF))
		e.cqiOff = int64(c.rng.IntN(int(e.cqi)))
	}
	if !l.NoSRS {
		e.srs = int64(math.Round(pick(l.SRSPeriod, 0.04) / lteSF))
		e.srsOff = int64(c.rng.IntN(int(e.srs)))
	}
	e.srsPRB = l.SRSPRB
	if e.srsPRB == 0 {
		e.srsPRB = 4
	}
	e.srsPRB = max(min(e.srsPRB, e.region/4*4), 1)
	e.backoff = l.PRBBackoff
	if e.backoff == 0 {
		e.backoff = 10
	}
	e.offset = c.rng.Float64() * lteSF
	e.sf = framesFrom(c.start, e.offset, lteSF)
	e.onEnd = math.Inf(-1)
	return e
}

// power is the transmit power offset for an allocation of n PRB, dB ≤ 0.
func (e *lteEngine) power(n int) float64 {
	return math.Min(0, 10*math.Log10(float64(n))-e.backoff)
}

func (e *lteEngine) next(em *emission) bool {
	for e.qi >= e.qn {
		if !e.step() {
			return false
		}
	}
	*em = e.queue[e.qi]
	e.qi++
	return true
}

// push queues an emission of kind k starting at t in the current subframe.
func (e *lteEngine) push(k Kind, t float64, prb, n int) {
	em := &e.queue[e.qn]
	e.qn++
	*em = emission{}
	em.Kind = k
	em.Start = t
	em.Duration = durationOf(k)
	em.Carrier = e.l.Carrier
	em.nRB = e.nRB
	em.PRB, em.NPRB = prb, n
	em.Freq = prbCenter(e.l.Carrier, e.nRB, prb, n)
	em.Bandwidth = float64(n) * ltePRB
	em.Level.DB = e.power(n)
	switch k {
	case KindLTEPUSCH:
		em.synth = synthPUSCH
		em.mod = e.c.rng.IntN(2)
	case KindLTEPUCCH:
		em.synth = synthPUCCH
	case KindLTESRS:
		em.synth = synthSRS
	case KindLTEPRACH:
		em.synth = synthPRACH
		em.Bandwidth = prachBW
		em.root = 1 + e.c.rng.IntN(837)
		em.cs = e.c.rng.IntN(64)
	}
}

// step runs one subframe (skipping idle time) and queues its emissions in
// time order. It returns false when the session is over.
func (e *lteEngine) step() bool {
	e.qn, e.qi = 0, 0
	t := e.offset + float64(e.sf)*lteSF
	if t >= e.c.stop {
		return false
	}
	// Idle with nothing pending: jump to the next activity.
	if !e.connected && e.msg3At < 0 && t < e.nextOn {
		e.sf = framesFrom(e.nextOn, e.offset, lteSF)
		t = e.offset + float64(e.sf)*lteSF
		if t >= e.c.stop {
			return false
		}
	}
	sf := e.sf
	e.sf++

	// A new activity period begins.
	if t >= e.nextOn && t >= e.onEnd {
		on, off := e.activity()
		e.onEnd = t + on
		e.pauseEnd = e.onEnd + off
		e.nextOn = e.pauseEnd
		e.run, e.gap = 0, 0
		if !e.connected {
			// Random access: preamble now at the PRACH position just above
			// the lower PUCCH region, Msg3 (RRC connection request) six
			// subframes after the RAR, data once the connection is set up.
			e.push(KindLTEPRACH, t, min(e.edge, e.nRB-6), 6)
			e.msg3At = sf + 8
			e.dataFrom = sf + 20
			e.connected = true
		} else {
			e.srPending = true
			e.dataFrom = sf + 4
		}
	}
	active := t < e.onEnd
	if active {
		e.idleAt = math.Inf(1)
	} else if math.IsInf(e.idleAt, 1) {
		e.idleAt = e.onEnd + e.inactivity
	}
	if e.connected && e.msg3At < 0 && t >= e.idleAt {
		e.connected = false
		e.dl = 0
		e.idleAt = math.Inf(1)
		return true
	}

	// PUSCH: Msg3, or runs of scheduled subframes during activity.
	pusch := false
	if sf == e.msg3At {
		e.msg3At = -1
		size := min(2, e.maxPRB)
		prb := e.edge + e.c.rng.IntN(e.region-size+1)
		e.push(KindLTEPUSCH, t, prb, size)
		pusch = true
	} else if e.run > 0 {
		e.run--
		pusch = true
	} else if active && sf >= e.dataFrom {
		if e.gap > 0 {
			e.gap--
		} else {
			n := e.runLength()
			e.run = n - 1
			e.gap = e.gapLength()
			size := e.allocSize()
			prb := e.edge + e.c.rng.IntN(e.region-size+1)
			e.push(KindLTEPUSCH, t, prb, size)
			q := &e.queue[e.qn-1]
			q.Duration = float64(n) * lteSF
			if e.srs > 0 {
				q.srsEvery, q.srsPhase = e.srs, ((sf-e.srsOff)%e.srs+e.srs)%e.srs
			}
			pusch = true
		}
	}
	// HARQ ACK for downlink data four subframes ago.
	ack := e.dl&0x8 != 0
	e.dl <<= 1
	if active && e.connected && sf >= e.dataFrom-4 && e.c.rng.Float64() < 0.5 {
		e.dl |= 1
	}
	// Periodic CQI and SRS are configured by the RRC connection setup:
	// none before the connection is up.
	setUp := e.connected && e.msg3At < 0 && sf >= e.dataFrom-4
	cqi := setUp && e.cqi > 0 && (sf-e.cqiOff)%e.cqi == 0
	sr := e.srPending && e.connected
	srsHere := setUp && e.srs > 0 && (sf-e.srsOff)%e.srs == 0
	if !pusch && e.connected && (ack || cqi || sr) {
		e.srPending = false
		// PUCCH format 1/2 on the outermost PRBs: lower edge in slot 0,
		// upper edge in slot 1 (or the mirror, per UE).
		lo, hi := 0, e.nRB-1
		if e.c.seed&1 == 1 {
			lo, hi = hi, lo
		}
		e.push(KindLTEPUCCH, t, lo, 1)
		e.push(KindLTEPUCCH, t+lteSlot, hi, 1)
		// Shortened PUCCH in an SRS subframe (TS 36.211 §5.4.1).
		e.queue[e.qn-1].shorten = srsHere
	}
	if srsHere {
		// SRS hops across the PUSCH region one SRS bandwidth at a time.
		pos := e.region / e.srsPRB
		prb := e.edge + (e.srsHop%max(pos, 1))*e.srsPRB
		e.srsHop++
		e.push(KindLTESRS, t+lteSF-lteSymbol, prb, e.srsPRB)
	}
	return true
}

// runLength draws the length of a PUSCH run, subframes (geometric, ≥ 1).
func (e *lteEngine) runLength() int {
	return 1 + int(e.c.rng.ExpFloat64()*(e.runMean-1)+0.5)
}

// gapLength draws the pause between runs so that runs fill a fraction
// load of the activity.
func (e *lteEngine) gapLength() int {
	mean := e.runMean * (1 - e.load) / e.load
	return int(e.c.rng.ExpFloat64() * mean)
}

// allocSize draws a PUSCH allocation size, log-uniform over the allowed
// DFT sizes up to maxPRB.
func (e *lteEngine) allocSize() int {
	top := 0
	for top < len(lteSizes) && lteSizes[top] <= e.maxPRB {
		top++
	}
	x := math.Exp(e.c.rng.Float64() * math.Log(float64(lteSizes[top-1])+1))
	for i := top - 1; i >= 0; i-- {
		if float64(lteSizes[i]) <= x {
			return lteSizes[i]
		}
	}
	return 1
}
