// Package hop plans and runs a sensor's scan over the mobile uplink bands:
// one RTL-SDR window (2.4 MHz) cannot cover a band of 35 MHz, so the
// receiver hops from centre to centre, dwelling on each, and discards the
// samples taken while the tuner settles after each retune.
//
// A Plan lays the configured bands out in hop centres, weights them, and
// says what the scan costs: the revisit time of every frequency and the
// probability of intercepting a burst train of a given length (a call of
// minutes, an SMS of seconds). A Scheduler runs a plan over any tunable
// source.
package hop
