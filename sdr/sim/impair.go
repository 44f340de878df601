package sim

import (
	"math"
)

// transient applies the settling after a retune to dst, the transient
// samples starting at absolute index n0: the gain rises from transGain to 1
// and a DC step decays, both exponentially with τ = Transient/3.
func (s *Source) transient(dst []complex64, n0 int64) {
	tau := s.d.Transient.Seconds() / 3 * s.rate // samples
	if tau <= 0 {
		return
	}
	for i := range dst {
		e := math.Exp(-float64(n0+int64(i)-s.transStart) / tau)
		g := 1 - (1-s.transGain)*e
		x := complex128(dst[i])*complex(g, 0) + s.transDC*complex(e, 0)
		dst[i] = complex64(x)
	}
}

// impair applies the receiver imperfections that act on everything: IQ
// imbalance, then the DC offset, the LO leakage and the spurs.
func (s *Source) impair(buf []complex64, n0 int64) {
	if s.nu != 0 || s.mu != 1 {
		mr, mi := float32(real(s.mu)), float32(imag(s.mu))
		nr, ni := float32(real(s.nu)), float32(imag(s.nu))
		for i, x := range buf {
			xr, xi := real(x), imag(x)
			// μx + νx*
			buf[i] = complex(mr*xr-mi*xi+nr*xr+ni*xi, mr*xi+mi*xr+ni*xr-nr*xi)
		}
	}
	dc := complex(float32(s.d.DCI/127.5), float32(s.d.DCQ/127.5))
	if s.loAmp > 0 {
		// LO leakage: a 0 Hz line whose phase takes a random step at every
		// absolute sample index that is a multiple of mixChunk.
		for off := 0; off < len(buf); {
			n := n0 + int64(off)
			end := min(off+int(mixChunk-n%mixChunk), len(buf))
			sn, cs := math.Sincos(2 * math.Pi * s.loPhase)
			lo := dc + complex(float32(s.loAmp*cs), float32(s.loAmp*sn))
			for i := off; i < end; i++ {
				buf[i] += lo
			}
			if (n0+int64(end))%mixChunk == 0 {
				s.loPhase += s.loStep / (2 * math.Pi) * s.loRng.NormFloat64()
				s.loPhase -= math.Floor(s.loPhase)
			}
			off = end
		}
	} else if dc != 0 {
		for i := range buf {
			buf[i] += dc
		}
	}
	for k := range s.spurCPS {
		mixAdd(buf, nil, s.spurAmp[k], s.spurCPS[k], n0, s.spurPh[k])
	}
}

// cu8Value[k] is the sample value of cu8 code k, exactly as sdr.CU8 decodes it.
var cu8Value = func() (t [256]float32) {
	for i := range t {
		t[i] = (float32(i) - 127.5) / 127.5
	}
	return t
}()

// quantCode is the cu8 code of v: round to nearest, saturating at 0 and
// 255, the same arithmetic as sdr.CU8.Encode.
func quantCode(v float32) int {
	x := float64(v)*127.5 + 127.5
	if !(x >= 0) {
		return 0
	}
	if x >= 255 {
		return 255
	}
	return int(math.Floor(x + 0.5))
}

// quantize turns buf into exact cu8 sample values, as the RTL2832U's 8-bit
// ADC and rtl_sdr deliver them, and records in s.clips the running count
// of samples with I or Q at code 0 or 255 (clips[i] counts samples
// before i).
func (s *Source) quantize(buf []complex64) {
	if cap(s.clips) < len(buf)+1 {
		s.clips = make([]int32, len(buf)+1)
	}
	clips := s.clips[:len(buf)+1]
	var c int32
	for i, v := range buf {
		clips[i] = c
		qi, qq := quantCode(real(v)), quantCode(imag(v))
		if qi == 0 || qi == 255 || qq == 0 || qq == 255 {
			c++
		}
		buf[i] = complex(cu8Value[qi], cu8Value[qq])
	}
	clips[len(buf)] = c
}
