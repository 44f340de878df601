// Package fusion is the console's view of a site: it turns the alerts,
// statuses and health messages of the site's sensors into incidents — one
// per emitter, however many sensors heard it, localized to a wing with a
// confidence — and turns sensors that cannot see into incidents too.
//
// # Same emitter
//
// Each sensor's tracker raises one alert per emitter it hears. Alerts of
// different sensors are the same emitter when they have the same mode
// (actual, test and exercise never mix) and class, their activity spans
// [first_seen, last_seen] overlap once widened by Config.Slack, and their
// frequencies agree: GSM alerts share a 200 kHz channel (a hopping call
// shares its hopping set: the freqs_hz lists intersect), LTE and UMTS
// alerts overlap in spectrum (one carrier). One sensor hears one emitter as
// one alert at a time, so an incident never takes a second live alert of a
// sensor. Of several candidate incidents the alert joins the one sharing
// the most channels (the most spectrum), then the one heard by more
// sensors. The tracker has already used the rhythm (TDMA phase, LTE slot
// grid) to keep emitters apart; the alert carries no phase, so the kinds
// (call, data, signalling) only break ties. Events already seen (the same
// id with a rev not newer than the latest) are ignored.
//
// # Merging
//
// Two open phone incidents can later prove to be one emitter: a phone
// first heard by one sensor alone, then by a second whose alert could not
// join (its first bursts came after the first sensor's last update plus
// the slack, or its channels did not match yet), until an update makes
// their times or channels compatible. After every alert event the
// incident it changed is compared with the other open phone incidents;
// two merge when they have the same mode and class, their spans overlap
// within Slack, some alert of each is on the same channel (GSM: each
// heard the channel the other heard most — sharing some channel is not
// enough, as an alert spanning two calls would join them; LTE, UMTS:
// their spectrum overlaps), and no sensor has alerts in both that overlap
// in time; and one emitter must explain their evidence nearly as well as
// two: a likelihood-ratio test over the localization model, the levels
// of both incidents' sensors and the silence of the others, one emitter
// against one per incident (each explaining its own levels, a silent
// sensor missing both), merges when one emitter loses at most 6 nats
// (twice that is about χ² with the 3 parameters of a second emitter: 0.7 %
// of true merges refused). The older incident (first seen, then id) survives and takes
// the younger's alerts (one per sensor, the later); the younger is
// returned once more, ended, with Method MethodMerged, LinkedTo the
// survivor and no sensors, followed by the survivor, localized again.
// alerting/store closes the merged one and moves its alerts and its
// acknowledgement to the survivor. Two phones on one channel at once that
// the levels cannot tell apart (close together) merge; the alert rule
// already joins them when their alerts overlap.
//
// # Localization
//
// The wing is the maximum-likelihood hypothesis of the log-distance model
// of Site.PathLoss over the sensors' positions. For a candidate position c
// the level a sensor s should receive from a phone of transmit power P is
//
//	μ_s(c, P) = P − PL0(f) − 10·n·log10(d_cs) − Σ walls(c, s) − L_floor·|Δfloor|
//
// and its report, an independent draw with the shadow fade's σ (6 dB
// indoors, plus Config.MeasureSigmaDB for the sensor's own error), is:
//
//   - a level r (the alert's strongest burst, dBm): density N(r; μ, σ²);
//   - a clipped level r, a lower bound: Φ((μ − r)/σ);
//   - silence from a sensor that listens on the frequency (Sensor.Bands),
//     is up, and had time to hear it (Config.MissGrace): its level is under
//     its detection floor F (Sensor.FloorDBm, or learned), Φ((F − μ)/σ_det).
//
// P is unknown: for each candidate it is fitted by maximum likelihood
// within what a handset of the class can transmit (GSM 0…33 dBm, LTE
// −40…23, UMTS −50…24; a few Newton steps, the log-likelihood being
// concave in P). Candidates lie on a Config.GridM grid inside every wing,
// and on a coarser grid up to Config.OutsideRangeM beyond the perimeter
// for the "outside" hypothesis. A hypothesis's marginal likelihood is the
// mean over its candidates (uniform within its area); a priori a phone is
// outside with Config.OutsidePrior (0.2) and otherwise equally likely in
// any square metre of the wings; the posterior gives each wing's
// probability: Incident.Wings, Confidence (the winner's), RunnerUp and
// Margin, Method "ml". A phone outside the walls wins "outside" when
// it is heard more evenly than a phone in any wing could be for its level:
// Outside is set and Wing left empty. With fewer than two usable reports
// (one sensor heard it and no silent sensor counts yet) the wing is the
// strongest sensor's, Method "strongest", with the modest confidence
// Config.StrongestConfidence.
//
// # Sensor incidents
//
// A status "offline" (the last will, or a shutdown) opens a sensor-offline
// incident, ended by "online" or a health message; health messages
// SilentIntervals periods late (the period learned from the messages) open
// one too. Health "blind" or a source "lost" opens source-lost; an event
// starting with "tamper" opens tamper; alerts of class overload open the
// sensor's overload incident, which ends with them. A sensor that is
// offline, blind or overloaded is not counted as silent evidence.
//
// # Lifecycle and memory
//
// An incident is active while one of its alerts is; an alert ends when
// cleared or after Config.AlertTimeout without an event. An ended incident
// stays in Open for Config.CloseAfter, then is kept (id, class, wing,
// channels, end) in a bounded history: a later incident of the same class
// and mode on the same channel(s) in the same wing, starting within
// Config.LinkWithin of its end, gets LinkedTo the latest such one. Open
// incidents are bounded by Config.MaxOpen, the history by MaxHistory per
// wing, the sensors by MaxSensors, an incident's alerts by one per sensor;
// nothing grows with time.
//
// Incident ids are <site>-<class>-<first seen, UTC, ms>-<channel kHz> for
// phones and <site>-<sensor>-<kind>-<time> for sensor incidents: the same
// input gives the same ids (replays, goldens), and a collision among open
// incidents gets "-2", "-3", ….
package fusion
