package detect

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/dsp"
	"github.com/cellsentry/cellsentry/dsp/channelize"
)

// TestTriggerShortcut: skipping the scan of active bursts for hits inside
// the band of the burst the previous hit merged into (noteHit) changes
// nothing. Frames of exponential noise carry wide continuous emitters,
// overlapping and neighbouring bursts that come and go, and a masked DC
// bin, so hits merge, widen, start bursts and cross masked gaps.
func TestTriggerShortcut(t *testing.T) {
	const n, rate, frames = 256, 2.4e6, 6000
	win, _ := channelize.Window("tukey", n)
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			var out [2][]dsp.Burst
			for pass, noShortcut := range []bool{false, true} {
				d, err := New(Config{Bins: n, Hop: n, Rate: rate, Window: win})
				if err != nil {
					t.Fatal(err)
				}
				d.noShortcut = noShortcut
				rng := rand.New(rand.NewPCG(seed, 9))
				floor, inv, one := make([]float32, n), make([]float32, n), make([]float32, n)
				for k := range floor {
					floor[k], inv[k] = 1e-6, 1e6
				}
				inv[n/2], one[n/2] = 0, 1 // the DC bin, masked
				nz := Normalizer{Floor: floor, Inv: inv, One: one, Masked: 1, BaseInv: inv}
				f := channelize.Frame{Power: make([]float32, n), Center: 900e6, Rate: rate, Time: time.Unix(0, 0)}
				type em struct{ lo, hi, on, off int }
				var ems []em
				for range 300 {
					lo := rng.IntN(n - 8)
					on := rng.IntN(frames)
					ems = append(ems, em{lo, min(n, lo+10+rng.IntN(50)), on, on + 3 + rng.IntN(40)})
				}
				for range 6 {
					lo := rng.IntN(n - 100)
					on := rng.IntN(frames)
					ems = append(ems, em{lo, lo + 20 + rng.IntN(80), on, on + 200 + rng.IntN(800)})
				}
				for i := range frames {
					for k := range f.Power {
						f.Power[k] = float32(1e-6 * rng.ExpFloat64())
					}
					for _, e := range ems {
						if i >= e.on && i < e.off {
							for k := e.lo; k < e.hi; k++ {
								f.Power[k] += 4e-6
							}
						}
					}
					f.Index, f.Offset = int64(i), int64(i*n)
					out[pass] = d.Process(out[pass], &f, nz)
				}
				out[pass] = d.Flush(out[pass])
			}
			if len(out[0]) < 20 {
				t.Fatalf("only %d bursts: the test checks little", len(out[0]))
			}
			if !reflect.DeepEqual(out[0], out[1]) {
				for i := range min(len(out[0]), len(out[1])) {
					if !reflect.DeepEqual(out[0][i], out[1][i]) {
						t.Fatalf("burst %d differs:\nshortcut %+v\nscan     %+v", i, out[0][i], out[1][i])
					}
				}
				t.Fatalf("%d bursts with the shortcut, %d without", len(out[0]), len(out[1]))
			}
		})
	}
	_ = math.Pi
}
