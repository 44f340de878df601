package waveform

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/dsp/fourier"
)

// LTE numerology (TS 36.211 §4, §5.6): basic time unit Ts = 1/30.72 MHz,
// 15 kHz subcarriers, 12 subcarriers per PRB, a 0.5 ms slot of 7 SC-FDMA
// symbols with normal cyclic prefix: symbol 0 has a 160 Ts prefix, symbols
// 1–6 have 144 Ts, every symbol has 2048 Ts of useful part.
const (
	lteTs      = 1 / 30.72e6 // s
	lteSCS     = 15e3        // Hz
	lteSlot    = 0.5e-3      // s
	lteCP0     = 160         // Ts
	lteCP      = 144         // Ts
	lteUseful  = 2048        // Ts
	lteSymbols = 7
	lteMaxPRB  = 25 // largest allocation accepted (a 5 MHz carrier)

	// PRACH preamble format 0 (§5.7.1, Table 5.7.1-1): 3168 Ts prefix,
	// 24576 Ts sequence, N_ZC = 839, 1.25 kHz subcarriers.
	prachCP  = 3168
	prachSeq = 24576
	prachNZC = 839
	prachSCS = 1250 // Hz

	// bandEdgeFrac: signal further than this fraction of the sample rate
	// from 0 Hz is left out (LTE subcarriers) or filtered away (WCDMA), so
	// that the interpolation filters can reject everything above
	// (1 − bandEdgeFrac)·rate and nothing aliases into ±bandEdgeFrac·rate.
	bandEdgeFrac = 0.42
)

// LTEMod is the PUSCH data modulation.
type LTEMod int

// The modulations of Slot.
const (
	QPSK  LTEMod = iota // 2 bits per symbol, TS 36.211 §7.1.2
	QAM16               // 4 bits per symbol, TS 36.211 §7.1.3
)

// LTE generates LTE uplink SC-FDMA signals (TS 36.211 §5) at one sample
// rate: PUSCH and PUCCH slots, SRS symbols and PRACH preambles, each
// centred at 0 Hz on the centre of its own allocation.
//
// How: each SC-FDMA symbol is built exactly as §5.6 describes — data
// symbols DFT-spread (transform precoding, §5.3.3), reference signals
// placed directly on subcarriers, the subcarriers at (k + ½)·15 kHz —
// with an N-point IFFT at fin = N·15 kHz. N is a power of two ≥ 128 (so
// every cyclic prefix, 160·N/2048 or 144·N/2048 samples, is whole) and
// large enough that fin ≥ 2.5 × the pass-band edge (the allocation's
// half-width + 15 kHz): 128 for up to 6 PRBs. The half-subcarrier shift is a multiplication by
// exp(jπ(n − N_CP)/N), so the prefix keeps the −1 factor the real signal
// has. The slot at fin is then resampled to the caller's rate, at the
// exact instants (n − frac)/rate, by a band-limited interpolator (see
// interp) that passes the allocation and rejects both the IFFT's images
// and everything that would alias at the output; it also acts as the
// transmit filter. Subcarriers beyond ±0.42·rate (only for allocations
// wider than the sampled band) are left out; KeptFraction says how much
// power remains.
//
// Placement: with the half-subcarrier shift, PRBs n0 … n0+nPRB−1 of an
// N_RB carrier are centred (12·n0 + 6·nPRB − 6·N_RB)·15 kHz from the
// carrier frequency; a PRACH on PRBs n0 … n0+5 likewise at
// (12·n0 + 36 − 6·N_RB)·15 kHz. Each symbol's phase is referenced to its
// own start as in TS 36.211, so a caller's continuous frequency shift only
// adds a constant phase per symbol, which random data absorbs.
type LTE struct {
	rate   float64
	grids  map[int]*lteGrid // by IFFT size
	alloc  [lteMaxPRB + 1]*lteAlloc
	freq   []complex64  // IFFT buffer, largest N
	slot   []complex64  // one slot at the largest fin
	spread []complex128 // DFT-spreading buffer, 12·lteMaxPRB
	seq    []complex64  // reference sequence buffer, 2·12·lteMaxPRB

	// PRACH: one period of the preamble sequence at prachFin with an
	// prachN-point IFFT, prefix prachCPn samples.
	prachN    int
	prachFin  float64
	prachCPn  int
	prachFFT  *fft64
	prachBuf  []complex64
	prachKern *interp
	prachKeep int // subcarriers k with |k − 419| ≤ prachKeep are kept

	bits bitSource
}

