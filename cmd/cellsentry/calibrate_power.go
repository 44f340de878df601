package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cellsentry/cellsentry/configs"
	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/uri"
)

// calPowerResult is the reference measured at one gain.
type calPowerResult struct {
	Gain   float64 // dB
	DBFS   float64 // the reference's power at the ADC
	SNR    float64 // over the noise in one bin (586 Hz at 2.4 MS/s), dB
	Offset float64 // reference dBm − DBFS
	Note   string  // why it is not used, "" when it is
}

// powerSize is the FFT length of the power measurement: 586 Hz bins at
// 2.4 MS/s, narrow enough that the noise under the tone is small.
const powerSize = 4096

// powerMinSNR is the SNR (tone over one bin of noise) a gain needs: the
// noise under the tone's 9 bins then adds under 0.05 dB.
const powerMinSNR = 30

// powerMinDBFS is the weakest reference measured, dBFS: −40 dBFS is an
// amplitude of 1.3 counts, and below it (at low gain, where the noise is
// under a count too) rounding biases a tone's level by 0.2–0.5 dB in the
// simulated dongle.
const powerMinDBFS = -40

// measureReference opens the source at gain g and measures the tone near
// off (Hz from the center; NaN: the strongest away from DC).
func measureReference(ctx context.Context, spec uri.Spec, g, freq, seconds, maxPPM float64) (calPowerResult, error) {
	res := calPowerResult{Gain: g}
	spec.Gain, spec.GainSet, spec.GainAuto = g, true, false
	src, err := uri.Open(ctx, spec)
	if err != nil {
		return res, err
	}
	defer src.Close()
	r := newCalReader(src)
	if freq > 0 {
		// The reference 250 kHz above the center, away from the DC spike.
		if err := r.tune(ctx, freq-250e3); err != nil {
			return res, err
		}
	} else if err := r.tune(ctx, src.Center()+1); err != nil { // settle
		return res, err
	}
	sp := newCalSpectrum(powerSize)
	rate := src.Rate()
	if err := r.each(ctx, seconds, func(b *sdr.Block) { sp.add(b.Samples) }); err != nil {
		return res, err
	}
	center := r.blk.Center
	binHz := rate / powerSize
	var k0, k1 int
	if freq > 0 {
		off := freq - center
		d := maxPPM*1e-6*freq + 2*binHz
		k0, k1 = int(math.Floor((off-d)/binHz)), int(math.Ceil((off+d)/binHz))
	} else {
		k0, k1 = -int(0.4*rate/binHz), int(0.4*rate/binHz)
	}
	best := k0
	for k := k0; k <= k1; k++ {
		if freq <= 0 && calAbs(k) < int(20e3/binHz) {
			continue // the DC spike
		}
		if sp.bin(k) > sp.bin(best) {
			best = k
		}
	}
	// Noise per bin: the median over ±50 kHz, the tone's ±8 bins left out.
	var around []float64
	for k := best - int(50e3/binHz); k <= best+int(50e3/binHz); k++ {
		if calAbs(k-best) > 8 {
			around = append(around, sp.bin(k))
		}
	}
	sort.Float64s(around)
	// The median of exponential bins is ln 2 of their mean.
	noise := around[len(around)/2] / math.Ln2
	var tone float64
	for k := best - 4; k <= best+4; k++ {
		tone += sp.bin(k)
	}
	tone -= 9 * noise
	res.SNR = calDB(tone / noise)
	res.DBFS = calDB(tone)
	switch {
	case sp.clips > sp.count/100000:
		res.Note = fmt.Sprintf("clipped (%d of %d samples): lower the reference", sp.clips, sp.count)
	case !(res.SNR >= powerMinSNR):
		res.Note = fmt.Sprintf("too weak (%.0f dB over the noise, want %d)", res.SNR, powerMinSNR)
	case res.DBFS < powerMinDBFS:
		res.Note = fmt.Sprintf("under %d dBFS, a count or two of the 8-bit ADC, whose rounding biases the level: raise the reference for this gain", powerMinDBFS)
	}
	return res, nil
}

func calAbs(k int) int {
	if k < 0 {
		return -k
	}
	return k
}

