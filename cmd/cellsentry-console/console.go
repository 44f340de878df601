package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/cellsentry/cellsentry/alerting/console"
	"github.com/cellsentry/cellsentry/alerting/web"
	"github.com/cellsentry/cellsentry/configs"
)

func runConsole(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cellsentry-console", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "console config `file` (see configs/console.yaml)")
	broker := fs.String("broker", "", "replace mqtt.broker (tcp://host:1883, ssl://host:8883)")
	listen := fs.String("listen", "", "replace console.listen (host:port of the web console)")
	storePath := fs.String("store", "", "replace console.store (SQLite file)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: cellsentry-console --config FILE [--broker URL] [--listen ADDR] [--store FILE]")
		fmt.Fprintln(stderr, "       cellsentry-console fuse --site SITE.yaml ALERTS.jsonl")
		fmt.Fprintln(stderr, "       cellsentry-console hash-password < password")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *configPath == "" || fs.NArg() != 0 {
		fs.Usage()
		return fmt.Errorf("%w: the console needs --config FILE", errUsage)
	}
	cfg, err := configs.LoadConsole(*configPath)
	if err != nil {
		return err
	}
	if *broker != "" {
		cfg.MQTT.Broker = *broker
	}
	if *listen != "" {
		cfg.Settings.Listen = *listen
	}
	if *storePath != "" {
		cfg.Settings.Store = *storePath
	}
	log := newLogger(stderr, cfg.Logging)
	for _, w := range cfg.Warnings() {
		log.Warn("config", "warning", w.Error())
	}
	c, err := console.New(ctx, cfg, console.Options{Log: log, Version: version})
	if err != nil {
		return err
	}
	return c.Run(ctx)
}

func newLogger(w io.Writer, l configs.Logging) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(l.Level))
	opt := &slog.HandlerOptions{Level: lvl}
	if l.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opt))
	}
	return slog.New(slog.NewTextHandler(w, opt))
}

// runHashPassword prints the bcrypt hash of the password read from stdin,
// for the users section of the console config.
func runHashPassword(stdin io.Reader, stdout io.Writer) error {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	pw := strings.TrimRight(line, "\r\n")
	if len(pw) < 8 {
		return fmt.Errorf("%w: give a password of at least 8 characters on stdin", errUsage)
	}
	h, err := web.HashPassword(pw)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, h)
	return err
}
