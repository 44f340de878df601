package noise

// addToGo sets acc[k] += p[k] (equal lengths): the reference for the
// vector kernels (kernels_*.s) and the code on other architectures.
func addToGo(acc, p []float32) {
	acc = acc[:len(p)]
	for k, v := range p {
		acc[k] += v
	}
}
