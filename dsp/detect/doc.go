// Package detect finds bursts in the time × frequency grid: a CFAR
// (constant false-alarm rate) detector that sums normalised bin powers over
// templates the size of handset transmissions, with hysteresis to follow a
// burst to its end, and a rhythm integrator that finds GSM calls too weak for
// any single burst by folding energy on the 4.615 ms TDMA frame.
//
// # Statistics
//
// Each cell is normalised by the noise floor, z = P/F, so pure noise gives
// unit-mean exponential cells. A template of w bins × d frames sums w·d
// cells; adjacent bins are correlated through the window, so the sum
// behaves as a Gamma variable with M = d·w²/Σᵢⱼ|ρ(i−j)|² equivalent
// independent looks, where ρ(Δ) = Σₙ wₙ² e^(−2πiΔn/N) / Σₙ wₙ² is the
// correlation of two bins Δ apart (ρ = 0 off-diagonal for the rectangular
// window). The floor estimate's own scatter (relative σ_F) widens the
// distribution: M' = 1/(1/M + σ_F²).
//
// The threshold of each template comes from the false-alarm rate the
// technician sets (false bursts per hour): with n templates evaluated at p
// positions every frame, each gets α = rate / (n · p · frames-per-hour) and
// τ = Gamma(M', M').Quantile(1 − α),
// a threshold in dB over the floor (10·log10 τ) that can be overridden per
// band.
package detect
