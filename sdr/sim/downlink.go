package sim

// GSMDownlinkFreq returns the downlink (base station → phone) frequency of
// a GSM ARFCN, Hz: the uplink of GSMUplink plus the duplex spacing of
// TS 45.005 §2, 45 MHz in P-/E-GSM 900 (ARFCN 1: 935.2 MHz) and 95 MHz in
// DCS 1800 (ARFCN 512: 1805.2 MHz).
func GSMDownlinkFreq(arfcn int) (float64, error) {
	f, err := GSMUplink(arfcn)
	if err != nil {
		return 0, err
	}
	if arfcn >= 512 && arfcn <= 885 {
		return f + 95e6, nil
	}
	return f + 45e6, nil
}

// gsmMultiframe is the number of TDMA frames of the control-channel
// multiframe (TS 45.002 §6.3.1.3), and gsmHyperframe the frame-number
// range (FN 0 … 2715647).
const (
	gsmMultiframe = 51
	gsmHyperframe = 26 * 51 * 2048
)

// GSMDownlink is a GSM base station's C0 carrier, the one that carries the
// BCCH, heard on the downlink: the beacon a phone (and kalibrate, and
// cellsentry calibrate) locks to. It transmits a burst in every timeslot
// of every TDMA frame at constant power, as TS 45.008 §7.1 requires of
// C0. Timeslot 0 follows the 51-frame control multiframe (TS 45.002
// §7 Table 3, non-combined BCCH): a frequency correction burst (FCCH, a
// pure tone at +67.708 kHz) in frames 0, 10, 20, 30 and 40, a
// synchronisation burst (SCH) in the frame after each, normal bursts
// (BCCH, CCCH; training sequence BCC) in the others including the idle
// frame 50, where a real cell sends a dummy burst. Timeslots 1–7 carry
// normal bursts with random data standing for traffic and dummy bursts.
// The frame number at the emitter's start is random (from the scene's
// seed), so FCCH bursts do not line up with the scene's start. One
// emission spans the emitter's activity.
type GSMDownlink struct {
	// ARFCN is the channel (GSMDownlinkFreq gives the frequency); or
	// Freq, in Hz, for a carrier off the 200 kHz raster. Exactly one is
	// given.
	ARFCN int
	Freq  float64
	// BCC is the base station colour code, 0–7: the training sequence of
	// the normal bursts.
	BCC int
}

// Name implements Behaviour.
func (*GSMDownlink) Name() string       { return "gsm_downlink" }
func (*GSMDownlink) interference() bool { return true }

// freq is the carrier frequency, Hz.
func (g *GSMDownlink) freq() float64 {
	if g.Freq != 0 {
		return g.Freq
	}
	f, _ := GSMDownlinkFreq(g.ARFCN)
	return f
}

func (g *GSMDownlink) validate(f string, _ *Scene) error {
	if g.Freq != 0 {
		if g.ARFCN != 0 {
			return sceneErr(f+".freq", "give arfcn or freq, not both")
		}
		if err := checkFreq(f+".freq", g.Freq); err != nil {
			return err
		}
	} else if _, err := GSMDownlinkFreq(g.ARFCN); err != nil {
		return sceneErr(f+".arfcn", "%v", err)
	}
	if g.BCC < 0 || g.BCC > 7 {
		return sceneErr(f+".bcc", "%d outside 0–7", g.BCC)
	}
	return nil
}

func (g *GSMDownlink) schedule(c *schedContext) schedule {
	fn0 := c.rng.Int64N(gsmHyperframe)
	return &onceSched{fill: func(em *emission) {
		gsmBurst(em, KindGSMDownlink, 0, 0, g.BCC, c.start)
		em.Freq = g.freq()
		em.ARFCN = g.ARFCN
		if g.Freq != 0 {
			em.ARFCN = -1
		}
		em.Duration = c.stop - c.start
		em.synth = synthDownlink
		em.fn0 = fn0
	}}
}

// downlinkBurst is the burst kind of timeslot ts of frame fn on a C0
// carrier (see GSMDownlink).
func downlinkBurst(fn int64, ts int) downlinkKind {
	if ts != 0 {
		return dlNormal
	}
	m := fn % gsmMultiframe
	switch {
	case m < 50 && m%10 == 0:
		return dlFCCH
	case m < 50 && m%10 == 1:
		return dlSCH
	}
	return dlNormal
}

type downlinkKind uint8

const (
	dlNormal downlinkKind = iota
	dlFCCH
	dlSCH
)

// downlinkPiece returns the frame number and timeslot of piece k of a
// downlink emission whose first piece is timeslot 0 of frame fn0.
func downlinkPiece(fn0, k int64) (fn int64, ts int) {
	return (fn0 + k/8) % gsmHyperframe, int(k % 8)
}

// FCCHOffset is where the FCCH tone sits above its carrier, Hz: a quarter
// of the GSM bit rate, 1625/24 kHz.
const FCCHOffset = 1625e3 / 24
