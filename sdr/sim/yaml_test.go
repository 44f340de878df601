package sim

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files and expected messages")

// TestParseErrors parses each testdata/errors/*.yaml as "scene.yaml" and
// compares the error with the message on the file's first line
// ("# want: …").
func TestParseErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no error cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := bytes.Cut(data, []byte("\n"))
			want, ok := strings.CutPrefix(string(first), "# want: ")
			if !ok {
				t.Fatalf("%s: first line must be \"# want: <message>\"", file)
			}
			_, perr := Parse(data, "scene.yaml")
			if perr == nil {
				t.Fatal("parsed without error")
			}
			if *update {
				rest := data[len(first):]
				if err := os.WriteFile(file, append([]byte("# want: "+perr.Error()), rest...), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if perr.Error() != want {
				t.Errorf("error\n  %s\nwant\n  %s", perr, want)
			}
			var pe *ParseError
			if !errors.As(perr, &pe) || !errors.Is(perr, ErrScene) {
				t.Errorf("error is %T, want a *ParseError wrapping ErrScene", perr)
			}
		})
	}
}

// TestParseScene decodes a scene using every section and checks the Go
// values it maps to.
func TestParseScene(t *testing.T) {
	src := `
name: example
description: every section
seed: 42
sample_rate: 2.048MS/s
start: 2026-05-01T12:00:00Z
duration: 1.5min
propagation: {exponent: 2.8, ref_loss: 32dB, shadow_sigma: 3dB}
site:
  wings:
    - {name: A, polygon: [[0, 0], [10m, 0], [10, 5], [0, 500cm]]}
  walls:
    - {name: w, from: [5, 0], to: [5, 5], loss: 12dB}
  floors:
    - {name: first, height: 3.5m, loss: 18dB}
sensors:
  - id: s1
    position: [1, 2, 2.5]
    wing: A
    center: 1747.8MHz
    gain: 29.7dB
    dongle:
      ppm: -3.5
      spurs: [{offset: -100kHz, level: -60dBFS}]
      lo_leak: off
      stale: 4ms
      drop_rate: 0.5/s
emitters:
  - id: p1
    role: authorised
    position: [8, 1, 1]
    behaviour: gsm_call
    arfcn: [512, 520]
    hopping: random
    timeslot: 7
    tsc: 2
    dtx: false
    power: 200mW
    start: 2s
    stop: 80s
    steps: [{at: 10s, power: 10dBm}]
  - id: b1
    behaviour: bursts
    kind: lte_pusch
    nprb: 12
    count: 50
    interval: 15ms
    snr: 3dB
    freq_min: 1747MHz
    freq_max: 1749.5MHz
  - id: u1
    behaviour: umts_call
    uarfcn: 2812
    power: -10dBm
interference:
  - {id: f1, kind: floor_step, step: -3dB, sensors: [s1], start: 30s}
  - {id: j1, kind: jammer, freq: 1750MHz, bandwidth: 20MHz, sweep: 100us, power: 30dBm}
`
	sc, err := Parse([]byte(src), "example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		ok   bool
	}{
		{"header", sc.Name == "example" && sc.Seed == 42 && sc.Rate == 2.048e6 && sc.Duration == 90*time.Second &&
			sc.Start.Equal(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))},
		{"propagation", sc.Propagation == Propagation{Exponent: 2.8, RefLoss: 32, ShadowSigma: 3}},
		{"wing", len(sc.Site.Wings) == 1 && sc.Site.Wings[0].Polygon[3] == XY{0, 5}},
		{"wall", len(sc.Site.Walls) == 1 && sc.Site.Walls[0] == Wall{"w", XY{5, 0}, XY{5, 5}, 12}},
		{"floor", sc.Site.Floors[0] == Floor{"first", 3.5, 18}},
		{"sensor", sc.Sensors[0].Pos == Point{1, 2, 2.5} && sc.Sensors[0].Center == 1747.8e6 && sc.Sensors[0].Gain == 29.7},
		{"dongle", func() bool {
			d := sc.Sensors[0].Dongle
			return d.PPM == -3.5 && len(d.Spurs) == 1 && d.Spurs[0] == Spur{-100e3, -60} &&
				d.Stale == 4*time.Millisecond && d.DropRate == 0.5 && d.NoiseFloor == DefaultDongle().NoiseFloor && d.LOLeak < -1000
		}()},
		{"gsm call", func() bool {
			e := sc.Emitters[0]
			g, ok := e.Behaviour.(*GSMCall)
			return ok && e.Role == "authorised" && len(g.ARFCNs) == 2 && g.Hopping == HopRandom && g.Timeslot == 7 &&
				g.TSC == 2 && g.NoDTX && e.Level.Mode == ByPower && e.Level.DB > 23 && e.Level.DB < 23.1 &&
				e.Start == 2*time.Second && e.Stop == 80*time.Second && len(e.Steps) == 1 && e.Steps[0] == LevelStep{10 * time.Second, 10}
		}()},
		{"bursts", func() bool {
			b, ok := sc.Emitters[1].Behaviour.(*Bursts)
			return ok && b.Kind == KindLTEPUSCH && b.NPRB == 12 && b.Count == 50 && b.Interval == 15*time.Millisecond &&
				b.SNR == 3 && b.FreqMin == 1747e6 && b.FreqMax == 1749.5e6
		}()},
		{"umts uarfcn", func() bool { u, ok := sc.Emitters[2].Behaviour.(*UMTSCall); return ok && u.Freq == 902.4e6 }()},
		{"floor step", func() bool {
			f, ok := sc.Interference[0].Behaviour.(*FloorStep)
			return ok && f.Step == -3 && len(f.Sensors) == 1 && sc.Interference[0].Start == 30*time.Second
		}()},
		{"jammer", func() bool {
			j, ok := sc.Interference[1].Behaviour.(*Jammer)
			return ok && j.Freq == 1750e6 && j.Bandwidth == 20e6 && j.Sweep == 100*time.Microsecond
		}()},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: decoded wrongly", c.name)
		}
	}
}

