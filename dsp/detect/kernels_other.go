//go:build purego || !(amd64 || arm64)

package detect

func normalize(z, cum, p, inv, one []float32) { normalizeGo(z, cum, p, inv, one) }

func bandSums(v, cum []float32, pos []int, w int) { bandSumsGo(v, cum, pos, w) }

func accumulate(acc, pw, z, floor []float32) { accumulateGo(acc, pw, z, floor) }

func runSums(run, v, old []float32, tau float32, hits []uint8, bit uint8) bool {
	return runSumsGo(run, v, old, tau, hits, bit)
}
