// Package noise estimates the noise floor of every frequency bin, separately
// for every tuned centre of a hop plan, while bursts sit on top of it.
//
// The estimator is minimum statistics (after R. Martin, 2001): per bin, the
// power is averaged over Short frames; the floor is the minimum of those
// short averages over a sliding window of Sub×Windows averages, divided by
// the expected minimum of that many averages of pure noise (a bias factor
// computed exactly from the Gamma distribution of a Short-frame average of
// exponential bin powers). A handset that occupies a bin for less than
// about 90 % of the window does not lift the floor; slow drift (temperature,
// gain) is followed within one window; a step is followed within one window
// and shows as broadband energy meanwhile.
//
// Bins that must not be trusted — the DC spike at the tuned centre, known
// tuner spurs, and bins whose floor stands well above their neighbours for
// good (a persistent carrier) — are masked: Masked reports them and the
// detector does not test them; their floor is the local median of the
// unmasked floor so that band sums across them stay honest.
package noise
