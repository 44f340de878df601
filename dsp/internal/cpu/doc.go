// Package cpu reports which vector instructions the DSP kernels may use on
// this machine. The arm64 kernels use NEON, which every ARMv8-A core has,
// and the amd64 ones SSE2, which every amd64 CPU has; only AVX (256-bit
// vectors, Sandy Bridge and Bulldozer onwards) needs asking the CPU and the
// operating system. The purego build tag turns every kernel off.
package cpu
