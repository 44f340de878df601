package detect

// The detector's per-frame loops in Go: the reference for the vector
// kernels (kernels_*.s) and the code on other architectures.

// accumulateGo adds each cell's excess over the noise, z−1, to acc, and
// the excess power it stands for, (z−1)·floor, to pw (0 in masked bins,
// where z is 1). All four slices have the same length.
func accumulateGo(acc, pw, z, floor []float32) {
	acc, pw, floor = acc[:len(z)], pw[:len(z)], floor[:len(z)]
	for k, v := range z {
		e := v - 1
		acc[k] += e
		pw[k] += e * floor[k]
	}
}

// runSumsGo advances one template's running sums by a frame: run[i] =
// (run[i] + v[i]) − old[i], v the new frame's band sums and old those of
// the frame leaving the template's span. Where the sum reaches tau
// (never, for a NaN tau) it sets bit in hits[i], and reports whether it
// set any. All slices have the same length.
func runSumsGo(run, v, old []float32, tau float32, hits []uint8, bit uint8) bool {
	v, old, hits = v[:len(run)], old[:len(run)], hits[:len(run)]
	any := false
	for i, r := range run {
		r = r + v[i] - old[i] // in this order: (r+v)−old
		run[i] = r
		if r >= tau {
			hits[i] |= bit
			any = true
		}
	}
	return any
}

// normalizeGo sets the normalised cells z[k] = p[k]·inv[k] + one[k] and
// their prefix sums cum[k] = Σ z[:k], in one pass. A plain running sum is
// one long chain of dependent additions (the floating-point add latency
// per bin); summing groups of four first shortens the chain four-fold, and
// the entries inside each group are then filled independently. All slices
// but cum (one longer) have the length of z, a multiple of 4.
func normalizeGo(z, cum, p, inv, one []float32) {
	n := len(z)
	cum = cum[:n+1]
	cum[0] = 0
	c := cum[1:]
	p, inv, one, c = p[:n], inv[:n], one[:n], c[:n]
	var run float32
	for j := 0; j+3 < n; j += 4 {
		_ = p[j+3] // one bounds check for the four
		g0 := p[j]*inv[j] + one[j]
		g1 := p[j+1]*inv[j+1] + one[j+1]
		g2 := p[j+2]*inv[j+2] + one[j+2]
		g3 := p[j+3]*inv[j+3] + one[j+3]
		z[j], z[j+1], z[j+2], z[j+3] = g0, g1, g2, g3
		q := (g0 + g1) + (g2 + g3)
		c0 := run + g0
		c1 := run + (g0 + g1)
		c[j], c[j+1], c[j+2] = c0, c1, c1+g2
		run += q
		c[j+3] = run
	}
}

// bandSumsGo sets v[i] = cum[pos[i]+w] − cum[pos[i]]: the sum of the cells
// of the band of w bins at each position, from their prefix sums.
func bandSumsGo(v, cum []float32, pos []int, w int) {
	v = v[:len(pos)]
	for i, s := range pos {
		v[i] = cum[s+w] - cum[s]
	}
}