// lteGrid is the IFFT grid for one size N.
type lteGrid struct {
	n       int
	fin     float64 // N · 15 kHz
	cp0, cp int     // prefixes of symbol 0 and of symbols 1–6 at fin
	fft     *fft64
	shift   []complex64 // exp(jπm/N) for m = −cp0 … N−1 (index m + cp0)
}

// lteAlloc is what an allocation of p PRBs needs.
type lteAlloc struct {
	grid   *lteGrid
	dft    *fourier.CmplxFFT // M = 12p point transform precoding
	kern   *interp
	lo, hi int // kept subcarriers [lo, hi) of 0…M−1
}

// NewLTE returns an LTE uplink generator for sample rate rate (samples/s,
// 1e6…100e6). It precomputes the IFFT grids and interpolation filters for
// allocations of 1–6 PRBs; those for 7–25 PRBs are built on first use.
func NewLTE(rate float64) (*LTE, error) {
	if err := checkRate(rate); err != nil {
		return nil, fmt.Errorf("waveform: NewLTE: %w", err)
	}
	l := &LTE{
		rate:   rate,
		grids:  make(map[int]*lteGrid),
		spread: make([]complex128, 12*lteMaxPRB),
		seq:    make([]complex64, 2*12*lteMaxPRB),
	}
	nmax := lteGridSize(lteEdge(lteMaxPRB, rate))
	l.freq = make([]complex64, nmax)
	l.slot = make([]complex64, lteSymbols*nmax+(lteCP0+(lteSymbols-1)*lteCP)*nmax/lteUseful)
	for p := 1; p <= 6; p++ {
		l.prepare(p)
	}

	// PRACH at prachN·1.25 kHz, at least 1024 points so the 839
	// subcarriers fit, and ≥ 2.5 × the half-width as for the slots; the
	// prefix 3168/24576 of a period is then a whole number of samples.
	fmax := bandEdgeFrac * rate
	half := float64(prachNZC/2) * prachSCS // 419 × 1.25 kHz
	l.prachKeep = prachNZC / 2
	if half+prachSCS/2 > fmax {
		l.prachKeep = int((fmax - prachSCS/2) / prachSCS)
	}
	fp := math.Min(half+prachSCS, fmax)
	pn := 1024
	for float64(pn)*prachSCS < 2.5*fp {
		pn *= 2
	}
	l.prachN, l.prachFin = pn, float64(pn)*prachSCS
	l.prachCPn = prachCP * pn / prachSeq
	l.prachFFT = newFFT64(pn)
	l.prachBuf = make([]complex64, l.prachCPn+pn)
	l.prachKern = newInterp(l.prachFin, fp, math.Min(rate, l.prachFin)-fp)
	return l, nil
}

// lteEdge is the pass-band edge for p PRBs: the allocation's half-width
// plus one subcarrier, at most 0.42·rate.
func lteEdge(p int, rate float64) float64 {
	return math.Min(float64(p)*6*lteSCS+lteSCS, bandEdgeFrac*rate)
}

// lteGridSize is the IFFT size for pass-band edge fp: the smallest power
// of two ≥ 128 with N·15 kHz ≥ 2.5·fp, so that the interpolator's
// transition band (fp to fin − fp) is at least 0.2·fin wide.
func lteGridSize(fp float64) int {
	n := 128
	for float64(n)*lteSCS < 2.5*fp {
		n *= 2
	}
	return n
}

