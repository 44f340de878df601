package sim

import (
	"fmt"
	"math"
)

// Class is the broad kind of an emission in the ground truth: what a
// classifier should call it.
type Class uint8

// The emission classes.
const (
	ClassGSM          Class = iota + 1 // a GSM handset
	ClassLTE                           // an LTE handset
	ClassUMTS                          // a UMTS handset
	ClassInterference                  // not a phone: carriers, radios, impulses, towers, floor steps
	ClassOverload                      // strong enough to saturate the ADC on purpose (jammer)
)

var classNames = [...]string{ClassGSM: "gsm", ClassLTE: "lte", ClassUMTS: "umts", ClassInterference: "interference", ClassOverload: "overload"}

// String returns the class name used in the truth file.
func (c Class) String() string {
	if int(c) < len(classNames) && classNames[c] != "" {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", c)
}

// ParseClass maps a class name back to a Class.
func ParseClass(s string) (Class, error) {
	for i, n := range classNames {
		if n != "" && n == s {
			return Class(i), nil
		}
	}
	return 0, fmt.Errorf("unknown class %q", s)
}

// Kind is the precise kind of an emission.
type Kind uint8

// The emission kinds. Own bandwidth (used for the SNR) is given with each.
const (
	KindGSMNormal   Kind = iota + 1 // GSM normal burst, 148 bits ≈ 546 µs; 200 kHz
	KindGSMAccess                   // GSM access (RACH) burst, 88 bits ≈ 325 µs; 200 kHz
	KindLTEPUSCH                    // LTE PUSCH on nPRB contiguous PRBs, whole subframes; nPRB × 180 kHz
	KindLTEPUCCH                    // LTE PUCCH, one PRB for one 0.5 ms slot; 180 kHz
	KindLTEPRACH                    // LTE PRACH preamble format 0, 903 µs; 1.08 MHz
	KindLTESRS                      // LTE sounding reference signal, one 71 µs symbol; nPRB × 180 kHz
	KindUMTS                        // WCDMA uplink, continuous; 3.84 MHz
	KindCW                          // unmodulated carrier; 1 kHz (see package doc)
	KindSweptCW                     // carrier sweeping a range; 1 kHz, Bandwidth is the swept range
	KindNBFM                        // narrowband FM radio, one key-on; 2·(deviation + 3 kHz)
	KindImpulse                     // broadband impulse, µs wide; the sampled band
	KindFloorStep                   // noise-floor step at one sensor; the sampled band
	KindJammer                      // strong wideband signal; its bandwidth
	KindGSMBCCH                     // a base station's BCCH carrier, every timeslot; 200 kHz
	KindGSMDownlink                 // a base station's C0 carrier with FCCH and SCH (GSMDownlink); 200 kHz
)

var kindNames = [...]string{
	KindGSMNormal: "gsm_normal", KindGSMAccess: "gsm_access", KindLTEPUSCH: "lte_pusch",
	KindLTEPUCCH: "lte_pucch", KindLTEPRACH: "lte_prach", KindLTESRS: "lte_srs", KindUMTS: "umts",
	KindCW: "cw", KindSweptCW: "swept_cw", KindNBFM: "nbfm", KindImpulse: "impulse",
	KindFloorStep: "floor_step", KindJammer: "jammer", KindGSMBCCH: "gsm_bcch",
	KindGSMDownlink: "gsm_downlink",
}

// String returns the kind name used in the truth file.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// ParseKind maps a kind name back to a Kind.
func ParseKind(s string) (Kind, error) {
	for i, n := range kindNames {
		if n != "" && n == s {
			return Kind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown kind %q", s)
}

// Class is the class an emission of this kind belongs to.
func (k Kind) Class() Class {
	switch k {
	case KindGSMNormal, KindGSMAccess:
		return ClassGSM
	case KindLTEPUSCH, KindLTEPUCCH, KindLTEPRACH, KindLTESRS:
		return ClassLTE
	case KindUMTS:
		return ClassUMTS
	case KindJammer:
		return ClassOverload
	}
	return ClassInterference
}

// isGSM reports whether ARFCN and Timeslot are meaningful for the kind.
func (k Kind) isGSM() bool {
	return k == KindGSMNormal || k == KindGSMAccess || k == KindGSMBCCH || k == KindGSMDownlink
}

// isLTE reports whether PRB and NPRB are meaningful for the kind.
func (k Kind) isLTE() bool { return k >= KindLTEPUSCH && k <= KindLTESRS }

// Physical constants of the air interfaces, seconds and Hz.
const (
	gsmBit     = 48.0 / 13 * 1e-6 // GSM bit period, 3.692 µs
	gsmSlot    = 156.25 * gsmBit  // 576.9 µs
	gsmFrame   = 8 * gsmSlot      // 4.615 ms
	gsmBW      = 200e3
	lteTs      = 1 / 30.72e6 // LTE basic time unit
	lteSlot    = 0.5e-3
	lteSF      = 1e-3
	ltePRB     = 180e3
	lteSymbol  = 2192 * lteTs // normal-CP symbol after the first of a slot: 71.35 µs
	ltePRACH   = 27744 * lteTs
	prachBW    = 1.08e6
	umtsBW     = 3.84e6
	toneBW     = 1e3
	nbfmAudio  = 3e3
	gsmNormalT = 148 * gsmBit
	gsmAccessT = 88 * gsmBit
)

// Emission is one entry of the ground truth: something transmitted, when,
// where in frequency, and by whom. Times are seconds from the scene start,
// frequencies are true (before any dongle's ppm error).
type Emission struct {
	Emitter string // emitter ID
	Seq     uint64 // index among the emitter's emissions, from 0
	Role    string // the emitter's role (contraband, authorised, outside, interference)
	Wing    string // the wing the emitter is in, "" outside every wing
	Class   Class
	Kind    Kind
	// Start is the first instant of the useful part (GSM: first of the 148
	// or 88 bits; LTE: start of the cyclic prefix), Duration its length.
	Start, Duration float64
	// Freq is the center frequency, Bandwidth the own bandwidth used for
	// the SNR (see Kind), Hz. Broadband kinds (impulse, floor step) have
	// Freq 0.
	Freq, Bandwidth float64
	// ARFCN and Timeslot for GSM kinds.
	ARFCN, Timeslot int
	// PRB (first, counted from the carrier's lower edge) and NPRB for LTE
	// kinds; Carrier is the LTE carrier center, Hz.
	PRB, NPRB int
	Carrier   float64
	// Level is how the emitter's strength was given: TxPower (dBm, EIRP
	// for this emission) or SNR (dB in own bandwidth at every sensor).
	Level Level
	// StepDB is the size of a floor step, dB (floor_step only).
	StepDB float64
}

// Reception is how one sensor got an emission.
type Reception struct {
	Sensor string
	// Visible is true when part of the emission fell in the sensor's tuned
	// window (±Rate/2 around the tuned center, after the ppm shift) while
	// the sensor was delivering settled samples. Invisible emissions are
	// not synthesized; their levels say what they would have been.
	Visible bool
	// Clipped is true when the ADC hit full scale (a cu8 code 0 or 255 on
	// I or Q) during the emission.
	Clipped bool
	// DBm is the received power at the antenna port, DBFS the same at the
	// ADC, SNR the signal over the noise in the emission's own bandwidth
	// (see the package doc), for the whole emission band.
	DBm, DBFS, SNR float64
}

// synthKind says how an emission's samples are made.
type synthKind uint8

const (
	synthNone     synthKind = iota // nothing to render (floor step)
	synthGSM                       // one GSM burst
	synthBCCH                      // GSM bursts in every timeslot, back to back
	synthPUSCH                     // LTE PUSCH slots
	synthPUCCH                     // one LTE PUCCH slot
	synthPRACH                     // one LTE PRACH preamble
	synthSRS                       // one LTE SRS symbol
	synthWCDMA                     // continuous WCDMA
	synthTone                      // constant carrier
	synthSwept                     // swept carrier
	synthNBFM                      // FM radio
	synthImpulse                   // impulse
	synthNoise                     // band-limited Gaussian noise (jammer)
	synthDownlink                  // a C0 carrier: FCCH, SCH and normal bursts in every timeslot
)

// emission is one scheduled emission with what rendering needs.
type emission struct {
	Emission
	end   float64 // Start + Duration, s; +Inf while open-ended
	synth synthKind
	// seed seeds the data bits: the same at every sensor.
	seed uint64
	// GSM
	burst int // 0 normal, 1 access
	tsc   int
	fn0   int64 // downlink: frame number of the first piece
	// LTE: carrier size (the allocation is Emission.PRB, NPRB)
	nRB  int
	mod  int // 0 QPSK, 1 16QAM
	root int
	cs   int
	// SRS subframes shorten PUSCH and PUCCH: the UE leaves the last
	// symbol to the SRS. PUSCH subframe j of the emission is one when
	// (srsPhase + j) mod srsEvery = 0; a PUCCH slot is shortened when
	// shorten is set.
	srsEvery, srsPhase int64
	shorten            bool
	// interference
	width      float64 // impulse width, s
	dev        float64 // FM deviation, Hz
	from, to   float64 // swept range, Hz
	period     float64 // sweep period, s
	noiseLocal bool    // floor step: applies to listed sensors only
	sensors    []string
}

// durationOf is the useful duration of a one-shot burst kind, s.
func durationOf(k Kind) float64 {
	switch k {
	case KindGSMNormal:
		return gsmNormalT
	case KindGSMAccess:
		return gsmAccessT
	case KindLTEPUCCH:
		return lteSlot
	case KindLTEPRACH:
		return ltePRACH
	case KindLTESRS:
		return lteSymbol
	case KindLTEPUSCH:
		return lteSF
	}
	return 0
}

// prbCenter is the center frequency of an allocation of n PRBs starting at
// PRB k in an LTE uplink carrier of nRB PRBs centred at fc. Uplink
// subcarriers sit at (i + ½)·15 kHz from fc (no DC subcarrier), so PRB k
// spans [fc + (k − nRB/2)·180 kHz, fc + (k + 1 − nRB/2)·180 kHz].
func prbCenter(fc float64, nRB, k, n int) float64 {
	return fc + (float64(k)+float64(n)/2-float64(nRB)/2)*ltePRB
}

// GSMUplink returns the uplink frequency of a GSM ARFCN, Hz, per 3GPP
// TS 45.005 §2: P-/E-GSM 900 (0–124: 890 + 0.2·n MHz; 975–1023:
// 890 + 0.2·(n − 1024) MHz) and DCS 1800 (512–885: 1710.2 + 0.2·(n − 512)
// MHz).
func GSMUplink(arfcn int) (float64, error) {
	switch {
	case arfcn >= 0 && arfcn <= 124:
		return 890e6 + 200e3*float64(arfcn), nil
	case arfcn >= 975 && arfcn <= 1023:
		return 890e6 + 200e3*float64(arfcn-1024), nil
	case arfcn >= 512 && arfcn <= 885:
		return 1710.2e6 + 200e3*float64(arfcn-512), nil
	}
	return 0, fmt.Errorf("ARFCN %d is not an E-GSM 900 (0–124, 975–1023) or DCS 1800 (512–885) channel", arfcn)
}

// gsmARFCN is the inverse of GSMUplink: the ARFCN whose uplink is f (within
// 1 Hz), or -1.
func gsmARFCN(f float64) int {
	if n := math.Round((f - 890e6) / 200e3); math.Abs(f-890e6-200e3*n) < 1 {
		switch {
		case n >= 0 && n <= 124:
			return int(n)
		case n >= -49 && n <= -1:
			return int(n) + 1024
		}
	}
	if n := math.Round((f - 1710.2e6) / 200e3); math.Abs(f-1710.2e6-200e3*n) < 1 && n >= 0 && n <= 373 {
		return int(n) + 512
	}
	return -1
}

// lteNRB maps an LTE channel bandwidth to its number of resource blocks
// (TS 36.101 Table 5.6-1).
func lteNRB(bw float64) (int, bool) {
	switch bw {
	case 1.4e6:
		return 6, true
	case 3e6:
		return 15, true
	case 5e6:
		return 25, true
	case 10e6:
		return 50, true
	case 15e6:
		return 75, true
	case 20e6:
		return 100, true
	}
	return 0, false
}
