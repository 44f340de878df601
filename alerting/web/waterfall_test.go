package web

import (
	"bytes"
	"encoding/json"
	"image/color"
	"image/png"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
)

var wfNow = time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)

func rec(ageS, durS, fMHz, bwkHz float64, dbfs float32) burstRec {
	return burstRec{t: wfNow.Add(-time.Duration(ageS * float64(time.Second))), durS: float32(durS),
		freqHz: fMHz * 1e6, bwHz: float32(bwkHz * 1e3), dbfs: dbfs}
}

func TestBuildGrid(t *testing.T) {
	type cell struct {
		row, col int
		p        float64
	}
	for _, tc := range []struct {
		name       string
		bursts     []burstRec
		fLo, fHi   float64 // MHz; 0, 0 = automatic
		cells      []cell  // every non-empty cell
		count      int
		unmeasured int
		wantLo     float64 // MHz, for the automatic span
		wantHi     float64
	}{
		{name: "one burst, one cell",
			bursts: []burstRec{rec(3.5, 0.2, 900.55, 80, -30)}, fLo: 900, fHi: 901,
			cells: []cell{{3, 5, -30}}, count: 1},
		{name: "a wide, long burst covers its span",
			bursts: []burstRec{rec(3.5, 1.4, 900.35, 280, -20)}, fLo: 900, fHi: 901,
			// f 900.21..900.49 → columns 2..4; end 2.1 s ago → row 2, start 3.5 s ago → row 3
			cells: []cell{{2, 2, -20}, {2, 3, -20}, {2, 4, -20}, {3, 2, -20}, {3, 3, -20}, {3, 4, -20}}, count: 1},
		{name: "the stronger burst wins a cell",
			bursts: []burstRec{rec(3.5, 0.1, 900.55, 50, -30), rec(3.4, 0.1, 900.56, 50, -12), rec(3.6, 0.1, 900.54, 50, -40)},
			fLo:    900, fHi: 901, cells: []cell{{3, 5, -12}}, count: 3},
		{name: "older than the window or beyond the span: not drawn",
			bursts: []burstRec{rec(12, 0.1, 900.5, 50, -30), rec(1, 0.1, 905, 50, -30), rec(1.5, 0.1, 900.15, 50, -25)},
			fLo:    900, fHi: 901, cells: []cell{{1, 1, -25}}, count: 1},
		{name: "a tiny burst still takes one cell",
			bursts: []burstRec{rec(7.25, 577e-6, 900.95, 1, -33)}, fLo: 900, fHi: 901,
			cells: []cell{{7, 9, -33}}, count: 1},
		{name: "unmeasured power is counted, not drawn",
			bursts: []burstRec{rec(3, 0.1, 900.5, 50, float32(math.NaN()))}, fLo: 900, fHi: 901, unmeasured: 1},
		{name: "automatic span: at least 1 MHz around one burst",
			bursts: []burstRec{rec(0.5, 0.1, 902.4, 200, -30)},
			cells:  []cell{{0, 4, -30}, {0, 5, -30}}, count: 1, wantLo: 901.9, wantHi: 902.9},
		{name: "automatic span: the bursts' own, padded by 10 %",
			bursts: []burstRec{rec(0.5, 0.1, 900, 200, -30), rec(0.5, 0.1, 910, 200, -30)},
			cells:  []cell{{0, 0, -30}, {0, 9, -30}}, count: 2, wantLo: 898.88, wantHi: 911.12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := buildGrid(tc.bursts, wfNow, 10*time.Second, tc.fLo*1e6, tc.fHi*1e6, 10, 10)
			if g.count != tc.count || g.unmeasure != tc.unmeasured {
				t.Errorf("count %d unmeasured %d, want %d %d", g.count, g.unmeasure, tc.count, tc.unmeasured)
			}
			if tc.wantHi != 0 && (math.Abs(g.fLoHz/1e6-tc.wantLo) > 1e-6 || math.Abs(g.fHiHz/1e6-tc.wantHi) > 1e-6) {
				t.Errorf("span %.3f..%.3f MHz, want %.3f..%.3f", g.fLoHz/1e6, g.fHiHz/1e6, tc.wantLo, tc.wantHi)
			}
			want := map[[2]int]float64{}
			for _, c := range tc.cells {
				want[[2]int{c.row, c.col}] = c.p
			}
			for r := 0; r < g.rows; r++ {
				for c := 0; c < g.cols; c++ {
					got := g.cells[r*g.cols+c]
					w, ok := want[[2]int{r, c}]
					switch {
					case ok && got != w:
						t.Errorf("cell (%d, %d) = %v, want %v", r, c, got, w)
					case !ok && !math.IsNaN(got):
						t.Errorf("cell (%d, %d) = %v, want empty", r, c, got)
					}
				}
			}
			if g.pMax-g.pMin < 10 {
				t.Errorf("colour scale %v..%v narrower than 10 dB", g.pMin, g.pMax)
			}
		})
	}
}

