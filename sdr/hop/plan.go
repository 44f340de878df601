package hop

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Band is a handset uplink band.
type Band struct {
	Name      string
	Low, High float64 // Hz
	Tech      string  // what handsets use it for
}

// Presets are the uplink bands an RTL-SDR reaches (24–1766 MHz). They
// start and end on the handset uplink edges, so the railway's GSM-R
// (876–880 MHz) and the 863–870 MHz short-range devices band, which sit
// beside them, are left out.
var Presets = []Band{
	{"b28-ul", 703e6, 748e6, "LTE"},
	{"b20-ul", 832e6, 862e6, "LTE"},
	{"gsm900-ul", 880e6, 915e6, "GSM, UMTS and LTE (band 8)"},
	{"dcs1800-ul", 1710e6, 1785e6, "GSM and LTE (band 3)"},
}

// Aliases name the same bands by their LTE band numbers.
var Aliases = map[string]string{"b8": "gsm900-ul", "b8-ul": "gsm900-ul", "b3": "dcs1800-ul", "b3-ul": "dcs1800-ul", "b20": "b20-ul", "b28": "b28-ul"}

// Preset looks a band up by name or alias.
func Preset(name string) (Band, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if a, ok := Aliases[n]; ok {
		n = a
	}
	for _, b := range Presets {
		if b.Name == n {
			return b, nil
		}
	}
	var names []string
	for _, b := range Presets {
		names = append(names, b.Name)
	}
	return Band{}, fmt.Errorf("unknown band %q (known: %s, or b3, b8, b20, b28)", name, strings.Join(names, ", "))
}

// BandWeight is a band in a plan with its share of the scan.
type BandWeight struct {
	Band   Band
	Weight int // visits of each of its centres per cycle, ≥ 1
}

// Config describes a plan. Zero fields take defaults.
type Config struct {
	Bands []BandWeight
	// Rate is the sample rate (default 2.4e6); Usable the fraction of the
	// window used per hop (default 0.8: the edges roll off in the tuner's
	// filter and the middle bins hold the DC spike).
	Rate, Usable float64
	// Dwell is the time spent on each centre, Settle the part of it
	// discarded after the retune (defaults 250 ms and 5 ms; rtl_tcp gives
	// no marker for when a retune took effect: give it 50 ms).
	Dwell, Settle time.Duration
	// TunerMin and TunerMax bound what the tuner reaches (defaults 24 and
	// 1766 MHz, an R820T's range); bands are clipped to it.
	TunerMin, TunerMax float64
}

// Step is one hop.
type Step struct {
	Center float64
	Band   string
	Dwell  time.Duration
}

// Plan is a cycle of hops.
type Plan struct {
	cfg    Config
	Steps  []Step
	Cycle  time.Duration
	Warn   []string // bands clipped to the tuner's range, and why
	widths map[string]float64
}

