// Package fcch measures a receiver's frequency error on GSM base stations:
// it finds the frequency correction bursts (FCCH) of a C0 carrier in IQ
// samples, measures each burst's tone to a few hertz, and turns the
// average into the crystal's error in ppm, as kalibrate does.
//
// # The signal
//
// A GSM cell's C0 carrier sends, in timeslot 0 of frames 0, 10, 20, 30 and
// 40 of every 51-frame multiframe (TS 45.002), a burst of 148 zero bits.
// GMSK turns it into a pure tone ToneOffset = 1625/24 kHz ≈ 67.708 kHz
// above the carrier for 148 bits = 546 µs, about 21.7 times a second. Base
// stations hold their carrier to ±0.05 ppm (TS 45.010 §5.1), a thousand
// times better than an RTL-SDR's crystal.
//
// # Detection
//
// A Detector slides a Hann-windowed FFT of Size samples (about 213 µs)
// over the IQ, a quarter of a window at a time, and computes for each
// window the tone purity
//
//	purity = (P[k−1] + P[k] + P[k+1]) / Σ_{|f_j − f_k| ≤ 80 kHz} P[j]
//
// where k is the strongest bin within the search range [Low, High]: the
// share of the power around the peak that a single tone explains. A tone
// inside the window gives about 1 less the noise (0.9 at 10 dB SNR in
// 200 kHz, 0.55 at 0 dB). Noise alone and GMSK data give about 0.2 (the
// strongest of 34 bins and its neighbours over 35 bins), at most
// 0.55–0.61 over 9375 windows (measured on the simulator's noise and BCCH
// bursts). Windows at Threshold (0.65) or more count; consecutive ones form
// a run, and a run is an FCCH burst when it lasts about one burst (0.6
// burst to 1 burst plus two windows, all the windows that overlap a burst
// when there is no noise): longer runs are steady carriers and spurs,
// shorter ones chance peaks of noise or of runs of equal data bits.
//
// # Frequency of one burst
//
// Within a run, the windows whose purity is within 10 % of the best lie
// wholly inside the burst; their union less 14 bits at each end (GMSK's
// memory of the bits around the burst) is the span measured. The span is
// mixed down by the strongest bin's frequency f₀, summed D samples at a
// time (D = rate/160 kHz, rounded) into y[m] at rate/D, and the residual
// frequency is estimated twice:
//
//	f₁ = arg Σ y[m]·y*[m−1] · (rate/D)/(2π)             (coarse, ±80 kHz)
//	f₂ = f₁ + arg(Σ y[m]·y*[m−L] · e^{−j2π f₁ L D/rate}) · rate/(2π L D),  L = M/2
//
// The lag-L step comes close to the Cramér–Rao bound for a tone in white
// noise,
//
//	σ(f) ≥ rate·√(6/(ρ·N·(N² − 1))) / (2π)
//
// (ρ the per-sample SNR, N samples; CRLB computes it). On the simulated
// carriers of the tests at 2.4 MS/s (N ≈ 1000): σ 36 Hz per burst at 8 dB
// in 200 kHz (bound 41 Hz for N = 1000), 9–10 Hz at 20 dB, 4 Hz at 30 dB
// (bound 2.6 Hz); the mean of the 21 bursts of one second is then within
// 8 Hz (0.01 ppm at 945 MHz) at 8 dB and 1–2 Hz at 20 dB, and the
// remaining bias, from the burst's edges, is under 6 Hz.
// Combine rejects outliers (more than 5 robust standard deviations, or
// 20 Hz, from the median), averages the rest and reports the spread.
//
// # From tone to ppm
//
// With a dongle whose crystal is ε ppm fast, tuned to fc, a carrier at
// true frequency f_c appears at f_c − fc − ε·1e-6·fc, so its tone is
// measured at
//
//	f_tone = (f_c − fc) + ToneOffset − ε·1e-6·fc
//	ε      = −(f_tone − (f_c − fc) − ToneOffset) / fc · 1e6
//
// (PPM). ε has the sign librtlsdr's frequency correction (rtl_sdr -p)
// expects and configs.Calibration.PPM holds; kalibrate prints its
// opposite. The sample clock shares the crystal, which scales measured
// baseband frequencies by 1/(1 + ε·1e-6): 3 Hz of 67.7 kHz at 40 ppm,
// 0.003 ppm, left out.
package fcch
