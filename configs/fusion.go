package configs

import (
	"math"
	"time"

	"github.com/cellsentry/cellsentry/alerting/fusion"
)

// Fusion is the site plan as alerting/fusion localizes on it. The
// boundary is the perimeter (the wings' hull when the file gives none),
// and a sensor's bands are the ranges its dongle hears: each preset up to
// the tuner's top less half the sensor's default sample rate (DCS1800 is
// heard to 1764.8 MHz), so that its silence is used only where it listens.
// Propagation fields left out stay 0, which fusion reads as its defaults.
func (s *Site) Fusion() *fusion.Site {
	d := Default().Radio
	top := d.TunerMax.Hz() - d.SampleRate.Hz()/2
	bottom := d.TunerMin.Hz() + d.SampleRate.Hz()/2
	fs := &fusion.Site{Name: s.Name, PerimeterLossDB: s.Boundary.Loss.DB()}
	for _, b := range s.Buildings {
		fs.Buildings = append(fs.Buildings, fusion.Building{Name: b.Name})
	}
	for _, w := range s.Wings {
		fs.Wings = append(fs.Wings, fusion.Wing{Name: w.Name, Building: w.Building, Floor: w.Floor, Polygon: fusionPoints(w.Polygon)})
	}
	for _, w := range s.Walls {
		fs.Walls = append(fs.Walls, fusion.Wall{Name: w.Name, A: fusion.Point(w.From), B: fusion.Point(w.To), LossDB: w.Loss.DB()})
	}
	fs.Perimeter = fusionPoints(s.Boundary.Polygon)
	for _, sn := range s.Sensors {
		fsn := fusion.Sensor{ID: sn.ID, Wing: sn.Wing, X: sn.Position.X, Y: sn.Position.Y, Floor: sn.Position.Floor, HeightM: sn.Height}
		for _, name := range sn.Bands {
			b, ok := uplinkBand(name)
			if !ok {
				continue
			}
			lo, hi := math.Max(b.Low, bottom), math.Min(b.High, top)
			if lo < hi {
				fsn.Bands = append(fsn.Bands, fusion.Band{Name: b.Name, LowHz: lo, HighHz: hi})
			}
		}
		fs.Sensors = append(fs.Sensors, fsn)
	}
	m := s.Propagation
	if m.Exponent != nil {
		fs.PathLoss.Exponent = *m.Exponent
	}
	if m.ShadowSigma != nil {
		fs.PathLoss.ShadowSigmaDB = m.ShadowSigma.DB()
	}
	if m.FloorLoss != nil {
		fs.PathLoss.FloorLossDB = m.FloorLoss.DB()
	}
	if m.FloorHeight != nil {
		fs.PathLoss.FloorHeightM = *m.FloorHeight
	}
	return fs
}

func fusionPoints(pg Polygon) []fusion.Point {
	out := make([]fusion.Point, len(pg))
	for i, p := range pg {
		out[i] = fusion.Point(p)
	}
	return out
}

// FusionConfig is the fuser's configuration from the fusion section:
// link_days as LinkWithin, hold as CloseAfter (an incident no longer
// active stays open that long), and offline_after as the silence after
// which a sensor whose health period the fuser has not yet learnt is
// offline (HealthInterval = offline_after / fusion.DefaultSilentIntervals;
// once the fuser has seen a sensor's period, it takes that sensor offline
// after DefaultSilentIntervals of its own periods). The other fields are
// left to fusion's defaults.
func (c *Console) FusionConfig() fusion.Config {
	f := c.Fusion
	return fusion.Config{
		LinkWithin:      time.Duration(f.LinkDays) * day,
		CloseAfter:      f.Hold.D(),
		HealthInterval:  f.OfflineAfter.D() / fusion.DefaultSilentIntervals,
		SilentIntervals: fusion.DefaultSilentIntervals,
	}
}
