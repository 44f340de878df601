//go:build purego || !(amd64 || arm64)

package noise

func addTo(acc, p []float32) { addToGo(acc, p) }
