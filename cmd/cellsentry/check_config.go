package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/cellsentry/cellsentry/configs"
)

func init() {
	register("check-config", "check a sensor config file; print the configuration it gives, defaults filled in", runCheckConfig)
}

// runCheckConfig is what a technician runs before leaving the ladder: the
// same checks as the daemon at start and at SIGHUP, every mistake at once
// on stderr (exit 1), or the effective configuration on stdout (exit 0)
// with warnings on stderr.
func runCheckConfig(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "check-config", "[flags] FILE")
	files := fs.Bool("files", true, "also check that the files the config names (MQTT password, CA, certificate, key) can be read and the secrets are not world-readable; -files=false checks a config away from its sensor")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("%w: check-config needs exactly one config file", errUsage)
	}
	path := fs.Arg(0)
	c, err := configs.Load(path)
	if err != nil {
		return reportConfigErrors(e.stderr, path, err)
	}
	if *files {
		if err := c.CheckFiles(); err != nil {
			return reportConfigErrors(e.stderr, path, err)
		}
	}
	for _, w := range c.Warnings() {
		fmt.Fprintln(e.stderr, "warning:", w)
	}
	if _, err := fmt.Fprintf(e.stdout, "# effective configuration of %s (hash %s)\n%s", path, c.Hash(), c.Effective()); err != nil {
		return fmt.Errorf("check-config: writing output: %w", err)
	}
	return nil
}

// reportConfigErrors prints each problem of a config on its own line and
// returns a one-line summary for main; other errors (an unreadable file)
// are returned as they are.
func reportConfigErrors(w io.Writer, path string, err error) error {
	var errs configs.Errors
	if !errors.As(err, &errs) {
		return err
	}
	for _, e := range errs {
		fmt.Fprintln(w, e)
	}
	if len(errs) == 1 {
		return fmt.Errorf("%s: 1 error", path)
	}
	return fmt.Errorf("%s: %d errors", path, len(errs))
}
