// Package sim renders synthetic RF scenes — phones, interference and the
// imperfections of an RTL-SDR — as the IQ samples a sensor would record,
// together with the ground truth of every emission. The detector is
// developed and tested on these scenes and the demo renders a whole
// prison with them, so the physics is modelled honestly rather than in
// the detector's favour: 8-bit quantization and clipping, frequency
// error, DC spike, IQ image, spurs, retune garbage, path loss through
// walls and floors.
//
// # Using it
//
// Build a Scene in Go or load one from YAML (Parse, Load, Builtin), open a
// Source for a sensor (Scene.Open, Scene.OpenAll) and read blocks from it:
// *Source is an sdr.Source that can be retuned (Tune). Set
// Source.OnEmission to receive the truth as the render proceeds; a
// TruthWriter writes it to PREFIX.truth.json. Rendering keeps constant
// memory: schedules are generated lazily and buffers are reused, so an
// hours-long render allocates nothing per block once every emitter has
// started.
//
//	sc, _ := sim.Builtin("busy-wing")
//	src, _ := sc.Open("a1")
//	src.OnEmission = func(e sim.Emission, rx sim.Reception) { … }
//	b := &sdr.Block{Samples: make([]complex64, 65536)}
//	for src.ReadBlock(b) == nil { … }
//
// The same scene opened for several sensors yields the same emissions
// (times, frequencies, data bits) with per-sensor levels, noise and
// dongle imperfections. A given seed renders the same bytes whatever the
// block size (USB drops excepted: they happen between blocks).
//
// # Levels, noise and SNR
//
// All levels at the ADC are relative to full scale: 0 dBFS is a mean |x|²
// of 1 with x in the ±1 units of sdr.Block, so a complex tone of
// amplitude 1 just fits. The received power of an emitter given a
// transmit power P (dBm, EIRP) is
//
//	P_rx(dBm)  = P − PL(d) − Σ walls − Σ floors − X
//	P_rx(dBFS) = P_rx(dBm) − FullScale(G),   FullScale(G) = Dongle.FullScale − (G − Dongle.RefGain)
//
// with the log-distance path loss of Propagation (reference loss at 1 m,
// free space by default: 31.5 dB at 900 MHz; exponent n, 3 by default)
// and X a log-normal shadow fade fixed per emitter/sensor pair.
//
// The noise at the ADC input is thermal noise, Dongle.NoiseFloor dBFS over
// the sampled band at RefGain (moving dB for dB with the gain), plus the
// RTL2832U's own noise, Dongle.ADCNoise; it is then rounded to 8 bits.
// N0, the noise power density a receiver measures where nothing
// transmits, is the variance of the quantized noise (its mean, the DC
// spike, left out) over the sample rate: a memoryless quantizer fed with
// white noise gives white noise. With noise of a few counts this is
// thermal + ADC + Δ²/6 (Δ = 1/127.5, −49.9 dBFS); at low gain, where the
// noise is under a count, it is computed exactly from the code
// probabilities, DC offset included. Spurs, DC and the LO leakage are not
// part of N0. Below about 0.3 counts rms of noise (gain under ~15 dB on
// the default dongle) weak signals are themselves a fraction of a count
// and rounding removes part of them: the IQ then holds up to 2 dB less
// than the truth's SNR for a burst at 10 dB.
//
// The SNR of an emission is its power over its useful part (the generator's
// active span) over the noise in its own bandwidth B:
//
//	SNR = P_signal / (N0 · B)
//
// with B: GSM 200 kHz, LTE PUSCH/SRS nPRB × 180 kHz, PUCCH 180 kHz, PRACH
// 1.08 MHz, UMTS 3.84 MHz, CW and swept CW 1 kHz (the tone against the
// noise in 1 kHz, about one FFT bin of a 2048-point channelizer at
// 2.4 MS/s), NBFM 2·(deviation + 3 kHz) (Carson), impulses the sample
// rate, jammers their bandwidth. An emitter may give its level as an SNR
// instead of a power (Level BySNR, YAML snr:): it then has that SNR at
// every sensor and its dBm and dBFS follow. A floor step's truth gives the
// thermal noise level it leaves, in dBm and dBFS, and an SNR of 0. Received levels in the
// truth are for the whole emission band, even where part of it lies
// outside a sensor's window.
//
// Generated bursts have unit mean power over their active span; the
// tests measure, on the IQ, the band power over each emission's span
// minus the noise in the same band where nothing transmits, and find the
// truth's SNR and dBFS within 0.5 dB (0.3 dB in practice) at 0, 10 and
// 20 dB for every burst kind.
//
// # The dongle
//
// Dongle models, in this order: thermal and ADC noise; the signals; after a
// retune, Stale of samples still taken at the old tuning then Transient of
// settling (a decaying DC step and gain ramp); IQ amplitude and phase
// mismatch (y = μx + νx*, an image at −f, ImageRejection dB down); DC
// offset plus a wandering LO-leakage line (the DC spike); tuner spurs at
// fixed offsets; 8-bit rounding exactly as rtl_sdr's cu8, saturating at
// full scale (every output sample is (k − 127.5)/127.5 for a code k). The
// crystal error shifts every signal: a dongle with PPM = +ε tuned to fc
// has its LO at fc·(1 + ε·1e-6), so a signal at true frequency f appears at
// baseband f − fc − ε·1e-6·fc (rtl_sdr -p ε would correct it); the sample
// clock's error is not modelled. A tuner gain may be off its nominal
// step (GainErrors): signals and thermal noise then move by the error
// too, and dBm = dBFS + FullScale − (G + error − RefGain). USB drops skip
// samples between blocks and are reported in Block.Dropped. DefaultDongle documents typical
// R820T values; CleanDongle turns every imperfection but the noise off.
//
// Only emissions in the tuned window are synthesized. Signals made
// band-limited to the window (LTE, PRB by PRB; WCDMA; jammers; swept
// carriers, which fade out past ±0.42·rate) count when any part of their
// band is inside; the others (GSM, PRACH, carriers, FM) when their center
// is, so that nothing wraps around the window's edge. The truth has every
// emission for every sensor, with Visible false where it was not heard.
//
// # Behaviours
//
// Phones: GSMCall (TCH/F with DTX: talk spurts and silences, SACCH and SID
// in silence, optional hopping, power steps), GSMSignalling (RACH then
// SDCCH/8 for a few seconds), LTEData (PRACH, bursty PUSCH on contiguous
// PRBs, PUCCH at the carrier edges hopping at the slot, periodic CQI and
// SRS, RRC inactivity), LTEIdle (periodic tracking-area updates),
// UMTSCall (continuous WCDMA), and Bursts, isolated bursts of one kind at
// a fixed SNR for detector tests. Interference: CW, SweptCW, NBFM,
// Impulses, FloorStep, Jammer, BCCH (a tower's carrier leaking in) and
// GSMDownlink (a tower's C0 carrier on the downlink with its FCCH and SCH,
// what cellsentry calibrate measures the crystal's error on).
// Each behaviour's type documents its timing and 3GPP references.
//
// # Scene files
//
// A scene file is YAML mapping 1:1 onto Scene; the built-in scenes under
// scenes/ are complete examples. Values carry units: frequencies
// (902.4MHz, 200kHz), durations (577us, 4.615ms, 30s, 5min), powers
// (23dBm, 200mW), levels (6dB, -35dBFS), distances (metres, bare or 12m,
// 30cm), rates of events (4/s). Top-level keys: name, description, seed,
// sample_rate, start (RFC 3339), duration, propagation {exponent,
// ref_loss, shadow_sigma}, site {wings [{name, polygon}], walls [{name,
// from, to, loss}], floors [{name, height, loss}]}, sensors [{id,
// position [x, y, z], wing, center, gain, dongle {noise_floor, adc_noise,
// ref_gain, full_scale, dc_i, dc_q, lo_leak (or off),
// iq_gain, iq_phase, spurs [{offset, level}], ppm, stale, transient,
// settle_flag, drop_rate, drop_len, gain_errors [{gain, error}]}}],
// emitters and interference. An
// emitter has id, role, position, wing, power or snr, steps [{at, power
// or snr}], start, stop, and behaviour: (emitters) or kind: (interference)
// with that behaviour's keys:
//
//	gsm_call        arfcn (one, or a list to hop over), hopping (cyclic|random), timeslot, tsc, dtx, talk, silence
//	gsm_signalling  arfcn, timeslot, tsc, rach, sdcch, repeat
//	lte_data        carrier, bandwidth, max_prb, on, off, load, run_length, inactivity,
//	                cqi_period, srs_period, cqi, srs, srs_prb, prb_backoff
//	lte_idle        carrier, bandwidth, period, inactivity
//	umts_call       freq or uarfcn (band VIII)
//	bursts          kind, count, interval, freq_min, freq_max, nprb, subframes (snr: the emitter's)
//	cw              freq
//	swept_cw        from, to, period
//	nbfm            freq, deviation, on, off
//	impulses        rate, width
//	floor_step      step, sensors (start/stop: the emitter's)
//	jammer          freq, bandwidth, sweep
//	bcch            arfcn
//	gsm_downlink    arfcn (downlink channel) or freq (off the raster), bcc
//
// Decoding is strict: unknown keys are rejected with the nearest known key
// suggested, and every error names the file, the line and the field:
//
//	scene.yaml:17: emitters[2].behaviour: unknown "gsm_cal" (did you mean gsm_call?)
//
// # Truth files
//
// PREFIX.truth.json is JSON Lines. The first line is a TruthHeader:
//
//	{"format":"cellsentry-truth","version":1,"scene":…,"seed":…,"rate":…,"start":…,"duration_s":…,
//	 "sensors":[{"id","wing","position","center_hz","gain_db","ppm","noise_floor_dbfs","full_scale_dbm"}]}
//
// and every further line one emission:
//
//	{"emitter","seq","role","wing","class","kind","start_s","duration_s","freq_hz","bandwidth_hz",
//	 "arfcn","timeslot" (GSM) | "carrier_hz","prb","nprb" (LTE) | "step_db" (floor step),
//	 "tx_dbm" | "snr_set_db",
//	 "rx":[{"sensor","visible","clipped","dbm","dbfs","snr_db"}, …]}
//
// Times are seconds from the scene start (start_s is the first useful
// instant: GSM's first bit, LTE's cyclic prefix), frequencies are true
// (before ppm), class is gsm, lte, umts, interference or overload and kind
// one of gsm_normal, gsm_access, gsm_bcch, gsm_downlink, lte_pusch, lte_pucch,
// lte_prach, lte_srs, umts, cw, swept_cw, nbfm, impulse, floor_step,
// jammer. Lines come in the order emissions end, receptions in the
// header's sensor order; values are rounded (ns, mHz, m dB) so files do
// not depend on the CPU. testdata/golden.truth.json is an example and
// ReadTruth reads files back.
//
// # Known simplifications
//
// GSM frequency hopping uses a pseudo-random sequence of the seed, not the
// TS 45.002 HSN table. SRS subframes follow the UE's own SRS schedule
// (a cell with several UEs would have one cell-wide set).
// Continuous signals (WCDMA, FM, swept carriers) are generated only while
// visible, so a sensor that looks away and back sees them continue from
// where it left off rather than from where they are (times and
// frequencies stay right; the modulating data does not). The dongle's
// pass-band roll-off near ±rate/2 is not modelled beyond the generators'
// own band limits.
package sim