func TestWaterfallImage(t *testing.T) {
	g := buildGrid([]burstRec{rec(3.5, 0.1, 900.55, 50, -30), rec(5.5, 0.1, 900.15, 50, -10)}, wfNow, 10*time.Second, 900e6, 901e6, 10, 10)
	img := g.image()
	weak, strong := img.RGBAAt(5, 3), img.RGBAAt(1, 5)
	lum := func(c color.RGBA) int { return 299*int(c.R) + 587*int(c.G) + 114*int(c.B) }
	if weak == waterfallBackground || strong == waterfallBackground {
		t.Fatalf("bursts not painted: %v %v", weak, strong)
	}
	if lum(strong) <= lum(weak) || lum(weak) <= lum(waterfallBackground) {
		t.Errorf("luminance: background %d, −30 dBFS %d, −10 dBFS %d: want increasing",
			lum(waterfallBackground), lum(weak), lum(strong))
	}
	painted := 0
	for y := 0; y < 10; y++ {
		for x := 0; x < 10; x++ {
			if img.RGBAAt(x, y) != waterfallBackground {
				painted++
			}
		}
	}
	if painted != 2 {
		t.Errorf("%d cells painted, want 2", painted)
	}
}

func TestRenderWaterfall(t *testing.T) {
	hot := func(bursts []burstRec) int {
		g := buildGrid(bursts, wfNow, 10*time.Second, 900e6, 901e6, 100, 100)
		var b bytes.Buffer
		if err := renderWaterfall(&b, g, "test", 640, 400); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&b)
		if err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		if r := img.Bounds(); r.Dx() != 640 || r.Dy() != 400 {
			t.Fatalf("size %v, want 640×400", r)
		}
		// Count near-white pixels: the strongest power's colour.
		n := 0
		for y := 0; y < 400; y++ {
			for x := 0; x < 640; x++ {
				r, g, b, _ := img.At(x, y).RGBA()
				if r > 0xf000 && g > 0xf000 && b > 0xd000 {
					n++
				}
			}
		}
		return n
	}
	empty := hot(nil)
	full := hot([]burstRec{rec(9, 8, 900.5, 500, -10)}) // half the span, most of the window
	t.Logf("near-white pixels: %d without bursts, %d with", empty, full)
	if full < empty+5000 {
		t.Errorf("the burst added %d near-white pixels, want a large block", full-empty)
	}
}

func TestBurstLog(t *testing.T) {
	e := newEnv(t, false, func(c *Config) { c.BurstsPerSensor = 4 })
	b := func(sensor, site string, ageS float64) *alerting.Burst {
		return &alerting.Burst{Origin: alerting.Origin{Site: site, Sensor: sensor}, Time: wfNow.Add(-time.Duration(ageS * float64(time.Second))),
			FreqHz: 902.4e6, BandwidthHz: 200e3, DurationS: 577e-6, PowerDBFS: alerting.Level(-ageS)}
	}
	for i := 6; i >= 1; i-- {
		e.srv.Burst(b("sA", testSite, float64(i)))
	}
	e.srv.Burst(b("sA", "elsewhere", 0.5)) // another site
	e.srv.Burst(b("ghost", testSite, 0.5)) // not on the plan
	e.srv.Burst(b("", testSite, 0.5))      // no sensor
	e.srv.Burst(nil)                       // nothing
	got := e.srv.bursts.since(nil, "sA", time.Time{})
	var ages []float64
	for _, r := range got {
		ages = append(ages, wfNow.Sub(r.t).Seconds())
	}
	if len(ages) != 4 || ages[0] != 4 || ages[3] != 1 {
		t.Errorf("kept ages %v, want the newest four, 4 3 2 1", ages)
	}
	if got := e.srv.bursts.since(nil, "sA", wfNow.Add(-2500*time.Millisecond)); len(got) != 2 {
		t.Errorf("since 2.5 s ago: %d bursts, want 2", len(got))
	}
	if got := e.srv.bursts.since(nil, "ghost", time.Time{}); len(got) != 0 {
		t.Errorf("a sensor off the plan got a ring")
	}
}

