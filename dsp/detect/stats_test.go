package detect

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/cellsentry/cellsentry/dsp/channelize"
	"github.com/cellsentry/cellsentry/dsp/internal/order"
	"github.com/cellsentry/cellsentry/sdr"
)

// sink collects frames' powers.
type sink struct{ frames [][]float32 }

func (s *sink) Frame(f *channelize.Frame) {
	s.frames = append(s.frames, append([]float32(nil), f.Power...))
}

// On white Gaussian noise with the true floor, the template statistic
// exceeds its threshold as often as the threshold's α says.
func TestTemplateTailOnNoise(t *testing.T) {
	const n, rate = 256, 2.4e6
	ch, _ := channelize.New(channelize.Config{Size: n})
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]complex64, n*40000)
	for i := range x {
		x[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
	}
	var s sink
	ch.Process(&sdr.Block{Samples: x, Rate: rate, Center: 1e9}, &s)
	win, _ := channelize.Window("tukey", n)
	bc, fc := binCorr(win), frameCorr(win, n)
	floor := float32(2.0 / n) // E|x|² = 2, spread over n bins
	for _, c := range []struct{ w, d int }{{21, 3}, {21, 5}, {38, 5}, {115, 9}} {
		m := looks(bc, fc, c.w, c.d)
		for _, alpha := range []float64{1e-2, 1e-3} {
			tau := gammaThreshold(m, 0, alpha)
			hits, tests := 0, 0
			for f := 0; f+c.d <= len(s.frames); f += c.d {
				for k := 0; k+c.w <= n; k += c.w {
					var sum float64
					for j := 0; j < c.d; j++ {
						for b := k; b < k+c.w; b++ {
							sum += float64(s.frames[f+j][b] / floor)
						}
					}
					tests++
					if sum/float64(c.w*c.d) >= tau {
						hits++
					}
				}
			}
			got := float64(hits) / float64(tests)
			t.Logf("w %d d %d looks %.1f α %.0e: measured %.2e (%d/%d)", c.w, c.d, m, alpha, got, hits, tests)
			if got > 2*alpha || got < alpha/2 {
				t.Errorf("w %d d %d: exceedance %.2e for α %.0e", c.w, c.d, got, alpha)
			}
		}
	}
	_ = math.Pi
}

func TestSelectK(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for n := 1; n < 60; n++ {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(rng.IntN(10)) // ties on purpose
		}
		sorted := append([]float64(nil), v...)
		slices.Sort(sorted)
		for k := range n {
			w := append([]float64(nil), v...)
			if got := order.Select(w, k); got != sorted[k] {
				t.Fatalf("n %d k %d: got %g want %g", n, k, got, sorted[k])
			}
		}
	}
}
