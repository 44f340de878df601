package waveform

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/dsp/fourier"
)

// WCDMA constants (TS 25.213, TS 25.101): 3.84 Mchip/s, root-raised-cosine
// pulse with roll-off 0.22, so the carrier occupies 3.84·1.22 = 4.68 MHz.
const (
	WCDMAChipRate = 3.84e6
	wcdmaRolloff  = 0.22

	// 12.2 kbit/s speech (TS 34.121 reference channel): DPDCH at spreading
	// factor 64 with gain β_d = 15/15, DPCCH at 256 with β_c = 8/15.
	wcdmaSFData = 64
	wcdmaSFCtrl = 256
	wcdmaBetaD  = 15.0 / 15
	wcdmaBetaC  = 8.0 / 15

	// wcdmaBlock is how many chips the chip buffer holds between refills.
	wcdmaBlock = 4096
)

// WCDMA streams a continuous WCDMA uplink (one DPDCH, one DPCCH) as seen
// through a window of ±rate/2 whose centre is offsetHz below the carrier
// (the carrier sits at +offsetHz in the output).
//
// The chips follow TS 25.213 §4: DPDCH bits spread by the OVSF code
// C_ch,64,16 on I, DPCCH bits by C_ch,256,0 on Q, weighted by β_d and β_c,
// then multiplied by the HPSK complex scrambling code
// C(i) = c1(i)·(1 + j(−1)^i·c2(2⌊i/2⌋)). c1 and c2 are drawn from the
// caller's rng instead of the 2^25 − 1 Gold long codes: they are
// spectrally the same random ±1 sequences, and the HPSK structure (which
// keeps the chip phase away from zero crossings) is kept. Data bits are
// random. Chips have unit mean power and are white.
//
// The waveform is s(t) = exp(j2π·offset·t)·Σ_k c_k p(t − kT_c), p the RRC
// pulse, and the output is s through a low-pass H with cut-off rate/2,
// flat (±0.01 dB) to 0.42·rate and at least 70 dB down from 0.58·rate:
// everything within ±0.42·rate is alias free, and the outer 8 % on each
// side of the window is the filter's skirt. Since
//
//	H ∗ (e^{j2πf₀t}·Σ c_k p(t − kT_c)) = e^{j2πf₀t}·Σ c_k g(t − kT_c),
//	G(f) = P(f)·H(f + f₀),
//
// one kernel g does pulse shaping, band limiting and the offset; it is a
// Kaiser-windowed inverse FFT of G, evaluated at the exact output
// instants n/rate relative to the chips. For rates whose ratio to
// 3.84 MHz is a fraction with a denominator up to 1024 (every rate in use:
// 2.4 MHz gives 8/5 chips per sample) it is tabulated at exactly the
// phases that occur, otherwise at 1/1024 chip. With few phases (up to 32)
// the sum over the kernel goes through tables of the 256 values a pair
// of chips can contribute, which is about three times faster.
//
// Power: 1 for the whole carrier; the output carries InWindowFraction of
// it.
type WCDMA struct {
	rate, offset float64

	taps   int         // L, kernel length in chips (even)
	phases int         // number of tabulated phases Q
	tab    []complex64 // Q·L; row q holds g(q/Q + L/2 − 1 − j)
	pairs  []complex64 // Q·(L/2)·256 pair sums, or nil
	num    int64       // chips per output sample = num/den
	den    int64
	shiftQ int // for den = 2^32: phase q = rem >> shiftQ

	k   int64 // chip index of the next output sample's floor position
	rem int64 // its fractional position ×den

	codes []uint8 // chip codes (see chipValue); codes[0] is chip number base
	base  int64
	next  int64 // next chip number to generate

	rot, rotStep float64 // output rotation exp(j2π·offset·n/rate), cycles

	frac float64 // InWindowFraction

	val  [16]complex64 // chip value for each code
	ovsf [wcdmaSFData]uint8
	cBit uint8 // current DPCCH bit (one per 256 chips)
	bits bitSource
}

// Chip codes: bit 0 c1 = −1, bit 1 DPDCH value (β_d·data·OVSF) negative,
// bit 2 DPCCH value negative, bit 3 (−1)^i·c2 = −1.
func chipValue(code uint8) complex64 {
	sgn := func(b uint8) float64 { return float64(1 - 2*int(b&1)) }
	c1, I, Q, s := sgn(code), wcdmaBetaD*sgn(code>>1), wcdmaBetaC*sgn(code>>2), sgn(code>>3)
	norm := 1 / math.Sqrt(2*(wcdmaBetaD*wcdmaBetaD+wcdmaBetaC*wcdmaBetaC))
	// (I + jQ)·c1·(1 + js)
	return complex64(complex(c1*(I-Q*s)*norm, c1*(Q+I*s)*norm))
}