// prepare builds what an allocation of p PRBs needs: its IFFT grid, its
// DFT, the kept subcarrier range and the interpolation filter.
func (l *LTE) prepare(p int) {
	if l.alloc[p] != nil {
		return
	}
	M := 12 * p
	fp := lteEdge(p, l.rate)
	n := lteGridSize(fp)
	g := l.grids[n]
	if g == nil {
		g = &lteGrid{n: n, fin: float64(n) * lteSCS, cp0: lteCP0 * n / lteUseful, cp: lteCP * n / lteUseful, fft: newFFT64(n)}
		g.shift = make([]complex64, g.cp0+n)
		for m := -g.cp0; m < n; m++ {
			g.shift[m+g.cp0] = cis(float64(m) / float64(2*n))
		}
		l.grids[n] = g
	}
	a := &lteAlloc{grid: g, dft: fourier.NewCmplxFFT(M), lo: 0, hi: M}
	fmax := bandEdgeFrac * l.rate
	for m := range M { // subcarrier m at (m − (M−1)/2)·15 kHz, 15 kHz wide
		if math.Abs(float64(m)-float64(M-1)/2)*lteSCS+lteSCS/2 > fmax {
			if m < M/2 {
				a.lo = m + 1
			} else if a.hi == M {
				a.hi = m
			}
		}
	}
	// Stop band from the first image (fin − fp) or the first alias at the
	// output (rate − fp), whichever is lower.
	a.kern = newInterp(g.fin, fp, math.Min(l.rate, g.fin)-fp)
	l.alloc[p] = a
}

// checkPRB panics unless 1 ≤ p ≤ 25, and prepares p.
func (l *LTE) checkPRB(p int) {
	if p < 1 || p > lteMaxPRB {
		panic(fmt.Sprintf("waveform: LTE: %d PRBs outside 1…%d", p, lteMaxPRB))
	}
	l.prepare(p)
}

// KeptFraction returns the fraction of an nPRB allocation's power that
// the output carries: 1 unless the allocation is wider than ±0.42·rate
// (e.g. 6 PRBs = 1.08 MHz at 1.024 MS/s keeps 56 of 72 subcarriers).
func (l *LTE) KeptFraction(nPRB int) float64 {
	l.checkPRB(nPRB)
	a := l.alloc[nPRB]
	return float64(a.hi-a.lo) / float64(12*nPRB)
}

// SlotLen returns the largest number of samples Slot and PUCCHSlot write:
// 0.5 ms at the sample rate plus one for the fractional start.
func (l *LTE) SlotLen() int { return ceilEps(lteSlot*l.rate + 1) }

// SRSLen returns the largest number of samples SRS writes: one SC-FDMA
// symbol with normal prefix, (144 + 2048) Ts = 71.35 µs, plus one.
func (l *LTE) SRSLen() int { return ceilEps(float64(lteCP+lteUseful)*lteTs*l.rate + 1) }

// PRACHLen returns the largest number of samples PRACH writes: prefix and
// sequence, (3168 + 24576) Ts = 903.1 µs, plus one. The guard time that
// follows is silence and is not written.
func (l *LTE) PRACHLen() int { return ceilEps(float64(prachCP+prachSeq)*lteTs*l.rate + 1) }

// Slot writes one 0.5 ms PUSCH slot on nPRB (1…25) PRBs with modulation
// mod into dst, starting frac (0 ≤ frac < 1) of a sample after dst[0],
// and returns the number of samples written and the active span: the
// samples whose instants lie inside the slot (all but dst[0] when frac >
// 0, which holds the filter's lead-in). Consecutive slots for consecutive
// 0.5 ms make a subframe (the caller places them).
//
// Symbols 0–2 and 4–6 carry 12·nPRB random QPSK or 16QAM symbols each,
// DFT-spread; symbol 3 carries the demodulation reference signal
// (§5.5.2.1): the base sequence of a random group u (group hopping) with a
// random cyclic shift n_cs ∈ 0…11, α = 2π n_cs/12 — a constant-amplitude
// (CAZAC) sequence on the subcarriers. Mean power over the active span is
// 1 (× KeptFraction(nPRB)); the first and last few samples carry the
// interpolation filter's rise and fall.
//
// Slot panics if nPRB is outside 1…25, if len(dst) < SlotLen() or if frac
// is not in [0, 1).
func (l *LTE) Slot(dst []complex64, nPRB int, mod LTEMod, frac float64, rng *rand.Rand) (n int, active Span) {
	l.checkPRB(nPRB)
	l.bits.reset(rng)
	M := 12 * nPRB
	u, cs := rng.IntN(30), rng.IntN(12)
	pos := 0
	for sym := range lteSymbols {
		if sym == 3 {
			baseSequence(l.seq[:M], u, cs, 12)
			pos = l.symbolFromSeq(pos, sym, nPRB, l.seq[:M], 1)
			continue
		}
		pos = l.dataSymbol(pos, sym, nPRB, mod)
	}
	return l.finish(dst, l.slot[:pos], nPRB, lteSlot, frac)
}

