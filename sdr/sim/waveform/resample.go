package waveform

import "math"

// interp is a band-limited interpolator: it evaluates, at arbitrary real
// positions p (in input samples), the signal x[k] sampled at an input rate
// fin, filtered by a low-pass kernel h:
//
//	y(p) = Σ_k x[k] · h(p − k)
//
// h is a Kaiser-windowed sinc, cutoff (fp+fs)/2, flat (±0.001 dB) to fp and
// at least 80 dB down from fs on. It is tabulated at interpPhases+1
// fractional positions per input sample and linearly interpolated between
// them: the error of that interpolation is below (π·0.5/64)²/8 ≈ 8e−5 of
// the signal (−82 dB) at the highest frequency an input can carry.
//
// Generators synthesize at a convenient rate fin (an IFFT size), then
// resample to the caller's rate with one interp whose stop band starts at
// rate − fp, so everything kept below fp is alias free at the output.
type interp struct {
	taps int       // kernel length L in input samples (even)
	h    []float32 // (interpPhases+1)·L; row k holds h(k/interpPhases + L/2 − 1 − j), j = 0…L−1

	// Scratch for runRational: one interpolated kernel row and integer
	// offset per output phase.
	rows []float32
	offs []int
}

// maxPeriod is the longest phase period runRational handles; the sample
// rates in use give 4 to 16.
const maxPeriod = 64

const interpPhases = 64

// kaiserBeta80 is the Kaiser window β for 80 dB stop-band attenuation
// (Kaiser's formula β = 0.1102·(A − 8.7)); the matching length is
// L ≈ (A − 8)/(2.285·2π·Δf/fin) ≈ 5·fin/Δf.
const kaiserBeta80 = 0.1102 * (80 - 8.7)

// newInterp designs the kernel for input rate fin (Hz), pass band up to fp
// and stop band from fs (Hz), fp < fs.
func newInterp(fin, fp, fs float64) *interp {
	L := int(math.Ceil(5*fin/(fs-fp)/2)) * 2
	if L < 4 {
		L = 4
	}
	fc := (fp + fs) / 2 / fin // cutoff, cycles per input sample
	ip := &interp{taps: L, h: make([]float32, (interpPhases+1)*L), rows: make([]float32, maxPeriod*L), offs: make([]int, maxPeriod)}
	i0 := besselI0(kaiserBeta80)
	for k := 0; k <= interpPhases; k++ {
		row := ip.h[k*L : (k+1)*L]
		var sum float64
		vals := make([]float64, L)
		for j := range L {
			x := float64(k)/interpPhases + float64(L/2-1-j) // distance p − k_j
			r := x / (float64(L) / 2)
			if r*r >= 1 {
				continue
			}
			v := 2 * fc * sinc(2*fc*x) * besselI0(kaiserBeta80*math.Sqrt(1-r*r)) / i0
			vals[j] = v
			sum += v
		}
		// Unit gain at 0 Hz for every phase, so a constant input comes out
		// constant whatever the fractional position.
		for j, v := range vals {
			row[j] = float32(v / sum)
		}
	}
	return ip
}

// run writes dst[n] = y(p0 + n·step) for the input x (zero outside it).
func (ip *interp) run(dst, x []complex64, p0, step float64) {
	L := ip.taps
	for n := range dst {
		p := p0 + float64(n)*step
		fl := math.Floor(p)
		mu := (p - fl) * interpPhases
		k := int(mu)
		w := float32(mu - float64(k))
		r0 := ip.h[k*L : k*L+L]
		r1 := ip.h[(k+1)*L : (k+2)*L]
		base := int(fl) - L/2 + 1
		var ar, ai, br, bi float32
		if base >= 0 && base+L <= len(x) {
			xs := x[base : base+L]
			r0, r1 := r0[:len(xs)], r1[:len(xs)]
			for j, v := range xs {
				c0, c1 := r0[j], r1[j]
				ar += real(v) * c0
				ai += imag(v) * c0
				br += real(v) * c1
				bi += imag(v) * c1
			}
		} else {
			for j := range L {
				if i := base + j; i >= 0 && i < len(x) {
					v := x[i]
					ar += real(v) * r0[j]
					ai += imag(v) * r0[j]
					br += real(v) * r1[j]
					bi += imag(v) * r1[j]
				}
			}
		}
		dst[n] = complex(ar+w*(br-ar), ai+w*(bi-ai))
	}
}

// runRational is run for a rational step = a/b (input samples per output
// sample) with b ≤ maxPeriod and p0 = −frac·step: the position of output
// n = qb + s is q·a + (s − frac)·a/b, so its fractional part, hence its
// kernel row, depends on s only. The b rows are interpolated once per
// call, which halves the work per output sample.
func (ip *interp) runRational(dst, x []complex64, frac float64, a, b int) {
	L := ip.taps
	for s := range b {
		p := (float64(s) - frac) * float64(a) / float64(b)
		fl := math.Floor(p)
		mu := (p - fl) * interpPhases
		k := int(mu)
		w := float32(mu - float64(k))
		r0, r1 := ip.h[k*L:k*L+L], ip.h[(k+1)*L:(k+2)*L]
		row := ip.rows[s*L : s*L+L]
		for j := range row {
			row[j] = r0[j] + w*(r1[j]-r0[j])
		}
		ip.offs[s] = int(fl) - L/2 + 1
	}
	s, qa := 0, 0
	for n := range dst {
		base := qa + ip.offs[s]
		row := ip.rows[s*L : s*L+L]
		var re, im float32
		if base >= 0 && base+L <= len(x) {
			xs := x[base : base+L]
			row = row[:len(xs)]
			for j, v := range xs {
				c := row[j]
				re += real(v) * c
				im += imag(v) * c
			}
		} else {
			for j, c := range row {
				if i := base + j; i >= 0 && i < len(x) {
					re += real(x[i]) * c
					im += imag(x[i]) * c
				}
			}
		}
		dst[n] = complex(re, im)
		if s++; s == b {
			s, qa = 0, qa+a
		}
	}
}

// rationalStep returns a, b with fin/rate = a/b in lowest terms when both
// are whole numbers of Hz and b ≤ maxPeriod, else ok = false.
func rationalStep(fin, rate float64) (a, b int, ok bool) {
	if fin != math.Trunc(fin) || rate != math.Trunc(rate) || fin > 1e12 || rate > 1e12 {
		return 0, 0, false
	}
	fi, ri := int64(fin), int64(rate)
	g := gcd(fi, ri)
	a, b = int(fi/g), int(ri/g)
	return a, b, b <= maxPeriod
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// besselI0 is the modified Bessel function of the first kind, order 0, by
// its power series (converges quickly for the β ≤ 10 used here).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / 2) * (x / 2) / float64(k*k)
		sum += term
		if term < 1e-17*sum {
			break
		}
	}
	return sum
}
