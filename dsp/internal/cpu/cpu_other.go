//go:build purego || !amd64

package cpu

// AVX is false: not an amd64 machine, or the purego build.
const AVX = false
