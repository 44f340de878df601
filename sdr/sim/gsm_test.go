package sim

import (
	"math"
	"sort"
	"testing"
	"time"
)

// burstEdges finds bursts on the IQ: the power, averaged over 10 µs, in
// the band [f1, f2] is compared with a threshold halfway (in dB) between
// the noise and the burst level; it returns the start and end times of
// each run above it, s.
func burstEdges(x []complex64, rate, f1, f2 float64) (starts, ends []float64) {
	// Band-limit with a sliding DFT-free approach: mix the band to 0 Hz and
	// average the power over 10 µs (the band is wide, the average short).
	fc := (f1 + f2) / 2
	bw := f2 - f1
	y := make([]complex64, len(x))
	mixAdd(y, x, 1, -fc/rate, 0, 0)
	// Low-pass with a moving average of length rate/bw (first null at bw).
	m := max(1, int(rate/bw))
	p := make([]float64, len(y))
	var acc complex128
	for i, v := range y {
		acc += complex128(v)
		if i >= m {
			acc -= complex128(y[i-m])
		}
		a := acc / complex(float64(m), 0)
		p[i] = real(a)*real(a) + imag(a)*imag(a)
	}
	w := int(10e-6 * rate)
	env := make([]float64, len(p))
	var s float64
	for i := range p {
		s += p[i]
		if i >= w {
			s -= p[i-w]
		}
		env[i] = s / float64(w)
	}
	// Percentiles from a subsample: sorting millions of values is slow.
	var sorted []float64
	for i := 0; i < len(env); i += 7 {
		sorted = append(sorted, env[i])
	}
	sort.Float64s(sorted)
	noise, top := sorted[len(sorted)/10], sorted[len(sorted)*999/1000]
	thr := math.Sqrt(noise * top)
	on := false
	for i, v := range env {
		switch {
		case !on && v > thr:
			on = true
			starts = append(starts, float64(i-w/2)/rate)
		case on && v < thr:
			on = false
			e := float64(i-w/2) / rate
			if e-starts[len(starts)-1] < 50e-6 { // a noise peak, not a burst
				starts = starts[:len(starts)-1]
				continue
			}
			ends = append(ends, e)
		}
	}
	if on {
		starts = starts[:len(starts)-1]
	}
	return starts, ends
}

func gsmScene(b *GSMCall, d time.Duration) *Scene {
	return &Scene{Seed: 21, Duration: d,
		Sensors:  []Sensor{{ID: "s", Center: 902.4e6, Dongle: CleanDongle()}},
		Emitters: []Emitter{{ID: "p", Level: SNR(20), Behaviour: b}}}
}

func TestGSMCallTiming(t *testing.T) {
	sc := gsmScene(&GSMCall{ARFCNs: []int{62}, Timeslot: 4, NoDTX: true}, 1200*time.Millisecond)
	iq, _, _ := renderAll(t, sc, "s", 1<<16)
	starts, ends := burstEdges(iq, 2.4e6, -100e3, 100e3)
	if len(starts) < 240 {
		t.Fatalf("found %d bursts in 1.2 s", len(starts))
	}
	var period []float64
	double := 0
	for i := 1; i < len(starts); i++ {
		d := starts[i] - starts[i-1]
		frames := math.Round(d / 4.615385e-3)
		if frames == 2 {
			double++
		}
		period = append(period, d/frames)
	}
	sort.Float64s(period)
	med := period[len(period)/2]
	var width []float64
	for i := range ends {
		width = append(width, ends[i]-starts[i])
	}
	sort.Float64s(width)
	t.Logf("%d bursts: period %.4f ms, width %.1f µs, %d idle frames", len(starts), med*1e3, width[len(width)/2]*1e6, double)
	if math.Abs(med-120e-3/26) > 2e-6 {
		t.Errorf("burst period %.5f ms, want 4.61538 ms (120/26)", med*1e3)
	}
	// The 10 µs ramps and the 10 µs smoothing widen the measured burst by
	// about 17 µs at the threshold used.
	if w := width[len(width)/2]; math.Abs(w-546.5e-6) > 25e-6 {
		t.Errorf("burst width %.1f µs, want 546.5 µs", w*1e6)
	}
	// One idle frame (no burst) per 26-frame multiframe: ~10 in 1.2 s.
	if double < 8 || double > 11 {
		t.Errorf("%d gaps of two frames, want one per 26 frames", double)
	}
}

