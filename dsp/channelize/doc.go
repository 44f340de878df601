// Package channelize turns a stream of IQ blocks into frames of per-bin
// power: the time × frequency grid the noise floor and the detector work on.
//
// Each frame is the windowed FFT of Size consecutive samples, the next frame
// starting Hop samples later. Power is normalised so that the bins of a
// frame add up to the window-weighted mean power of its samples:
//
//	P[k] = |Σ_n w[n]·x[n]·e^(−2πi·k·n/N)|² / (N·Σ_n w[n]²)
//
// so white noise of power σ² gives E[P[k]] = σ²/N in every bin, and the power
// of a signal is the sum of P over the bins it occupies, in full-scale units
// (0 dBFS = a complex tone of amplitude 1). Bins are in frequency order
// (FFT-shifted): bin 0 is −rate/2, bin N/2 is the tuned centre (DC).
//
// Defaults (Size 128, Hop 128, Tukey window α = 0.5 at 2.4 MS/s: 18.75 kHz bins,
// 53 µs frames) are justified by the measurements in the package tests
// (TestWindowChoice) and docs/detection.md.
package channelize
