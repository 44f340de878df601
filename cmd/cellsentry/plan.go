package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/configs"
	"github.com/cellsentry/cellsentry/sdr/hop"
)

func init() {
	register("plan", "lay out a hop plan over the uplink bands: revisit time and probability of intercept", runPlan)
}

// interceptCases are the transmissions a plan is judged on: how long they
// last and how much listening the detector needs to find them.
var interceptCases = []struct {
	name        string
	train, need time.Duration
}{
	{"LTE wake-up (PRACH + tracking-area update), strong", 500 * time.Millisecond, time.Millisecond},
	{"SMS or location update, strong", 3 * time.Second, 5 * time.Millisecond},
	{"LTE data session, 10 s", 10 * time.Second, 5 * time.Millisecond},
	{"GSM call of 1 min, weak (rhythm: 0.5 s)", time.Minute, 500 * time.Millisecond},
	{"GSM call of 5 min, weak (rhythm: 2 s)", 5 * time.Minute, 2 * time.Second},
}

func runPlan(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "plan", "[flags]")
	bands := fs.String("bands", "b20-ul,gsm900-ul,dcs1800-ul,b28-ul", "comma-separated band presets, each optionally `name:weight`")
	dwell := fs.Duration("dwell", 250*time.Millisecond, "time on each hop centre")
	settle := fs.Duration("settle", 5*time.Millisecond, "samples discarded after each retune (use 50ms for rtl_tcp)")
	rate := fs.Float64("rate", 2.4e6, "sample rate, Hz")
	configPath := fs.String("config", "", "sensor config `file`: plan each dongle's bands with the scan settings; --dwell, --settle and --rate override it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	type dongle struct {
		title string
		cfg   hop.Config
	}
	var plans []dongle
	if *configPath != "" {
		if set["bands"] {
			return fmt.Errorf("%w: --bands and --config: the bands come from the config's scan.bands", errUsage)
		}
		c, err := configs.LoadSections(*configPath, "radio", "scan")
		if err != nil {
			return reportConfigErrors(e.stderr, *configPath, err)
		}
		for _, w := range c.Warnings() {
			fmt.Fprintln(e.stderr, "warning:", w)
		}
		for i, d := range c.Radio.Dongles {
			hc := c.HopConfig(i)
			if set["dwell"] {
				hc.Dwell = *dwell
			}
			if set["settle"] {
				hc.Settle = *settle
			}
			if set["rate"] {
				hc.Rate = *rate
			}
			plans = append(plans, dongle{fmt.Sprintf("%s (%s)", d.Name, d.Source), hc})
		}
	} else {
		var bw []hop.BandWeight
		for _, item := range strings.Split(*bands, ",") {
			name, w, _ := strings.Cut(strings.TrimSpace(item), ":")
			weight := 1
			if w != "" {
				n, err := strconv.Atoi(w)
				if err != nil || n < 1 {
					return fmt.Errorf("%w: --bands: weight %q of %s is not a positive integer", errUsage, w, name)
				}
				weight = n
			}
			b, err := hop.Preset(name)
			if err != nil {
				return fmt.Errorf("%w: --bands: %v", errUsage, err)
			}
			bw = append(bw, hop.BandWeight{Band: b, Weight: weight})
		}
		plans = append(plans, dongle{"", hop.Config{Bands: bw, Dwell: *dwell, Settle: *settle, Rate: *rate}})
	}
	for i, d := range plans {
		p, err := hop.NewPlan(d.cfg)
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		if d.title != "" {
			fmt.Fprintf(e.stdout, "%s\n", d.title)
		}
		printPlan(e, p)
	}
	return nil
}

// printPlan writes a plan's hops, revisit times and probabilities of
// intercept.
func printPlan(e *env, p *hop.Plan) {
	w := e.stdout
	cfg := p.Config()
	for _, msg := range p.Warn {
		fmt.Fprintln(e.stderr, "warning:", msg)
	}
	fmt.Fprintf(w, "%d hops of %v (%v heard after %v settling), cycle %v\n\n", len(p.Steps), cfg.Dwell, p.Listening(), cfg.Settle, p.Cycle)
	fmt.Fprintf(w, "%-12s %6s %7s %9s\n", "band", "hops", "visits", "revisit")
	for _, b := range p.Bands() {
		n := 0
		for _, s := range p.Steps {
			if s.Band == b {
				n++
			}
		}
		fmt.Fprintf(w, "%-12s %6d %7d %9v\n", b, n/p.Visits(b), p.Visits(b), p.Revisit(b).Round(time.Millisecond))
	}
	fmt.Fprintf(w, "\nprobability of intercept\n%-52s", "")
	for _, b := range p.Bands() {
		fmt.Fprintf(w, " %11s", b)
	}
	fmt.Fprintln(w)
	for _, c := range interceptCases {
		fmt.Fprintf(w, "%-52s", c.name)
		for _, b := range p.Bands() {
			fmt.Fprintf(w, " %11.2f", p.Intercept(b, c.train, c.need))
		}
		fmt.Fprintln(w)
	}
}
