//go:build !purego

package noise

// addTo is addToGo with SSE2 (every amd64 CPU has it), four bins at a
// time: the same additions, bit for bit.
func addTo(acc, p []float32) {
	n := len(p)
	if n == 0 {
		return
	}
	_ = acc[n-1]
	addToSSE(&acc[0], &p[0], n)
}

//go:noescape
func addToSSE(acc, p *float32, n int)
