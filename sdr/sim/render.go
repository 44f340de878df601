package sim

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sim/waveform"
)

// Source renders a Scene as one sensor receives it. It implements
// sdr.Source and can be retuned like a dongle. It is not safe for
// concurrent use; sources opened from the same scene are independent and
// may run in different goroutines.
type Source struct {
	// OnEmission, when set, is called during ReadBlock once for every
	// emission of the scene that has ended (or been cut by the end of the
	// scene) in the samples delivered so far, visible or not, with how this
	// sensor received it. Emissions are reported in the order they end,
	// ties in start order; an emission that ends in a block is reported by
	// that block's ReadBlock. Close reports the emissions still under way.
	OnEmission func(Emission, Reception)

	sc     *Scene
	sensor *Sensor
	d      *Dongle
	rate   float64
	start  time.Time
	total  int64 // samples in the scene, -1 open-ended

	center  float64 // tuned center, Hz
	gain    float64 // dB
	fsDBm   float64 // dBm at 0 dBFS
	thermal float64 // thermal noise power, full-scale units

	n0   float64 // cached noiseDensity for floor steps n0DB
	n0DB float64
	n0ok bool

	n      int64 // next sample index
	seq    uint64
	closed bool
	ended  bool

	// schedules and their look-ahead
	scheds []*emitterSched
	heads  []emission
	live   []bool
	pos    []Point // emitter positions, by schedule index
	states []streamState

	active []*active
	free   []*active

	// retune state
	stale      float64 // center rendered during stale samples
	staleEnd   int64
	transStart int64
	transEnd   int64
	flagEnd    int64
	transDC    complex128
	transGain  float64
	nextDrop   int64

	// dongle state
	noise    *rand.Rand // thermal noise
	loRng    *rand.Rand // LO leakage wander, spur phases
	events   *rand.Rand // drops, retune transients
	mu, nu   complex128
	loAmp    float64
	loPhase  float64
	loStep   float64
	spurCPS  []float64
	spurAmp  []float64
	spurPh   []float64
	clips    []int32
	scratch  []complex64
	chunk    []complex64
	segments [3]segment

	gsm *waveform.GSM
	lte *waveform.LTE
	imp *waveform.Impulse
}

// segment is a run of samples of a block rendered at one tuning.
type segment struct {
	n0, n1  int64   // absolute sample range
	center  float64 // nominal center the samples were taken at
	settled bool    // neither stale nor transient
	trans   bool    // transient after a retune
}

// active is an emission being rendered.
type active struct {
	em    emission
	idx   int // schedule index of the emitter
	rx    Reception
	amp   float64 // √(received power), full-scale units
	first int64   // first sample index it may touch
	last  int64   // one past the last
	// pieces: bursts are made of pieces generated one at a time (a GSM
	// burst, an LTE slot), each with its own frequency offset and gain.
	nPieces int64 // -1 unbounded
	next    int64
	piece   [2]piece
	pcg     *rand.PCG
	rng     *rand.Rand
	ph      float64 // carrier phase for tones, cycles
}

type piece struct {
	buf   []complex64
	start int64 // absolute index of buf[0]
	n     int
	cps   float64 // offset, cycles per sample
	amp   float64
	ok    bool
}

// ErrClosed is returned by ReadBlock and Tune after Close.
var ErrClosed = errors.New("sim: source closed")

// Open returns a Source rendering the scene as sensor sensorID receives
// it, tuned to the sensor's Center.
func (sc *Scene) Open(sensorID string) (*Source, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	for i := range sc.Sensors {
		if sc.Sensors[i].ID == sensorID {
			return sc.open(i)
		}
	}
	return nil, fmt.Errorf("sim: scene %q has no sensor %q", sc.Name, sensorID)
}

