package eval

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/pipeline"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// BurstKind is a kind of single burst with its allocation, for curves.
type BurstKind struct {
	Name string
	Kind sim.Kind
	NPRB int
}

// BurstKinds are the handset bursts the detector is judged on.
var BurstKinds = []BurstKind{
	{"GSM normal burst", sim.KindGSMNormal, 0},
	{"GSM access burst", sim.KindGSMAccess, 0},
	{"LTE PUSCH 1 PRB", sim.KindLTEPUSCH, 1},
	{"LTE PUSCH 6 PRB", sim.KindLTEPUSCH, 6},
	{"LTE PUCCH", sim.KindLTEPUCCH, 0},
	{"LTE PRACH", sim.KindLTEPRACH, 0},
	{"LTE SRS", sim.KindLTESRS, 0},
}

// Point is one measured point of a curve.
type Point struct {
	SNR              float64
	Emissions        int
	Detected         int
	ClassOK          int
	FalsePhone       int
	Pd, ClassAcc     float64
	IdealPd          float64 // the ideal energy detector's, where defined
	Seconds, Elapsed float64 // signal rendered, wall time spent
}

// Curve is Pd against SNR for one kind.
type Curve struct {
	Kind   BurstKind
	Points []Point
}

// BurstCurves measures every kind at every SNR with count bursts each,
// using all CPUs.
func BurstCurves(kinds []BurstKind, snrs []float64, count int, cfg pipeline.Config) ([]Curve, error) {
	curves := make([]Curve, len(kinds))
	type job struct{ k, s int }
	jobs := make(chan job)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				k := kinds[j.k]
				t0 := time.Now()
				o, err := Run(BurstScene(k.Kind, k.NPRB, snrs[j.s], count, uint64(j.s+1), nil), "s", cfg)
				mu.Lock()
				if err != nil {
					firstErr = err
				} else {
					s := o.Evaluate(nil)
					p := Point{SNR: snrs[j.s], Emissions: s.Emissions, Detected: s.Detected, ClassOK: s.ClassOK,
						FalsePhone: s.FalsePhone, Pd: s.Pd(), ClassAcc: s.ClassAccuracy(), Seconds: o.Seconds,
						Elapsed: time.Since(t0).Seconds()}
					if k.Kind == sim.KindGSMNormal {
						p.IdealPd = Ideal{Bandwidth: 200e3, Duration: 546.5e-6, WindowHz: o.Rate, PerHour: 0.5}.Pd(p.SNR)
					}
					curves[j.k].Points[j.s] = p
				}
				mu.Unlock()
			}
		}()
	}
	for i := range kinds {
		curves[i] = Curve{Kind: kinds[i], Points: make([]Point, len(snrs))}
	}
	for k := range kinds {
		for s := range snrs {
			jobs <- job{k, s}
		}
	}
	close(jobs)
	wg.Wait()
	return curves, firstErr
}

// CallPoint is the probability of finding a GSM call within 2 s of its
// start at one SNR.
type CallPoint struct {
	SNR         float64
	Calls, Hits int
}

// CallScene is one GSM call with DTX starting at 1 s, at snr per burst, on
// an ARFCN inside a 902.4 MHz window (seed picks ARFCN, slot, TSC).
func CallScene(seed uint64, snr float64) *sim.Scene {
	// ARFCN 57–61: 901.4–902.2 MHz, inside the window and clear of its
	// DC bins.
	arfcn := 57 + int(seed%5)
	return &sim.Scene{
		Name: "call", Seed: seed, Duration: 3500 * time.Millisecond,
		Sensors: []sim.Sensor{{ID: "s", Center: 902.4e6}},
		Emitters: []sim.Emitter{{
			ID: "phone", Level: sim.SNR(snr), Start: time.Second,
			Behaviour: &sim.GSMCall{ARFCNs: []int{arfcn}, Timeslot: int(seed % 8), TSC: int(seed % 8)},
		}},
	}
}

// CallFound reports whether the outcome of a CallScene holds a GSM
// detection (single burst or train) on the call's channel ending by 2 s
// after the call started.
func CallFound(o *Outcome, sc *sim.Scene) bool {
	f, _ := sim.GSMUplink(sc.Emitters[0].Behaviour.(*sim.GSMCall).ARFCNs[0])
	deadline := sc.Emitters[0].Start.Seconds() + 2
	for _, b := range o.Bursts {
		end := float64(b.Offset)/o.Rate + b.Duration.Seconds()
		if b.Class == dsp.ClassGSM && b.FreqLow-60e3 <= f && f <= b.FreqHigh+60e3 && end <= deadline+1e-3 {
			return true
		}
	}
	return false
}

// CallCurve measures calls at each SNR over seeds renders.
func CallCurve(snrs []float64, seeds int, cfg pipeline.Config) ([]CallPoint, error) {
	out := make([]CallPoint, len(snrs))
	var mu sync.Mutex
	var firstErr error
	type job struct{ s, seed int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				sc := CallScene(uint64(j.seed), snrs[j.s])
				o, err := Run(sc, "s", cfg)
				mu.Lock()
				if err != nil {
					firstErr = err
				} else {
					out[j.s].SNR = snrs[j.s]
					out[j.s].Calls++
					if CallFound(o, sc) {
						out[j.s].Hits++
					}
				}
				mu.Unlock()
			}
		}()
	}
	for s := range snrs {
		for seed := 1; seed <= seeds; seed++ {
			jobs <- job{s, seed}
		}
	}
	close(jobs)
	wg.Wait()
	return out, firstErr
}

// NoiseFalse renders seconds of receiver noise with the default dongle's
// artifacts and counts what the detector reports.
func NoiseFalse(seconds float64, seed uint64, cfg pipeline.Config) (bursts, phones int, err error) {
	sc := &sim.Scene{
		Name: "noise", Seed: seed, Duration: time.Duration(seconds * float64(time.Second)),
		Sensors: []sim.Sensor{{ID: "s", Center: 902.4e6}},
	}
	o, err := Run(sc, "s", cfg)
	if err != nil {
		return 0, 0, err
	}
	for _, b := range o.Bursts {
		bursts++
		if b.Class.IsPhone() {
			phones++
		}
	}
	return bursts, phones, nil
}

// SceneClasses runs a built-in scene and counts its detections by class.
func SceneClasses(name string, cfg pipeline.Config) (map[dsp.Class]int, error) {
	sc, err := sim.Builtin(name)
	if err != nil {
		return nil, err
	}
	o, err := Run(sc, sc.Sensors[0].ID, cfg)
	if err != nil {
		return nil, fmt.Errorf("scene %s: %w", name, err)
	}
	m := map[dsp.Class]int{}
	for _, b := range o.Bursts {
		m[b.Class]++
	}
	return m, nil
}
