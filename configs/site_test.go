package configs

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func mustLoadSite(t *testing.T, path string) *Site {
	t.Helper()
	s, err := LoadSite(path)
	if err != nil {
		t.Fatalf("LoadSite(%s):\n%v", path, err)
	}
	return s
}

// beyondTuner is what every RTL-SDR sensor misses, whatever it scans: the
// operators' bands above 1766 MHz and the top of DCS1800.
var beyondTuner = []BandGap{
	{"DCS1800 / B3 1800 MHz, 1766–1785 MHz", "beyond the dongle's 1766 MHz"},
	{"B1 2100 MHz (1920–1980 MHz)", "beyond the dongle's 1766 MHz"},
	{"B7 2600 MHz (2500–2570 MHz)", "beyond the dongle's 1766 MHz"},
	{"n78 3500 MHz (3300–3800 MHz)", "beyond the dongle's 1766 MHz"},
}

// TestSiteShipped: the example site plan loads without warning and is the
// promised small prison: 3 wings on 2 floors, 2 sensors in each.
func TestSiteShipped(t *testing.T) {
	s := mustLoadSite(t, "site.yaml")
	for _, w := range s.Warnings() {
		t.Errorf("warning: %v", w)
	}
	floors := map[int]bool{}
	perWing := map[string]int{}
	for _, w := range s.Wings {
		floors[w.Floor] = true
	}
	for _, sn := range s.Sensors {
		perWing[sn.Wing]++
		w, ok := s.Wing(sn.Wing)
		if !ok || !w.Polygon.Contains(Point{sn.Position.X, sn.Position.Y}, 0) || w.Floor != sn.Position.Floor {
			t.Errorf("sensor %s at %+v is not in its wing %+v", sn.ID, sn.Position, w)
		}
	}
	if len(s.Wings) != 3 || len(floors) != 2 {
		t.Errorf("%d wings on %d floors, want 3 on 2", len(s.Wings), len(floors))
	}
	for _, w := range s.Wings {
		if perWing[w.Name] != 2 {
			t.Errorf("wing %s has %d sensors, want 2", w.Name, perWing[w.Name])
		}
	}
	if !s.Boundary.Given {
		t.Error("the example's boundary is given")
	}
	// The sensor.yaml example is one of the site's sensors, where the site
	// plan puts it.
	c := mustLoad(t, "sensor.yaml")
	i := slices.IndexFunc(s.Sensors, func(sn SiteSensor) bool { return sn.ID == c.Sensor.ID })
	if s.Name != c.Sensor.Site || i < 0 {
		t.Fatalf("sensor.yaml's sensor %s/%s is not in site.yaml", c.Sensor.Site, c.Sensor.ID)
	}
	if sn := s.Sensors[i]; sn.Wing != c.Sensor.Wing || sn.Position != *c.Sensor.Position {
		t.Errorf("sensor.yaml puts %s in %s at %+v, site.yaml in %s at %+v", sn.ID, c.Sensor.Wing, *c.Sensor.Position, sn.Wing, sn.Position)
	}
}