// NewPlan lays the bands out: each band is cut into hops of Usable·Rate,
// centres spaced evenly so the hops just cover it; a band of weight w has
// its hops visited w times per cycle, spread out over the cycle.
func NewPlan(cfg Config) (*Plan, error) {
	if cfg.Rate == 0 {
		cfg.Rate = 2.4e6
	}
	if cfg.Usable == 0 {
		cfg.Usable = 0.8
	}
	if cfg.Dwell == 0 {
		cfg.Dwell = 250 * time.Millisecond
	}
	if cfg.Settle == 0 {
		cfg.Settle = 5 * time.Millisecond
	}
	if cfg.TunerMin == 0 {
		cfg.TunerMin = 24e6
	}
	if cfg.TunerMax == 0 {
		cfg.TunerMax = 1766e6
	}
	switch {
	case len(cfg.Bands) == 0:
		return nil, fmt.Errorf("hop: no band to scan")
	case cfg.Rate <= 0 || cfg.Usable <= 0 || cfg.Usable > 1:
		return nil, fmt.Errorf("hop: rate %g, usable %g: need a rate and 0 < usable ≤ 1", cfg.Rate, cfg.Usable)
	case cfg.Settle >= cfg.Dwell:
		return nil, fmt.Errorf("hop: dwell %v is not longer than the settle time %v: nothing would be heard", cfg.Dwell, cfg.Settle)
	}
	p := &Plan{cfg: cfg, widths: map[string]float64{}}
	hopW := cfg.Rate * cfg.Usable
	type bandHops struct {
		name    string
		centers []float64
		weight  int
	}
	var bands []bandHops
	for _, bw := range cfg.Bands {
		b := bw.Band
		if bw.Weight < 1 {
			return nil, fmt.Errorf("hop: band %s: weight %d, must be at least 1", b.Name, bw.Weight)
		}
		lo, hi := math.Max(b.Low, cfg.TunerMin+cfg.Rate/2), math.Min(b.High, cfg.TunerMax-cfg.Rate/2)
		if hi <= lo {
			return nil, fmt.Errorf("hop: band %s (%.1f–%.1f MHz) is outside the tuner's %.0f–%.0f MHz", b.Name, b.Low/1e6, b.High/1e6, cfg.TunerMin/1e6, cfg.TunerMax/1e6)
		}
		if lo > b.Low || hi < b.High {
			p.Warn = append(p.Warn, fmt.Sprintf("band %s clipped to %.1f–%.1f MHz by the tuner's range", b.Name, lo/1e6, hi/1e6))
		}
		n := int(math.Ceil((hi - lo) / hopW))
		step := (hi - lo) / float64(n)
		var cs []float64
		for i := range n {
			cs = append(cs, lo+step*(float64(i)+0.5))
		}
		bands = append(bands, bandHops{b.Name, cs, bw.Weight})
		p.widths[b.Name] = hi - lo
	}
	// Interleave: w rounds over every band; a band takes part in a round
	// when its weight reaches it, so heavy bands come back more often.
	maxW := 0
	for _, b := range bands {
		maxW = max(maxW, b.weight)
	}
	for round := range maxW {
		for _, b := range bands {
			if round < b.weight {
				for _, c := range b.centers {
					p.Steps = append(p.Steps, Step{Center: c, Band: b.name, Dwell: cfg.Dwell})
				}
			}
		}
	}
	p.Cycle = time.Duration(len(p.Steps)) * cfg.Dwell
	return p, nil
}

// Config returns the plan's configuration with defaults filled in.
func (p *Plan) Config() Config { return p.cfg }

// Listening is the part of each dwell that is heard (dwell − settle).
func (p *Plan) Listening() time.Duration { return p.cfg.Dwell - p.cfg.Settle }

// Visits is how many times per cycle a frequency of band is heard.
func (p *Plan) Visits(band string) int {
	n := 0
	var first float64
	for _, s := range p.Steps {
		if s.Band == band {
			if n == 0 {
				first = s.Center
			}
			if s.Center == first {
				n++
			}
		}
	}
	return n
}

// Revisit is the mean time between two visits of one frequency of band.
func (p *Plan) Revisit(band string) time.Duration {
	v := p.Visits(band)
	if v == 0 {
		return 0
	}
	return p.Cycle / time.Duration(v)
}

// Intercept is the probability that a burst train lasting train, at a
// random time on a random frequency of band, is heard for at least need in
// all (summed over the visits it spans: the noise floor and the rhythm
// integrator keep their state per centre between visits) — one burst for a
// strong phone, half a second of integration for a weak GSM call.
//
// Visits of a frequency come every revisit R and listen for L = dwell −
// settle; the train starts at a uniformly random phase of that period, and
// the probability is the share of phases for which the listening windows
// inside [0, train] add up to need. It assumes visits evenly spread, which
// the interleaving makes nearly true.
func (p *Plan) Intercept(band string, train, need time.Duration) float64 {
	v := p.Visits(band)
	if v == 0 || train < need {
		return 0
	}
	r := p.Cycle.Seconds() / float64(v)
	l := p.Listening().Seconds()
	t, n := train.Seconds(), need.Seconds()
	const phases = 2000
	hits := 0
	for i := range phases {
		// First window starts at phi − r (it may overlap the start).
		phi := (float64(i) + 0.5) / phases * r
		var heard float64
		for w0 := phi - r; w0 < t; w0 += r {
			heard += math.Max(0, math.Min(w0+l, t)-math.Max(w0, 0))
		}
		if heard >= n-1e-12 {
			hits++
		}
	}
	return float64(hits) / phases
}

// Bands lists the plan's bands in order.
func (p *Plan) Bands() []string {
	var out []string
	for _, s := range p.Steps {
		if !slices.Contains(out, s.Band) {
			out = append(out, s.Band)
		}
	}
	return out
}
