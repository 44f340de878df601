package track

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/alerting"
	"github.com/cellsentry/cellsentry/dsp"
)

// fuzzKinds are the burst kinds a fuzzed burst may carry.
var fuzzKinds = []string{"normal", "access", "pusch", "pucch", "srs", "prach", "", "saturated"}

// fuzzRecord is the size of one encoded burst.
const fuzzRecord = 12

// decodeBursts turns bytes into bursts (12 bytes each): class, start step
// (10 µs units), frequency offset from the tuning (kHz), duration, SNR,
// power, kind, score, flags (rhythm, clipped, NaN power, NaN SNR) and an
// Advance step after the burst (100 ms units, 0: none).
func decodeBursts(data []byte) (bs []dsp.Burst, adv []time.Duration) {
	start := t0
	for len(data) >= fuzzRecord {
		r := data[:fuzzRecord]
		data = data[fuzzRecord:]
		start = start.Add(time.Duration(binary.LittleEndian.Uint16(r[1:])) * 10 * time.Microsecond)
		f := tuned + float64(int16(binary.LittleEndian.Uint16(r[3:])))*1e3
		dur := time.Duration(r[5]&0x7f+1) * 20 * time.Microsecond
		if r[5]&0x80 != 0 {
			dur = time.Duration(r[5]&0x7f+1) * 10 * time.Millisecond
		}
		snr, dbm := float64(int8(r[6])), float64(int8(r[7]))-60
		b := dsp.Burst{
			Start: start, Duration: dur, Freq: f, FreqLow: f - 100e3, FreqHigh: f + 100e3, Center: tuned,
			PowerDBFS: dbm + 54, PowerDBm: dbm, SNR: snr, Class: dsp.Class(r[0] % 7),
			Kind: fuzzKinds[int(r[8])%len(fuzzKinds)], Score: float64(r[9]) / 255,
			Rhythm: r[10]&1 != 0, Clipped: r[10]&2 != 0,
		}
		if r[10]&4 != 0 {
			b.PowerDBm, b.PowerDBFS = math.NaN(), -400
		}
		if r[10]&8 != 0 {
			b.SNR = math.NaN()
		}
		bs = append(bs, b)
		adv = append(adv, time.Duration(r[11])*100*time.Millisecond)
	}
	return bs, adv
}

// encodeBursts is decodeBursts' inverse, within its resolution, for the
// seed corpus.
func encodeBursts(bs []dsp.Burst, every int) []byte {
	var out []byte
	prev := t0
	for i, b := range bs {
		r := make([]byte, fuzzRecord)
		r[0] = byte(b.Class)
		binary.LittleEndian.PutUint16(r[1:], uint16(b.Start.Sub(prev)/(10*time.Microsecond)))
		prev = prev.Add(b.Start.Sub(prev) / (10 * time.Microsecond) * (10 * time.Microsecond))
		binary.LittleEndian.PutUint16(r[3:], uint16(int16((b.Freq-tuned)/1e3)))
		if b.Duration >= 10*time.Millisecond {
			r[5] = 0x80 | byte(min(b.Duration/(10*time.Millisecond)-1, 0x7f))
		} else {
			r[5] = byte(min(b.Duration/(20*time.Microsecond)-1, 0x7f))
		}
		r[6], r[7] = byte(int8(b.SNR)), byte(int8(b.PowerDBm+60))
		for k, n := range fuzzKinds {
			if n == b.Kind {
				r[8] = byte(k)
			}
		}
		r[9] = byte(b.Score * 255)
		if b.Rhythm {
			r[10] |= 1
		}
		if b.Clipped {
			r[10] |= 2
		}
		if every > 0 && i%every == every-1 {
			r[11] = 1
		}
		out = append(out, r...)
	}
	return out
}

// FuzzTracker: any stream of bursts, however malformed, gives events that
// validate against the schema and follow the lifecycle, never more
// activities than MaxGroups, and nothing open after Flush.
func FuzzTracker(f *testing.F) {
	call := gsmPhone{phase: 1700 * time.Microsecond, channels: eightChannels, from: 0, to: 60, snr: 40, dbm: -60}
	second := gsmPhone{phase: 3431 * time.Microsecond, channels: eightChannels, from: 0, to: 60, snr: 30, dbm: -70}
	overload := dsp.Burst{Start: at(0.5), Duration: time.Second, Freq: tuned, FreqLow: tuned - 1.2e6, FreqHigh: tuned + 1.2e6,
		Center: tuned, PowerDBm: -57, SNR: 40, Clipped: true, Class: dsp.ClassOverload, Kind: "saturated", Score: 1}
	f.Add(encodeBursts(call.bursts(), 5))
	f.Add(encodeBursts(sortByStart(concat(call.bursts(), second.bursts())), 7))
	f.Add(encodeBursts(repeat(overload, 3, time.Second), 1))
	f.Add(encodeBursts(lteUE(0, 0.2, 300*time.Microsecond, -90, 20), 3))
	f.Add(encodeBursts([]dsp.Burst{gsmBurst(at(0.01), arfcn(62), 60, -40)}, 1))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		bs, adv := decodeBursts(data)
		tr, err := New(Config{MaxGroups: 8, MinBursts: 2}, testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		var ev []alerting.Alert
		now := t0
		for i := range bs {
			ev = tr.Add(ev, &bs[i])
			if adv[i] > 0 {
				now = maxTime(now, bs[i].Start).Add(adv[i])
				ev = tr.Advance(ev, now)
			}
			if s := tr.Stats(); s.Open+s.Candidates > 8 {
				t.Fatalf("%d open + %d candidates, MaxGroups 8", s.Open, s.Candidates)
			}
		}
		if len(bs) > 0 {
			now = maxTime(now, bs[len(bs)-1].Start)
		}
		ev = tr.Flush(ev, now)
		checkLifecycle(t, ev, DefaultUpdateInterval)
		for _, a := range ev {
			if a.Class == "interference" || a.Class == "unknown" {
				t.Errorf("alert of class %s", a.Class)
			}
		}
		if s := tr.Stats(); s.Open != 0 || s.Candidates != 0 {
			t.Errorf("after Flush: %+v", s)
		}
	})
}

func sortByStart(bs []dsp.Burst) []dsp.Burst {
	for i := 1; i < len(bs); i++ {
		for j := i; j > 0 && bs[j].Start.Before(bs[j-1].Start); j-- {
			bs[j], bs[j-1] = bs[j-1], bs[j]
		}
	}
	return bs
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
