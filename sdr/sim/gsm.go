package sim

import (
	"fmt"
	"math"
	"time"
)

// Hopping is a GSM frequency-hopping sequence.
type Hopping uint8

// The hopping sequences.
const (
	// HopCyclic visits the ARFCN list in order, one per TDMA frame
	// (HSN 0 in TS 45.002).
	HopCyclic Hopping = iota
	// HopRandom picks an ARFCN from the list per TDMA frame from a
	// pseudo-random sequence of the scene seed (not the TS 45.002 HSN
	// table: the statistics match, the exact sequence does not).
	HopRandom
)

// GSMCall is a GSM voice call on a traffic channel (TCH/F): one normal
// burst per 4.615 ms TDMA frame in its timeslot, except the idle frame of
// each 26-frame multiframe (FN mod 26 = 25), while the user talks. With DTX
// (the default) talk spurts and silences alternate with exponential
// lengths; in silence only the SACCH (FN mod 26 = 12) and the SID frame
// (FN mod 104 = 52…59) are sent: 12 bursts per 104 frames (TS 45.008
// §8.3). The call lasts from the emitter's Start to its Stop.
type GSMCall struct {
	// ARFCNs is the channel, or the hopping list when it has several.
	ARFCNs  []int
	Hopping Hopping
	// Timeslot 0–7 and training sequence code 0–7.
	Timeslot, TSC int
	// NoDTX makes the phone send every frame, as in continuous speech.
	NoDTX bool
	// Talk and Silence are the mean lengths of talk spurts and silences
	// (0: 2 s and 2 s, a voice activity of one half).
	Talk, Silence time.Duration
}

// Name implements Behaviour.
func (*GSMCall) Name() string       { return "gsm_call" }
func (*GSMCall) interference() bool { return false }

func (g *GSMCall) validate(f string, _ *Scene) error {
	if len(g.ARFCNs) == 0 {
		return sceneErr(f+".arfcn", "missing")
	}
	for i, a := range g.ARFCNs {
		if _, err := GSMUplink(a); err != nil {
			field := f + ".arfcn"
			if len(g.ARFCNs) > 1 {
				field = fmt.Sprintf("%s[%d]", field, i)
			}
			return sceneErr(field, "%v", err)
		}
	}
	if g.Hopping > HopRandom {
		return sceneErr(f+".hopping", "unknown sequence %d", g.Hopping)
	}
	if g.Timeslot < 0 || g.Timeslot > 7 {
		return sceneErr(f+".timeslot", "%d outside 0–7", g.Timeslot)
	}
	if g.TSC < 0 || g.TSC > 7 {
		return sceneErr(f+".tsc", "%d outside 0–7", g.TSC)
	}
	if g.Talk < 0 || g.Silence < 0 {
		return sceneErr(f+".talk", "negative mean")
	}
	return nil
}

func (g *GSMCall) schedule(c *schedContext) schedule {
	s := &gsmCallSched{g: g, c: c, talk: 2, silence: 2}
	if g.Talk > 0 {
		s.talk = g.Talk.Seconds()
	}
	if g.Silence > 0 {
		s.silence = g.Silence.Seconds()
	}
	// The phone's TDMA frame clock has an arbitrary phase to ours.
	s.offset = c.rng.Float64() * gsmFrame
	s.fn = framesFrom(c.start, s.offset, gsmFrame)
	s.speaking = true
	s.switchAt = c.start + c.rng.ExpFloat64()*s.talk
	s.hopKey = c.seed
	return s
}

type gsmCallSched struct {
	g             *GSMCall
	c             *schedContext
	offset        float64
	fn            int64
	talk, silence float64
	speaking      bool
	switchAt      float64
	hopKey        uint64
}

