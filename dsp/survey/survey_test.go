package survey

import (
	"errors"
	"io"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/channelize"
	"github.com/cellsentry/cellsentry/dsp/pipeline"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/hop"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// testDongle is the default dongle with stronger spurs (per-bin noise is
// about −54 dBFS at the reference gain: +12, +7 and +4 dB) and no
// frequency error, so that planted frequencies are where they are said.
func testDongle() *sim.Dongle {
	d := sim.DefaultDongle()
	d.PPM = 0
	d.Spurs = []sim.Spur{{Offset: 412.5e3, Level: -42}, {Offset: -687.5e3, Level: -47}, {Offset: 862.5e3, Level: -50}}
	return d
}

// testPlan is three hop centres, 901.96, 903.88 and 905.8 MHz.
func testPlan(t testing.TB) *hop.Plan {
	p, err := hop.NewPlan(hop.Config{Bands: []hop.BandWeight{{Band: hop.Band{Name: "test", Low: 901e6, High: 906.76e6}, Weight: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// scan renders sc over the plan for seconds of signal and hands every block
// to each (survey first, as the command does).
func scan(t testing.TB, sc *sim.Scene, seconds float64, each func(b *sdr.Block)) (heard float64) {
	src, err := sc.Open(sc.Sensors[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	hs := hop.NewScheduler(src, testPlan(t), src.Rate())
	buf := make([]complex64, 1<<16)
	blk := sdr.Block{Samples: buf}
	var n, listened int64
	for float64(n)/src.Rate() < seconds {
		blk.Samples = buf[:cap(buf)]
		if err := hs.ReadBlock(&blk); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatal(err)
		}
		n += int64(len(blk.Samples))
		if !blk.Settling {
			listened += int64(len(blk.Samples))
		}
		each(&blk)
	}
	return float64(listened) / src.Rate()
}

func noiseScene(seed uint64) *sim.Scene {
	return &sim.Scene{Name: "noise", Seed: seed, Sensors: []sim.Sensor{{ID: "s", Center: 903.88e6, Dongle: testDongle()}}}
}

// TestFalseAlarmPrediction surveys noise with the dongle's spurs, takes
// the threshold suggested for a target rate, and counts the false bursts
// of the pipeline set up as suggested on a fresh seed. The target is high
// (3000 per hour of listening) so that a test of a few minutes of signal
// counts about a hundred: the Poisson counting error is then ±10 % (1σ),
// well inside the factor of two asked.
func TestFalseAlarmPrediction(t *testing.T) {
	const target = 3000
	surveyS, checkS := 45.0, 120.0
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	scan(t, noiseScene(11), surveyS, func(b *sdr.Block) { s.Process("test", b) })
	r := s.Result()
	if len(r.Bands) != 1 {
		t.Fatalf("bands %+v", r.Bands)
	}
	sg := r.Suggest(target)
	bt := sg.Bands[0]
	t.Logf("suggested %.1f dB, predicted %.0f/h (extrapolated %v, %d starts in %.3f h)", bt.ThresholdDB, bt.Predicted, bt.Extrapolated, bt.Starts, bt.Hours)
	if math.IsNaN(bt.ThresholdDB) || bt.Extrapolated {
		t.Fatalf("no counted threshold for %d/h: %+v", target, bt)
	}
	var spurs []float64
	for _, sp := range sg.SpursHz {
		spurs = append(spurs, sp.OffsetHz)
	}
	if len(spurs) != 3 {
		t.Errorf("spurs %v, want the three planted", spurs)
	}
	excluded := func(f float64) bool {
		for _, x := range sg.Exclusions {
			if f >= x.Low && f <= x.High {
				return true
			}
		}
		return false
	}
	p, err := pipeline.New(pipeline.Config{ThresholdDB: bt.ThresholdDB, SpurHz: spurs})
	if err != nil {
		t.Fatal(err)
	}
	var bursts []dsp.Burst
	n, rhythm := 0, 0
	count := func(bs []dsp.Burst) {
		for i := range bs {
			if excluded(bs[i].Freq) {
				continue
			}
			n++
			if bs[i].Rhythm {
				rhythm++
			}
		}
	}
	heard := scan(t, noiseScene(12), checkS, func(b *sdr.Block) {
		bursts, err = p.Process(bursts[:0], b)
		if err != nil {
			t.Fatal(err)
		}
		count(bursts)
	})
	count(p.Flush(nil))
	want := bt.Predicted * heard / 3600
	t.Logf("fresh seed: %d false bursts (%d by the rhythm integrator) in %.0f s heard, predicted %.1f ± %.1f (Poisson, 1σ)", n, rhythm, heard, want, math.Sqrt(want))
	if float64(n) < want/2 || float64(n) > 2*want {
		t.Errorf("%d false bursts, predicted %.1f: not within a factor of two", n, want)
	}
}

// siteScene holds what a survey must find and what it must leave alone:
// the test dongle's three spurs, a tower's BCCH carrier leaking in, the
// site's own radio (CW), a wideband fixed emitter, and a phone in a call
// on its own channel.
func siteScene(seed uint64) *sim.Scene {
	return &sim.Scene{
		Name: "site", Seed: seed,
		Sensors: []sim.Sensor{{ID: "s", Center: 903.88e6, Dongle: testDongle()}},
		Interference: []sim.Emitter{
			{ID: "bcch", Level: sim.SNR(20), Behaviour: &sim.BCCH{ARFCN: 64}},                          // 902.8 MHz
			{ID: "radio", Level: sim.SNR(25), Behaviour: &sim.CW{Freq: 904.5e6}},                       //
			{ID: "wide", Level: sim.SNR(24), Behaviour: &sim.Jammer{Freq: 905.45e6, Bandwidth: 400e3}}, //
		},
		Emitters: []sim.Emitter{
			{ID: "phone", Level: sim.SNR(15), Behaviour: &sim.GSMCall{ARFCNs: []int{68}, Timeslot: 2, NoDTX: true}}, // 903.6 MHz
		},
	}
}

// TestEmitters surveys the site scene through the pipeline and checks the
// emitters found against the planted ones: every one found, within a bin,
// of the right kind, and nothing else (the phone above all).
func TestEmitters(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.New(pipeline.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var bursts []dsp.Burst
	scan(t, siteScene(3), 20, func(b *sdr.Block) {
		s.Process("test", b)
		bursts, err = p.Process(bursts[:0], b)
		if err != nil {
			t.Fatal(err)
		}
		for i := range bursts {
			s.Burst("test", &bursts[i])
		}
	})
	r := s.Result()
	binHz := 2.4e6 / 256
	planted := []struct {
		name, kind string
		freq       float64 // absolute, or the offset for a spur
		bw         float64 // planted width (0: a tone)
	}{
		{"spur +412.5 kHz", KindSpur, 412.5e3, 0},
		{"spur −687.5 kHz", KindSpur, -687.5e3, 0},
		{"spur +862.5 kHz", KindSpur, 862.5e3, 0},
		{"BCCH 902.8 MHz", KindFixed, 902.8e6, 200e3},
		{"radio 904.5 MHz", KindFixed, 904.5e6, 0},
		{"wideband 905.45 MHz", KindFixed, 905.45e6, 400e3},
	}
	found := make([]bool, len(r.Emitters))
	for _, pl := range planted {
		t.Run(pl.name, func(t *testing.T) {
			for i, e := range r.Emitters {
				f := e.Freq
				if pl.kind == KindSpur {
					f = e.Offset
				}
				if e.Kind == pl.kind && math.Abs(f-pl.freq) <= binHz {
					found[i] = true
					if pl.bw > 0 && (e.Bandwidth < 0.8*pl.bw || e.Bandwidth > 1.6*pl.bw) {
						t.Errorf("bandwidth %.0f kHz, planted %.0f kHz", e.Bandwidth/1e3, pl.bw/1e3)
					}
					if e.Duty < 0.5 {
						t.Errorf("duty %.2f, a fixed emitter is there all the time", e.Duty)
					}
					return
				}
			}
			t.Errorf("not found within a bin (%.0f Hz); found %+v", binHz, r.Emitters)
		})
	}
	for i, e := range r.Emitters {
		if !found[i] && e.Kind != KindImage {
			t.Errorf("emitter not planted: %+v", e)
		}
		if e.Kind != KindSpur && e.Low() <= 903.7e6 && e.High() >= 903.5e6 {
			t.Errorf("the phone's channel became an emitter: %+v", e)
		}
	}
	sg := r.Suggest(1)
	for _, x := range sg.Exclusions {
		if x.Low <= 903.7e6 && x.High >= 903.5e6 {
			t.Errorf("exclusion over the phone's channel: %+v", x)
		}
	}
	if got := r.Bands[0].Bursts[dsp.ClassGSM]; got < 100 {
		t.Errorf("%d GSM bursts counted, the phone sent thousands (a third heard)", got)
	}
}

// TestAccumulateAllocs: the per-block path allocates nothing once every
// centre has been heard.
func TestAccumulateAllocs(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	var blocks []sdr.Block
	scan(t, noiseScene(5), 3, func(b *sdr.Block) {
		c := *b
		c.Samples = append([]complex64(nil), b.Samples...)
		blocks = append(blocks, c)
	})
	for i := range blocks {
		s.Process("test", &blocks[i])
	}
	i := 0
	allocs := testing.AllocsPerRun(50, func() {
		s.Process("test", &blocks[i%len(blocks)])
		i++
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per block, want 0", allocs)
	}
}

func TestFastDB(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    float32
	}{
		{"one", 1}, {"tenth", 0.1}, {"noise bin", 4e-6}, {"tiny", 1e-13}, {"big", 3e4}, {"odd", 0.7071},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := 10 * math.Log10(float64(tc.v))
			if got := float64(fastDB(tc.v)); math.Abs(got-want) > 0.02 {
				t.Errorf("fastDB(%g) = %.4f, want %.4f within 0.02 dB", tc.v, got, want)
			}
		})
	}
	for _, v := range []float32{0, -1, float32(math.NaN())} {
		if got := powIndex(v); got != 0 {
			t.Errorf("powIndex(%g) = %d, want 0", v, got)
		}
	}
}

func FuzzFastDB(f *testing.F) {
	for _, v := range []float32{1, 0.1, 4e-6, 1e-13, 3e4, 0.7071} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float32) {
		i := powIndex(v)
		if i < 0 || i >= powN {
			t.Fatalf("powIndex(%g) = %d outside the histogram", v, i)
		}
		if v >= 1e-30 && v < 1e30 && !math.IsInf(float64(v), 0) {
			want := 10 * math.Log10(float64(v))
			if got := float64(fastDB(v)); math.Abs(got-want) > 0.02 {
				t.Fatalf("fastDB(%g) = %.4f, want %.4f", v, got, want)
			}
		}
	})
}

func TestHistQuantile(t *testing.T) {
	h := []uint32{0, 10, 30, 10, 0, 50}
	for _, tc := range []struct {
		name      string
		q, want   float64
		above     float64
		wantAbove float64
	}{
		{"tenth", 0.1, 2.0, 2, 0.9},
		{"median", 0.5, 4.0, 3, 0.6},
		{"upper", 0.9, 5.8, 5, 0.5},
		{"all", 1, 6, -1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := histQuantile(h, 100, tc.q, 0, 1); math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("quantile %.2f = %g, want %g", tc.q, got, tc.want)
			}
			if got := histAbove(h, 100, tc.above, 0, 1); math.Abs(got-tc.wantAbove) > 1e-9 {
				t.Errorf("above %g = %g, want %g", tc.above, got, tc.wantAbove)
			}
		})
	}
}

// TestCurve checks the threshold search and the tail extrapolation on a
// curve of known shape: starts(τ) = A·exp(−k·(τ−1)) above a mode.
func TestCurve(t *testing.T) {
	const hours = 1.0
	c := Curve{StepDB: statStep, Starts: make([]int64, statN), Hours: hours}
	const a, k = 1e6, 20.0
	exact := func(db float64) float64 { return a * math.Exp(-k*(math.Pow(10, db/10)-1)) }
	for j := range c.Starts {
		db := float64(j) * statStep
		if db < 0.5 {
			c.Starts[j] = int64(a * db) // rising to the mode
			continue
		}
		c.Starts[j] = int64(math.Round(exact(db)))
	}
	for _, tc := range []struct {
		name   string
		target float64
		ex     bool
	}{
		{"counted", 1000, false},
		{"extrapolated", 0.5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, pred, ex, ok := c.Threshold(tc.target)
			if !ok || ex != tc.ex {
				t.Fatalf("Threshold(%g) = %.2f dB, %g, extrapolated %v, ok %v", tc.target, db, pred, ex, ok)
			}
			if pred > tc.target*1.05 {
				t.Errorf("predicted %g over the target %g", pred, tc.target)
			}
			// The grid is 0.1 dB: the threshold is the first one whose
			// true rate is at most the target (within the rounding).
			if r := exact(db) / hours; r > tc.target*1.05 || exact(db-0.1)/hours < tc.target*0.95 {
				t.Errorf("%.2f dB gives %g/h (%.2f dB: %g/h), target %g", db, r, db-0.1, exact(db-0.1)/hours, tc.target)
			}
		})
	}
	if r, ex := c.Rate(0.2); !math.IsNaN(r) || !ex {
		t.Errorf("Rate below the mode = %g, %v: want NaN (no prediction)", r, ex)
	}
}

func BenchmarkProcess(b *testing.B) {
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	var blocks []sdr.Block
	scan(b, noiseScene(5), 3, func(bl *sdr.Block) {
		c := *bl
		c.Samples = append([]complex64(nil), bl.Samples...)
		blocks = append(blocks, c)
	})
	for i := range blocks {
		s.Process("test", &blocks[i])
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(blocks[0].Samples)) * 8)
	b.ResetTimer()
	var n int64
	for i := 0; i < b.N; i++ {
		bl := &blocks[i%len(blocks)]
		s.Process("test", bl)
		n += int64(len(bl.Samples))
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds()/1e6, "Msamples/s")
}

// TestMemoryPerCentre: what a survey keeps depends on its hop centres, not
// on its length. A centre's state (histograms, waterfall, noise floor) is
// allocated at its first frame: about 0.5 MB, so the shipped four-band
// plan's 88 centres take about 44 MB however long the survey.
func TestMemoryPerCentre(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	p := make([]float32, 256)
	for i := range p {
		p[i] = 1e-5
	}
	f := &channelize.Frame{Power: p, Rate: 2.4e6, Time: time.Unix(0, 0), Center: 1e9}
	s.Frame(f)
	const centres = 20
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for c := 1; c <= centres; c++ {
		f.Center = 1e9 + float64(c)*2e6
		s.Frame(f)
	}
	runtime.ReadMemStats(&m1)
	per := float64(m1.TotalAlloc-m0.TotalAlloc) / centres
	t.Logf("%.0f kB per centre", per/1e3)
	if per > 1e6 {
		t.Errorf("%.0f kB per hop centre, want under 1 MB", per/1e3)
	}
	// Then nothing more, however many frames.
	allocs := testing.AllocsPerRun(1000, func() {
		f.Time = f.Time.Add(time.Millisecond)
		s.Frame(f)
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per frame once the centres exist", allocs)
	}
}
