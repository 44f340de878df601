package fusion_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/fusion"
	"github.com/cellsentry/cellsentry/alerting/track"
	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/pipeline"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// detectMarginDB is how far above the noise in a 200 kHz channel a
// sensor's floor is set for the tests: what a technician reads off a
// survey (the noise floor) plus the detector's threshold for GSM bursts
// (about 3 dB over the floor for a single burst, see dsp/detect).
const detectMarginDB = 3

// sensorNoiseDBm is the noise of a simulated sensor in a 200 kHz channel at
// its antenna, dBm: thermal noise (the dongle's NoiseFloor, moving with
// the gain) plus the ADC's own, over the sample rate, scaled to 200 kHz.
func sensorNoiseDBm(sc *sim.Scene, sn *sim.Sensor) float64 {
	d := sn.Dongle
	if d == nil {
		d = sim.DefaultDongle()
	}
	g := sn.Gain
	if g == 0 {
		g = d.RefGain
	}
	thermal := d.NoiseFloor + (g - d.RefGain)
	total := 10 * math.Log10(math.Pow(10, thermal/10)+math.Pow(10, d.ADCNoise/10))
	rate := sc.Rate
	if rate == 0 {
		rate = sim.DefaultRate
	}
	return total + d.FullScale - (g - d.RefGain) + 10*math.Log10(200e3/rate)
}

// siteOf maps a scene's plan onto a fusion site, as an installer would
// enter it: the wings, the walls with their losses, the sensors with the
// band their dongle covers and their detection floor, and the
// propagation model.
func siteOf(sc *sim.Scene, name string) *fusion.Site {
	s := &fusion.Site{Name: name}
	for _, w := range sc.Site.Wings {
		fw := fusion.Wing{Name: w.Name}
		for _, p := range w.Polygon {
			fw.Polygon = append(fw.Polygon, fusion.Point{X: p.X, Y: p.Y})
		}
		s.Wings = append(s.Wings, fw)
	}
	for _, w := range sc.Site.Walls {
		s.Walls = append(s.Walls, fusion.Wall{Name: w.Name, A: fusion.Point{X: w.A.X, Y: w.A.Y}, B: fusion.Point{X: w.B.X, Y: w.B.Y}, LossDB: w.Loss})
	}
	rate := sc.Rate
	if rate == 0 {
		rate = sim.DefaultRate
	}
	for i := range sc.Sensors {
		sn := &sc.Sensors[i]
		s.Sensors = append(s.Sensors, fusion.Sensor{
			ID: sn.ID, Wing: sn.Wing, X: sn.Pos.X, Y: sn.Pos.Y, HeightM: sn.Pos.Z,
			Bands:    []fusion.Band{{Name: "window", LowHz: sn.Center - rate/2, HighHz: sn.Center + rate/2}},
			FloorDBm: math.Round((sensorNoiseDBm(sc, sn)+detectMarginDB)*10) / 10,
		})
	}
	s.PathLoss = fusion.PathLoss{Exponent: sc.Propagation.Exponent, ShadowSigmaDB: sc.Propagation.ShadowSigma, RefLossDB: sc.Propagation.RefLoss}
	return s
}

// perimeterOf returns the outer walls of a scene as a polygon: the walls
// named perimeter-*, joined end to end.
func perimeterOf(sc *sim.Scene) []fusion.Point {
	var out []fusion.Point
	for _, w := range sc.Site.Walls {
		if len(w.Name) > 10 && w.Name[:10] == "perimeter-" {
			out = append(out, fusion.Point{X: w.A.X, Y: w.A.Y})
		}
	}
	return out
}

// sensorRun is what one sensor made of a scene: its alert events, and the
// truth of what it received per emitter (the strongest emission, dBm).
type sensorRun struct {
	alerts []alerting.Alert
	rxDBm  map[string]float64
	clip   map[string]bool
}

// runSensor renders a scene for one sensor and runs it through the real
// pipeline and tracker, advancing the tracker after every block as the
// daemon does.
func runSensor(sc *sim.Scene, site, id string) (*sensorRun, error) {
	src, err := sc.Open(id)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	r := &sensorRun{rxDBm: map[string]float64{}, clip: map[string]bool{}}
	src.OnEmission = func(em sim.Emission, rx sim.Reception) {
		if v, ok := r.rxDBm[em.Emitter]; !ok || rx.DBm > v {
			r.rxDBm[em.Emitter] = rx.DBm
		}
		if rx.Clipped {
			r.clip[em.Emitter] = true
		}
	}
	var sn *sim.Sensor
	for i := range sc.Sensors {
		if sc.Sensors[i].ID == id {
			sn = &sc.Sensors[i]
		}
	}
	d := sn.Dongle
	if d == nil {
		d = sim.DefaultDongle()
	}
	p, err := pipeline.New(pipeline.Config{CalOffsetDB: d.FullScale - (src.Gain() - d.RefGain)})
	if err != nil {
		return nil, err
	}
	tr, err := track.New(track.Config{}, alerting.Origin{Site: site, Sensor: id, Wing: sn.Wing})
	if err != nil {
		return nil, err
	}
	blk := &sdr.Block{Samples: make([]complex64, 1<<16)}
	var bs []dsp.Burst
	var end time.Time
	for {
		blk.Samples = blk.Samples[:cap(blk.Samples)]
		err := src.ReadBlock(blk)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if bs, err = p.Process(bs[:0], blk); err != nil {
			return nil, err
		}
		for i := range bs {
			r.alerts = tr.Add(r.alerts, &bs[i])
		}
		end = blk.Time.Add(time.Duration(float64(len(blk.Samples)) / blk.Rate * 1e9))
		r.alerts = tr.Advance(r.alerts, end)
	}
	bs = p.Flush(bs[:0])
	for i := range bs {
		r.alerts = tr.Add(r.alerts, &bs[i])
	}
	r.alerts = tr.Flush(r.alerts, end)
	return r, nil
}

// runScene runs every sensor of a scene (in parallel, one per core) and
// returns their runs in the scene's sensor order.
func runScene(sc *sim.Scene, site string) ([]*sensorRun, error) {
	runs := make([]*sensorRun, len(sc.Sensors))
	errs := make([]error, len(sc.Sensors))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i := range sc.Sensors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			runs[i], errs[i] = runSensor(sc, site, sc.Sensors[i].ID)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return runs, nil
}

// fuse feeds the sensors' alerts to a fuser in time order (as a broker
// would deliver them) and returns the incidents open at the end.
func fuse(site *fusion.Site, cfg fusion.Config, runs []*sensorRun) ([]alerting.Incident, error) {
	f, err := fusion.New(site, cfg)
	if err != nil {
		return nil, err
	}
	var all []alerting.Alert
	for _, r := range runs {
		all = append(all, r.alerts...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	for i := range all {
		f.Alert(&all[i], all[i].Time)
	}
	return f.Open(), nil
}

// phoneTruth is one phone of a case.
type phoneTruth struct {
	id      string
	wing    string // "" outside
	outside bool
	class   string // gsm, lte
	freq    float64
	power   float64
}

func (p phoneTruth) String() string {
	w := p.wing
	if p.outside {
		w = "outside"
	}
	return fmt.Sprintf("%s(%s %s %.1fMHz %.0fdBm)", p.id, w, p.class, p.freq/1e6, p.power)
}