// NewWCDMA returns a WCDMA uplink stream for sample rate rate (1e6…100e6
// samples/s) with the carrier offsetHz from the window centre. rng supplies
// all randomness (chips, data); the stream keeps using it, so give the
// WCDMA its own *rand.Rand if other generators share a seed sequence.
func NewWCDMA(rate, offsetHz float64, rng *rand.Rand) (*WCDMA, error) {
	if err := checkRate(rate); err != nil {
		return nil, fmt.Errorf("waveform: NewWCDMA: %w", err)
	}
	if math.IsNaN(offsetHz) || math.Abs(offsetHz) > 100e6 {
		return nil, fmt.Errorf("waveform: NewWCDMA: carrier offset %g Hz outside ±100 MHz", offsetHz)
	}
	w := &WCDMA{rate: rate, offset: offsetHz}
	w.bits.reset(rng)

	// Kernel length from the Kaiser rule for 70 dB, L ≈ 4.3/Δf, Δf = 0.16·rate
	// the low-pass transition; at least 32 chips so that the window leaves
	// the RRC pulse (and its 845 kHz roll-off) nearly untouched.
	w.taps = max(32, int(math.Ceil(4.3*WCDMAChipRate/((1-2*bandEdgeFrac)*rate)/2))*2)

	// Chips per output sample = 3.84e6/rate = num/den.
	if a, b, ok := ratio(WCDMAChipRate, rate, 1024); ok {
		w.num, w.den, w.phases = a, b, int(b)
	} else {
		w.den, w.phases, w.shiftQ = 1<<32, 1024, 22
		w.num = int64(math.Round(WCDMAChipRate / rate * (1 << 32)))
	}
	w.frac = w.design()
	for c := range w.val {
		w.val[c] = chipValue(uint8(c))
	}
	if w.phases <= 32 {
		L := w.taps
		w.pairs = make([]complex64, w.phases*(L/2)*256)
		for q := range w.phases {
			for m := range L / 2 {
				g0, g1 := w.tab[q*L+2*m], w.tab[q*L+2*m+1]
				p := w.pairs[(q*(L/2)+m)*256:]
				for c := range 256 {
					p[c] = w.val[c&15]*g0 + w.val[c>>4]*g1
				}
			}
		}
	}

	// OVSF code C_ch,64,16 by the tree of TS 25.213 §4.3.1:
	// C_2n,2k = (C_n,k, C_n,k), C_2n,2k+1 = (C_n,k, −C_n,k); stored as
	// 1 where the chip is −1.
	code := []uint8{0}
	for sf := 1; sf < wcdmaSFData; sf *= 2 {
		bit := uint8(16 / (wcdmaSFData / sf / 2) % 2) // next bit of k = 16 = 010000b
		nc := make([]uint8, 2*sf)
		for i, v := range code {
			nc[i], nc[sf+i] = v, v^bit
		}
		code = nc
	}
	copy(w.ovsf[:], code)

	w.rotStep = offsetHz / rate
	w.codes = make([]uint8, 0, wcdmaBlock+w.taps+wcdmaSFData)
	// Start in steady state: chips are numbered from 0 (a DPDCH symbol
	// boundary) and the first output sits at chip L/2 − 1, the first
	// position whose kernel window holds only generated chips.
	w.k = int64(w.taps/2 - 1)
	return w, nil
}

// ratio returns a/b = x/y in lowest terms if x and y are whole numbers and
// b ≤ maxDen.
func ratio(x, y float64, maxDen int64) (a, b int64, ok bool) {
	if x != math.Trunc(x) || y != math.Trunc(y) || x > 1e12 || y > 1e12 {
		return 0, 0, false
	}
	g := gcd(int64(x), int64(y))
	a, b = int64(x)/g, int64(y)/g
	return a, b, b <= maxDen
}