func TestBurstAllocs(t *testing.T) {
	e := newEnv(t, false)
	b := &alerting.Burst{Origin: alerting.Origin{Site: testSite, Sensor: "sB"}, Time: wfNow, FreqHz: 902.4e6,
		BandwidthHz: 200e3, DurationS: 577e-6, PowerDBFS: -30}
	e.srv.Burst(b) // the sensor's ring is made here
	if n := testing.AllocsPerRun(1000, func() { e.srv.Burst(b) }); n != 0 {
		t.Errorf("Burst allocates %v times per call, want 0", n)
	}
}

func BenchmarkBurst(b *testing.B) {
	e := newEnv(b, false)
	burst := &alerting.Burst{Schema: alerting.SchemaBurst, Origin: alerting.Origin{Site: testSite, Sensor: "sB"}, Time: wfNow,
		FreqHz: 902.4e6, BandwidthHz: 200e3, DurationS: 577e-6, PowerDBFS: -30, PowerDBm: -62, SNR: 21, Class: "gsm"}
	msg, _ := json.Marshal(burst)
	b.SetBytes(int64(len(msg))) // the MQTT message each call stands for
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.srv.Burst(burst)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mbursts/s")
}

func BenchmarkWaterfall(b *testing.B) {
	var bursts []burstRec
	for i := 0; i < 4096; i++ {
		bursts = append(bursts, rec(float64(i)*0.14, 577e-6, 902.4+0.6*float64(i%2), 200, float32(-20-i%15)))
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		g := buildGrid(bursts, wfNow, 10*time.Minute, 0, 0, gridRows, gridCols)
		var out bytes.Buffer
		if err := renderWaterfall(&out, g, "bench", waterfallW, waterfallH); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(out.Len()))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

func TestWaterfallAPI(t *testing.T) {
	e := newEnv(t, false)
	e.srv.Burst(&alerting.Burst{Origin: alerting.Origin{Site: testSite, Sensor: "sB"}, Time: time.Now().Add(-time.Second),
		FreqHz: 902.4e6, BandwidthHz: 200e3, DurationS: 577e-6, PowerDBFS: -30})
	c := e.login("tom")
	for _, tc := range []struct {
		name, query string
		status      int
		msg         string
	}{
		{"default", "", http.StatusOK, ""},
		{"span and size", "?from=900&to=905&w=400&h=300&t=123", http.StatusOK, ""},
		{"one end only", "?from=900", http.StatusBadRequest, `query parameters "from" and "to": give both, from below to`},
		{"upside down", "?from=905&to=900", http.StatusBadRequest, `query parameters "from" and "to": give both, from below to`},
		{"not a number", "?from=x&to=905", http.StatusBadRequest, `query parameter "from": "x" is not a frequency in MHz`},
		{"too small", "?w=10", http.StatusBadRequest, `query parameter "w": "10" is not a whole number in 300..2000`},
		{"unknown", "?zoom=2", http.StatusBadRequest, `query parameter "zoom": unknown (known: from, to, w, h)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.get("/api/sensors/sB/waterfall.png" + tc.query)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %.200s", r.status, tc.status, r.body)
			}
			if tc.status == http.StatusOK {
				if _, err := png.DecodeConfig(strings.NewReader(r.body)); err != nil || r.header.Get("Content-Type") != "image/png" {
					t.Errorf("not a PNG (%v, %q)", err, r.header.Get("Content-Type"))
				}
				return
			}
			if msg := jsonError(t, r); msg != tc.msg {
				t.Errorf("error %q, want %q", msg, tc.msg)
			}
		})
	}
	if r := c.get("/api/sensors/zz/waterfall.png"); r.status != http.StatusNotFound {
		t.Errorf("unknown sensor: %d", r.status)
	}
}
