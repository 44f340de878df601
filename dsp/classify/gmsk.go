package classify

import (
	"math"
	"math/cmplx"

	"github.com/cellsentry/cellsentry/sdr/sim/waveform"
)

// GSM's known bits (TS 45.002 §5.2.3 training sequence set 1, §5.2.7 the
// access burst's synchronisation sequence) come from the waveform
// package, which holds the standard's tables once for the generator and
// for this check.
var (
	tscBits = func() (t [8][26]uint8) {
		for i := range t {
			t[i] = waveform.GSMTrainingSequence(i)
		}
		return t
	}()
	syncBits = func() []uint8 { s := waveform.GSMAccessSync(); return s[:] }()
)

const gsmBitS = 48.0 / 13 * 1e-6 // GSM bit period

// gmskRef is the GMSK waveform of a known bit run, sampled at the
// classifier's GSM rate, with where it sits in the burst.
type gmskRef struct {
	at     float64 // seconds from the first useful bit to ref[0]
	ref    []complex128
	dr, di []float64 // ref[k]·conj(ref[k+D]), D about one bit
}

// newGMSKRef builds the reference for bits that start at bit index first
// of the burst. Only the bits' own modulating values are known: the
// differential encoding d̂ᵢ = dᵢ ⊕ dᵢ₋₁ (TS 45.004) gives αᵢ = 1 − 2d̂ᵢ for
// every bit but the first, and the phase φ(t) = π/2·Σ αᵢ·q(t − iT) with q the
// integral of the BT = 0.3 Gaussian frequency pulse. The unknown bits
// around the run only shift the phase by a constant (ignored, since the
// correlation takes a magnitude) or bend its first and last bit and a half
// (trimmed off).
func newGMSKRef(bits []uint8, first int, rate float64) gmskRef {
	n := len(bits)
	alpha := make([]float64, n)
	for i := 1; i < n; i++ {
		alpha[i] = 1 - 2*float64(bits[i]^bits[i-1])
	}
	delta := math.Sqrt(math.Ln2) / (2 * math.Pi * 0.3) // pulse width, bits
	// q(x): integral of g(x) = Φ((x+½)/δ) − Φ((x−½)/δ) over (−∞, x], x in
	// bits from the bit centre; numerically, fine enough for a reference.
	q := func(x float64) float64 {
		const steps = 64
		lo := -4.0
		if x <= lo {
			return 0
		}
		if x >= 4 {
			return 1
		}
		h := (x - lo) / steps
		var s float64
		for j := 0; j <= steps; j++ {
			u := lo + float64(j)*h
			g := phi((u+0.5)/delta) - phi((u-0.5)/delta)
			if j == 0 || j == steps {
				g /= 2
			}
			s += g
		}
		return s * h
	}
	t0 := (float64(first) + 2.5) * gsmBitS   // trim the first bits
	t1 := (float64(first+n) - 2.0) * gsmBitS // and the last
	m := int((t1 - t0) * rate)
	r := gmskRef{at: t0, ref: make([]complex128, m)}
	for k := range r.ref {
		t := t0 + float64(k)/rate
		x := t/gsmBitS - float64(first) // bits from the run's first bit start
		var ph float64
		for i := 1; i < n; i++ {
			ph += alpha[i] * q(x-float64(i)-0.5)
		}
		ph *= math.Pi / 2
		r.ref[k] = complex(math.Cos(ph), math.Sin(ph))
	}
	dlag := max(1, int(math.Round(gsmBitS*rate)))
	for k := 0; k+dlag < m; k++ {
		d := r.ref[k] * cmplx.Conj(r.ref[k+dlag])
		r.dr = append(r.dr, real(d))
		r.di = append(r.di, imag(d))
	}
	return r
}

func phi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// gmskRefs holds the references for one sample rate: the eight normal
// burst training sequences (bits 61–86) and the access burst's sync (bits
// 8–48).
type gmskRefs struct {
	rate       float64
	dlag       int
	normal     [8]gmskRef
	access     gmskRef
	xr, xi, ce []float64 // scratch
	mag        []float64 // scratch: |xd| per sample
	lastTSC    int
}

func newGMSKRefs(rate float64) *gmskRefs {
	g := &gmskRefs{rate: rate, dlag: max(1, int(math.Round(gsmBitS*rate)))}
	for i := range tscBits {
		g.normal[i] = newGMSKRef(tscBits[i][:], 61, rate)
	}
	g.access = newGMSKRef(syncBits, 8, rate)
	return g
}

// gmskSure: a fit this good ends the search over training sequences (a
// wrong one, or noise, stays well below).
const gmskSure = 0.85

// gmskSearch is how far from the estimated start the first useful bit may
// be: the detector's edges are good to about a tenth of a burst.
const gmskSearch = 30e-6