func calibratePower(ctx context.Context, e *env, f *calibrateFlags, spec uri.Spec) error {
	gains := r820tGains
	if f.gains != "" {
		gains = nil
		for _, s := range strings.Split(f.gains, ",") {
			g, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(strings.ToLower(s)), "db"), 64)
			if err != nil || !(g >= 0 && g <= 60) {
				return fmt.Errorf("%w: --gains: %q is not a gain from 0 to 60 dB", errUsage, s)
			}
			gains = append(gains, g)
		}
	}
	var freq float64
	if f.freq != "" {
		fr, err := configs.ParseFrequency(f.freq)
		if err != nil {
			return fmt.Errorf("%w: --freq: %v", errUsage, err)
		}
		freq = fr.Hz()
	}
	w := e.stdout
	where := "the strongest tone where the source is tuned"
	if freq > 0 {
		where = fmt.Sprintf("%.4f MHz", freq/1e6)
	}
	fmt.Fprintf(w, "calibrate --power: %s, reference %.1f dBm at %s, %d gains\n", spec, f.refDBm, where, len(gains))
	fmt.Fprintf(w, "%7s %9s %8s %11s  %s\n", "gain dB", "dBFS", "SNR dB", "offset dB", "")
	var res []calPowerResult
	for _, g := range gains {
		m, err := measureReference(ctx, spec, g, freq, f.seconds, f.maxPPM)
		if err != nil {
			return fmt.Errorf("calibrate --power: gain %g dB: %w", g, err)
		}
		m.Offset = f.refDBm - m.DBFS
		res = append(res, m)
		note := m.Note
		if note == "" {
			note = "ok"
		}
		fmt.Fprintf(w, "%7.1f %9.2f %8.1f %11.2f  %s\n", g, m.DBFS, m.SNR, m.Offset, note)
	}
	var edits []configs.Edit
	keys := offsetKeys(f.config)
	var good []calPowerResult
	for _, m := range res {
		if m.Note == "" {
			good = append(good, m)
		}
	}
	if len(good) == 0 {
		return fmt.Errorf("%w: no gain measured the reference cleanly", errInconsistent)
	}
	// More gain, less offset: a table that climbs back by more than
	// 1 dB means the reference or the measurement moved.
	sort.Slice(good, func(i, j int) bool { return good[i].Gain < good[j].Gain })
	for i := 1; i < len(good); i++ {
		if good[i].Offset > good[i-1].Offset+1 {
			err := fmt.Errorf("%w: the offset rises by %.1f dB from gain %g to %g dB where more gain must lower it: did the reference change?", errInconsistent,
				good[i].Offset-good[i-1].Offset, good[i-1].Gain, good[i].Gain)
			if f.write {
				fmt.Fprintf(w, "not written: %v\n", err)
			}
			return err
		}
	}
	fmt.Fprintf(w, "offset_db: %d gain(s) from %.1f to %.1f dB\n", len(good), good[0].Gain, good[len(good)-1].Gain)
	if !f.write {
		return nil
	}
	for _, m := range good {
		canon := strconv.FormatFloat(m.Gain, 'f', -1, 64)
		key := canon
		if k, ok := keys[canon]; ok {
			key = k
		}
		edits = append(edits, configs.Edit{Path: []string{"calibration", "offset_db", key},
			Value: strconv.FormatFloat(math.Round(m.Offset*10)/10, 'f', -1, 64) + "dB"})
	}
	if err := writeConfigEdits(f.config, edits...); err != nil {
		return err
	}
	fmt.Fprintf(w, "wrote %d calibration.offset_db entries to %s\n", len(edits), f.config)
	return nil
}

// offsetKeys maps the canonical gain of every calibration.offset_db key
// in the config file to the key as written ("40.2dB" → "40.2"), so that an
// edit replaces the entry instead of adding a second one for the gain.
func offsetKeys(path string) map[string]string {
	out := map[string]string{}
	data, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	var raw struct {
		Calibration struct {
			OffsetDB yaml.Node `yaml:"offset_db"`
		} `yaml:"calibration"`
	}
	if yaml.Unmarshal(data, &raw) != nil {
		return out
	}
	n := raw.Calibration.OffsetDB
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		g, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(strings.ToLower(k)), "db"), 64)
		if err == nil {
			out[strconv.FormatFloat(g, 'f', -1, 64)] = k
		}
	}
	return out
}