// PUCCHSlot writes one 0.5 ms slot of PUCCH format 1a on one PRB (§5.4.1,
// §5.5.2.2), centred at 0 Hz on that PRB, and returns like Slot. Symbols
// 2, 3 and 4 are reference symbols, the other four carry one random BPSK
// HARQ bit d(0); every symbol is the 12-point base sequence of a random
// group u with its own random cyclic shift (cell-specific hopping),
// multiplied by a random orthogonal cover (w of Table 5.4.1-2 on data
// symbols, w̄ of Table 5.5.2.2.1-2 on reference symbols). The caller hops
// it between the two band edges at the slot boundary.
func (l *LTE) PUCCHSlot(dst []complex64, frac float64, rng *rand.Rand) (n int, active Span) {
	l.prepare(1)
	u := rng.IntN(30)
	d := complex64(1)
	if rng.IntN(2) == 1 {
		d = -1
	}
	oc := rng.IntN(3)
	// Orthogonal covers: w(m) for the 4 data symbols (±1) and w̄(m) for the
	// 3 reference symbols (exp(j2π·k·m/3)).
	wData := [3][4]complex64{{1, 1, 1, 1}, {1, -1, 1, -1}, {1, -1, -1, 1}}
	pos, md, mr := 0, 0, 0
	for sym := range lteSymbols {
		baseSequence(l.seq[:12], u, rng.IntN(12), 12)
		var w complex64
		if sym >= 2 && sym <= 4 {
			w = cis(float64(oc*mr) / 3)
			mr++
		} else {
			w = d * wData[oc][md]
			md++
		}
		pos = l.symbolFromSeq(pos, sym, 1, l.seq[:12], w)
	}
	return l.finish(dst, l.slot[:pos], 1, lteSlot, frac)
}

// SRS writes one sounding reference signal symbol (§5.5.3): the last
// SC-FDMA symbol of a subframe, (144 + 2048) Ts = 71.35 µs, on nPRB PRBs
// with a comb of every other subcarrier (random transmission comb
// k_TC ∈ {0, 1}), carrying the reference sequence of length 6·nPRB of a
// random group u with random cyclic shift α = 2π n_cs/8. Real SRS
// bandwidths are multiples of 4 PRBs; other counts are accepted (see
// baseSequence). Returns like Slot; len(dst) must be at least SRSLen().
func (l *LTE) SRS(dst []complex64, nPRB int, frac float64, rng *rand.Rand) (n int, active Span) {
	l.checkPRB(nPRB)
	M := 12 * nPRB
	comb := rng.IntN(2)
	// The sequence goes to l.seq[M:], then onto the comb in l.seq[:M]:
	// even or odd subcarriers, zeros between.
	r := l.seq[M : M+M/2]
	baseSequence(r, rng.IntN(30), rng.IntN(8), 8)
	clear(l.seq[:M])
	for i, v := range r {
		l.seq[2*i+comb] = v
	}
	pos := l.symbolFromSeq(0, 6, nPRB, l.seq[:M], complex64(complex(math.Sqrt(2), 0)))
	return l.finish(dst, l.slot[:pos], nPRB, float64(lteCP+lteUseful)*lteTs, frac)
}

