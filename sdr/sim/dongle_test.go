package sim

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// psd is a Welch estimate (Hann window, no overlap) of x with n bins,
// ordered from −rate/2 to +rate/2, in full-scale units per bin.
func psd(x []complex64, n int) []float64 {
	p := make([]float64, n)
	w := make([]float64, n)
	var wp float64
	for i := range w {
		w[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n))
		wp += w[i] * w[i]
	}
	seg := make([]complex64, n)
	m := 0
	for off := 0; off+n <= len(x); off += n {
		for i := range seg {
			seg[i] = x[off+i] * complex(float32(w[i]), 0)
		}
		X := fftOf(seg, n)
		for k, v := range X {
			p[(k+n/2)%n] += real(v)*real(v) + imag(v)*imag(v)
		}
		m++
	}
	for k := range p {
		p[k] /= float64(m) * float64(n) * wp
	}
	return p
}

func median(x []float64) float64 {
	y := append([]float64(nil), x...)
	sort.Float64s(y)
	return y[len(y)/2]
}

func quietScene(d *Dongle) *Scene {
	return &Scene{Seed: 5, Duration: 500 * time.Millisecond, Sensors: []Sensor{{ID: "s", Center: 902.4e6, Dongle: d}}}
}

func TestDCSpike(t *testing.T) {
	cases := []struct {
		name   string
		d      *Dongle
		lo, hi float64 // DC bin over the median bin, dB
	}{
		{"default dongle", DefaultDongle(), 15, 60},
		{"clean dongle", CleanDongle(), -3, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			iq, _, _ := renderAll(t, quietScene(c.d), "s", 1<<16)
			p := psd(iq, 4096)
			dc := p[2048]
			rel := db(dc / median(p))
			t.Logf("DC bin %.1f dB over the median bin", rel)
			if rel < c.lo || rel > c.hi {
				t.Errorf("DC bin %.1f dB over the median, want %g…%g dB", rel, c.lo, c.hi)
			}
		})
	}
}

// TestIQImage: a strong tone at +f must show an image at −f whose level
// below the tone is the image rejection of the configured mismatch,
// IRR = (1 + 2g·cos φ + g²)/(1 − 2g·cos φ + g²), within 1 dB.
func TestIQImage(t *testing.T) {
	for _, c := range []struct{ gainDB, phaseDeg float64 }{{0.25, 2.5}, {0.5, 1}, {1, 5}, {0.1, 0.5}} {
		t.Run(fmt.Sprintf("%gdB_%gdeg", c.gainDB, c.phaseDeg), func(t *testing.T) {
			d := CleanDongle()
			d.IQGain, d.IQPhase = c.gainDB, c.phaseDeg
			sc := quietScene(d)
			sc.Duration = 200 * time.Millisecond
			sc.Interference = []Emitter{{ID: "tone", Level: SNR(55), Behaviour: &CW{Freq: 902.4e6 + 310e3}}}
			iq, _, _ := renderAll(t, sc, "s", 1<<16)
			tone := dftPower(iq, 2.4e6, 310e3)
			image := dftPower(iq, 2.4e6, -310e3)
			g := math.Pow(10, c.gainDB/20)
			cs := math.Cos(c.phaseDeg * math.Pi / 180)
			want := 10 * math.Log10((1+2*g*cs+g*g)/(1-2*g*cs+g*g))
			got := db(tone / image)
			t.Logf("image %.2f dB below the tone, configured %.2f dB", got, want)
			if math.Abs(got-want) > 1 {
				t.Errorf("image rejection %.2f dB, want %.2f ± 1 dB", got, want)
			}
		})
	}
}

// TestSamplesAreCU8 checks that every sample is exactly a cu8 value:
// encoding as cu8 and decoding gives the same samples back bit for bit.
func TestSamplesAreCU8(t *testing.T) {
	sc, err := Builtin("busy-wing")
	if err != nil {
		t.Fatal(err)
	}
	sc.Duration = 300 * time.Millisecond
	iq, _, _ := renderAll(t, sc, "a2", 1<<15)
	buf := make([]byte, 2*len(iq))
	sdr.CU8.Encode(buf, iq)
	back := make([]complex64, len(iq))
	sdr.CU8.Decode(back, buf)
	for i := range iq {
		if back[i] != iq[i] {
			t.Fatalf("sample %d = %v is not a cu8 value (nearest %v)", i, iq[i], back[i])
		}
	}
}

// clipped counts samples with I or Q at a rail.
func clipped(x []complex64) int {
	n := 0
	for _, v := range x {
		if math.Abs(float64(real(v))) >= 1 || math.Abs(float64(imag(v))) >= 1 {
			n++
		}
	}
	return n
}