// TestGSMDTX: in silence a DTX call sends exactly 12 bursts in any 104
// consecutive frames (SACCH + SID), during speech 100 (idle frames
// excepted).
func TestGSMDTX(t *testing.T) {
	sc := gsmScene(&GSMCall{ARFCNs: []int{62}, Timeslot: 1, Talk: time.Second, Silence: 2 * time.Second}, 10*time.Second)
	iq, _, _ := renderAll(t, sc, "s", 1<<16)
	starts, _ := burstEdges(iq, 2.4e6, -100e3, 100e3)
	const win = 104 * 120e-3 / 26
	counts := map[int]int{}
	for w0 := starts[0]; w0+win < 10; w0 += win {
		n := 0
		for _, s := range starts {
			if s >= w0 && s < w0+win {
				n++
			}
		}
		counts[n]++
	}
	t.Logf("bursts per 104 frames: %v", counts)
	low := 1 << 30
	for n := range counts {
		low = min(low, n)
	}
	if low != 12 || counts[12] < 5 {
		t.Errorf("fewest bursts per 104 frames %d (%d windows with 12), want 12 in silence", low, counts[12])
	}
	speech := 0
	for n, c := range counts {
		if n >= 95 && n <= 100 {
			speech += c
		}
	}
	if speech < 3 {
		t.Errorf("%d windows with the ≈100 bursts of speech", speech)
	}
}

// TestGSMHopping: a hopping call visits each listed ARFCN in turn and no
// other channel.
func TestGSMHopping(t *testing.T) {
	arfcns := []int{58, 62, 65}
	sc := gsmScene(&GSMCall{ARFCNs: arfcns, Timeslot: 0, NoDTX: true}, 500*time.Millisecond)
	iq, truth, _ := renderAll(t, sc, "s", 1<<16)
	visits := map[int]int{}
	var seq []int
	for _, te := range truth {
		i0, i1 := span(te.e, 2.4e6)
		if i1 > len(iq) {
			continue
		}
		// Which 200 kHz channel holds the burst's energy, on the IQ?
		best, bestP, second := -1, 0.0, 0.0
		for a := 55; a <= 67; a++ {
			f := 890e6 + 200e3*float64(a) - 902.4e6
			p := bandPower(iq[i0:i1], 2.4e6, f-80e3, f+80e3)
			if p > bestP {
				best, second, bestP = a, bestP, p
			} else if p > second {
				second = p
			}
		}
		if db(bestP/second) < 10 {
			t.Errorf("burst at %.4f s: no clear channel", te.e.Start)
		}
		visits[best]++
		seq = append(seq, best)
	}
	t.Logf("visits %v", visits)
	for a, n := range visits {
		found := false
		for _, w := range arfcns {
			found = found || a == w
		}
		if !found || n < len(seq)/3-3 {
			t.Errorf("ARFCN %d visited %d times of %d", a, n, len(seq))
		}
	}
	if len(visits) != 3 {
		t.Errorf("visited %v, want %v", visits, arfcns)
	}
	// Cyclic: consecutive bursts one frame apart step through the list.
	steps := 0
	for i := 1; i < len(seq); i++ {
		if math.Abs(truth[i].e.Start-truth[i-1].e.Start-120e-3/26) < 1e-6 {
			ia, ib := idx(arfcns, seq[i-1]), idx(arfcns, seq[i])
			if ib != (ia+1)%3 {
				t.Fatalf("burst %d: %d after %d breaks the cyclic order", i, seq[i], seq[i-1])
			}
			steps++
		}
	}
	if steps < 50 {
		t.Errorf("only %d consecutive-frame pairs", steps)
	}
}

func idx(s []int, v int) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestGSMSignalling: RACH access bursts (88 bits) then SDCCH bursts in
// groups of four consecutive frames every 51 frames.
func TestGSMSignalling(t *testing.T) {
	sc := gsmScene(nil, 4*time.Second)
	sc.Emitters[0].Behaviour = &GSMSignalling{ARFCN: 62, Timeslot: 2, RACH: 2, SDCCH: 2 * time.Second}
	iq, _, _ := renderAll(t, sc, "s", 1<<16)
	starts, ends := burstEdges(iq, 2.4e6, -100e3, 100e3)
	var access int
	for i := range ends {
		if w := ends[i] - starts[i]; math.Abs(w-324.9e-6) < 25e-6 {
			access++
		}
	}
	if access != 2 {
		t.Errorf("%d access bursts, want 2", access)
	}
	// Groups: bursts closer than 2 frames belong together. Each SDCCH
	// group of four recurs 51 frames later while the channel is held.
	var groups []int
	var groupStart []float64
	for i, s := range starts {
		if i == 0 || s-starts[i-1] > 1.5*120e-3/26 {
			groups = append(groups, 0)
			groupStart = append(groupStart, s)
		}
		groups[len(groups)-1]++
	}
	fours := 0
	for i, g := range groups {
		if g != 4 {
			continue
		}
		for j := i + 1; j < len(groups) && groupStart[j]-groupStart[i] < 0.3; j++ {
			if math.Abs(groupStart[j]-groupStart[i]-51*120e-3/26) < 20e-6 {
				fours++
			}
		}
	}
	t.Logf("%d access bursts, burst groups %v", access, groups)
	// 2 s of SDCCH hold 8 or 9 multiframes.
	if fours < 6 {
		t.Errorf("%d consecutive groups of four bursts, want the SDCCH's", fours)
	}
}
