// Command cellsentry-console is the control room: it subscribes to the
// sensors of one or several sites over MQTT, fuses what several sensors
// heard into incidents localized to a wing, keeps them in SQLite, and
// serves the web console guards work in.
//
// Usage:
//
//	cellsentry-console --config FILE [--broker URL] [--listen ADDR]
//	cellsentry-console fuse --site SITE.yaml ALERTS.jsonl
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is the software version; release builds set it with
// -ldflags "-X main.version=…" (systemd/package.sh does).
var version = "0.1.0-dev"

// errUsage marks an error in how the command was called; main exits 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, "cellsentry-console:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "cellsentry-console:", err)
		os.Exit(1)
	}
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "fuse":
			return runFuse(ctx, args[1:], stdout, stderr)
		case "hash-password":
			return runHashPassword(os.Stdin, stdout)
		}
	}
	return runConsole(ctx, args, stdout, stderr)
}
