package sim

import (
	"fmt"
	"math"
	"math/cmplx"
	"testing"

	"github.com/cellsentry/cellsentry/sdr"
)

func TestGSMDownlinkFreq(t *testing.T) {
	for _, c := range []struct {
		arfcn int
		want  float64
	}{{1, 935.2e6}, {0, 935e6}, {124, 959.8e6}, {975, 925.2e6}, {512, 1805.2e6}, {885, 1879.8e6}} {
		t.Run(fmt.Sprint(c.arfcn), func(t *testing.T) {
			got, err := GSMDownlinkFreq(c.arfcn)
			if err != nil || math.Abs(got-c.want) > 1e-3 {
				t.Errorf("GSMDownlinkFreq(%d) = %v, %v; want %v", c.arfcn, got, err, c.want)
			}
		})
	}
	if _, err := GSMDownlinkFreq(300); err == nil {
		t.Error("ARFCN 300 accepted")
	}
}

// slotTone mixes x down by f0 (Hz) and returns how much of it is a tone
// near f0 (|Σy|/Σ|y|: 1 for a pure tone at f0, near 0 for GMSK data) and
// the tone's frequency: f0 plus the phase of Σ y[i]·y*[i−L] over 2πL
// samples, L half the span (unambiguous within ±rate/2L).
func slotTone(x []complex64, n0 int, rate, f0 float64) (freq, coherence float64) {
	y := make([]complex128, len(x))
	var sum complex128
	var mag float64
	for i, v := range x {
		y[i] = complex128(v) * cmplx.Exp(complex(0, -2*math.Pi*f0*float64(n0+i)/rate))
		sum += y[i]
		mag += cmplx.Abs(y[i])
	}
	L := len(y) / 2
	var lag complex128
	for i := L; i < len(y); i++ {
		lag += y[i] * cmplx.Conj(y[i-L])
	}
	return f0 + cmplx.Phase(lag)*rate/(2*math.Pi*float64(L)), cmplx.Abs(sum) / mag
}

// TestGSMDownlinkFCCH renders a C0 carrier and finds its FCCH bursts on
// the IQ, slot by slot: a tone at +67.708 kHz (shifted by the dongle's
// ppm) only in timeslot 0, in frames 10, 10, 10, 10 and 11 apart, and
// nowhere else.
func TestGSMDownlinkFCCH(t *testing.T) {
	for _, c := range []struct {
		name  string
		carr  string
		freq  float64 // carrier, Hz
		ppm   float64
		bcc   int
		slots int
	}{
		{"arfcn 50 exact crystal", "arfcn: 50", 945e6, 0, 3, 8 * 130},
		{"arfcn 50 +25 ppm", "arfcn: 50", 945e6, 25, 0, 8 * 120},
		{"off raster -12 ppm", "freq: 945.13MHz", 945.13e6, -12, 5, 8 * 120},
	} {
		t.Run(c.name, func(t *testing.T) {
			const center, rate = 944.7e6, 2.4e6
			yml := fmt.Sprintf(`name: dl
seed: 7
sample_rate: 2.4MHz
duration: 0.65s
sensors:
  - id: s1
    position: [0, 0, 2]
    center: 944.7MHz
    dongle: {ppm: %g, spurs: [], lo_leak: off, dc_i: 0, dc_q: 0, iq_gain: 0dB, iq_phase: 0}
interference:
  - id: bts
    kind: gsm_downlink
    %s
    bcc: %d
    snr: 30dB
`, c.ppm, c.carr, c.bcc)
			sc, err := Parse([]byte(yml), "dl.yaml")
			if err != nil {
				t.Fatal(err)
			}
			src, err := sc.Open("s1")
			if err != nil {
				t.Fatal(err)
			}
			var iq []complex64
			b := &sdr.Block{Samples: make([]complex64, 65536)}
			for src.ReadBlock(b) == nil {
				iq = append(iq, b.Samples...)
			}
			want := c.freq - center*(1+c.ppm*1e-6) + FCCHOffset
			var fcch []int // slot indices holding a tone
			var sum float64
			for k := 0; k < c.slots; k++ {
				t0 := float64(k)*gsmSlot + 14*gsmBit
				i0 := int(math.Ceil(t0 * rate))
				i1 := int((t0 + 120*gsmBit) * rate)
				f, coh := slotTone(iq[i0:i1], i0, rate, want)
				if coh > 0.9 {
					if k%8 != 0 {
						t.Fatalf("slot %d (timeslot %d): a tone at %.0f Hz outside timeslot 0", k, k%8, f)
					}
					if math.Abs(f-want) > 100 {
						t.Fatalf("slot %d: tone at %.1f Hz, want %.1f Hz", k, f, want)
					}
					fcch = append(fcch, k)
					sum += f
				}
			}
			if len(fcch) < 10 {
				t.Fatalf("found %d FCCH bursts in %d frames, want at least 10", len(fcch), c.slots/8)
			}
			if mean := sum / float64(len(fcch)); math.Abs(mean-want) > 5 {
				t.Errorf("mean FCCH tone %.2f Hz, want %.2f Hz (carrier offset + 67708.33 Hz − ppm·fc)", mean, want)
			}
			// Frames between successive FCCH: 10, 10, 10, 10, 11 in turn.
			var gaps []int
			elevens := 0
			for i := 1; i < len(fcch); i++ {
				g := (fcch[i] - fcch[i-1]) / 8
				if g != 10 && g != 11 {
					t.Fatalf("FCCH %d frames after the previous one (slots %v), want 10 or 11", g, fcch)
				}
				if g == 11 {
					elevens++
					if i >= 2 && gaps[len(gaps)-1] == 11 {
						t.Fatalf("two 11-frame gaps in a row: %v", gaps)
					}
				}
				gaps = append(gaps, g)
			}
			if elevens == 0 || elevens > (len(gaps)+4)/5 {
				t.Errorf("gaps %v: want one 11 per 51-frame multiframe", gaps)
			}
		})
	}
}
