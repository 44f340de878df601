// Package eval measures the detection pipeline against ground truth: it
// renders synthetic scenes (sdr/sim), runs them through dsp/pipeline, and
// matches what was found with what was transmitted — probability of
// detection, false bursts, class accuracy — and computes the ideal energy
// detector's bound for comparison. The detection tests and
// `cellsentry evaluate` (the table and plot in docs/detection.md) use it.
package eval