// TestBuiltinScenes parses every built-in scene and renders one second of
// it for every sensor, checking that something was received in the
// second (noise, at least) and that the scene's phones appear in the
// truth of the busy ones.
func TestBuiltinScenes(t *testing.T) {
	infos := Builtins()
	want := []string{"busy-wing", "gsm-call", "interference", "jammer", "lte-data", "quiet-night", "three-wings"}
	if len(infos) != len(want) {
		t.Fatalf("Builtins() = %v, want %v", infos, want)
	}
	for i, bi := range infos {
		t.Run(bi.Name, func(t *testing.T) {
			if bi.Name != want[i] || bi.Description == "" {
				t.Fatalf("builtin %d: %+v", i, bi)
			}
			sc, err := Builtin(bi.Name)
			if err != nil {
				t.Fatal(err)
			}
			sc.Duration = time.Second
			for _, sn := range sc.Sensors {
				iq, _, _ := renderAll(t, sc, sn.ID, 1<<16)
				if len(iq) != int(sc.rate()) {
					t.Errorf("%s: rendered %d samples in 1 s", sn.ID, len(iq))
				}
				if p := db(meanPower(iq)); p < -60 || p > 0 {
					t.Errorf("%s: mean power %.1f dBFS, not a receiver's", sn.ID, p)
				}
			}
		})
	}
	if _, err := Builtin("busy-wnig"); err == nil || err.Error() != `sim: no built-in scene "busy-wnig" (did you mean busy-wing?)` {
		t.Errorf("unknown builtin: %v", err)
	}
}

// FuzzParse feeds arbitrary documents to the scene parser: it must not
// panic, every failure must be a located *ParseError, and every scene it
// accepts must open and render a block.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/errors/*.yaml")
	scenes, _ := filepath.Glob("scenes/*.yaml")
	for _, p := range append(files, scenes...) {
		data, err := os.ReadFile(p)
		if err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("name: x\nsensors: [{id: a, center: 900MHz}]\nemitters: [{id: b, behaviour: bursts, kind: gsm_access, snr: 3dB, count: 2}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse(data, "fuzz.yaml")
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "fuzz.yaml:") || pe.Line < 1 {
				t.Fatalf("error %q (%T) is not a located ParseError", err, err)
			}
			return
		}
		sc.Duration = 2 * time.Millisecond
		src, err := sc.Open(sc.Sensors[0].ID)
		if err != nil {
			t.Fatalf("parsed scene does not open: %v", err)
		}
		_ = src.ReadBlock(newBlock(1024))
		_ = src.Close()
	})
}
