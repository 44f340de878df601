package sim

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// renderBytes renders a scene for one sensor as cu8 bytes.
func renderBytes(t *testing.T, sc *Scene, sensor string, blockLen int) []byte {
	t.Helper()
	iq, _, _ := renderAll(t, sc, sensor, blockLen)
	out := make([]byte, 2*len(iq))
	sdr.CU8.Encode(out, iq)
	return out
}

// allKinds is a short scene where every kind of emission is under way
// from the start, on the default (imperfect) dongle.
func allKinds(seed uint64) *Scene {
	return &Scene{Seed: seed, Duration: 300 * time.Millisecond,
		Sensors: []Sensor{{ID: "s", Center: 902.4e6}},
		Emitters: []Emitter{
			{ID: "gsm", Level: SNR(20), Behaviour: &GSMCall{ARFCNs: []int{58, 62, 65}, NoDTX: true}},
			{ID: "sig", Level: SNR(15), Behaviour: &GSMSignalling{ARFCN: 61, RACH: 2, SDCCH: 200 * time.Millisecond}},
			{ID: "lte", Level: SNR(12), Behaviour: &LTEData{Carrier: 902.5e6, Bandwidth: 10e6, Load: 0.9, CQIPeriod: 2 * time.Millisecond, SRSPeriod: 2 * time.Millisecond}},
			{ID: "umts", Level: SNR(3), Behaviour: &UMTSCall{Freq: 901.2e6}},
			{ID: "b", Behaviour: &Bursts{Kind: KindLTEPRACH, Count: 20, Interval: 10 * time.Millisecond, SNR: 10}},
		},
		Interference: []Emitter{
			{ID: "cw", Level: SNR(30), Behaviour: &CW{Freq: 903.1e6}},
			{ID: "sweep", Level: SNR(30), Behaviour: &SweptCW{From: 900e6, To: 905e6, Period: 7 * time.Millisecond}},
			{ID: "fm", Level: SNR(20), Behaviour: &NBFM{Freq: 901.7e6, On: time.Second, Off: 10 * time.Millisecond}},
			{ID: "imp", Level: SNR(10), Behaviour: &Impulses{Rate: 200, Width: 3 * time.Microsecond}},
			{ID: "jam", Level: SNR(10), Behaviour: &Jammer{Freq: 902.9e6, Bandwidth: 600e3}},
			{ID: "step", Start: 100 * time.Millisecond, Behaviour: &FloorStep{Step: 3}},
		},
	}
}

func TestDeterminism(t *testing.T) {
	a := renderBytes(t, allKinds(1), "s", 1<<16)
	t.Run("same seed, same bytes", func(t *testing.T) {
		if b := renderBytes(t, allKinds(1), "s", 1<<16); !bytes.Equal(a, b) {
			t.Error("two renders of the same scene differ")
		}
	})
	t.Run("block size does not matter", func(t *testing.T) {
		for _, n := range []int{4099, 1000, 77777} {
			if b := renderBytes(t, allKinds(1), "s", n); !bytes.Equal(a, b) {
				t.Errorf("rendering in blocks of %d samples gives other bytes", n)
			}
		}
	})
	t.Run("other seed, other bytes", func(t *testing.T) {
		b := renderBytes(t, allKinds(2), "s", 1<<16)
		same := 0
		for i := range a {
			if a[i] == b[i] {
				same++
			}
		}
		if same > len(a)/2 {
			t.Errorf("seed 2 repeats %d of %d bytes of seed 1", same, len(a))
		}
	})
}