func (s *gsmCallSched) next(em *emission) bool {
	for {
		t := s.offset + float64(s.fn)*gsmFrame
		if t >= s.c.stop {
			return false
		}
		fn := s.fn
		s.fn++
		for !s.g.NoDTX && t >= s.switchAt {
			s.speaking = !s.speaking
			mean := s.silence
			if s.speaking {
				mean = s.talk
			}
			s.switchAt += s.c.rng.ExpFloat64() * mean
		}
		var send bool
		if s.g.NoDTX || s.speaking {
			send = fn%26 != 25
		} else {
			send = fn%26 == 12 || fn%104 >= 52 && fn%104 <= 59
		}
		if !send {
			continue
		}
		arfcn := s.g.ARFCNs[0]
		if n := int64(len(s.g.ARFCNs)); n > 1 {
			if s.g.Hopping == HopRandom {
				arfcn = s.g.ARFCNs[splitmix(s.hopKey^uint64(fn))%uint64(n)]
			} else {
				arfcn = s.g.ARFCNs[fn%n]
			}
		}
		gsmBurst(em, KindGSMNormal, arfcn, s.g.Timeslot, s.g.TSC, t+float64(s.g.Timeslot)*gsmSlot)
		return true
	}
}

// gsmBurst fills em with one GSM burst whose useful part starts at t.
func gsmBurst(em *emission, k Kind, arfcn, ts, tsc int, t float64) {
	f, _ := GSMUplink(arfcn)
	em.Kind = k
	em.Start = t
	em.Duration = durationOf(k)
	em.Freq = f
	em.Bandwidth = gsmBW
	em.ARFCN = arfcn
	em.Timeslot = ts
	em.synth = synthGSM
	em.tsc = tsc
	if k == KindGSMAccess {
		em.burst = 1
	}
}

// GSMSignalling is a short dedicated-mode exchange (SMS, location update,
// call setup): RACH access burst(s) on timeslot 0 of the BCCH carrier,
// then, after the immediate assignment, an SDCCH/8 for a few seconds:
// 4 normal bursts in consecutive frames per 51-frame multiframe (≈ every
// 235 ms) plus the SACCH/8 (4 bursts per 102 frames), following the
// TS 45.002 uplink SDCCH/8 mapping (subchannel k in frames 15 + 4k … 18 + 4k
// of the 51-multiframe). L2 fill frames keep the SDCCH busy for its whole
// length. The exchange starts at the emitter's Start and repeats every
// Repeat.
type GSMSignalling struct {
	// ARFCN is the BCCH carrier; the SDCCH is on the same carrier.
	ARFCN int
	// Timeslot carries the SDCCH/8 (0–7); TSC its training sequence.
	Timeslot, TSC int
	// RACH is the number of access bursts sent before the network answers
	// (0: 1).
	RACH int
	// SDCCH is how long the dedicated channel is held (0: 3 s).
	SDCCH time.Duration
	// Repeat is the interval between exchanges (0: only once).
	Repeat time.Duration
}

// Name implements Behaviour.
func (*GSMSignalling) Name() string       { return "gsm_signalling" }
func (*GSMSignalling) interference() bool { return false }

func (g *GSMSignalling) validate(f string, _ *Scene) error {
	if _, err := GSMUplink(g.ARFCN); err != nil {
		return sceneErr(f+".arfcn", "%v", err)
	}
	if g.Timeslot < 0 || g.Timeslot > 7 {
		return sceneErr(f+".timeslot", "%d outside 0–7", g.Timeslot)
	}
	if g.TSC < 0 || g.TSC > 7 {
		return sceneErr(f+".tsc", "%d outside 0–7", g.TSC)
	}
	if g.RACH < 0 || g.RACH > 16 {
		return sceneErr(f+".rach", "%d outside 0–16", g.RACH)
	}
	if g.SDCCH < 0 || g.SDCCH > time.Hour {
		return sceneErr(f+".sdcch", "%v outside 0–1 h", g.SDCCH)
	}
	hold := g.SDCCH
	if hold == 0 {
		hold = 3 * time.Second
	}
	if g.Repeat < 0 || g.Repeat > 0 && g.Repeat < hold+time.Second {
		return sceneErr(f+".repeat", "%v is shorter than the exchange (%v of SDCCH and its access)", g.Repeat, hold)
	}
	return nil
}

