package classify
import ("testing";"math/rand/v2";"github.com/cellsentry/cellsentry/sdr/sim/waveform")
func TestCrossTmp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c := New(testRate)
	orig := c.gsm.normal
	var cross [8][8]float64
	for _, snr := range []float64{1e6, 100, 10, 4} {
	cross = [8][8]float64{}
	for i := 0; i < 8*40; i++ {
		tsc := i%8
		x := gsmTestBurst(t, rng, waveform.GSMNormal, tsc, []float64{15e3,-15e3}[i/8%2], i/16%2==0, snr)
		y := c.bandLimit(x, 0, 240e3, c.gsmDec)
		for j := range 8 {
			for k := range 8 { c.gsm.normal[k] = orig[j] }
			c.gsm.lastTSC = 0
			v := c.gsm.match(y, false)
			if j == tsc { v = -v } // store min for right
			if j == tsc { if cross[tsc][j] == 0 || -v < cross[tsc][j] { cross[tsc][j] = -v } } else { cross[tsc][j] = max(cross[tsc][j], v) }
		}
	}
	c.gsm.normal = orig
	var worstCross, worstRight float64 = 0, 1
	for a := range 8 { for b := range 8 { if a==b { worstRight = min(worstRight, cross[a][b]) } else { worstCross = max(worstCross, cross[a][b]) } } }
	t.Logf("snr %g: lowest right-TSC %.3f, highest wrong-TSC %.3f", snr, worstRight, worstCross)
	for a := range 8 { t.Logf("  %.2f", cross[a]) }
	}
}
