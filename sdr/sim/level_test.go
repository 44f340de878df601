package sim

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// TestMeasuredSNR renders isolated bursts of every kind at several SNRs
// and measures, on the IQ, the power in each emission's band over its
// useful part minus the power in the same band just before it, where
// nothing transmits. The mean measured SNR and dBFS must match the truth
// within 0.5 dB.
//
// The SNR is the signal's whole power over the noise in its own
// bandwidth B. SC-FDMA and WCDMA stay inside B, but GMSK spills a few
// percent outside 200 kHz (more for access bursts, whose fixed sync bits
// change phase more often), so GSM power is measured over ±140 kHz and
// the noise density measured there is referred to B.
func TestMeasuredSNR(t *testing.T) {
	kinds := []struct {
		name string
		kind Kind
		nprb int
	}{
		{"gsm_normal", KindGSMNormal, 0},
		{"gsm_access", KindGSMAccess, 0},
		{"lte_pusch_1prb", KindLTEPUSCH, 1},
		{"lte_pusch_10prb", KindLTEPUSCH, 10},
		{"lte_pucch", KindLTEPUCCH, 0},
		{"lte_prach", KindLTEPRACH, 0},
		{"lte_srs_8prb", KindLTESRS, 8},
	}
	snrs := []float64{0, 10, 20}
	if testing.Short() {
		snrs = []float64{0, 20}
	}
	for _, k := range kinds {
		for _, snr := range snrs {
			t.Run(fmt.Sprintf("%s/%gdB", k.name, snr), func(t *testing.T) {
				sc := &Scene{Seed: 7, Duration: 1200 * time.Millisecond,
					Sensors: []Sensor{{ID: "s", Center: 902.4e6, Dongle: CleanDongle()}},
					Emitters: []Emitter{{ID: "b", Behaviour: &Bursts{Kind: k.kind, Count: 100,
						Interval: 10 * time.Millisecond, SNR: snr, NPRB: k.nprb}}}}
				iq, truth, src := renderAll(t, sc, "s", 1<<16)
				rate := src.Rate()
				ec := src.effCenter(src.Center())
				var sig, noise, wantLin, wantFS float64
				n := 0
				for _, te := range truth {
					if !te.rx.Visible {
						continue
					}
					i0, i1 := span(te.e, rate)
					l := i1 - i0
					if i1 > len(iq) {
						continue
					}
					f := te.e.Freq - ec
					b := te.e.Bandwidth
					m := b // measurement band
					if te.e.Class == ClassGSM {
						m = 280e3
					}
					// Noise: the same band over up to four quiet spans of the
					// same length just before the burst.
					var off float64
					q := 0
					for k := 1; k <= 4; k++ {
						a := i0 - k*(l+100)
						if a < 0 || busy(truth, rate, a, a+l) {
							break
						}
						off += bandPower(iq[a:a+l], rate, f-m/2, f+m/2)
						q++
					}
					if q == 0 {
						continue
					}
					off /= float64(q)
					on := bandPower(iq[i0:i1], rate, f-m/2, f+m/2)
					sig += on - off
					noise += off * b / m
					wantLin += math.Pow(10, te.rx.SNR/10) * off * b / m
					wantFS += math.Pow(10, te.rx.DBFS/10)
					n++
				}
				if n < 30 {
					t.Fatalf("only %d measurable emissions", n)
				}
				gotSNR, wantSNR := db(sig/noise), db(wantLin/noise)
				gotFS, wantDBFS := db(sig/float64(n)), db(wantFS/float64(n))
				t.Logf("%d emissions: SNR %.2f dB (truth %.2f), %.2f dBFS (truth %.2f)", n, gotSNR, wantSNR, gotFS, wantDBFS)
				if math.Abs(gotSNR-wantSNR) > 0.5 {
					t.Errorf("measured SNR %.2f dB, truth %.2f dB", gotSNR, wantSNR)
				}
				if math.Abs(gotFS-wantDBFS) > 0.5 {
					t.Errorf("measured level %.2f dBFS, truth %.2f dBFS", gotFS, wantDBFS)
				}
			})
		}
	}
}

