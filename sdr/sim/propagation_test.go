package sim

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestFreeSpaceLoss1m(t *testing.T) {
	// 20·log10(4π/λ) with λ = c/f: 31.5 dB at 900 MHz, 37.5 dB at 1.8 GHz.
	for _, c := range []struct{ f, want float64 }{{900e6, 31.53}, {1800e6, 37.55}, {450e6, 25.51}} {
		if got := FreeSpaceLoss1m(c.f); math.Abs(got-c.want) > 0.01 {
			t.Errorf("FreeSpaceLoss1m(%g) = %.3f dB, want %.2f", c.f, got, c.want)
		}
	}
}

func TestSegmentsCross(t *testing.T) {
	cases := []struct {
		name       string
		p, q, a, b XY
		want       bool
	}{
		{"perpendicular", XY{0, 0}, XY{10, 0}, XY{5, -1}, XY{5, 1}, true},
		{"short of the wall", XY{0, 0}, XY{4, 0}, XY{5, -1}, XY{5, 1}, false},
		{"parallel", XY{0, 0}, XY{10, 0}, XY{0, 1}, XY{10, 1}, false},
		{"collinear overlap", XY{0, 0}, XY{10, 0}, XY{2, 0}, XY{8, 0}, false},
		{"through a wall end", XY{0, 0}, XY{10, 0}, XY{5, 0}, XY{5, 3}, false},
		{"beside the wall", XY{0, 0}, XY{10, 0}, XY{5, 1}, XY{5, 3}, false},
		{"diagonal", XY{0, 0}, XY{10, 10}, XY{0, 10}, XY{10, 0}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := segmentsCross(c.p, c.q, c.a, c.b); got != c.want {
				t.Errorf("got %v", got)
			}
			if got := segmentsCross(c.q, c.p, c.b, c.a); got != c.want {
				t.Errorf("reversed: got %v", got)
			}
		})
	}
}

func TestPathLossGeometry(t *testing.T) {
	sc := &Scene{
		Propagation: Propagation{Exponent: 3},
		Site: Site{
			Walls:  []Wall{{"w1", XY{5, -10}, XY{5, 10}, 12}, {"w2", XY{8, -10}, XY{8, 10}, 6}},
			Floors: []Floor{{"first", 3.5, 18}, {"second", 7, 18}},
		},
	}
	pl0 := FreeSpaceLoss1m(900e6)
	cases := []struct {
		name string
		a, b Point
		want float64
	}{
		// Hand-computed: PL0 + 30·log10(d) + walls + floors.
		{"10 m, same room", Point{0, 0, 1}, Point{0, 10, 1}, pl0 + 30},
		{"10 m through w1", Point{0, 0, 1}, Point{6, 8, 1}, pl0 + 30 + 12},
		{"through both walls", Point{0, 0, 1}, Point{10, 0, 1}, pl0 + 30 + 18},
		{"one floor up", Point{0, 0, 1}, Point{0, 0, 5}, pl0 + 30*math.Log10(4) + 18},
		{"two floors down", Point{0, 0, 8}, Point{0, 0, 1}, pl0 + 30*math.Log10(7) + 36},
		{"standing on a slab", Point{0, 0, 3.5}, Point{0, 0, 6}, pl0 + 30*math.Log10(2.5)},
		{"under a metre: free space", Point{0, 0, 1}, Point{0.5, 0, 1}, pl0 + 20*math.Log10(0.5)},
		{"touching: 10 cm", Point{0, 0, 1}, Point{0, 0, 1}, pl0 - 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := sc.PathLoss(c.a, c.b, 900e6); math.Abs(got-c.want) > 1e-9 {
				t.Errorf("PathLoss = %.3f dB, want %.3f", got, c.want)
			}
		})
	}
}