// match returns the best normalised correlation of x (a burst at the GSM
// rate, x[0] at the estimated start of its useful part) with the known
// bits of a normal or an access burst, over start errors of ±gmskSearch,
// taking either spectral orientation (a receiver that swaps I and Q sees
// the phase run backwards).
//
// The correlation is differential — of x[n]·x*[n+D] with r[n]·r*[n+D], D
// about one bit — because the burst's carrier is known only to a few kHz
// (the detector's bins, the dongle's ppm): a residual offset f turns a
// plain correlation over the 80 µs of known bits by 2π·f·80 µs, but the
// differential one only by the constant 2π·f·D, which the magnitude
// ignores.
func (g *gmskRefs) match(x []complex64, access bool) float64 {
	dlag := g.dlag
	n := len(x) - dlag
	if n <= 0 {
		return 0
	}
	// The differential signal and the running sum of its magnitude, once
	// per burst; the references' differentials are precomputed.
	if cap(g.xr) < n {
		g.xr, g.xi, g.mag, g.ce = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n+1)
	}
	xr, xi, mag, ce := g.xr[:n], g.xi[:n], g.mag[:n], g.ce[:n+1]
	xa, xb := x[:n], x[dlag:dlag+n]
	for k, a := range xa {
		b := xb[k]
		xr[k] = float64(real(a))*float64(real(b)) + float64(imag(a))*float64(imag(b))
		xi[k] = float64(imag(a))*float64(real(b)) - float64(real(a))*float64(imag(b))
	}
	hypots(mag, xr, xi) // |xd|, several at a time
	// The running sum in a register: reading it back from ce would put a
	// store and a load in every step of the chain.
	var run float64
	ce[0] = 0
	for k, v := range mag {
		run += v
		ce[k+1] = run
	}
	// corr is the normalised differential correlation with r at one lag,
	// with the spectral orientation that gave it and its complex sum (whose
	// phase is −2π·f·D/rate for a carrier offset f).
	type hit struct {
		v    float64
		flip bool
		sum  complex128
		lag  int
		r    *gmskRef
	}
	//
	// A lag whose squared magnitude shows it well below floor (the best so
	// far) gets an empty hit instead: the search would not keep it, and
	// the magnitude's square root and division are saved.
	corr := func(r *gmskRef, lag int, floor float64) hit {
		m := len(r.dr)
		if lag < 0 || lag+m > n {
			return hit{}
		}
		e := ce[lag+m] - ce[lag]
		if e <= 0 {
			return hit{}
		}
		// Σ xd·conj(rd) and Σ xd·rd (the other spectral orientation),
		// from the four real sums they share: four products per sample
		// instead of eight.
		s1, s2, s3, s4 := corrSums(xr[lag:lag+m], xi[lag:lag+m], r.dr, r.di)
		ar, ai := s1+s2, s3-s4
		br, bi := s1-s2, s4+s3
		ma, mb := ar*ar+ai*ai, br*br+bi*bi
		if fe := floor * e; max(ma, mb) < fe*fe*(1-1e-12) {
			return hit{}
		}
		if ma >= mb {
			return hit{v: math.Hypot(ar, ai) / e, sum: complex(ar, ai), lag: lag, r: r}
		}
		return hit{v: math.Hypot(br, bi) / e, flip: true, sum: complex(br, bi), lag: lag, r: r}
	}
	better := func(a, b hit) hit {
		if b.v > a.v {
			return b
		}
		return a
	}
	// try searches the lags two samples apart (the correlation peak is
	// about a bit, four samples, wide), then the neighbours of the best.
	try := func(r *gmskRef) hit {
		lag0 := int(math.Round((r.at - gmskSearch) * g.rate))
		lag1 := int(math.Round((r.at + gmskSearch) * g.rate))
		var best hit
		for lag := lag0; lag <= lag1; lag += 2 {
			best = better(best, corr(r, lag, best.v))
		}
		return better(best, better(corr(r, best.lag-1, best.v), corr(r, best.lag+1, best.v)))
	}
	// The differential search finds where and which; the coherent check
	// then says how well: knowing the carrier offset from the phase of
	// the differential sum, correlate the samples themselves with the
	// reference, which does not square the noise and so separates GSM
	// from anything else by far more (noise and other signals rarely
	// exceed 0.5; GSM at 6 dB SNR gives about 0.85).
	coherent := func(h hit) float64 {
		if h.r == nil {
			return 0
		}
		w := -cmplx.Phase(h.sum) / float64(dlag) // radians per sample of the carrier offset
		step := cmplx.Rect(1, -w)
		ph := complex(1, 0)
		var c complex128
		var e float64
		for k, rv := range h.r.ref {
			xv := complex128(x[h.lag+k]) * ph
			ph *= step
			if h.flip {
				c += xv * rv
			} else {
				c += xv * cmplx.Conj(rv)
			}
			e += real(xv)*real(xv) + imag(xv)*imag(xv)
		}
		if e <= 0 {
			return 0
		}
		return cmplx.Abs(c) / math.Sqrt(e*float64(len(h.r.ref)))
	}
	if access {
		return coherent(try(&g.access))
	}
	// A phone keeps its training sequence (its cell's colour code) for
	// the whole call: try the last one matched first, and stop there if it
	// fits well; otherwise take the best fit of all eight.
	best := coherent(try(&g.normal[g.lastTSC]))
	if best >= gmskSure {
		return best
	}
	for i := range g.normal {
		if i == g.lastTSC {
			continue
		}
		if c := coherent(try(&g.normal[i])); c > best {
			best = c
			g.lastTSC = i
		}
	}
	return best
}
