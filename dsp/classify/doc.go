// Package classify says what a detected burst is: gsm, lte, umts, unknown,
// interference (CW, swept CW, FM, impulses, floor steps, IQ images) or
// overload — from its footprint in the time × frequency grid and, when the
// raw samples are at hand, from two properties of the waveform that any
// standard-conforming transmitter has and that need no demodulation:
//
//   - Envelope: GSM's GMSK has a constant envelope; SC-FDMA, WCDMA and noise
//     do not. The normalised fourth moment of the band-limited burst,
//     corrected for the noise its SNR implies,
//     κ = (E|x|⁴ − 4SN − 2N²)/S², is 1 for a constant envelope and 2 for a
//     Gaussian signal (SC-FDMA QPSK sits near 1.7).
//   - Cyclic prefix: LTE symbols repeat their last 4.7 µs at their start,
//     66.7 µs earlier. The correlation of the burst with itself 1/15 kHz
//     later, folded on the 0.5 ms slot, peaks at the prefixes; GMSK and
//     noise show none.
//
// Thresholds on both are set from their distributions on noise and on
// the defining signals at 6 dB SNR; see the tests.
package classify
