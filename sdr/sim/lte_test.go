package sim

import (
	"math"
	"testing"
	"time"
)

// lteScene is a 1.4 MHz carrier (6 PRB, 1.08 MHz) centred in the window,
// so that the whole carrier, PUCCH edges included, is visible.
func lteScene(d time.Duration) *Scene {
	return &Scene{Seed: 31, Duration: d,
		Sensors: []Sensor{{ID: "s", Center: 902.4e6, Dongle: CleanDongle()}},
		Emitters: []Emitter{{ID: "ue", Level: SNR(15), Behaviour: &LTEData{Carrier: 902.4e6, Bandwidth: 1.4e6,
			On: 400 * time.Millisecond, Off: 300 * time.Millisecond, Load: 0.6, CQIPeriod: 5 * time.Millisecond}}}}
}

// prbPowers measures the power of each of the nRB PRBs of a carrier at
// offset fc (Hz) in x.
func prbPowers(x []complex64, rate, fc float64, nRB int) []float64 {
	p := make([]float64, nRB)
	for k := range p {
		lo := fc + (float64(k)-float64(nRB)/2)*180e3
		p[k] = bandPower(x, rate, lo+5e3, lo+175e3)
	}
	return p
}

// noisePerPRB measures the noise in one PRB's band where nothing
// transmits.
func noisePerPRB(t *testing.T, iq []complex64, truth []truthEntry) float64 {
	t.Helper()
	var sum float64
	n := 0
	for i0 := 0; i0+1200 < len(iq) && n < 50; i0 += 12000 {
		if busy(truth, 2.4e6, i0, i0+1200) {
			continue
		}
		p := prbPowers(iq[i0:i0+1200], 2.4e6, 0, 6)
		for _, v := range p {
			sum += v
		}
		n++
	}
	if n < 10 {
		t.Fatalf("only %d quiet spans", n)
	}
	return sum / float64(6*n)
}

func TestLTEPUSCHAllocations(t *testing.T) {
	iq, truth, _ := renderAll(t, lteScene(3*time.Second), "s", 1<<16)
	noise := noisePerPRB(t, iq, truth)
	sizes := map[int]int{}
	for _, te := range truth {
		if te.e.Kind != KindLTEPUSCH {
			continue
		}
		// The first slot: no SRS (last symbol of the subframe) in it.
		i0 := int(math.Ceil(te.e.Start * 2.4e6))
		if i0+1200 > len(iq) {
			continue
		}
		p := prbPowers(iq[i0:i0+1200], 2.4e6, 0, 6)
		first, last, n := -1, -1, 0
		for k, v := range p {
			if v > 5*noise {
				if first < 0 {
					first = k
				}
				last = k
				n++
			}
		}
		if n == 0 || last-first+1 != n {
			t.Errorf("PUSCH at %.4f s: occupied PRBs %v not contiguous (noise %.3g)", te.e.Start, p, noise)
			continue
		}
		if n != te.e.NPRB || first != te.e.PRB {
			t.Errorf("PUSCH at %.4f s: measured %d PRB from %d, truth %d from %d", te.e.Start, n, first, te.e.NPRB, te.e.PRB)
		}
		if math.Abs(te.e.Bandwidth-float64(n)*180e3) > 1 {
			t.Errorf("PUSCH bandwidth %g for %d PRB", te.e.Bandwidth, n)
		}
		sizes[n]++
	}
	t.Logf("PUSCH sizes measured: %v", sizes)
	if len(sizes) < 3 {
		t.Errorf("allocation sizes %v: want several", sizes)
	}
}

// TestLTEPUCCHHopping: PUCCH sits on one edge PRB in the first slot and on
// the opposite edge in the second, nothing in between.
func TestLTEPUCCHHopping(t *testing.T) {
	iq, truth, _ := renderAll(t, lteScene(2*time.Second), "s", 1<<16)
	noise := noisePerPRB(t, iq, truth)
	pairs := 0
	for i := 0; i+1 < len(truth); i++ {
		a, b := truth[i].e, truth[i+1].e
		if a.Kind != KindLTEPUCCH || b.Kind != KindLTEPUCCH || math.Abs(b.Start-a.Start-0.5e-3) > 1e-9 {
			continue
		}
		i0 := int(math.Ceil(a.Start * 2.4e6))
		if i0+2400 > len(iq) {
			continue
		}
		s0 := prbPowers(iq[i0+10:i0+1190], 2.4e6, 0, 6)
		// The second slot without its last symbol, which may carry SRS.
		s1 := prbPowers(iq[i0+1210:i0+2400-180], 2.4e6, 0, 6)
		lo0, hi0 := s0[0] > 5*noise, s0[5] > 5*noise
		lo1, hi1 := s1[0] > 5*noise, s1[5] > 5*noise
		if lo0 == hi0 || lo1 == hi1 || lo0 == lo1 {
			t.Errorf("PUCCH at %.4f s: slot 0 edges %v/%v, slot 1 %v/%v (powers %.3g / %.3g, noise %.3g)", a.Start, lo0, hi0, lo1, hi1, s0, s1, noise)
		}
		for k := 1; k < 5; k++ {
			if s0[k] > 3*noise || s1[k] > 3*noise {
				t.Errorf("PUCCH at %.4f s: energy in PRB %d", a.Start, k)
			}
		}
		pairs++
	}
	if pairs < 20 {
		t.Errorf("only %d PUCCH subframes", pairs)
	}
}