// TestSiteGood checks the values the good plans give: the file's, the
// defaults and what is computed from them.
func TestSiteGood(t *testing.T) {
	for _, tc := range []struct {
		file  string
		check func(t *testing.T, s *Site)
	}{
		{"site-good-minimal.yaml", func(t *testing.T, s *Site) {
			if s.Name != "lab" || len(s.Buildings) != 0 || len(s.Walls) != 0 || s.Boundary.Given || s.Boundary.Loss != 0 {
				t.Errorf("site %+v", s)
			}
			// No boundary: the hull of the two wings, the 20 m × 20 m square.
			want := Polygon{{0, 0}, {20, 0}, {20, 20}, {0, 20}}
			if !reflect.DeepEqual(s.Boundary.Polygon, want) {
				t.Errorf("boundary %v, want %v", s.Boundary.Polygon, want)
			}
			a, b := s.Sensors[0], s.Sensors[1]
			if a.Position.Floor != 0 || a.Height != 2.5 || !slices.Equal(a.Bands, []string{"b28-ul", "b20-ul", "gsm900-ul", "dcs1800-ul"}) {
				t.Errorf("defaults of lab-1: %+v", a)
			}
			if !slices.Equal(b.Bands, []string{"gsm900-ul", "dcs1800-ul"}) {
				t.Errorf("aliases b8, B3 read as %v", b.Bands)
			}
			if !reflect.DeepEqual(a.NotHeard, beyondTuner) {
				t.Errorf("lab-1 cannot hear %v, want %v", a.NotHeard, beyondTuner)
			}
			wantB := append([]BandGap{
				{"B28 700 MHz (703–748 MHz)", "not in this sensor's scan"},
				{"B20 800 MHz (832–862 MHz)", "not in this sensor's scan"},
			}, beyondTuner...)
			if !reflect.DeepEqual(b.NotHeard, wantB) {
				t.Errorf("lab-2 cannot hear %v, want %v", b.NotHeard, wantB)
			}
			if m := s.Propagation; m.Exponent != nil || m.ShadowSigma != nil || m.FloorLoss != nil || m.FloorHeight != nil {
				t.Errorf("propagation %+v, want nothing given", m)
			}
		}},
		{"site-good-full.yaml", func(t *testing.T, s *Site) {
			if !slices.Equal(s.Buildings[0].Floors, Floors{-1, 0, 1}) || !slices.Equal(s.Buildings[1].Floors, Floors{0}) {
				t.Errorf("floors %v %v", s.Buildings[0].Floors, s.Buildings[1].Floors)
			}
			dir := abs(t, "testdata")
			if s.Wings[0].Image != filepath.Join(dir, "plans", "d0.png") || s.Wings[2].Image != "/srv/plans/basement.svg" || s.Wings[1].Image != "" {
				t.Errorf("images %q %q %q", s.Wings[0].Image, s.Wings[1].Image, s.Wings[2].Image)
			}
			if w := s.Walls[1]; w.Name != "notch" || w.From != (Point{10, 10}) || w.To != (Point{10, 30}) || w.Loss != 6.5 {
				t.Errorf("wall %+v", w)
			}
			if b := s.Boundary; !b.Given || b.Loss != 12 || len(b.Polygon) != 4 {
				t.Errorf("boundary %+v", b)
			}
			if sn := s.Sensors[1]; sn.Position.Floor != -1 {
				t.Errorf("basement sensor on floor %d, want its wing's -1", sn.Position.Floor)
			}
			if sn := s.Sensors[0]; sn.Height != 3 || !slices.Equal(sn.Bands, []string{"b28-ul", "b20-ul", "gsm900-ul"}) {
				t.Errorf("sensor %+v", sn)
			}
			// A sensor without DCS1800 misses the whole band, not its top.
			want := append([]BandGap{{"DCS1800 / B3 1800 MHz (1710–1785 MHz)", "not in this sensor's scan"}}, beyondTuner[1:]...)
			if got := s.Sensors[0].NotHeard; !reflect.DeepEqual(got, want) {
				t.Errorf("d0-l-1 cannot hear %v, want %v", got, want)
			}
			m := s.Propagation
			if m.Exponent == nil || *m.Exponent != 2.5 || m.FloorLoss == nil || *m.FloorLoss != 20 || m.ShadowSigma != nil || m.FloorHeight != nil {
				t.Errorf("propagation %+v", m)
			}
		}},
		{"site-good-twin.yaml", func(t *testing.T, s *Site) {
			// A triangle; its hull is itself, counter-clockwise.
			if want := (Polygon{{0, 0}, {10, 0}, {10, 10}}); !reflect.DeepEqual(s.Boundary.Polygon, want) {
				t.Errorf("boundary %v, want %v", s.Boundary.Polygon, want)
			}
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			s := mustLoadSite(t, filepath.Join("testdata", tc.file))
			for _, w := range s.Warnings() {
				t.Errorf("warning: %v", w)
			}
			tc.check(t, s)
		})
	}
}