// design tabulates g and returns the fraction of the carrier's power it
// passes.
//
// G(f) = T_c·√RC(f)·H₀(f + offset), RC the raised-cosine spectrum
// (roll-off 0.22) and H₀ the ideal low-pass |f| < rate/2;
// g(x) = ∫ G(f) exp(j2πf·x·T_c) df (x in chips) comes from an inverse FFT
// on a grid of Qd = m·Q points per chip (Qd ≥ 8, far more than the
// 4.68 MHz of G needs) with a period of at least 256 chips, and a Kaiser
// window (β for 70 dB) over L chips turns H₀ into the realisable H — the
// windowed-sinc design, whose transition is the window's main lobe. With
// unit-power white chips the output power is ∫|g(x)|² dx.
func (w *WCDMA) design() float64 {
	Q, L := w.phases, w.taps
	m := (8 + Q - 1) / Q
	Qd := Q * m
	span := 256
	for span < 4*L {
		span *= 2
	}
	nfft := Qd * span
	df := WCDMAChipRate / float64(span) // Hz between FFT bins
	Tc := 1 / WCDMAChipRate
	lo, hi := (1-wcdmaRolloff)/(2*Tc), (1+wcdmaRolloff)/(2*Tc)
	G := make([]complex128, nfft)
	for i := range nfft {
		f := float64(i) * df
		if i >= nfft/2 {
			f -= float64(nfft) * df
		}
		var rc float64
		switch af := math.Abs(f); {
		case af <= lo:
			rc = 1
		case af < hi:
			rc = 0.5 * (1 + math.Cos(math.Pi*Tc/wcdmaRolloff*(af-lo)))
		default:
			continue
		}
		h := 1.0
		switch d := math.Abs(f+w.offset) - w.rate/2; {
		case d > df/2:
			continue
		case d > -df/2: // the bin straddling the cut-off
			h = 0.5
		}
		G[i] = complex(Tc*math.Sqrt(rc)*h*df, 0)
	}
	g := fourier.NewCmplxFFT(nfft).Sequence(nil, G) // g[i] = g(i/Qd chips), circular
	w.tab = make([]complex64, Q*L)
	beta := 0.1102 * (70 - 8.7)
	i0 := besselI0(beta)
	var power float64
	for q := range Q {
		for j := range L {
			// Distance from chip to output position: q/Q + L/2 − 1 − j chips.
			idx := (q + (L/2-1-j)*Q) * m
			x := float64(idx) / float64(Qd)
			r := x / (float64(L) / 2)
			if r*r >= 1 {
				continue
			}
			v := g[(idx%nfft+nfft)%nfft] * complex(besselI0(beta*math.Sqrt(1-r*r))/i0, 0)
			w.tab[q*L+j] = complex64(v)
			power += real(v)*real(v) + imag(v)*imag(v)
		}
	}
	// Σ over all Q·L points at spacing 1/Q chip: ∫|g|² dx ≈ Σ|g|²/Q.
	return power / float64(Q)
}

// InWindowFraction returns the fraction of the carrier's power (3.84 Mcps,
// unit power) that the output carries: the part of the carrier's spectrum
// inside the window, weighted by |H|² (which counts about 3/8 of its
// 0.16·rate transition band on each side). At offset 0 and 2.4 MS/s the
// RRC is flat over the window: 0.604, a little below 2.4/3.84; at 8 MS/s
// the whole carrier fits: 0.994 (the kernel's window trims the pulse's far
// tails).
func (w *WCDMA) InWindowFraction() float64 { return w.frac }

// Read fills dst with the next len(dst) samples of the stream.
func (w *WCDMA) Read(dst []complex64) {
	L := w.taps
	for n := range dst {
		need := w.k + int64(L/2) // last chip the output uses
		if need >= w.next {
			w.refill(need)
		}
		q := int(w.rem)
		if w.shiftQ > 0 {
			q = int(w.rem >> w.shiftQ)
		}
		off := int(w.k-w.base) - L/2 + 1
		var acc complex64
		if w.pairs != nil {
			cs := w.codes[off : off+L]
			pt := w.pairs[q*(L/2)*256 : (q+1)*(L/2)*256]
			for m := 0; m+1 < len(cs); m += 2 {
				acc += pt[m/2*256+(int(cs[m])|int(cs[m+1])<<4)]
			}
		} else {
			cs := w.codes[off : off+L]
			row := w.tab[q*L : q*L+L]
			row = row[:len(cs)]
			var re, im float32
			for j, c := range cs {
				v, g := w.val[c&15], row[j]
				re += real(v)*real(g) - imag(v)*imag(g)
				im += real(v)*imag(g) + imag(v)*real(g)
			}
			acc = complex(re, im)
		}
		dst[n] = acc * cis(w.rot)
		w.rot += w.rotStep
		w.rot -= math.Floor(w.rot)
		w.rem += w.num
		for w.rem >= w.den {
			w.rem -= w.den
			w.k++
		}
	}
}

// refill drops chips no longer needed and generates chips up to at least
// chip number need, 64 at a time.
func (w *WCDMA) refill(need int64) {
	keep := w.k - int64(w.taps/2) + 1 // first chip the next output uses
	if drop := min(keep-w.base, int64(len(w.codes))); drop > 0 {
		m := copy(w.codes, w.codes[drop:])
		w.codes = w.codes[:m]
		w.base += drop
	}
	for w.next <= need || len(w.codes)+wcdmaSFData <= cap(w.codes) {
		w.chips64()
	}
}

// chips64 appends the codes of the 64 chips w.next … w.next+63 (w.next is
// a multiple of 64: one DPDCH symbol). A code holds the signs of
// β_d·d·C_d (bit 1), β_c·c·C_c (bit 2), c1 (bit 0) and (−1)^i·c2(2⌊i/2⌋)
// (bit 3).
func (w *WCDMA) chips64() {
	i0 := w.next
	d := uint8(w.bits.bits(1))
	if i0%wcdmaSFCtrl == 0 {
		w.cBit = uint8(w.bits.bits(1))
	}
	c1 := w.bits.bits(64)
	c2 := w.bits.bits(32)
	for i := range wcdmaSFData {
		s := uint8(c2>>(i/2)&1) ^ uint8(i&1)
		code := uint8(c1>>i&1) | (d^w.ovsf[i])<<1 | w.cBit<<2 | s<<3
		w.codes = append(w.codes, code)
	}
	w.next += wcdmaSFData
}
