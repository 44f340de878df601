// Package waveform generates the complex-baseband signals that the synthetic
// RF scenes of sdr/sim are made of: handset uplink bursts (GSM GMSK normal
// and access bursts, LTE SC-FDMA PUSCH/PUCCH slots, SRS symbols and PRACH
// preambles, a continuous WCDMA uplink) and interference (carriers, swept
// carriers, narrowband FM voice radios, microsecond impulses).
//
// The waveforms follow the 3GPP definitions closely enough that a detector
// tuned on them also works on recordings of real phones and of independent
// generators: GMSK with BT 0.3 and the differential encoding of TS 45.004 on
// the burst structures and training sequences of TS 45.002; SC-FDMA with the
// numerology, half-subcarrier shift, DFT spreading and reference signals of
// TS 36.211; WCDMA chips at 3.84 Mcps with root-raised-cosine roll-off 0.22
// (TS 25.213, 25.101).
//
// # Generators
//
//   - GSM: Burst writes a normal or access burst with its 10 µs ramps
//     (BurstLen samples at most); active span = the useful bits.
//   - LTE: Slot (PUSCH, 1–25 PRBs, QPSK/16QAM, DMRS on symbol 3),
//     PUCCHSlot (format 1a), SRS (comb-2 symbol), PRACH (format 0);
//     SlotLen, SRSLen and PRACHLen size the buffers.
//   - WCDMA: a continuous uplink stream seen through the window, with
//     InWindowFraction of its power inside.
//   - CW, SweptCW, NBFM: continuous interference streams (Read).
//   - Impulse: microsecond broadband pulses (Burst, Len).
//
// # Conventions shared by every generator
//
//   - Output is []complex64 at the caller's sample rate (any rate of at
//     least 1 MS/s), centred at 0 Hz. The caller places it in frequency,
//     time and power; this package never mixes, delays or scales for it.
//   - Power: the mean of |s|² over the active part of a burst is 1 (a
//     statistical mean for random data), so one gain factor sets the power.
//     Which samples are active is returned as a Span by every burst method.
//   - Timing: burst methods take frac in [0, 1): the burst starts frac of a
//     sample after dst[0], so output sample n is taken at the instant
//     t = (n − frac)/rate after the burst's nominal start. Signals are
//     computed at those instants (continuous-time synthesis or band-limited
//     interpolation), never by rounding the timing to whole samples.
//   - Band limits: everything is generated band-limited to the sampled band
//     so nothing aliases; where a signal is wider than the sampled band
//     (WCDMA at 2.4 MS/s, 6-PRB LTE at 1.024 MS/s) the out-of-band part is
//     left out and the fraction that remains is documented and exposed.
//   - Generators are built once (New…), precompute their tables and then
//     write into caller-provided buffers without allocating.
//   - Randomness comes from a caller's *rand.Rand (math/rand/v2), so one
//     seed gives the same samples every time. A generator is not safe for
//     concurrent use; give each goroutine its own.
package waveform