// TestShadowFadeStatistics: the shadow fades of many emitter/sensor pairs
// are N(0, σ²) and fixed for the scene.
func TestShadowFadeStatistics(t *testing.T) {
	sc := &Scene{Seed: 3, Propagation: Propagation{ShadowSigma: 4}}
	var s1, s2 float64
	const n = 4000
	for i := range n {
		x := sc.ShadowFade(fmt.Sprint("e", i), "s")
		if x != sc.ShadowFade(fmt.Sprint("e", i), "s") {
			t.Fatal("shadow fade is not fixed for the scene")
		}
		s1 += x
		s2 += x * x
	}
	mean, sd := s1/n, math.Sqrt(s2/n-(s1/n)*(s1/n))
	if math.Abs(mean) > 0.25 || math.Abs(sd-4) > 0.25 {
		t.Errorf("shadow fades: mean %.2f dB, sd %.2f dB; want 0, 4", mean, sd)
	}
	if a, b := sc.ShadowFade("e1", "s"), (&Scene{Seed: 4, Propagation: Propagation{ShadowSigma: 4}}).ShadowFade("e1", "s"); a == b {
		t.Error("shadow fade does not depend on the seed")
	}
}

// TestPathLossOnIQ measures one GSM phone at two sensors on the rendered
// IQ: the difference of the received burst powers must be the model's
// distance and wall terms (no shadowing), within 0.5 dB; adding a wall on
// one path must lower that sensor's level by the wall's loss.
func TestPathLossOnIQ(t *testing.T) {
	mk := func(wall bool) *Scene {
		sc := &Scene{Seed: 11, Duration: 600 * time.Millisecond,
			Sensors: []Sensor{
				{ID: "near", Pos: Point{4, 0, 1}, Center: 902.4e6, Dongle: CleanDongle()},
				{ID: "far", Pos: Point{-20, 0, 1}, Center: 902.4e6, Dongle: CleanDongle()},
			},
			Emitters: []Emitter{{ID: "p", Pos: Point{0, 0, 1}, Level: TxPower(-35),
				Behaviour: &GSMCall{ARFCNs: []int{62}, Timeslot: 1, NoDTX: true}}},
		}
		if wall {
			sc.Site.Walls = []Wall{{"w", XY{-10, -5}, XY{-10, 5}, 9}}
		}
		return sc
	}
	level := func(sc *Scene, sensor string) float64 {
		iq, truth, src := renderAll(t, sc, sensor, 1<<16)
		rate := src.Rate()
		f := 902.4e6 - src.effCenter(src.Center())
		var sig float64
		n := 0
		for _, te := range truth {
			i0, i1 := span(te.e, rate)
			if i0 < 2000 || i1 > len(iq) {
				continue
			}
			// Noise from the idle slots just before the burst.
			off := bandPower(iq[i0-1400:i0-100], rate, f-1e5, f+1e5)
			sig += bandPower(iq[i0:i1], rate, f-1e5, f+1e5) - off
			n++
		}
		return db(sig / float64(n))
	}
	plain := mk(false)
	dNear, dFar := level(plain, "near"), level(plain, "far")
	t.Logf("near − far %.2f dB (model %.2f dB)", dNear-dFar, 30*math.Log10(20/4.0))
	want := 30*math.Log10(20/4.0) + 0 // exponent 3, no walls
	if got := dNear - dFar; math.Abs(got-want) > 0.5 {
		t.Errorf("near − far = %.2f dB, model %.2f dB", got, want)
	}
	walled := mk(true)
	wallFar, wallNear := level(walled, "far"), level(walled, "near")
	t.Logf("a 9 dB wall lowers the far sensor by %.2f dB, the near one by %.2f dB", dFar-wallFar, dNear-wallNear)
	if got := dFar - wallFar; math.Abs(got-9) > 0.5 {
		t.Errorf("wall on the far path lowered it by %.2f dB, want 9", got)
	}
	if got := dNear - wallNear; math.Abs(got) > 0.3 {
		t.Errorf("wall off the near path changed it by %.2f dB", got)
	}
}
