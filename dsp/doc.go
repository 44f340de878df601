// Package dsp holds the types the detection pipeline hands from stage to
// stage — chiefly Burst, one handset (or interference) transmission found in
// the IQ stream — and the classes a burst can take.
//
// The stages live in subpackages, each with one job:
//
//	dsp/fft        power-of-two complex64 FFT (faster than gonum here; see its doc)
//	dsp/channelize windowed FFT frames of per-bin power
//	dsp/noise      per-bin noise floor robust to bursts sitting on it
//	dsp/detect     CFAR over time × frequency templates, hysteresis, burst assembly,
//	               and rhythm (TDMA comb) integration
//	dsp/classify   gsm / lte / umts / unknown / interference / overload
//	dsp/pipeline   the stages wired together over an sdr.Source
//
// dsp/internal/cpu tells the vector kernels (fft, channelize, detect,
// classify: amd64 and arm64 assembly with Go fallbacks) what the CPU has.
package dsp