func TestClipping(t *testing.T) {
	t.Run("jammer", func(t *testing.T) {
		sc, err := Builtin("jammer")
		if err != nil {
			t.Fatal(err)
		}
		sc.Duration = 7 * time.Second
		iq, truth, _ := renderAll(t, sc, "a1", 1<<16)
		before := float64(clipped(iq[int(2e6*1.2):int(4.5*2.4e6)])) / float64(int(4.5*2.4e6)-int(2e6*1.2))
		during := float64(clipped(iq[int(5.5*2.4e6):])) / float64(len(iq)-int(5.5*2.4e6))
		t.Logf("clipped samples: %.4f before the jammer, %.4f during", before, during)
		if before > 0.001 || during < 0.05 {
			t.Errorf("clipped fraction %.4f before, %.4f during the jammer", before, during)
		}
		var phoneBefore, phoneDuring, clipBefore, clipDuring int
		for _, te := range truth {
			if te.e.Class != ClassGSM {
				continue
			}
			if te.e.Start < 4.5 {
				phoneBefore++
				if te.rx.Clipped {
					clipBefore++
				}
			} else if te.e.Start > 5.1 {
				phoneDuring++
				if te.rx.Clipped {
					clipDuring++
				}
			}
		}
		if phoneBefore == 0 || phoneDuring == 0 || clipBefore != 0 || clipDuring < phoneDuring*9/10 {
			t.Errorf("phone bursts: %d before (%d clipped), %d during (%d clipped)", phoneBefore, clipBefore, phoneDuring, clipDuring)
		}
	})
	t.Run("phone next to the sensor", func(t *testing.T) {
		sc := &Scene{Seed: 9, Duration: 300 * time.Millisecond,
			Sensors:  []Sensor{{ID: "s", Pos: Point{0, 0, 1}, Center: 902.4e6, Gain: 19.7}},
			Emitters: []Emitter{{ID: "p", Pos: Point{0.3, 0, 1}, Level: TxPower(10), Behaviour: &GSMCall{ARFCNs: []int{60}, NoDTX: true}}},
		}
		iq, truth, src := renderAll(t, sc, "s", 1<<16)
		inside, total := 0, 0
		for _, te := range truth {
			if te.e.Class != ClassGSM || te.e.Kind != KindGSMNormal || te.e.Role != "contraband" {
				t.Fatalf("the near phone is in the truth as %v/%v/%s", te.e.Class, te.e.Kind, te.e.Role)
			}
			if !te.rx.Clipped || !te.rx.Visible {
				t.Errorf("burst at %.4f s: visible %v clipped %v", te.e.Start, te.rx.Visible, te.rx.Clipped)
			}
			i0, i1 := span(te.e, src.Rate())
			if i1 <= len(iq) {
				inside += clipped(iq[i0:i1])
				total += i1 - i0
			}
		}
		all := clipped(iq)
		t.Logf("%d of %d samples clipped inside bursts, %d outside", inside, total, all-inside)
		if inside < total/4 || all-inside > all/20 {
			t.Errorf("%d of %d samples clipped inside bursts, %d outside", inside, total, all-inside)
		}
	})
}

// TestPPMShift measures a tone's frequency: a dongle with +ε ppm sees a
// signal at f at baseband f − fc − ε·1e-6·fc.
func TestPPMShift(t *testing.T) {
	for _, ppm := range []float64{-30, 0, 25} {
		t.Run(fmt.Sprintf("%+gppm", ppm), func(t *testing.T) {
			d := CleanDongle()
			d.PPM = ppm
			sc := quietScene(d)
			sc.Duration = 100 * time.Millisecond
			sc.Interference = []Emitter{{ID: "tone", Level: SNR(40), Behaviour: &CW{Freq: 902.5e6}}}
			iq, _, _ := renderAll(t, sc, "s", 1<<16)
			want := 100e3 - ppm*1e-6*902.4e6
			got := toneAt(iq, 2.4e6, want, 30e3)
			if math.Abs(got-want) > 5 {
				t.Errorf("tone at %.1f Hz, want %.1f Hz", got, want)
			}
		})
	}
}

