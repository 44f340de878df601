package fusion_test

import (
	"fmt"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/alerting/fusion"
)

// Two sensors of wing A hear a GSM call, one of wing B does not: one
// incident, in wing A.
func Example() {
	band := []fusion.Band{{Name: "E-GSM900", LowHz: 880e6, HighHz: 915e6}}
	site := &fusion.Site{
		Name: "hmp",
		Wings: []fusion.Wing{
			{Name: "A", Polygon: []fusion.Point{{X: 0, Y: 0}, {X: 30, Y: 0}, {X: 30, Y: 10}, {X: 0, Y: 10}}},
			{Name: "B", Polygon: []fusion.Point{{X: 0, Y: 20}, {X: 30, Y: 20}, {X: 30, Y: 30}, {X: 0, Y: 30}}},
		},
		// The outer walls of the wings (15 dB) and the perimeter (20 dB)
		// around them tell a phone in a cell from one outside.
		Perimeter:       []fusion.Point{{X: -20, Y: -20}, {X: 50, Y: -20}, {X: 50, Y: 50}, {X: -20, Y: 50}},
		PerimeterLossDB: 20,
		Sensors: []fusion.Sensor{
			{ID: "a1", Wing: "A", X: 7, Y: 5, Bands: band, FloorDBm: -110},
			{ID: "a2", Wing: "A", X: 23, Y: 5, Bands: band, FloorDBm: -110},
			{ID: "b1", Wing: "B", X: 15, Y: 25, Bands: band, FloorDBm: -110},
		},
	}
	for _, w := range site.Wings {
		p := w.Polygon
		for i := range p {
			site.Walls = append(site.Walls, fusion.Wall{Name: w.Name, A: p[i], B: p[(i+1)%len(p)], LossDB: 15})
		}
	}
	f, err := fusion.New(site, fusion.Config{})
	if err != nil {
		panic(err)
	}
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	heard := func(sensor string, dbm float64) *alerting.Alert {
		return &alerting.Alert{
			Schema: alerting.SchemaAlert, Origin: alerting.Origin{Site: "hmp", Sensor: sensor},
			ID: "hmp." + sensor + "-gsm-1", State: alerting.StateRaised, Mode: alerting.ModeActual, Time: start.Add(20 * time.Second),
			Class: "gsm", FreqHz: 902.4e6, FreqsHz: []float64{902.4e6}, BandwidthHz: 200e3,
			FirstSeen: start, LastSeen: start.Add(20 * time.Second), Bursts: 400,
			PowerDBm: alerting.Level(dbm), RecentDBm: alerting.Level(dbm), PowerDBFS: alerting.Unknown, SNR: alerting.Unknown,
		}
	}
	f.Alert(heard("a1", -62), start.Add(20*time.Second))
	incs := f.Alert(heard("a2", -81), start.Add(20*time.Second))
	x := incs[0]
	fmt.Printf("%s: wing %s (%s, confidence %.2f, runner-up %s), heard by %d sensors\n", x.Kind, x.Wing, x.Method, x.Confidence, x.RunnerUp, len(x.Sensors))
	fmt.Println(len(f.Open()), "incident open")
	// Output:
	// phone: wing A (ml, confidence 0.86, runner-up outside), heard by 2 sensors
	// 1 incident open
}
