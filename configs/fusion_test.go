package configs

import (
	"reflect"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting/fusion"
)

// TestSiteFusion: the plans map onto fusion's site field by field, and
// fusion accepts every plan configs accepts.
func TestSiteFusion(t *testing.T) {
	t.Run("full", func(t *testing.T) {
		fs := mustLoadSite(t, "testdata/site-good-full.yaml").Fusion()
		if err := fs.Validate(); err != nil {
			t.Fatalf("fusion refuses the plan: %v", err)
		}
		if fs.Name != "fresnes-d" || len(fs.Buildings) != 2 || fs.Buildings[1].Name != "Annex" || fs.PerimeterLossDB != 12 {
			t.Errorf("site %+v", fs)
		}
		if w := fs.Wings[2]; w.Name != "D-basement" || w.Building != "D" || w.Floor != -1 ||
			!reflect.DeepEqual(w.Polygon, fpts(0, 0, 40, 0, 40, 30, 0, 30)) {
			t.Errorf("wing %+v", w)
		}
		if w := fs.Walls[1]; w.Name != "notch" || w.A != (fusion.Point{X: 10, Y: 10}) || w.B != (fusion.Point{X: 10, Y: 30}) || w.LossDB != 6.5 {
			t.Errorf("wall %+v", w)
		}
		if !reflect.DeepEqual(fs.Perimeter, fpts(-10, -10, 90, -10, 90, 40, -10, 40)) {
			t.Errorf("perimeter %v", fs.Perimeter)
		}
		want := fusion.Sensor{ID: "d0-l-1", Wing: "D0-L", X: 5, Y: 25, Floor: 0, HeightM: 3, Bands: []fusion.Band{
			{Name: "b28-ul", LowHz: 703e6, HighHz: 748e6},
			{Name: "b20-ul", LowHz: 832e6, HighHz: 862e6},
			{Name: "gsm900-ul", LowHz: 880e6, HighHz: 915e6},
		}}
		if !reflect.DeepEqual(fs.Sensors[0], want) {
			t.Errorf("sensor\n%+v\nwant\n%+v", fs.Sensors[0], want)
		}
		// 0 is fusion's "default": the fields the plan leaves out.
		if fs.PathLoss != (fusion.PathLoss{Exponent: 2.5, FloorLossDB: 20}) {
			t.Errorf("path loss %+v", fs.PathLoss)
		}
	})
	t.Run("shipped with the console's model", func(t *testing.T) {
		c := mustLoadConsole(t, "console.yaml")
		fs := c.Sites()[0].Fusion()
		if err := fs.Validate(); err != nil {
			t.Fatalf("fusion refuses the plan: %v", err)
		}
		if fs.PathLoss != (fusion.PathLoss{Exponent: 3, ShadowSigmaDB: 6, FloorLossDB: 18, FloorHeightM: 3.5}) {
			t.Errorf("path loss %+v", fs.PathLoss)
		}
		// DCS1800 is heard up to the tuner's top less half the sample
		// rate: 1766 − 1.2 MHz.
		b := fs.Sensors[0].Bands
		if len(b) != 4 || b[3] != (fusion.Band{Name: "dcs1800-ul", LowHz: 1710e6, HighHz: 1764.8e6}) {
			t.Errorf("bands %+v", b)
		}
	})
	t.Run("boundary from the hull", func(t *testing.T) {
		fs := mustLoadSite(t, "testdata/site-good-minimal.yaml").Fusion()
		if err := fs.Validate(); err != nil {
			t.Fatalf("fusion refuses the plan: %v", err)
		}
		if !reflect.DeepEqual(fs.Perimeter, fpts(0, 0, 20, 0, 20, 20, 0, 20)) || fs.PerimeterLossDB != 0 {
			t.Errorf("perimeter %v, loss %v", fs.Perimeter, fs.PerimeterLossDB)
		}
	})
}

// TestFusionConfig: the console's defaults are fusion's, and the
// fusion section's values reach the fuser.
func TestFusionConfig(t *testing.T) {
	def := mustLoadConsole(t, "testdata/console-good-minimal.yaml").FusionConfig()
	want := fusion.Config{LinkWithin: fusion.DefaultLinkWithin, CloseAfter: fusion.DefaultCloseAfter,
		HealthInterval: fusion.DefaultHealthInterval, SilentIntervals: fusion.DefaultSilentIntervals}
	if def != want {
		t.Errorf("defaults %+v, want fusion's %+v", def, want)
	}
	full := mustLoadConsole(t, "testdata/console-good-full.yaml").FusionConfig()
	want = fusion.Config{LinkWithin: 30 * 24 * time.Hour, CloseAfter: 2 * time.Minute, HealthInterval: 100 * time.Second, SilentIntervals: 3}
	if full != want {
		t.Errorf("full %+v, want %+v", full, want)
	}
	// The fuser takes the shipped files, and the ends of every range.
	c := mustLoadConsole(t, "console.yaml")
	if _, err := fusion.New(c.Sites()[0].Fusion(), c.FusionConfig()); err != nil {
		t.Errorf("fusion.New of the shipped files: %v", err)
	}
	site := mustLoadSite(t, "testdata/site-good-full.yaml").Fusion()
	for _, f := range []string{
		"{link_days: 1, offline_after: 10s, hold: 1s}",
		"{link_days: 365, offline_after: 24h, hold: 1h}",
	} {
		c, err := ParseConsole("c.yaml", []byte("console: {sites: [s.yaml]}\nmqtt: {broker: \"ssl://b:8883\", username: u}\n"+users1+"fusion: "+f+"\n"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fusion.New(site, c.FusionConfig()); err != nil {
			t.Errorf("fusion.New with %s: %v", f, err)
		}
	}
}

// fpts makes fusion points of x, y pairs.
func fpts(xy ...float64) []fusion.Point {
	var out []fusion.Point
	for i := 0; i+1 < len(xy); i += 2 {
		out = append(out, fusion.Point{X: xy[i], Y: xy[i+1]})
	}
	return out
}

// fusionAccepts fails the fuzz test when fusion refuses a plan configs
// accepted: configs' checks must include fusion's.
func fusionAccepts(t *testing.T, s *Site) {
	t.Helper()
	if err := s.Fusion().Validate(); err != nil {
		t.Fatalf("configs accepted a plan fusion refuses: %v\n%s", err, s.Effective())
	}
}