// TestMeasuredSNRDongles repeats the measurement at 10 dB SNR on other
// receivers: the default dongle (frequency error, IQ image, DC spike and
// spurs; bursts whose band holds the DC spike or a spur are left out, as
// a detector masks them), and low gains where the noise is under a count
// and 8-bit rounding dominates N0. (Below about 0.3 counts rms of noise,
// gain 9.7 dB on the default dongle, a burst at 10 dB SNR is a fraction
// of a count and rounding destroys up to 2 dB of it: the IQ then holds
// less than the truth says. The package doc states this limit.)
func TestMeasuredSNRDongles(t *testing.T) {
	low := func(g float64) func() (*Dongle, float64) {
		return func() (*Dongle, float64) { d := DefaultDongle(); d.Spurs, d.LOLeak = nil, math.Inf(-1); return d, g }
	}
	cases := []struct {
		name   string
		dongle func() (*Dongle, float64)
	}{
		{"default dongle", func() (*Dongle, float64) { return DefaultDongle(), 0 }},
		{"gain 29.7 dB", low(29.7)},
		{"gain 19.7 dB", low(19.7)},
		{"gain 49.6 dB", low(49.6)},
	}
	for _, c := range cases {
		for _, kind := range []Kind{KindGSMNormal, KindLTEPUSCH} {
			t.Run(c.name+"/"+kind.String(), func(t *testing.T) {
				d, gain := c.dongle()
				nprb := 4
				if len(d.Spurs) > 0 {
					nprb = 1 // room between DC and the spurs
				}
				sc := &Scene{Seed: 8, Duration: 1500 * time.Millisecond,
					Sensors: []Sensor{{ID: "s", Center: 902.4e6, Gain: gain, Dongle: d}},
					Emitters: []Emitter{{ID: "b", Behaviour: &Bursts{Kind: kind, Count: 120,
						Interval: 10 * time.Millisecond, SNR: 10, NPRB: nprb}}}}
				iq, truth, src := renderAll(t, sc, "s", 1<<16)
				rate := src.Rate()
				ec := src.effCenter(src.Center())
				var sig, noise, want float64
				n := 0
				for _, te := range truth {
					i0, i1 := span(te.e, rate)
					l := i1 - i0
					f := te.e.Freq - ec
					b, m := te.e.Bandwidth, te.e.Bandwidth
					if te.e.Class == ClassGSM {
						m = 280e3
					}
					masked := math.Abs(f) < m/2+20e3
					for _, sp := range d.Spurs {
						masked = masked || math.Abs(f-sp.Offset) < m/2+5e3
					}
					if masked || i1 > len(iq) {
						continue
					}
					var off float64
					q := 0
					for k := 1; k <= 4; k++ {
						a := i0 - k*(l+100)
						if a < 0 || busy(truth, rate, a, a+l) {
							break
						}
						off += bandPower(iq[a:a+l], rate, f-m/2, f+m/2)
						q++
					}
					if q == 0 {
						continue
					}
					off /= float64(q)
					sig += bandPower(iq[i0:i1], rate, f-m/2, f+m/2) - off
					noise += off * b / m
					want += math.Pow(10, te.rx.DBFS/10)
					n++
				}
				if n < 30 {
					t.Fatalf("only %d measurable bursts", n)
				}
				got, wantFS := db(sig/float64(n)), db(want/float64(n))
				t.Logf("%d bursts: SNR %.2f dB (truth 10), %.2f dBFS (truth %.2f), N0·B %.2f dBFS", n, db(sig/noise), got, wantFS, db(noise/float64(n)))
				if math.Abs(db(sig/noise)-10) > 0.5 || math.Abs(got-wantFS) > 0.5 {
					t.Errorf("SNR %.2f dB, level %.2f dBFS; truth 10 dB, %.2f dBFS", db(sig/noise), got, wantFS)
				}
			})
		}
	}
}
