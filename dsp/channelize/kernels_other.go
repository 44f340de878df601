//go:build purego || !(amd64 || arm64)

package channelize

const kernelName = ""

func windowMax(work, x []complex64, w []float32) float32 { return windowMaxGo(work, x, w) }

func powerShift(p []float32, spec []complex64, norm float32) { powerShiftGo(p, spec, norm) }
