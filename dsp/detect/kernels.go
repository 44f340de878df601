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
