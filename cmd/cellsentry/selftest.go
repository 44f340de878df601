package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cellsentry/cellsentry/sdr/selftest"
	"github.com/cellsentry/cellsentry/sdr/uri"
)

func init() {
	register("selftest", "check a receiver before a sensor starts: rate delivered, clipping, noise floor", runSelftest)
}

// errSelftest marks a failed self-test: the command exits 1 without
// calling it a crash.
var errSelftest = fmt.Errorf("self-test failed")

func runSelftest(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "selftest", "--source URI [flags]")
	source := fs.String("source", "", "the receiver to test (rtlsdr://0, rtltcp://host:1234, sim://quiet-night, a recording)")
	seconds := fs.Float64("seconds", 2, "seconds of samples to test on")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *source == "" {
		fs.Usage()
		return fmt.Errorf("%w: selftest needs --source", errUsage)
	}
	spec, err := uri.Parse(*source)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	src, err := uri.Open(ctx, spec)
	if err != nil {
		return err
	}
	defer src.Close()
	live := spec.Kind == uri.RTLSDR || spec.Kind == uri.RTLTCP
	rep, err := selftest.Run(ctx, src, src.Rate(), selftest.Options{
		Duration: time.Duration(*seconds * float64(time.Second)), Realtime: live,
	})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(struct {
			Source string `json:"source"`
			OK     bool   `json:"ok"`
			selftest.Report
		}{*source, rep.OK(), rep}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(e.stdout, "self-test of %s: %d samples\n", *source, rep.Samples)
		for _, c := range rep.Checks {
			fmt.Fprintf(e.stdout, "  %-4s %-12s %12.4g %-10s %s\n", c.Status, c.Name, c.Value, c.Unit, c.Detail)
		}
	}
	if !rep.OK() {
		return errSelftest
	}
	return nil
}