// OpenAll opens a Source for every sensor, in the scene's order.
func (sc *Scene) OpenAll() ([]*Source, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	out := make([]*Source, len(sc.Sensors))
	for i := range sc.Sensors {
		s, err := sc.open(i)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func (sc *Scene) open(i int) (*Source, error) {
	sn := &sc.Sensors[i]
	d := sn.Dongle
	if d == nil {
		d = DefaultDongle()
	}
	s := &Source{sc: sc, sensor: sn, d: d, rate: sc.rate(), start: sc.start(), total: -1, center: sn.Center}
	if sc.Duration > 0 {
		s.total = int64(math.Round(sc.Duration.Seconds() * s.rate))
	}
	s.gain = sn.Gain
	if s.gain == 0 {
		s.gain = d.RefGain
	}
	s.fsDBm = d.fullScaleDBm(s.gain)
	s.thermal = d.thermalPower(s.gain)
	var err error
	if s.gsm, err = waveform.NewGSM(s.rate); err != nil {
		return nil, fmt.Errorf("sim: open %s: %w", sn.ID, err)
	}
	if s.lte, err = waveform.NewLTE(s.rate); err != nil {
		return nil, fmt.Errorf("sim: open %s: %w", sn.ID, err)
	}
	s.imp = waveform.NewImpulse(s.rate)

	// Independent random streams, so that none depends on how many
	// numbers another took (and on the block size).
	nseed := hashSeed(sc.Seed, "noise", sn.ID)
	s.noise = rand.New(rand.NewPCG(nseed, splitmix(nseed)))
	lseed := hashSeed(sc.Seed, "lo", sn.ID)
	s.loRng = rand.New(rand.NewPCG(lseed, splitmix(lseed)))
	eseed := hashSeed(sc.Seed, "events", sn.ID)
	s.events = rand.New(rand.NewPCG(eseed, splitmix(eseed)))

	// IQ imbalance y = μx + νx*, scaled by 1/√g so that the mean gain
	// stays 1: μ = (1 + g·e^{−jφ})/(2√g), ν = (1 − g·e^{jφ})/(2√g).
	g := math.Pow(10, d.IQGain/20)
	phi := d.IQPhase * math.Pi / 180
	sg := math.Sqrt(g)
	s.mu = complex((1+g*math.Cos(phi))/(2*sg), -g*math.Sin(phi)/(2*sg))
	s.nu = complex((1-g*math.Cos(phi))/(2*sg), -g*math.Sin(phi)/(2*sg))
	if !math.IsInf(d.LOLeak, -1) {
		s.loAmp = math.Pow(10, d.LOLeak/20)
	}
	s.loPhase = s.loRng.Float64()
	// A 2 Hz wide (Lorentzian FWHM) line: phase diffusion of 2π·Δf per
	// second, applied in steps of mixChunk samples.
	s.loStep = math.Sqrt(2 * math.Pi * 2 * mixChunk / s.rate)
	for _, sp := range d.Spurs {
		s.spurCPS = append(s.spurCPS, sp.Offset/s.rate)
		s.spurAmp = append(s.spurAmp, math.Pow(10, sp.Level/20))
		s.spurPh = append(s.spurPh, s.loRng.Float64())
	}
	s.flagEnd, s.staleEnd, s.transStart, s.transEnd = -1, -1, -1, -1
	s.nextDrop = math.MaxInt64
	if d.DropRate > 0 {
		s.nextDrop = int64(s.events.ExpFloat64() / d.DropRate * s.rate)
	}

	for _, list := range []struct {
		items []Emitter
		inter bool
	}{{sc.Emitters, false}, {sc.Interference, true}} {
		for i := range list.items {
			e := &list.items[i]
			s.scheds = append(s.scheds, newEmitterSched(sc, e, list.inter))
			s.pos = append(s.pos, e.Pos)
		}
	}
	s.heads = make([]emission, len(s.scheds))
	s.live = make([]bool, len(s.scheds))
	s.states = make([]streamState, len(s.scheds))
	for i, w := range s.scheds {
		s.live[i] = w.next(&s.heads[i])
	}
	return s, nil
}

// Rate is the sample rate, samples/s.
func (s *Source) Rate() float64 { return s.rate }

// Center is the frequency the source is tuned to, Hz.
func (s *Source) Center() float64 { return s.center }

// Sensor is the ID of the sensor this source renders.
func (s *Source) Sensor() string { return s.sensor.ID }

// Gain is the tuner gain the sensor runs at, dB (its Gain, or the
// dongle's RefGain when the scene leaves it 0).
func (s *Source) Gain() float64 { return s.gain }

// Tune retunes the source to centerHz. Like a real dongle, the samples
// that follow start with Stale of samples still taken at the old
// frequency, then Transient of settling (see Dongle), and blocks are
// marked Settling for SettleFlag. Tuning to the current center does
// nothing.
func (s *Source) Tune(centerHz float64) error {
	if s.closed {
		return ErrClosed
	}
	if !(centerHz >= minTune && centerHz <= maxTune) {
		return fmt.Errorf("sim: tune %s to %s: outside the R820T range (24–1766 MHz)", s.sensor.ID, fmtHz(centerHz))
	}
	if centerHz == s.center {
		return nil
	}
	old := s.center
	if s.n < s.staleEnd {
		old = s.stale // still delivering samples from before the last retune
	}
	s.center = centerHz
	s.stale = old
	s.staleEnd = s.n + int64(math.Round(s.d.Stale.Seconds()*s.rate))
	s.transStart = s.staleEnd
	s.transEnd = s.transStart + int64(math.Round(s.d.Transient.Seconds()*s.rate))
	switch {
	case s.d.SettleFlag < 0:
		s.flagEnd = -1
	case s.d.SettleFlag == 0:
		s.flagEnd = s.transEnd
	default:
		s.flagEnd = s.n + int64(math.Round(s.d.SettleFlag.Seconds()*s.rate))
	}
	// The DC loop restarts from an offset of up to 20 counts and the gain
	// from 30 % below its final value.
	a := 2 * math.Pi * s.events.Float64()
	s.transDC = complex(20/127.5*math.Cos(a), 20/127.5*math.Sin(a))
	s.transGain = 0.3
	return nil
}

// Close ends the source. It reports the emissions still under way to
// OnEmission, cut at the last sample delivered.
func (s *Source) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if !s.ended {
		s.finish(s.n)
	}
	return nil
}

// ReadBlock renders the next block of samples into b (see sdr.Source).
// It returns io.EOF after the scene's Duration.
func (s *Source) ReadBlock(b *sdr.Block) error {
	if s.closed {
		return ErrClosed
	}
	if cap(b.Samples) == 0 {
		return sdr.ErrNoBuffer
	}
	if s.ended || s.total >= 0 && s.n >= s.total {
		if !s.ended {
			s.finish(s.n)
		}
		return io.EOF
	}
	// USB drop: the samples are lost before this block.
	var dropped int64
	if s.n >= s.nextDrop {
		dropped = int64(s.d.DropLen)
		if s.total >= 0 {
			dropped = min(dropped, s.total-s.n-1)
		}
		s.n += dropped
		s.nextDrop = s.n + 1 + int64(s.events.ExpFloat64()/s.d.DropRate*s.rate)
	}
	n0 := s.n
	m := int64(cap(b.Samples))
	if s.total >= 0 {
		m = min(m, s.total-n0)
	}
	// A block is all settling or not at all, and ends where a drop is due.
	settling := n0 < s.flagEnd
	if settling {
		m = min(m, s.flagEnd-n0)
	}
	if s.nextDrop > n0 {
		m = min(m, max(s.nextDrop-n0, 1))
	}
	n1 := n0 + m
	buf := b.Samples[:m]

	s.pull(n1)
	s.renderBlock(buf, n0, n1)

	b.Samples = buf
	b.Center = s.center
	b.Rate = s.rate
	b.Time = s.start.Add(time.Duration(float64(n0) / s.rate * 1e9))
	b.Seq = s.seq
	b.Dropped = dropped
	b.Settling = settling
	s.seq++
	s.n = n1
	s.retire(n1)
	if s.total >= 0 && n1 >= s.total {
		s.finish(n1)
	}
	return nil
}

// lead is how far before its useful part an emission may put energy (the
// GSM ramp-up), s.
const lead = 12e-6

// pull moves every emission that may touch samples before n1 from the
// schedules into the active list.
func (s *Source) pull(n1 int64) {
	limit := float64(n1)/s.rate + lead
	for {
		best := -1
		for i := range s.heads {
			if s.live[i] && s.heads[i].Start < limit && (best < 0 || s.heads[i].Start < s.heads[best].Start) {
				best = i
			}
		}
		if best < 0 {
			return
		}
		a := s.newActive()
		a.em = s.heads[best]
		a.idx = best
		s.activate(a, best)
		s.active = append(s.active, a)
		s.live[best] = s.scheds[best].next(&s.heads[best])
	}
}

func (s *Source) newActive() *active {
	if n := len(s.free); n > 0 {
		a := s.free[n-1]
		s.free = s.free[:n-1]
		return a
	}
	pcg := rand.NewPCG(0, 0)
	return &active{pcg: pcg, rng: rand.New(pcg)}
}

// snrBandwidth is the bandwidth the SNR of an emission is defined in.
func snrBandwidth(em *emission) float64 {
	if em.Kind == KindSweptCW {
		return toneBW
	}
	return em.Bandwidth
}

// floorDB is the sum of the floor steps applying to this sensor at t.
func (s *Source) floorDB(t float64) float64 {
	var db float64
	for _, a := range s.active {
		if a.em.Kind == KindFloorStep && a.em.Start <= t && t < a.em.end && s.stepApplies(&a.em) {
			db += a.em.StepDB
		}
	}
	return db
}

func (s *Source) stepApplies(em *emission) bool {
	if !em.noiseLocal {
		return true
	}
	for _, id := range em.sensors {
		if id == s.sensor.ID {
			return true
		}
	}
	return false
}

// noisePower is the noise power before the ADC with floor steps of db in
// force: thermal (stepped) plus the ADC's own.
func (s *Source) noisePower(db float64) float64 {
	return s.thermal*math.Pow(10, db/10) + s.d.adcPower()
}

// noiseDensity is N0 at t: thermal noise (with the floor steps in force)
// through the ADC, full-scale units per Hz.
func (s *Source) noiseDensity(t float64) float64 {
	db := s.floorDB(t)
	if !s.n0ok || db != s.n0DB {
		s.n0 = s.d.adcNoise(s.noisePower(db)) / s.rate
		s.n0DB, s.n0ok = db, true
	}
	return s.n0
}

// activate computes how this sensor receives a new emission.
func (s *Source) activate(a *active, idx int) {
	em := &a.em
	a.rx = Reception{Sensor: s.sensor.ID}
	a.next = 0
	a.piece[0].ok, a.piece[1].ok = false, false
	a.ph = 0
	if em.Kind == KindFloorStep {
		// The level of a floor step is the thermal noise it leaves.
		db := s.floorDB(em.Start)
		if s.stepApplies(em) {
			db += em.StepDB
		}
		a.rx.DBFS = 10 * math.Log10(s.thermal*math.Pow(10, db/10))
		a.rx.Visible = s.stepApplies(em)
		a.rx.DBm = a.rx.DBFS + s.fsDBm
		a.first = int64(math.Floor(em.Start * s.rate))
		a.last = s.endSample(em)
		a.nPieces = 0
		return
	}
	n0 := s.noiseDensity(em.Start) * snrBandwidth(em)
	if em.Level.Mode == BySNR {
		a.rx.SNR = em.Level.DB
		a.rx.DBFS = em.Level.DB + 10*math.Log10(n0)
		a.rx.DBm = a.rx.DBFS + s.fsDBm
	} else {
		f := em.Freq
		if f == 0 {
			f = s.center
		}
		pl := s.sc.PathLoss(s.pos[idx], s.sensor.Pos, f) + s.sc.ShadowFade(em.Emitter, s.sensor.ID)
		a.rx.DBm = em.Level.DB - pl
		a.rx.DBFS = a.rx.DBm - s.fsDBm
		a.rx.SNR = a.rx.DBFS - 10*math.Log10(n0)
	}
	a.amp = math.Pow(10, a.rx.DBFS/20)
	a.ph = float64(splitmix(em.seed)>>11) / (1 << 53)

	t0 := em.Start - lead
	a.first = int64(math.Floor(t0 * s.rate))
	a.last = s.endSample(em)
	switch em.synth {
	case synthPUSCH:
		a.nPieces = int64(math.Round(em.Duration / lteSlot))
	case synthBCCH, synthDownlink:
		a.nPieces = -1
		if !math.IsInf(em.end, 1) {
			a.nPieces = int64(math.Ceil(em.Duration/gsmSlot - 1e-9))
		}
	case synthGSM, synthPUCCH, synthPRACH, synthSRS, synthImpulse:
		a.nPieces = 1
	default:
		a.nPieces = 0
	}
}

// endSample is one past the last sample an emission may touch.
func (s *Source) endSample(em *emission) int64 {
	if math.IsInf(em.end, 1) {
		return math.MaxInt64
	}
	return int64(math.Ceil((em.end+lead)*s.rate)) + 2
}

// retire reports and recycles the emissions that ended before n1.
func (s *Source) retire(n1 int64) {
	k := 0
	for _, a := range s.active {
		if a.last <= n1 {
			s.report(a, a.em.Duration)
			s.free = append(s.free, a)
			continue
		}
		s.active[k] = a
		k++
	}
	clear(s.active[k:])
	s.active = s.active[:k]
}

// finish ends the render at sample n: every emission still active is
// reported, cut at n.
func (s *Source) finish(n int64) {
	s.ended = true
	end := float64(n) / s.rate
	for _, a := range s.active {
		d := a.em.Duration
		if a.em.Start+d > end || math.IsInf(d, 1) {
			d = math.Max(end-a.em.Start, 0)
		}
		s.report(a, d)
		s.free = append(s.free, a)
	}
	clear(s.active)
	s.active = s.active[:0]
}

func (s *Source) report(a *active, d float64) {
	if s.OnEmission == nil {
		return
	}
	e := a.em.Emission
	e.Duration = d
	s.OnEmission(e, a.rx)
}

// segmentsOf splits [n0, n1) at the retune boundaries.
func (s *Source) segmentsOf(n0, n1 int64) []segment {
	segs := s.segments[:0]
	add := func(a, b int64, c float64, settled, trans bool) {
		a, b = max(a, n0), min(b, n1)
		if a < b {
			segs = append(segs, segment{a, b, c, settled, trans})
		}
	}
	add(n0, s.staleEnd, s.stale, false, false)
	add(max(n0, s.staleEnd), s.transEnd, s.center, false, true)
	add(max(n0, s.staleEnd, s.transEnd), n1, s.center, true, false)
	return segs
}

// effCenter is where a dongle tuned to c really listens: its LO runs
// PPM·1e-6 fast.
func (s *Source) effCenter(c float64) float64 { return c * (1 + s.d.PPM*1e-6) }

// renderBlock makes the samples [n0, n1) into buf.
func (s *Source) renderBlock(buf []complex64, n0, n1 int64) {
	s.thermalNoise(buf, n0)
	for _, seg := range s.segmentsOf(n0, n1) {
		dst := buf[seg.n0-n0 : seg.n1-n0]
		for _, a := range s.active {
			if a.first >= seg.n1 || a.last <= seg.n0 {
				continue
			}
			s.renderActive(a, dst, seg)
		}
		if seg.trans {
			s.transient(dst, seg.n0)
		}
	}
	s.impair(buf, n0)
	s.quantize(buf)
	for _, a := range s.active {
		if a.rx.Clipped || a.em.Kind == KindFloorStep {
			continue
		}
		lo := max(a.first, n0) - n0
		hi := min(a.last, n1) - n0
		if lo < hi && s.clips[hi] > s.clips[lo] {
			a.rx.Clipped = true
		}
	}
}

// thermalNoise writes complex white Gaussian noise of the thermal power
// into buf, scaled by the floor steps in force.
func (s *Source) thermalNoise(buf []complex64, n0 int64) {
	sigma := float32(math.Sqrt(s.noisePower(0) / 2))
	r := s.noise
	for i := range buf {
		buf[i] = complex(sigma*float32(r.NormFloat64()), sigma*float32(r.NormFloat64()))
	}
	n1 := n0 + int64(len(buf))
	for _, a := range s.active {
		if a.em.Kind != KindFloorStep || !s.stepApplies(&a.em) {
			continue
		}
		lo := max(int64(math.Ceil(a.em.Start*s.rate)), n0)
		hi := n1
		if !math.IsInf(a.em.end, 1) {
			hi = min(int64(math.Ceil(a.em.end*s.rate)), n1)
		}
		if lo >= hi {
			continue
		}
		g := float32(math.Sqrt(s.noisePower(a.em.StepDB) / s.noisePower(0)))
		seg := buf[lo-n0 : hi-n0]
		for i := range seg {
			seg[i] *= complex(g, 0)
		}
	}
}

// visible reports whether an emission falls in the window of a dongle
// tuned to c, and returns its offset in cycles per sample. Signals that
// are made band-limited to the window (LTE PRB by PRB, WCDMA, jammers,
// sweeps) count when any part of their band is inside; the others (GSM,
// PRACH, carriers, FM) when their center is, so that nothing wraps around
// the window's edge.
func (s *Source) visible(em *emission, c float64) (bool, float64) {
	if em.Freq == 0 { // broadband
		return true, 0
	}
	off := em.Freq - s.effCenter(c)
	switch em.synth {
	case synthPUSCH, synthPUCCH, synthSRS, synthWCDMA, synthNoise, synthSwept:
		return math.Abs(off) < s.rate/2+em.Bandwidth/2, off / s.rate
	}
	return math.Abs(off) < s.rate/2, off / s.rate
}

// renderActive adds an emission's samples in seg to dst.
func (s *Source) renderActive(a *active, dst []complex64, seg segment) {
	em := &a.em
	if em.synth == synthNone {
		return
	}
	vis, cps := s.visible(em, seg.center)
	if a.nPieces != 0 {
		s.renderPieces(a, dst, seg, vis)
		return
	}
	if !vis {
		return
	}
	// Continuous signals start and stop on sample boundaries.
	lo := max(a.first, seg.n0, int64(math.Ceil(em.Start*s.rate)))
	hi := min(a.last, seg.n1)
	if !math.IsInf(em.end, 1) {
		hi = min(hi, int64(math.Ceil(em.end*s.rate)))
	}
	if lo >= hi {
		return
	}
	out := dst[lo-seg.n0 : hi-seg.n0]
	if seg.settled {
		a.rx.Visible = true
	}
	if em.synth == synthTone {
		mixAdd(out, nil, a.amp, cps, lo, a.ph)
		return
	}
	src := s.scratchOf(len(out))
	if g, c := s.stream(a, &s.states[a.idx], src, lo, seg.center, cps); g != 0 {
		mixAdd(out, src, a.amp*g, c, lo, 0)
	}
}

func (s *Source) scratchOf(n int) []complex64 {
	if cap(s.scratch) < n {
		s.scratch = make([]complex64, n)
	}
	return s.scratch[:n]
}

// renderPieces adds the pieces of a burst emission that fall in seg.
func (s *Source) renderPieces(a *active, dst []complex64, seg segment, vis bool) {
	// Pieces generated in an earlier segment that reach into this one.
	for i := range a.piece {
		p := &a.piece[i]
		if p.ok && p.start+int64(p.n) > seg.n0 && p.start < seg.n1 {
			s.addPiece(a, p, dst, seg)
		}
	}
	for a.nPieces < 0 || a.next < a.nPieces {
		t, maxLen := s.pieceTiming(a, a.next)
		// The explicit conversion rounds the product: without it the
		// compiler may fuse it into x − i0 below (arm64 has FMA), and the
		// unrounded product can sit just under i0, making frac negative.
		x := float64(t * s.rate)
		i0 := int64(math.Floor(x))
		if i0 >= seg.n1 {
			return
		}
		k := a.next
		a.next++
		if !vis {
			if i0+int64(maxLen) <= seg.n1 {
				continue // wholly in a window we do not see
			}
			a.next-- // reaches into the next segment: make it there
			return
		}
		p := &a.piece[k%2]
		if cap(p.buf) < maxLen {
			p.buf = make([]complex64, maxLen)
		}
		frac := max(0, min(x-float64(i0), math.Nextafter(1, 0)))
		a.pcg.Seed(a.em.seed, uint64(k))
		p.start = i0
		p.ok = s.genPiece(a, p, k, p.buf[:maxLen], frac, seg.center)
		if p.ok {
			s.addPiece(a, p, dst, seg)
		}
	}
}

// addPiece adds the part of p inside seg.
func (s *Source) addPiece(a *active, p *piece, dst []complex64, seg segment) {
	lo := max(p.start, seg.n0)
	hi := min(p.start+int64(p.n), seg.n1)
	if lo >= hi {
		return
	}
	if seg.settled {
		a.rx.Visible = true
	}
	mixAdd(dst[lo-seg.n0:hi-seg.n0], p.buf[lo-p.start:hi-p.start], p.amp, p.cps, lo, 0)
}

// pieceTiming returns when piece k of an emission starts (the generator's
// nominal start, s) and the most samples it can take.
func (s *Source) pieceTiming(a *active, k int64) (float64, int) {
	em := &a.em
	switch em.synth {
	case synthGSM:
		kind := waveform.GSMNormal
		if em.burst == 1 {
			kind = waveform.GSMAccess
		}
		return em.Start - waveform.GSMRamp, s.gsm.BurstLen(kind)
	case synthBCCH, synthDownlink:
		return em.Start + float64(k)*gsmSlot - waveform.GSMRamp, s.gsm.BurstLen(waveform.GSMNormal)
	case synthPUSCH:
		return em.Start + float64(k)*lteSlot, s.lte.SlotLen() + 1
	case synthPUCCH, synthSRS:
		return em.Start, s.lte.SlotLen() + 1
	case synthPRACH:
		return em.Start, s.lte.PRACHLen()
	case synthImpulse:
		return em.Start, int(math.Ceil(em.width*s.rate)) + 2 + impulseTail
	}
	return em.Start, 0
}

// impulseTail is the extra samples an impulse's band-limited shape may
// take beyond its width.
const impulseTail = 64

// genPiece synthesizes piece p of an emission at unit power into buf and
// sets its length, offset and amplitude for a dongle tuned to c. It
// returns false when nothing of the piece falls in the window.
func (s *Source) genPiece(a *active, p *piece, k int64, buf []complex64, frac, c float64) bool {
	em := &a.em
	rng := a.rng
	p.amp = a.amp
	p.cps = (em.Freq - s.effCenter(c)) / s.rate
	switch em.synth {
	case synthGSM, synthBCCH:
		kind := waveform.GSMNormal
		if em.burst == 1 {
			kind = waveform.GSMAccess
		}
		p.n, _ = s.gsm.Burst(buf, kind, em.tsc, frac, rng)
	case synthDownlink:
		kind := waveform.GSMNormal
		switch downlinkBurst(downlinkPiece(em.fn0, k)) {
		case dlFCCH:
			kind = waveform.GSMFrequencyCorrection
		case dlSCH:
			kind = waveform.GSMSynchronisation
		}
		p.n, _ = s.gsm.Burst(buf, kind, em.tsc, frac, rng)
	case synthPRACH:
		p.n, _ = s.lte.PRACH(buf, em.root, em.cs, frac)
	case synthPUSCH, synthSRS, synthPUCCH:
		// Only the PRBs wholly inside the window are made; the rest of the
		// allocation is outside what this dongle sees.
		lo, n := s.visiblePRBs(em, c)
		if n == 0 {
			return false
		}
		p.amp = a.amp * math.Sqrt(float64(n)/float64(em.NPRB))
		vc := prbCenter(em.Carrier, em.nRB, lo, n)
		p.cps = (vc - s.effCenter(c)) / s.rate
		// The generator keeps subcarriers within ±0.42·rate of the
		// allocation's center; wider visible allocations are made of
		// independent chunks placed side by side.
		chunk := max(1, min(25, int(0.84*s.rate/ltePRB)))
		if n <= chunk {
			p.n = s.lteChunk(em, buf, n, frac, rng)
		} else {
			clear(buf)
			tmp := s.chunkBuf(len(buf))
			p.n = 0
			for j := lo; j < lo+n; j += chunk {
				m := min(chunk, lo+n-j)
				got := s.lteChunk(em, tmp, m, frac, rng)
				off := (prbCenter(em.Carrier, em.nRB, j, m) - vc) / s.rate
				mixAdd(buf[:got], tmp[:got], math.Sqrt(float64(m)/float64(n)), off, 0, 0)
				p.n = max(p.n, got)
			}
		}
		if em.synth == synthPUCCH && em.shorten ||
			em.synth == synthPUSCH && k%2 == 1 && em.srsEvery > 0 && (em.srsPhase+k/2)%em.srsEvery == 0 {
			s.blankLastSymbol(buf[:p.n], frac)
		}
	case synthImpulse:
		p.n, _ = s.imp.Burst(buf, em.width, frac, rng)
		p.cps = 0
	default:
		return false
	}
	return p.n > 0
}

// blankLastSymbol silences the last SC-FDMA symbol of a slot written with
// fractional start frac, (15360 − 2192)·Ts = 428.6 µs after the slot
// starts, with a 2 µs raised-cosine edge so the switch-off stays narrow.
func (s *Source) blankLastSymbol(buf []complex64, frac float64) {
	const edge = 2e-6
	tb := float64(15360-2192) * lteTs
	for i := range buf {
		t := (float64(i) - frac) / s.rate
		switch {
		case t < tb-edge/2:
			continue
		case t < tb+edge/2:
			buf[i] *= complex(float32(0.5+0.5*math.Cos(math.Pi*(t-tb+edge/2)/edge)), 0)
		default:
			buf[i] = 0
		}
	}
}

// lteChunk generates n PRBs of an LTE emission's kind at unit power.
func (s *Source) lteChunk(em *emission, buf []complex64, n int, frac float64, rng *rand.Rand) int {
	var k int
	switch em.synth {
	case synthPUSCH:
		mod := waveform.QPSK
		if em.mod == 1 {
			mod = waveform.QAM16
		}
		k, _ = s.lte.Slot(buf, n, mod, frac, rng)
	case synthPUCCH:
		k, _ = s.lte.PUCCHSlot(buf, frac, rng)
	case synthSRS:
		k, _ = s.lte.SRS(buf, n, frac, rng)
	}
	return k
}

func (s *Source) chunkBuf(n int) []complex64 {
	if cap(s.chunk) < n {
		s.chunk = make([]complex64, n)
	}
	return s.chunk[:n]
}

// visiblePRBs returns the part of an LTE allocation wholly inside the
// window of a dongle tuned to c.
func (s *Source) visiblePRBs(em *emission, c float64) (lo, n int) {
	ec := s.effCenter(c)
	first, last := -1, -1
	for k := em.PRB; k < em.PRB+em.NPRB; k++ {
		f := prbCenter(em.Carrier, em.nRB, k, 1) - ec
		if math.Abs(f)+ltePRB/2 <= s.rate/2 {
			if first < 0 {
				first = k
			}
			last = k
		}
	}
	if first < 0 {
		return 0, 0
	}
	return first, last - first + 1
}