// TestStaleAfterTune: after Tune the dongle first delivers samples still
// taken at the old frequency (a tone that is only inside the old window
// shows up), then settles; blocks are flagged Settling meanwhile.
func TestStaleAfterTune(t *testing.T) {
	d := CleanDongle()
	d.Stale, d.Transient = 2*time.Millisecond, 1500*time.Microsecond
	sc := quietScene(d)
	sc.Duration = 60 * time.Millisecond
	sc.Interference = []Emitter{{ID: "tone", Level: SNR(45), Behaviour: &CW{Freq: 902.7e6}}}
	src, err := sc.Open("s")
	if err != nil {
		t.Fatal(err)
	}
	b := newBlock(1200) // 0.5 ms
	for range 20 {
		if err := src.ReadBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	before := dftPower(b.Samples, 2.4e6, 300e3)
	if err := src.Tune(905e6); err != nil {
		t.Fatal(err)
	}
	var settling, settled []float64 // tone power per block
	var settleTime time.Duration
	for {
		err := src.ReadBlock(b)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.Center != 905e6 {
			t.Fatalf("block center %g after Tune(905 MHz)", b.Center)
		}
		p := dftPower(b.Samples, 2.4e6, 300e3)
		if b.Settling {
			settling = append(settling, p)
			settleTime += b.Duration()
		} else {
			settled = append(settled, p)
		}
	}
	if settleTime != 3500*time.Microsecond {
		t.Errorf("blocks flagged Settling for %v, want 3.5 ms", settleTime)
	}
	// The first 2 ms are stale: the old tone at +300 kHz is still there.
	for i := 0; i < 4; i++ {
		if db(settling[i]/before) < -1 {
			t.Errorf("stale block %d: old tone %.1f dB below its level before the retune", i, db(settling[i]/before))
		}
	}
	for i, p := range settled {
		if db(p/before) > -25 {
			t.Errorf("settled block %d: old tone only %.1f dB down", i, db(p/before))
		}
	}
	if err := src.Tune(2e9); err == nil {
		t.Error("Tune to 2 GHz accepted")
	}
}

// TestDrops: with USB drops the samples delivered plus those reported
// dropped add up to the scene, and block times account for the gaps.
func TestDrops(t *testing.T) {
	d := CleanDongle()
	d.DropRate, d.DropLen = 40, 4096
	sc := quietScene(d)
	sc.Duration = time.Second
	src, err := sc.Open("s")
	if err != nil {
		t.Fatal(err)
	}
	b := newBlock(10000)
	var got, dropped int64
	drops := 0
	var next time.Time
	for {
		err := src.ReadBlock(b)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.Dropped > 0 {
			drops++
		}
		if !next.IsZero() {
			want := next.Add(time.Duration(float64(b.Dropped) / 2.4e6 * 1e9))
			if dt := b.Time.Sub(want); dt < -time.Microsecond || dt > time.Microsecond {
				t.Fatalf("block %d at %v, want %v", b.Seq, b.Time, want)
			}
		}
		next = b.Time.Add(b.Duration())
		got += int64(len(b.Samples))
		dropped += b.Dropped
	}
	if got+dropped != 2400000 || drops < 20 || drops > 65 {
		t.Errorf("%d samples + %d dropped in %d drops, want 2400000 in about 40", got, dropped, drops)
	}
}

// TestFloorStep: a +10 dB floor step raises the measured noise by 10 dB
// while it lasts and lowers the truth SNR of a phone by as much.
func TestFloorStep(t *testing.T) {
	sc := quietScene(CleanDongle())
	sc.Duration = 900 * time.Millisecond
	sc.Interference = []Emitter{{ID: "step", Start: 300 * time.Millisecond, Stop: 600 * time.Millisecond, Behaviour: &FloorStep{Step: 10}}}
	sc.Emitters = []Emitter{{ID: "p", Pos: Point{10, 0, 0}, Level: TxPower(-40), Behaviour: &GSMCall{ARFCNs: []int{60}, NoDTX: true}}}
	iq, truth, _ := renderAll(t, sc, "s", 1<<16)
	f := 890e6 + 60*200e3 - 902.4e6
	// Noise measured away from the phone's channel.
	off := func(a, b float64) float64 { return bandPower(iq[int(a*2.4e6):int(b*2.4e6)], 2.4e6, -f-5e5, -f+5e5) }
	step := db(off(0.35, 0.55) / off(0.05, 0.25))
	after := db(off(0.65, 0.85) / off(0.05, 0.25))
	t.Logf("noise steps by %.2f dB, %.2f dB after", step, after)
	if math.Abs(step-10) > 0.3 || math.Abs(after) > 0.3 {
		t.Errorf("noise rose %.2f dB during the step (want 10) and %.2f dB after (want 0)", step, after)
	}
	var in, out []float64
	for _, te := range truth {
		if te.e.Kind != KindGSMNormal {
			continue
		}
		if te.e.Start > 0.3 && te.e.Start < 0.6 {
			in = append(in, te.rx.SNR)
		} else {
			out = append(out, te.rx.SNR)
		}
	}
	if d := median(out) - median(in); math.Abs(d-10) > 0.3 {
		t.Errorf("truth SNR drops by %.2f dB during the step, want 10", d)
	}
}
