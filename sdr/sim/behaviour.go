package sim

import (
	"math"
	"math/rand/v2"
)

// Behaviour says what an emitter transmits and when. The phone behaviours
// are GSMCall, GSMSignalling, LTEData, LTEIdle, UMTSCall and Bursts; the
// interference behaviours are CW, SweptCW, NBFM, Impulses, FloorStep,
// Jammer, BCCH and GSMDownlink. Each yields its emissions lazily, in time order, so an
// hours-long render keeps constant memory.
type Behaviour interface {
	// Name is the behaviour's YAML name (gsm_call, cw, …).
	Name() string
	interference() bool
	validate(field string, s *Scene) error
	// schedule starts the emitter's schedule. Everything random in it
	// comes from rng, so every sensor sees the same emissions.
	schedule(c *schedContext) schedule
}

// schedContext is what a schedule needs from the scene.
type schedContext struct {
	scene       *Scene
	emitter     *Emitter
	rng         *rand.Rand
	seed        uint64  // for per-emission data seeds
	start, stop float64 // the emitter's active window, s (stop may be +Inf)
}

// schedule yields one emitter's emissions.
type schedule interface {
	// next fills em's timing, frequency, kind and synthesis fields with
	// the next emission (Start never decreases) and reports false when
	// there will be none. Emissions may start at or after the window's
	// stop; the caller ends the schedule there.
	next(em *emission) bool
}

// emitterSched wraps a behaviour's schedule with what every emitter has in
// common: identity, level, activity window.
type emitterSched struct {
	e       *Emitter
	role    string
	wing    string
	s       schedule
	seq     uint64
	stop    float64
	bySNR   bool
	snr     float64
	dataKey uint64
}

func newEmitterSched(sc *Scene, e *Emitter, inter bool) *emitterSched {
	stop := math.Inf(1)
	if e.Stop > 0 {
		stop = e.Stop.Seconds()
	}
	if sc.Duration > 0 {
		stop = math.Min(stop, sc.Duration.Seconds())
	}
	role := e.Role
	if role == "" {
		role = "contraband"
		if inter {
			role = "interference"
		}
	}
	wing := e.Wing
	if wing == "" {
		wing = sc.Site.WingAt(e.Pos)
	}
	seed := hashSeed(sc.Seed, "emitter", e.ID)
	c := &schedContext{
		scene:   sc,
		emitter: e,
		rng:     rand.New(rand.NewPCG(seed, splitmix(seed))),
		seed:    hashSeed(sc.Seed, "data", e.ID),
		start:   e.Start.Seconds(),
		stop:    stop,
	}
	w := &emitterSched{e: e, role: role, wing: wing, stop: stop, dataKey: c.seed}
	if b, ok := e.Behaviour.(*Bursts); ok {
		w.bySNR, w.snr = true, b.SNR
	}
	w.s = e.Behaviour.schedule(c)
	return w
}

// next yields the emitter's next emission, or false at its end.
func (w *emitterSched) next(em *emission) bool {
	*em = emission{}
	if !w.s.next(em) || em.Start >= w.stop {
		w.stop = math.Inf(-1) // finished for good
		return false
	}
	em.Emitter = w.e.ID
	em.Seq = w.seq
	em.seed = splitmix(w.dataKey + w.seq)
	w.seq++
	em.Role = w.role
	em.Wing = w.wing
	em.Class = em.Kind.Class()
	switch {
	case w.bySNR:
		em.Level = SNR(w.snr)
	case w.e.Level.Mode == BySNR:
		em.Level = SNR(w.e.levelAt(em.Start))
	default:
		// Level.DB holds the schedule's power offset (≤ 0, LTE power
		// control) until here.
		em.Level = TxPower(w.e.levelAt(em.Start) + em.Level.DB)
	}
	em.end = em.Start + em.Duration
	if em.end > w.stop {
		em.end = w.stop
		em.Duration = w.stop - em.Start
	}
	return true
}

// framesFrom returns the index of the first period-long frame, counted from
// offset, that starts at or after t.
func framesFrom(t, offset, period float64) int64 {
	n := math.Ceil((t - offset) / period)
	if n < 0 {
		n = 0
	}
	return int64(n)
}