// TestSiteBad: each broken plan gives exactly these errors, in file order.
func TestSiteBad(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"site-bad-band.yaml", []string{
			"testdata/site-bad-band.yaml:8:17: sensors[0].bands[1]: B7 2600 MHz (2500–2570 MHz) is beyond the dongle's 1766 MHz: an RTL-SDR cannot hear it (the console lists it among the bands not heard)",
			"testdata/site-bad-band.yaml:8:21: sensors[0].bands[2]: unknown band \"gsm1900\" (known: b28-ul, b20-ul, gsm900-ul, dcs1800-ul, or b3, b8, b20, b28)",
			"testdata/site-bad-band.yaml:8:30: sensors[0].bands[3]: band gsm900-ul is already listed as sensors[0].bands[0]",
			"testdata/site-bad-band.yaml:8:41: sensors[0].bands[4]: n78 3500 MHz (3300–3800 MHz) is beyond the dongle's 1766 MHz: an RTL-SDR cannot hear it (the console lists it among the bands not heard)",
			"testdata/site-bad-band.yaml:9:53: sensors[1].bands is empty: list the bands the sensor scans, or delete the line for all of them (b28-ul, b20-ul, gsm900-ul, dcs1800-ul)",
		}},
		{"site-bad-boundary.yaml", []string{
			"testdata/site-bad-boundary.yaml:5:12: boundary.polygon: 2 points: the site needs at least 3, in order around it",
			"testdata/site-bad-boundary.yaml:6:9: boundary.loss -3dB: must be from 0dB to 100dB (the outer wall's attenuation)",
		}},
		{"site-bad-building.yaml", []string{
			"testdata/site-bad-building.yaml:6:25: wings[0].building \"Nrth\": not a building of the site (did you mean \"North\"?)",
			"testdata/site-bad-building.yaml:7:5: wings[1].building is required: the site has several buildings (North, South)",
			"testdata/site-bad-building.yaml:8:25: wings[2].building \"East\": not a building of the site (buildings: North, South)",
		}},
		{"site-bad-duplicates.yaml", []string{
			"testdata/site-bad-duplicates.yaml:4:12: buildings[1].name \"A\": buildings[0] has the same name: give each building its own",
			"testdata/site-bad-duplicates.yaml:4:27: buildings[1].floors[1]: floor 0 is listed twice",
			"testdata/site-bad-duplicates.yaml:7:12: wings[1].name \"w\": wings[0] has the same name: give each wing its own",
			"testdata/site-bad-duplicates.yaml:10:10: sensors[1].id \"x\": sensors[0] has the same id: each sensor once",
		}},
		{"site-bad-floor.yaml", []string{
			"testdata/site-bad-floor.yaml:5:25: wings[0].floor 2: building A has floors 0, 1",
			"testdata/site-bad-floor.yaml:8:57: sensors[0].position.floor 1: wing \"ground\" is on floor 0: a sensor hangs in its wing",
		}},
		{"site-bad-missing.yaml", []string{
			"testdata/site-bad-missing.yaml:1:1: name is required: the site's short name, as the sensors' sensor.site (e.g. fresnes)",
			"testdata/site-bad-missing.yaml:1:1: wings is empty: a site plan needs at least one wing, the areas incidents are localized to",
			"testdata/site-bad-missing.yaml:1:1: sensors is empty: list the site's sensors with their wings and positions",
		}},
		{"site-bad-name.yaml", []string{
			"testdata/site-bad-name.yaml:1:7: name: name \"site/one\": only letters, digits, '-', '_' and '.' are allowed (it becomes an MQTT topic level), not '/'",
			"testdata/site-bad-name.yaml:3:69: wings[0].floor: want a whole number, not \"1.5\"",
			"testdata/site-bad-name.yaml:5:10: sensors[0].id: name \"a b\": only letters, digits, '-', '_' and '.' are allowed (it becomes an MQTT topic level), not ' '",
		}},
		{"site-bad-polygon.yaml", []string{
			"testdata/site-bad-polygon.yaml:4:14: wings[0].polygon: the outline crosses itself: the edge from point 0 to 1 meets the edge from point 2 to 3 (list the points in order around a wing)",
			"testdata/site-bad-polygon.yaml:6:14: wings[1].polygon: 2 points: a wing needs at least 3, in order around it",
			"testdata/site-bad-polygon.yaml:8:32: wings[2].polygon[2]: point [10, 0] repeats the one before: delete it",
			"testdata/site-bad-polygon.yaml:10:41: wings[3].polygon[3]: the last point repeats the first: delete it (the outline closes by itself)",
			"testdata/site-bad-polygon.yaml:12:14: wings[4].polygon: the points are in a line: the outline encloses no area",
			"testdata/site-bad-polygon.yaml:14:14: wings[5].polygon: the outline crosses itself: the edge from point 0 to 1 meets the edge from point 1 to 2 (list the points in order around a wing)",
			"testdata/site-bad-polygon.yaml:16:23: wings[6].polygon[1]: want a point [x, y] in metres, not a list of 3",
			"testdata/site-bad-polygon.yaml:16:36: wings[6].polygon[2]: want a point [x, y] in metres: x is \"x\", not a number",
			"testdata/site-bad-polygon.yaml:17:5: wings[7].polygon is required: a wing's outline, [[x, y], [x, y], [x, y], …] in metres in order around it",
		}},
		{"site-bad-position.yaml", []string{
			"testdata/site-bad-position.yaml:5:5: sensors[0].position is required: where the sensor hangs, {x: metres east, y: metres north}",
			"testdata/site-bad-position.yaml:6:22: sensors[1].position.y is required (metres north of the site's origin)",
			"testdata/site-bad-position.yaml:7:32: sensors[2].position [1, 200000]: not on a site plan (x and y from -100000 to 100000 metres)",
			"testdata/site-bad-position.yaml:7:59: sensors[2].height 30: must be from 0 to 20 (metres above its floor)",
			"testdata/site-bad-position.yaml:8:32: sensors[3].position: want a mapping of fields (name: value), not a list",
		}},
		{"site-bad-propagation.yaml", []string{
			"testdata/site-bad-propagation.yaml:7:13: propagation.exponent 8: must be from 1 to 6 (2 is free space, 3 typical indoors, 3.5 to 4 dense concrete)",
			"testdata/site-bad-propagation.yaml:8:17: propagation.shadow_sigma 30dB: must be from 1dB to 20dB (indoors typically 4dB to 8dB)",
			"testdata/site-bad-propagation.yaml:10:17: propagation.floor_height 0.5: must be from 1 to 20 (metres from one floor to the next)",
			"testdata/site-bad-propagation.yaml:11:1: unknown field \"path_loss\" at the top level: the path-loss model is propagation: {exponent: 3, shadow_sigma: 6dB, floor_loss: 18dB}",
		}},
		{"site-bad-reserved.yaml", []string{
			"testdata/site-bad-reserved.yaml:3:12: wings[0].name \"Outside\": reserved for phones outside the walls: call the wing otherwise",
			"testdata/site-bad-reserved.yaml:4:71: wings[1].image \"plan.gif\": want a PNG, JPEG or SVG file (.png, .jpg, .jpeg, .svg)",
		}},
		{"site-bad-unknown-wing.yaml", []string{
			"testdata/site-bad-unknown-wing.yaml:5:19: sensors[0].wing \"B1-wset\": not a wing of the site (did you mean \"B1-west\"?)",
			"testdata/site-bad-unknown-wing.yaml:6:19: sensors[1].wing \"kitchen\": not a wing of the site (wings: B1-west)",
			"testdata/site-bad-unknown-wing.yaml:7:5: sensors[2].wing is required: the wing the sensor hangs in",
		}},
		{"site-bad-walls.yaml", []string{
			"testdata/site-bad-walls.yaml:5:5: walls[0].loss is required: the wall's attenuation (at 900 MHz: plasterboard 3dB, brick 6dB to 8dB, reinforced concrete 12dB to 20dB)",
			"testdata/site-bad-walls.yaml:6:24: walls[1].to [5, 5]: the same point as from: a wall has a length",
			"testdata/site-bad-walls.yaml:7:12: walls[2].from: want a point [x, y] in metres, not a list of 3",
			"testdata/site-bad-walls.yaml:7:41: walls[2].loss 200dB: must be from 0dB to 100dB",
			"testdata/site-bad-walls.yaml:8:5: walls[3].from is required: one end of the wall, [x, y] in metres",
		}},
	}
	files, err := filepath.Glob("testdata/site-bad-*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(cases) {
		t.Errorf("%d site-bad-*.yaml files, %d cases: give every file a case", len(files), len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			s, err := LoadSite(filepath.Join("testdata", tc.file))
			if s != nil {
				t.Errorf("a plan came back with the error")
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %v (%T), want Errors", err, err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestSiteWarnings: what does not stop the console but deserves a look.
func TestSiteWarnings(t *testing.T) {
	const head = "name: s\nwings:\n"
	const sensor = "sensors: [{id: a, wing: A, position: {x: 1, y: 1}}]\n"
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"wings sharing walls", head +
			"  - {name: A, polygon: [[0, 0], [10, 0], [10, 10], [0, 10]]}\n" +
			"  - {name: B, polygon: [[10, 0], [20, 0], [20, 10], [10, 10]]}\n" +
			"  - {name: C, polygon: [[0, 10], [20, 10], [20, 20], [0, 20]]}\n" + sensor, nil},
		{"the same outline on two floors", head +
			"  - {name: A, polygon: [[0, 0], [10, 0], [10, 10], [0, 10]]}\n" +
			"  - {name: B, floor: 1, polygon: [[0, 0], [10, 0], [10, 10], [0, 10]]}\n" + sensor, nil},
		{"overlap", head +
			"  - {name: A, polygon: [[0, 0], [10, 0], [10, 10], [0, 10]]}\n" +
			"  - {name: B, polygon: [[8, 0], [20, 0], [20, 10], [8, 10]]}\n" + sensor,
			[]string{"w.yaml:4:24: wings[1].polygon: wing \"B\" overlaps wing \"A\" (wings[0]) on floor 0: a phone in the common part is given to one of them; correct the outlines"}},
		{"the same outline twice", head +
			"  - {name: A, polygon: [[0, 0], [10, 0], [10, 10], [0, 10]]}\n" +
			"  - {name: B, polygon: [[0, 10], [0, 0], [10, 0], [10, 10]]}\n" + sensor,
			[]string{"w.yaml:4:24: wings[1].polygon: wing \"B\" overlaps wing \"A\" (wings[0]) on floor 0: a phone in the common part is given to one of them; correct the outlines"}},
		{"a wing inside another", head +
			"  - {name: A, polygon: [[0, 0], [10, 0], [10, 10], [0, 10]]}\n" +
			"  - {name: B, polygon: [[2, 2], [4, 2], [4, 4]]}\n" + sensor,
			[]string{"w.yaml:4:24: wings[1].polygon: wing \"B\" overlaps wing \"A\" (wings[0]) on floor 0: a phone in the common part is given to one of them; correct the outlines"}},
		{"sensor outside its wing", head +
			"  - {name: A, polygon: [[0, 0], [10, 0], [10, 10], [0, 10]]}\n" +
			"sensors: [{id: a, wing: A, position: {x: 12, y: 1}}]\n",
			[]string{"w.yaml:4:38: sensors[0].position [12, 1]: outside its wing \"A\": check the position or the wing"}},
		{"sensor on its wing's wall", head +
			"  - {name: A, polygon: [[0, 0], [10, 0], [10, 10], [0, 10]]}\n" +
			"sensors: [{id: a, wing: A, position: {x: 10, y: 4}}]\n", nil},
		{"wing beyond the boundary", head +
			"  - {name: A, polygon: [[0, 0], [10, 0], [10, 10], [0, 10]]}\n" +
			"boundary: {polygon: [[-1, -1], [9, -1], [9, 11], [-1, 11]]}\n" + sensor,
			[]string{"w.yaml:3:33: wings[0].polygon[1] [10, 0]: wing \"A\" reaches beyond boundary.polygon: phones there would look outside"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSite("w.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range s.Warnings() {
				got = append(got, w.Error())
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestSiteRoundTrip: the effective plan reads back to itself.
func TestSiteRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/site-good-*.yaml")
	files = append(files, "site.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			s := mustLoadSite(t, f)
			eff := s.Effective()
			back, err := ParseSite("/elsewhere/effective.yaml", eff)
			if err != nil {
				t.Fatalf("effective plan does not parse:\n%v\n%s", err, eff)
			}
			if string(back.Effective()) != string(eff) {
				t.Errorf("round trip changed the plan:\n%s\n---\n%s", eff, back.Effective())
			}
			if !reflect.DeepEqual(back.Plan(), s.Plan()) {
				t.Errorf("round trip changed the floor plan")
			}
		})
	}
}

// TestSitePlan: the floor plan the console draws carries the wings, the
// sensors and what they hear, in words.
func TestSitePlan(t *testing.T) {
	s := mustLoadSite(t, "testdata/site-good-minimal.yaml")
	p := s.Plan()
	want := SitePlan{
		Wings: []PlanWing{
			{Name: "north", Polygon: [][2]float64{{0, 10}, {20, 10}, {20, 20}, {0, 20}}},
			{Name: "south", Polygon: [][2]float64{{0, 0}, {20, 0}, {20, 10}, {0, 10}}},
		},
		Sensors: []PlanSensor{
			{ID: "lab-1", Wing: "north", X: 5, Y: 15, Bands: []string{
				"B28 700 MHz uplink 703–748 MHz: LTE",
				"B20 800 MHz uplink 832–862 MHz: LTE",
				"GSM900 / B8 900 MHz uplink 880–915 MHz: GSM, UMTS and LTE (band 8)",
				"DCS1800 / B3 1800 MHz uplink 1710–1766 MHz: GSM and LTE (band 3)",
			}, NotHeard: beyondTuner},
			{ID: "lab-2", Wing: "south", X: 15, Y: 5, Bands: []string{
				"GSM900 / B8 900 MHz uplink 880–915 MHz: GSM, UMTS and LTE (band 8)",
				"DCS1800 / B3 1800 MHz uplink 1710–1766 MHz: GSM and LTE (band 3)",
			}, NotHeard: append([]BandGap{
				{"B28 700 MHz (703–748 MHz)", "not in this sensor's scan"},
				{"B20 800 MHz (832–862 MHz)", "not in this sensor's scan"},
			}, beyondTuner...)},
		},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("plan\n%+v\nwant\n%+v", p, want)
	}
	// The plan is a copy: changing it leaves the site as it was.
	p.Sensors[0].NotHeard[0].Why = "changed"
	if s.Sensors[0].NotHeard[0].Why == "changed" {
		t.Error("Plan shares NotHeard with the site")
	}
}

// TestUplinkBands: the band table holds every preset, and the bands an
// RTL-SDR cannot reach lie above its tuner.
func TestUplinkBands(t *testing.T) {
	for _, tc := range []struct {
		name      string
		canonical string
		low, high float64
	}{
		{"b1", "b1-ul", 1920e6, 1980e6},
		{"B7", "b7-ul", 2500e6, 2570e6},
		{"n78-ul", "n78-ul", 3300e6, 3800e6},
		{"b8", "gsm900-ul", 880e6, 915e6},
		{"dcs1800-ul", "dcs1800-ul", 1710e6, 1785e6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, ok := uplinkBand(tc.name)
			if !ok || b.Name != tc.canonical || b.Low != tc.low || b.High != tc.high {
				t.Errorf("uplinkBand(%q) = %+v, %v", tc.name, b, ok)
			}
		})
	}
	if _, ok := uplinkBand("b40"); ok {
		t.Error("b40 found")
	}
	if DongleMax != 1766e6 {
		t.Errorf("DongleMax %v, want the R820T's 1766MHz", DongleMax)
	}
}

func TestSiteCheckFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.png"), []byte("png"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "b.svg"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "s.yaml")
	body := "name: s\nwings:\n" +
		"  - {name: A, image: a.png, polygon: [[0, 0], [10, 0], [10, 10]]}\n" +
		"  - {name: B, image: b.svg, polygon: [[20, 0], [30, 0], [30, 10]]}\n" +
		"  - {name: C, image: c.jpg, polygon: [[40, 0], [50, 0], [50, 10]]}\n" +
		"sensors: [{id: a, wing: A, position: {x: 9, y: 1}}]\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	err := mustLoadSite(t, path).CheckFiles()
	want := []string{
		path + ":4:22: wings[1].image " + filepath.Join(dir, "b.svg") + ": a directory, not a file",
		path + ":5:22: wings[2].image: open " + filepath.Join(dir, "c.jpg") + ": no such file or directory",
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("CheckFiles:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

// FuzzParseSite: any input gives a plan or errors that say where, never a
// panic; an accepted plan reads back from its effective form, and holds
// what the checks promise.
func FuzzParseSite(f *testing.F) {
	files, _ := filepath.Glob("testdata/site-*.yaml")
	files = append(files, "site.yaml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSite("f.yaml", data)
		if err != nil {
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Fatalf("error %v is not Errors", err)
			}
			for _, e := range errs {
				if e.File != "f.yaml" || e.Line < 1 || e.Msg == "" {
					t.Fatalf("error without its place: %+v", e)
				}
			}
			return
		}
		for _, sn := range s.Sensors {
			w, ok := s.Wing(sn.Wing)
			if !ok || w.Floor != sn.Position.Floor || len(sn.Bands) == 0 {
				t.Fatalf("sensor %+v accepted", sn)
			}
		}
		for _, w := range s.Wings {
			if _, _, crossed := w.Polygon.selfIntersection(); crossed || len(w.Polygon) < 3 {
				t.Fatalf("wing %+v accepted", w)
			}
		}
		fusionAccepts(t, s)
		back, err := ParseSite("f.yaml", s.Effective())
		if err != nil {
			t.Fatalf("effective plan does not parse: %v\n%s", err, s.Effective())
		}
		if string(back.Effective()) != string(s.Effective()) {
			t.Fatalf("round trip changed the plan:\n%s\n---\n%s", s.Effective(), back.Effective())
		}
	})
}