// dataSymbol writes SC-FDMA symbol sym of DFT-spread random data at
// l.slot[pos:] and returns the position after it.
func (l *LTE) dataSymbol(pos, sym, nPRB int, mod LTEMod) int {
	M := 12 * nPRB
	x := l.spread[:M]
	switch mod {
	case QAM16:
		// b0 b1 b2 b3 → I = (1−2b0)(1+2b2)/√10, Q = (1−2b1)(1+2b3)/√10.
		const s = 1 / 3.1622776601683795
		for i := range x {
			b := l.bits.bits(4)
			re := float64(1-2*int(b&1)) * float64(1+2*int(b>>2&1))
			im := float64(1-2*int(b>>1&1)) * float64(1+2*int(b>>3&1))
			x[i] = complex(re*s, im*s)
		}
	default:
		const s = 1 / math.Sqrt2
		for i := range x {
			b := l.bits.bits(2)
			x[i] = complex(float64(1-2*int(b&1))*s, float64(1-2*int(b>>1))*s)
		}
	}
	// Transform precoding (§5.3.3): X(k) = (1/√M) Σ x(i) e^{−j2πik/M};
	// one more 1/√M makes Σ_k |X(k)|² = 1, the unit mean power.
	a := l.alloc[nPRB]
	a.dft.Coefficients(x, x)
	scale := complex(1/float64(M), 0)
	n := a.grid.n
	freq := l.freq[:n]
	clear(freq)
	for m := a.lo; m < a.hi; m++ {
		freq[(m-M/2+n)%n] = complex64(x[m] * scale)
	}
	return l.ifftSymbol(pos, sym, a.grid)
}

// symbolFromSeq writes SC-FDMA symbol sym carrying the unit-modulus
// sequence seq (one value per subcarrier of nPRB PRBs, zeros allowed)
// times w, scaled to unit mean power, at l.slot[pos:].
func (l *LTE) symbolFromSeq(pos, sym, nPRB int, seq []complex64, w complex64) int {
	M := 12 * nPRB
	scale := w / complex(float32(math.Sqrt(float64(M))), 0)
	a := l.alloc[nPRB]
	n := a.grid.n
	freq := l.freq[:n]
	clear(freq)
	for m := a.lo; m < a.hi; m++ {
		freq[(m-M/2+n)%n] = seq[m] * scale
	}
	return l.ifftSymbol(pos, sym, a.grid)
}

// ifftSymbol turns l.freq (subcarrier k at bin k, i.e. at k·15 kHz before
// the half-subcarrier shift) into symbol sym with its cyclic prefix at
// l.slot[pos:]: s(m) = exp(jπm/N)·IFFT(m mod N) for m = −N_CP … N−1
// (TS 36.211 §5.6 with t = (m + N_CP)/fin).
func (l *LTE) ifftSymbol(pos, sym int, g *lteGrid) int {
	n := g.n
	y := l.freq[:n]
	g.fft.inverse(y)
	cp := g.cp
	if sym == 0 {
		cp = g.cp0
	}
	out := l.slot[pos : pos+cp+n]
	sh := g.shift[g.cp0-cp:]
	for i, v := range y[n-cp:] { // the prefix: m = −cp … −1
		out[i] = v * sh[i]
	}
	out, sh = out[cp:], sh[cp:cp+n]
	for i, v := range y {
		out[i] = v * sh[i]
	}
	return pos + cp + n
}

// finish resamples the signal x (at the grid rate of nPRB, starting at
// t = 0) lasting dur seconds into dst at the caller's rate with fractional
// start frac.
func (l *LTE) finish(dst, x []complex64, nPRB int, dur, frac float64) (int, Span) {
	checkFrac(frac)
	n := ceilEps(frac + dur*l.rate)
	if len(dst) < n {
		panic("waveform: LTE: dst too short")
	}
	a := l.alloc[nPRB]
	resample(a.kern, dst[:n], x, a.grid.fin, l.rate, frac)
	start := ceilEps(frac)
	return n, Span{Start: start, Len: n - start}
}

