// Package track turns the bursts the DSP finds into alerts: it groups the
// bursts of one emitter into an activity, scores the evidence that the
// activity is a handset, and runs the alert lifecycle — raised once the
// evidence passes the bar, updated at a bounded rate while the activity
// goes on, cleared after a quiet time.
//
// # Grouping
//
// A phone is recognised by what stays the same from burst to burst:
//
//   - GSM: the TDMA timing. A phone sends in one timeslot of every 4.615 ms
//     frame (T = 120/26 ms), so the start times of its bursts are congruent
//     modulo T: |Δt − k·T| ≤ PhaseTolerance·w(SNR) + ClockPPM·10⁻⁶·|Δt| for
//     the start-time difference Δt to the call's phase reference (w widens
//     the tolerance up to 3× for weak bursts, whose start is timed less
//     well; the second term is the drift between the dongle's sample clock
//     and the network's, and limits how far back a phase is trusted:
//     phaseHorizon, 1 s). The reference follows each burst (an α = 0.3
//     filter), and a burst also needs a power within 20 dB of the call's
//     recent power. The phase follows a frequency-hopping call across
//     channels (one call, one alert) and keeps apart two phones on
//     different timeslots of the same channel (two alerts). A burst that no
//     phase explains joins the activity on its 200 kHz channel whose phase
//     has gone stale (a raised one first: an SMS phone's next session), or
//     starts a new one. GSM access bursts (RACH) are sent on timeslot 0
//     before the phone has its channel: they join the activity on their
//     channel, and carry no phase. Rhythm trains (a call too weak for
//     single bursts, found by the detector's TDMA comb) join the activity
//     on their channel; a train that sits LeakMarginDB under a call heard in
//     the same window at that time is that call's spectral leakage and is
//     dropped.
//   - LTE: an activity spans at most one 20 MHz carrier and is continuous
//     in time; inside it the bursts of one UE share a power spectral
//     density, because uplink power control sets the power per resource
//     block (P = P0 + α·PL + 10·log10(M) dBm for M PRBs, plus an offset per
//     channel): PSD = power_dbm − 10·log10(bandwidth / 180 kHz) stays
//     within a few dB for one UE, and differs between UEs at different
//     distances. A burst joins the activity (of those on its carrier) whose
//     running mean PSD is within PSDToleranceDB, the one with most bursts
//     if several; PUCCH, PRACH and SRS join like PUSCH. Bursts on the
//     0.5 ms slot grid of the activity count as rhythm. Two UEs closer in
//     PSD on one carrier at the same time are one activity: one sensor
//     cannot tell them apart.
//   - UMTS: the same 5 MHz carrier, continuous in time.
//   - Overload (a jammer, a radio keyed at the antenna): every overload
//     burst heard on one tuning is one activity. It raises an alert of class
//     overload once the receiver was swamped for OverloadMin in total, never
//     a phone alert.
//   - Interference never raises; unknown-class bursts raise only with
//     AllowUnknown (grouped by 200 kHz channel).
//
// Before grouping, a burst that coincides in time with one GhostMargin dB
// stronger at its mirror frequency about the tuning is dropped as that
// burst's IQ image (the pipeline catches most; this catches those whose
// twin it reported too late). Weak bursts merely overlapping a strong one
// are kept: two UEs of one cell share its subframes. A burst classified
// LTE at the exact TDMA timing and channel of a raised GSM call is that
// call's burst, misclassified, and joins it; a GSM burst within a few
// phase tolerances of a live call on its channel is that call's burst,
// badly timed, and is dropped rather than started as a phone of its own;
// so is a GSM burst at a louder call's phase and at the mirror of one of
// its channels (its image, when the twin itself was missed), and a second
// burst in the same slot of the same frame (the louder one's channel
// counts). Bursts are processed in start-time order, 20 ms after their
// end, so that each ghost check sees the burst's stronger twin even when
// the pipeline reported the twin later.
//
// # Evidence
//
// Each burst i brings evidence e_i = s_i·q_i·r_i: the classifier's score
// s_i (0..1), the SNR quality q_i = clamp(SNR_i / 10 dB, 0.2, 1), and the
// rhythm factor r_i = 1 when the burst fits the activity's timing (GSM
// phase, LTE slot grid, a comb train) and 0.5 when not. A continuous UMTS
// segment (the pipeline cuts them at 1 s) counts as one burst per 250 ms,
// up to 4, at full quality. A burst of another class taken into a GSM call
// counts with s = 0.5.
// Evidence decays with the time constant Window:
//
//	E(t) = Σ e_i · exp(−(t − t_i) / Window),   confidence = 1 − exp(−E / 3)
//
// so five well-received, well-timed bursts give 0.81 and a GSM call passes
// any reasonable bar within a few tens of milliseconds, while weak
// unconfirmed bursts (e ≈ 0.1) must come by the dozen. An alert is raised
// when confidence ≥ RaiseConfidence and at least MinBursts bursts fell
// within Window; MinBursts ≥ 2 guarantees that one false burst never
// raises anything. The confidence an alert reports is the highest it
// reached.
//
// # Lifecycle
//
// Add feeds one burst; Advance moves stream time on (the time of the
// samples, not the wall clock, so that a replay runs faster than real time
// and gives the same alerts); Flush ends the stream. Each returns the events
// it caused, appended to dst: raised (Rev 0), updated at most once per
// UpdateInterval and only when something changed, cleared ClearAfter after
// the last burst (Time = last burst + ClearAfter, whenever Advance notices).
// IDs are derived from the site, the sensor, the class, the first burst's
// time (ms) and its channel: stable across restarts, unique, and the same
// for the same input.
//
// Memory is bounded: at most MaxGroups activities (candidates and open
// alerts) exist; a candidate without a burst for Window is dropped, and
// when the table is full the least recently heard candidate is evicted, or
// failing that the least recently heard alert if quiet for Window (it is
// cleared); when every slot is an alert still heard, the new burst is
// dropped and counted. Add does not allocate in steady state; events do
// (each carries its own FreqsHz, and a raise its ID).
//
// # Limits
//
// A GPRS phone sending on two timeslots makes two GSM activities; two LTE
// UEs on one carrier closer than PSDToleranceDB in PSD make one; images
// the pipeline misses of a strong LTE burst can form a weak LTE activity of
// their own, which raises only if enough of them gather. On the built-in
// busy-wing scene with its own seed and seeds 11, 12, 13 and 22 the alerts
// match the phones the pipeline heard one for one; with seed 21 its two LTE
// phones, 10 dB apart in PSD, are one alert.
package track
