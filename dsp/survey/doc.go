// Package survey learns a site's radio background so that a technician's
// thresholds come from measurement: fed the IQ blocks of a scan (every hop
// centre of the sensor's plan) and the bursts the detection pipeline found
// in them, it keeps, per centre and FFT bin, bounded statistics and turns
// them into a report and a suggested configuration.
//
// # What it learns
//
// Per bin, a histogram of the bin power P (dBFS per bin, 0.5 dB steps from
// −130 to +10 dBFS) gives the floor (median, quantiles) and the time a bin
// spends above any level; a max hold and a waterfall (max per bin over each
// of a fixed number of time slices) show what came and went. The
// background B of a bin is the 20th percentile of the bin medians within
// ±64 bins (±600 kHz at 2.4 MS/s): narrow emitters do not lift it, slow
// ripple across the window is followed. The mean noise of a bin is
// B/ln 2 (B + 1.6 dB: the median of exponential cells is ln 2 of their
// mean). Occupancy is the fraction of frames with P ≥ (B/ln 2)·10^(X/10)
// (X = OccupancyDB, 6 dB: pure noise is there 1.8 % of the time); per
// 200 kHz channel it is the fraction of frames whose channel power ΣP
// exceeds Σ(B/ln 2)·10^(X/10) over its bins (the background as of the
// centre's last refresh, every 2048 frames; the noise estimator's own floor
// would not do, it takes persistent emitters in).
//
// A persistent emitter is a run of adjacent bins whose median power stands
// EmitterDB (3 dB) or more over the background: present at least half of
// the time. Pure noise cannot do this: the median of N exponential cells
// has a relative scatter of about 1/√N, 0.1 dB after a second. Each
// emitter gets a frequency (the excess-weighted centre of its bins), a
// bandwidth, a level (dBFS, the summed excess of its median) and a duty
// (the time its strongest bin stands halfway, in dB, between the background
// and its median level). Across hop centres, an emitter at the same
// offset from the tuned centre in two or more centres is a dongle spur
// (suggested as spurs_hz); one at a fixed absolute frequency is a fixed
// emitter (suggested as an exclusion); a weak one mirroring a stronger one
// about the centre is the dongle's IQ image (nothing to suggest). The bins
// around the tuned centre (the DC spike, which the noise floor masks
// anyway) are left out.
//
// # False alarms for any threshold
//
// The detector (dsp/detect) tests, every frame, the mean normalised cell
// z̄ = Σz/(w·d) of every template (w bins × d frames) at every position,
// z = P/F, against a threshold τ. The survey computes the same statistic on
// the same positions, with the noise floor's masks and with the bins of the
// emitters found so far pinned at 1 (their bursts are excluded or masked),
// and keeps M_t, the largest z̄ of frame t over all templates and
// positions. A false burst at threshold τ starts where M_t ≥ τ while
// none of the G frames before reached τ (G = the longest template plus the
// detector's two gap frames: one noise excursion is one burst). Starts
// under a burst the pipeline reported with 8 dB SNR or more, or as a phone
// with a waveform score of 0.8 or more, are dropped: signals, not noise
// (weaker ones stay, and make the prediction err on the safe side). For every τ
// on a 0.02 dB grid the number of such starts is kept with one increment
// and one decrement per frame (a difference array over τ), so the rate of
// false bursts per hour of listening, R(τ) = starts(τ)/hours, is known for
// every threshold at once. Where fewer than 10 starts were counted, R is
// extrapolated from the tail: log R is fitted as a straight line in τ
// (linear units) over the counted points from the mode's tenth down to 10
// starts, each weighted by its count. On the test dongle's noise, 60 s
// surveys extrapolated this way predicted 1.1 to 1.8 times what a 600 s
// survey counted at 2.9–3.1 dB (three seeds): on the safe side there, but
// a Gamma tail with the detector's own looks (47.5 for the narrowest,
// shortest template) fell 2–3 times short, so the tail is heavier than the
// model of a single template and the straight line is an empirical choice,
// not a bound.
//
// Memory is bounded by the number of hop centres, not the survey's length
// (about 0.5 MB per centre at 256 bins: 44 MB for the 88 hop centres of the
// shipped four-band plan); the accumulation allocates
// nothing per block once every centre has been visited.
package survey