// TestSensorsShareEmissions: every sensor gets the same emissions (times,
// frequencies, kinds, data) with its own levels.
func TestSensorsShareEmissions(t *testing.T) {
	sc, err := Builtin("busy-wing")
	if err != nil {
		t.Fatal(err)
	}
	sc.Duration = 6 * time.Second
	srcs, err := sc.OpenAll()
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		emitter string
		seq     uint64
	}
	seen := make([]map[key]truthEntry, len(srcs))
	for i, s := range srcs {
		seen[i] = map[key]truthEntry{}
		m := seen[i]
		s.OnEmission = func(e Emission, rx Reception) { m[key{e.Emitter, e.Seq}] = truthEntry{e, rx} }
		b := newBlock(1 << 15)
		for {
			if err := s.ReadBlock(b); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(seen[0]) < 2000 {
		t.Fatalf("only %d emissions in 6 s", len(seen[0]))
	}
	for i := 1; i < len(seen); i++ {
		if len(seen[i]) != len(seen[0]) {
			t.Errorf("sensor %d has %d emissions, sensor 0 %d", i, len(seen[i]), len(seen[0]))
		}
		differ := 0
		for k, a := range seen[0] {
			b, ok := seen[i][k]
			if !ok || a.e != b.e {
				t.Fatalf("emission %v differs between sensors: %+v vs %+v", k, a.e, b.e)
			}
			if a.rx.DBm != b.rx.DBm {
				differ++
			}
		}
		if differ < len(seen[0])/2 {
			t.Errorf("only %d of %d emissions have other levels at sensor %d", differ, len(seen[0]), i)
		}
	}
}

// TestSameBurstBitsAtTwoSensors: the same GSM burst received at two
// sensors carries the same waveform (data bits and phase), scaled.
func TestSameBurstBitsAtTwoSensors(t *testing.T) {
	quiet := CleanDongle()
	quiet.NoiseFloor = -45 // so that the noise does not blur the comparison
	sc := &Scene{Seed: 3, Duration: 100 * time.Millisecond,
		Sensors: []Sensor{
			{ID: "a", Pos: Point{3, 0, 1}, Center: 902.4e6, Dongle: quiet},
			{ID: "b", Pos: Point{0, 6, 1}, Center: 902.4e6, Dongle: quiet},
		},
		Emitters: []Emitter{{ID: "p", Level: TxPower(-40), Behaviour: &GSMCall{ARFCNs: []int{62}, NoDTX: true}}},
	}
	ia, truth, _ := renderAll(t, sc, "a", 1<<16)
	ib, _, _ := renderAll(t, sc, "b", 1<<16)
	i0, i1 := span(truth[3].e, 2.4e6)
	var num complex128
	var pa, pb float64
	for i := i0; i < i1; i++ {
		num += complex128(ia[i]) * complex128(complex(real(ib[i]), -imag(ib[i])))
		pa += float64(real(ia[i])*real(ia[i]) + imag(ia[i])*imag(ia[i]))
		pb += float64(real(ib[i])*real(ib[i]) + imag(ib[i])*imag(ib[i]))
	}
	rho := math.Hypot(real(num), imag(num)) / math.Sqrt(pa*pb)
	t.Logf("correlation %.4f", rho)
	if rho < 0.99 {
		t.Errorf("burst correlation between sensors %.3f, want the same waveform (> 0.99)", rho)
	}
}

// TestRenderNoAllocs: in steady state ReadBlock allocates nothing.
func TestRenderNoAllocs(t *testing.T) {
	for _, name := range []string{"gsm-call", "busy-wing", "interference", "lte-data"} {
		t.Run(name, func(t *testing.T) {
			sc, err := Builtin(name)
			if err != nil {
				t.Fatal(err)
			}
			sc.Duration = 0 // open-ended
			src, err := sc.Open(sc.Sensors[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			b := newBlock(16384)
			// Warm up past the start of every emitter, so pools and
			// generators exist.
			for range 2400 {
				if err := src.ReadBlock(b); err != nil {
					t.Fatal(err)
				}
			}
			allocs := testing.AllocsPerRun(200, func() {
				if err := src.ReadBlock(b); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%.2f allocations per block", allocs)
			}
		})
	}
}

func TestReadBlockErrors(t *testing.T) {
	sc := quietScene(CleanDongle())
	sc.Duration = time.Millisecond
	src, err := sc.Open("s")
	if err != nil {
		t.Fatal(err)
	}
	if err := src.ReadBlock(&sdr.Block{}); !errors.Is(err, sdr.ErrNoBuffer) {
		t.Errorf("empty block: %v", err)
	}
	b := newBlock(10000)
	if err := src.ReadBlock(b); err != nil || len(b.Samples) != 2400 || b.Seq != 0 {
		t.Fatalf("first block: %v, %d samples, seq %d", err, len(b.Samples), b.Seq)
	}
	if err := src.ReadBlock(b); !errors.Is(err, io.EOF) {
		t.Errorf("after the end: %v", err)
	}
	src.Close()
	if err := src.ReadBlock(b); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	if _, err := sc.Open("nope"); err == nil {
		t.Error("opened a sensor that does not exist")
	}
	bad := quietScene(CleanDongle())
	bad.Sensors[0].Center = 5e6
	if _, err := bad.Open("s"); !errors.Is(err, ErrScene) {
		t.Errorf("invalid scene opened: %v", err)
	}
}

// TestTruthGolden writes the truth of a small two-sensor scene and
// compares it with testdata/golden.truth.json (go test -update rewrites
// it), then reads it back.
func TestTruthGolden(t *testing.T) {
	sc := &Scene{Name: "golden", Description: "two sensors, one GSM phone, one LTE burst train, a floor step", Seed: 1,
		Duration: 40 * time.Millisecond,
		Site:     Site{Wings: []Wing{{"A", []XY{{0, 0}, {10, 0}, {10, 10}, {0, 10}}}}},
		Sensors: []Sensor{
			{ID: "s1", Pos: Point{1, 1, 2}, Wing: "A", Center: 902.4e6, Gain: 19.7},
			{ID: "s2", Pos: Point{30, 1, 2}, Center: 903e6, Dongle: CleanDongle()},
		},
		Emitters: []Emitter{
			{ID: "p1", Pos: Point{5, 5, 1}, Level: TxPower(5), Behaviour: &GSMCall{ARFCNs: []int{62}, Timeslot: 2, NoDTX: true}},
			{ID: "b1", Behaviour: &Bursts{Kind: KindLTEPUSCH, Count: 3, Interval: 10 * time.Millisecond, SNR: 6, NPRB: 3}},
		},
		Interference: []Emitter{{ID: "f1", Start: 20 * time.Millisecond, Behaviour: &FloorStep{Step: 6, Sensors: []string{"s2"}}}},
	}
	var buf bytes.Buffer
	tw, err := NewTruthWriter(&buf, sc)
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := sc.OpenAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		s.OnEmission = tw.Add
	}
	b := newBlock(4096)
	for done := 0; done < len(srcs); {
		done = 0
		for _, s := range srcs {
			if err := s.ReadBlock(b); errors.Is(err, io.EOF) {
				done++
			} else if err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/golden.truth.json"
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("truth differs from %s (go test -update to accept):\n%s", golden, buf.String())
	}

	tr, err := ReadTruth(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	h := tr.Header()
	if h.Scene != "golden" || h.Seed != 1 || h.Rate != 2.4e6 || len(h.Sensors) != 2 || h.Sensors[0].Gain != 19.7 {
		t.Errorf("header %+v", h)
	}
	kinds := map[Kind]int{}
	for {
		r, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Rx) != 2 || r.Rx[0].Sensor != "s1" || r.Rx[1].Sensor != "s2" {
			t.Fatalf("record %+v: receptions %+v", r.Emission, r.Rx)
		}
		kinds[r.Kind]++
		if r.Kind == KindFloorStep && (r.Rx[0].Visible || !r.Rx[1].Visible || r.StepDB != 6) {
			t.Errorf("floor step record %+v %+v", r.Emission, r.Rx)
		}
		if r.Kind == KindGSMNormal && (r.ARFCN != 62 || r.Timeslot != 2 || r.Level != TxPower(5) || r.Wing != "A") {
			t.Errorf("GSM record %+v", r.Emission)
		}
	}
	if kinds[KindGSMNormal] < 7 || kinds[KindLTEPUSCH] != 3 || kinds[KindFloorStep] != 1 {
		t.Errorf("kinds read back: %v", kinds)
	}
}

// TestTruthTiming: the truth's start and duration are where the energy
// is: full power from the first useful sample to the last, nothing 15 µs
// before the start or after the end (GSM's 10 µs ramps and the LTE
// filters' tails included).
func TestTruthTiming(t *testing.T) {
	for _, k := range []Kind{KindGSMNormal, KindGSMAccess, KindLTEPUSCH, KindLTEPUCCH, KindLTEPRACH, KindLTESRS} {
		t.Run(k.String(), func(t *testing.T) {
			d := CleanDongle()
			d.NoiseFloor = -60 // the ADC's −56 dBFS remains: bursts at 40 dB stay well under full scale
			sc := &Scene{Seed: 4, Duration: 400 * time.Millisecond,
				Sensors:  []Sensor{{ID: "s", Center: 902.4e6, Dongle: d}},
				Emitters: []Emitter{{ID: "b", Behaviour: &Bursts{Kind: k, Count: 30, Interval: 10 * time.Millisecond, SNR: 40, NPRB: 2}}}}
			iq, truth, _ := renderAll(t, sc, "s", 1<<16)
			for _, te := range truth {
				a, b := span(te.e, 2.4e6)
				if a < 100 || b+100 > len(iq) {
					continue
				}
				p := math.Pow(10, te.rx.DBFS/10)
				in := meanPower(iq[a:b])
				pre := meanPower(iq[a-48 : a-36]) // 20–15 µs before
				post := meanPower(iq[b+36 : b+48])
				if math.Abs(db(in/p)) > 1 || db(pre/p) > -25 || db(post/p) > -25 {
					t.Errorf("%.6f s: in %.1f dB, before %.1f dB, after %.1f dB relative to the truth's level",
						te.e.Start, db(in/p), db(pre/p), db(post/p))
				}
				// The first and last 10 µs of the useful part already carry
				// the power (an envelope that rose late or fell early would
				// not).
				if e0, e1 := meanPower(iq[a:a+24]), meanPower(iq[b-24:b]); db(e0/p) < -6 || db(e1/p) < -6 {
					t.Errorf("%.6f s: edges %.1f / %.1f dB below the level", te.e.Start, db(e0/p), db(e1/p))
				}
			}
		})
	}
}