func (g *GSMSignalling) schedule(c *schedContext) schedule {
	s := &gsmSigSched{g: g, c: c, rach: max(g.RACH, 1), hold: 3}
	if g.SDCCH > 0 {
		s.hold = g.SDCCH.Seconds()
	}
	s.offset = c.rng.Float64() * gsmFrame
	s.eventAt = c.start
	s.startEvent()
	return s
}

type gsmSigSched struct {
	g       *GSMSignalling
	c       *schedContext
	offset  float64
	rach    int
	hold    float64
	eventAt float64 // start of the current exchange, s
	racks   int     // access bursts still to send
	fn      int64   // next frame to consider
	sdStart int64   // first frame of the SDCCH
	sdEnd   int64   // frame after its last
	sub     int64   // SDCCH/8 subchannel 0–7
}

func (s *gsmSigSched) startEvent() {
	s.racks = s.rach
	s.fn = framesFrom(s.eventAt, s.offset, gsmFrame)
	s.sub = int64(s.c.rng.IntN(8))
}

func (s *gsmSigSched) next(em *emission) bool {
	for {
		if s.eventAt >= s.c.stop {
			return false
		}
		frameT := func(fn int64) float64 { return s.offset + float64(fn)*gsmFrame }
		if s.racks > 0 {
			fn := s.fn
			s.racks--
			if s.racks > 0 {
				// Retry after the random back-off of TS 44.018 §3.3.1.1.2
				// (T + S slots of the RACH, here 10–60 frames).
				s.fn += 10 + int64(s.c.rng.IntN(51))
			} else {
				// Immediate assignment 20–60 frames later; the SDCCH starts
				// at the next multiframe boundary.
				s.sdStart = ((fn+20+int64(s.c.rng.IntN(41)))/51 + 1) * 51
				s.sdEnd = s.sdStart + int64(math.Ceil(s.hold/gsmFrame))
				s.fn = s.sdStart
			}
			gsmBurst(em, KindGSMAccess, s.g.ARFCN, 0, 0, frameT(fn))
			return true
		}
		for ; s.fn < s.sdEnd; s.fn++ {
			m51 := s.fn % 51
			m102 := s.fn % 102
			sd := m51 >= 15+4*s.sub && m51 <= 18+4*s.sub
			sa := m102 >= 47+51*(s.sub/4) && m102 <= 50+51*(s.sub/4)
			if sd || sa {
				fn := s.fn
				s.fn++
				gsmBurst(em, KindGSMNormal, s.g.ARFCN, s.g.Timeslot, s.g.TSC, frameT(fn)+float64(s.g.Timeslot)*gsmSlot)
				return true
			}
		}
		if s.g.Repeat <= 0 {
			return false
		}
		s.eventAt += s.g.Repeat.Seconds()
		s.startEvent()
	}
}

// BCCH is a base station's BCCH carrier leaking into the sensor's band (a
// far tower, a repeater): bursts in every timeslot of every frame, dummy
// bursts where there is no traffic, so the carrier looks continuous apart
// from the guard periods. One emission spans the emitter's activity.
type BCCH struct {
	ARFCN int
}

// Name implements Behaviour.
func (*BCCH) Name() string       { return "bcch" }
func (*BCCH) interference() bool { return true }

func (b *BCCH) validate(f string, _ *Scene) error {
	if _, err := GSMUplink(b.ARFCN); err != nil {
		return sceneErr(f+".arfcn", "%v", err)
	}
	return nil
}

func (b *BCCH) schedule(c *schedContext) schedule {
	return &onceSched{fill: func(em *emission) {
		gsmBurst(em, KindGSMBCCH, b.ARFCN, 0, 0, c.start)
		em.Duration = c.stop - c.start
		em.synth = synthBCCH
	}}
}

// onceSched yields a single emission.
type onceSched struct {
	fill func(*emission)
	done bool
}

func (o *onceSched) next(em *emission) bool {
	if o.done {
		return false
	}
	o.done = true
	o.fill(em)
	return true
}