// TestLTEWakeUp: a session starts with a PRACH preamble occupying about
// 1.05 MHz for 0.9 ms, and the SRS lands in the last 71 µs of a subframe.
func TestLTEWakeUp(t *testing.T) {
	iq, truth, _ := renderAll(t, lteScene(500*time.Millisecond), "s", 1<<16)
	noise := noisePerPRB(t, iq, truth)
	if truth[0].e.Kind != KindLTEPRACH {
		t.Fatalf("first emission %v, want lte_prach", truth[0].e.Kind)
	}
	i0, i1 := span(truth[0].e, 2.4e6)
	if d := float64(i1-i0) / 2.4e6; math.Abs(d-903.1e-6) > 1e-6 {
		t.Errorf("PRACH lasts %.1f µs", d*1e6)
	}
	in := bandPower(iq[i0:i1], 2.4e6, -520e3, 520e3)
	out := bandPower(iq[i0:i1], 2.4e6, 560e3, 1.1e6) + bandPower(iq[i0:i1], 2.4e6, -1.1e6, -560e3)
	// SNR 15 dB over 1.08 MHz: (S + N)/N ≈ 15 dB inside.
	if db(in/out) < 12 {
		t.Errorf("PRACH: %.1f dB inside ±520 kHz over outside", db(in/out))
	}
	srs := 0
	for _, te := range truth {
		if te.e.Kind != KindLTESRS {
			continue
		}
		a, b := span(te.e, 2.4e6)
		if b+200 > len(iq) {
			continue
		}
		f := te.e.Freq - 902.4e6
		on := bandPower(iq[a:b], 2.4e6, f-te.e.Bandwidth/2, f+te.e.Bandwidth/2)
		if r := db(on / (noise * float64(te.e.NPRB))); r < 10 {
			t.Errorf("SRS at %.4f s: %.1f dB over the noise in its band", te.e.Start, r)
		}
		if frac := math.Mod(te.e.Start+te.e.Duration-truth[0].e.Start, 1e-3); frac > 1e-7 && frac < 1e-3-1e-7 {
			t.Errorf("SRS at %.6f s does not end a subframe", te.e.Start)
		}
		srs++
	}
	if srs == 0 {
		t.Error("no SRS")
	}
}

// TestLTESRSShortening: in a subframe with SRS, the UE's PUSCH leaves the
// last symbol to it: PUSCH PRBs outside the SRS band carry nothing there
// but their full power in the symbol before.
func TestLTESRSShortening(t *testing.T) {
	sc := &Scene{Seed: 33, Duration: 2 * time.Second,
		Sensors: []Sensor{{ID: "s", Center: 902.4e6, Dongle: CleanDongle()}},
		Emitters: []Emitter{{ID: "ue", Level: SNR(20), Behaviour: &LTEData{Carrier: 902.4e6, Bandwidth: 3e6,
			On: time.Second, Off: 200 * time.Millisecond, Load: 0.9, RunLength: 8, SRSPeriod: 2 * time.Millisecond}}}}
	iq, truth, _ := renderAll(t, sc, "s", 1<<16)
	// Noise per PRB where nothing transmits.
	var noise float64
	q := 0
	for i0 := 0; i0+1200 < len(iq) && q < 40; i0 += 6000 {
		if !busy(truth, 2.4e6, i0, i0+1200) {
			for _, v := range prbPowers(iq[i0:i0+1200], 2.4e6, 0, 15)[1:14] {
				noise += v
			}
			q++
		}
	}
	if q < 5 {
		t.Fatalf("only %d quiet spans", q)
	}
	noise /= float64(13 * q)
	checked := 0
	for _, srs := range truth {
		if srs.e.Kind != KindLTESRS {
			continue
		}
		for _, pu := range truth {
			if pu.e.Kind != KindLTEPUSCH || pu.e.Start > srs.e.Start || pu.e.Start+pu.e.Duration < srs.e.Start+srs.e.Duration {
				continue
			}
			a, b := span(srs.e, 2.4e6)
			last := prbPowers(iq[a+8:b-8], 2.4e6, 0, 15)
			before := prbPowers(iq[a-171+8:a-8], 2.4e6, 0, 15)
			for k := pu.e.PRB; k < pu.e.PRB+pu.e.NPRB; k++ {
				// PRBs in or next to the SRS band: the SRS leaks into a
				// neighbour through a one-symbol measurement window.
				if k >= srs.e.PRB-1 && k <= srs.e.PRB+srs.e.NPRB {
					continue
				}
				if last[k] > 4*noise || before[k] < 20*noise {
					t.Errorf("SRS subframe at %.4f s, PUSCH PRB %d: last symbol %.1f dB, symbol before %.1f dB over the noise",
						srs.e.Start, k, db(last[k]/noise), db(before[k]/noise))
				}
				checked++
			}
		}
	}
	t.Logf("%d PUSCH PRBs checked in SRS symbols", checked)
	if checked < 50 {
		t.Errorf("only %d PUSCH PRBs outside the SRS band in SRS subframes", checked)
	}
}