// PRACH writes one PRACH preamble of format 0 (§5.7): prefix 3168 Ts and
// sequence 24576 Ts, 903.1 µs in all, made of the length-839 Zadoff-Chu
// sequence of root u = root (1…838) with cyclic shift C_v = cyclicShift
// (0…838 samples of the sequence), x_u,v(n) = x_u((n + C_v) mod 839),
// x_u(n) = exp(−jπ u n(n+1)/839), DFT-transformed onto 839 subcarriers
// 1.25 kHz apart. The output is centred on the centre of the six PRBs the
// preamble occupies: with φ = 7 (§5.7.3) subcarrier k sits at
// (k − 419)·1.25 kHz, so the preamble spans ±524.4 kHz (1.049 MHz) with a
// 15.6 kHz gap to each edge of the 1.08 MHz block. It starts frac of a
// sample after dst[0]; active span and power as for Slot (mean power 1).
// PRACH panics if root or cyclicShift is out of range, if len(dst) <
// PRACHLen() or if frac is not in [0, 1).
func (l *LTE) PRACH(dst []complex64, root, cyclicShift int, frac float64) (n int, active Span) {
	if root < 1 || root >= prachNZC || cyclicShift < 0 || cyclicShift >= prachNZC {
		panic(fmt.Sprintf("waveform: LTE.PRACH: root %d or cyclic shift %d outside 1…838, 0…838", root, cyclicShift))
	}
	const N = prachNZC
	// The DFT of a Zadoff-Chu sequence is a Zadoff-Chu sequence:
	// X_u(k) = X_u(0)·conj(x_u(ũk mod N)) with ũ = u⁻¹ mod N, and the cyclic
	// shift multiplies it by exp(j2π C_v k/N).
	xu := func(m int) complex128 { // x_u(m), exact integer phase reduction
		return complex128(cis(-float64(root*m%(2*N)*(m+1)%(2*N)) / float64(2*N)))
	}
	var x0 complex128
	for m := range N {
		x0 += xu(m)
	}
	uinv := powMod(root, N-2, N)
	scale := x0 / N // |X_u(k)| = √N; N·(1/N)² · N = 1: unit mean power
	P, cp := l.prachN, l.prachCPn
	seq := l.prachBuf[cp:] // one period, P samples
	clear(seq)
	for k := N/2 - l.prachKeep; k <= N/2+l.prachKeep; k++ {
		xk := complex128(cis(float64(cyclicShift*k%N)/N)) * conj(xu(uinv*k%N)) * scale
		seq[(k-N/2+P)%P] = complex64(xk)
	}
	l.prachFFT.inverse(seq)
	copy(l.prachBuf[:cp], seq[P-cp:]) // the prefix repeats the period's end
	checkFrac(frac)
	n = ceilEps(frac + float64(prachCP+prachSeq)*lteTs*l.rate)
	if len(dst) < n {
		panic("waveform: LTE.PRACH: dst shorter than PRACHLen")
	}
	resample(l.prachKern, dst[:n], l.prachBuf, l.prachFin, l.rate, frac)
	start := ceilEps(frac)
	return n, Span{Start: start, Len: n - start}
}

// PRACHKeptFraction returns the fraction of the preamble's power that the
// output carries: 1 unless the 1.049 MHz preamble is wider than
// ±0.42·rate (at 1.024 MS/s, 687 of the 839 subcarriers remain).
func (l *LTE) PRACHKeptFraction() float64 { return float64(2*l.prachKeep+1) / prachNZC }

// resample interpolates x, sampled at fin from t = 0, into dst at rate
// with dst[n] taken at t = (n − frac)/rate.
func resample(k *interp, dst, x []complex64, fin, rate, frac float64) {
	if a, b, ok := rationalStep(fin, rate); ok {
		k.runRational(dst, x, frac, a, b)
		return
	}
	step := fin / rate
	k.run(dst, x, -frac*step, step)
}

func conj(c complex128) complex128 { return complex(real(c), -imag(c)) }

// powMod returns b^e mod m.
func powMod(b, e, m int) int {
	r := 1
	b %= m
	for ; e > 0; e >>= 1 {
		if e&1 == 1 {
			r = r * b % m
		}
		b = b * b % m
	}
	return r
}
