package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/cellsentry/cellsentry/sdr/rtltcp"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
	"github.com/cellsentry/cellsentry/sdr/sim"
	"github.com/cellsentry/cellsentry/sdr/uri"
)

func init() {
	register("serve-rtltcp", "serve any source (scene, recording, rtl_tcp, dongle) over the rtl_tcp protocol", runServeRTLTCP)
}

// runServeRTLTCP serves a scene (retuned when the client asks), a
// recording (fixed frequency; retunes are refused in the log), or any
// source URI to rtl_tcp clients, one at a time, in real time.
func runServeRTLTCP(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve-rtltcp", "--listen ADDR (--source URI | --scene NAME|FILE.yaml [--sensor ID] [--seconds S] | RECORDING)")
	listen := fs.String("listen", "127.0.0.1:1234", "`ADDR` to listen on (host:port; port 0 picks a free one)")
	source := fs.String("source", "", "serve any source `URI`: sim://gsm-call?seed=7, file:///rec.cu8?rate=2.4M, rtltcp://host:1234, rtlsdr://0?freq=902.4M")
	scene := fs.String("scene", "", "serve a synthetic scene: built-in `NAME` or FILE.yaml")
	sensor := fs.String("sensor", "", "with --scene: the sensor to hear it from (default: the first)")
	seconds := fs.Float64("seconds", 0, "with --scene: end after S seconds of scene (default: run until stopped)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var src rtltcp.Tunable
	var what string
	switch {
	case *source != "":
		if *scene != "" || fs.NArg() > 0 || *sensor != "" || *seconds != 0 {
			fs.Usage()
			return fmt.Errorf("%w: serve-rtltcp: --source goes alone (the URI gives sensor=, seed=, freq=, …)", errUsage)
		}
		spec, err := uri.Parse(*source)
		if err != nil {
			return fmt.Errorf("%w: serve-rtltcp: %v", errUsage, err)
		}
		s, err := uri.Open(ctx, spec)
		if err != nil {
			return fmt.Errorf("serve-rtltcp: %w", err)
		}
		if c, ok := s.(*rtltcp.Client); ok {
			// A relayed rtl_tcp client waiting for its server would hold
			// the shutdown up; closing it ends the wait.
			stop := context.AfterFunc(ctx, func() { c.Close() })
			defer stop()
		}
		src = s
		what = fmt.Sprintf("%s, %.0f Hz, %.0f S/s", spec, s.Center(), s.Rate())
	case *scene != "" && fs.NArg() == 0:
		s, err := openServeScene(*scene, *sensor, *seconds)
		if err != nil {
			return fmt.Errorf("serve-rtltcp: %w", err)
		}
		src = s
		what = fmt.Sprintf("scene %s, sensor %s, %.0f Hz, %.0f S/s", *scene, s.Sensor(), s.Center(), s.Rate())
	case *scene == "" && fs.NArg() == 1:
		if *sensor != "" || *seconds != 0 {
			return fmt.Errorf("%w: serve-rtltcp: --sensor and --seconds go with --scene", errUsage)
		}
		r, err := sigmf.Open(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("serve-rtltcp: %w", err)
		}
		src = rtltcp.Fixed(r)
		what = fmt.Sprintf("recording %s, %.0f S/s (not tunable)", fs.Arg(0), r.Meta().SampleRate)
	default:
		fs.Usage()
		return fmt.Errorf("%w: serve-rtltcp needs --source, --scene or exactly one recording", errUsage)
	}
	defer src.Close()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", *listen)
	if err != nil {
		return fmt.Errorf("serve-rtltcp: %w", err)
	}
	log := e.log.With("cmd", "serve-rtltcp")
	log.Info("listening", "addr", ln.Addr().String(), "source", what)
	err = rtltcp.Serve(ctx, ln, src, rtltcp.ServerOptions{Logger: log})
	switch {
	case err != nil && ctx.Err() != nil:
		// The source was closed under the server by the shutdown.
		return nil
	case errors.Is(err, io.EOF):
		log.Info("source ended")
		return nil
	case err != nil:
		return fmt.Errorf("serve-rtltcp: %w", err)
	}
	return nil
}

// openServeScene opens a built-in or YAML scene as one sensor hears it.
// Unlike replay, the scene runs open-ended unless seconds is given: a
// server is stopped by its operator.
func openServeScene(name, sensor string, seconds float64) (*sim.Source, error) {
	var sc *sim.Scene
	var err error
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		sc, err = sim.Load(name)
	} else {
		sc, err = sim.Builtin(name)
	}
	if err != nil {
		return nil, err
	}
	if seconds < 0 {
		return nil, fmt.Errorf("--seconds %g must not be negative", seconds)
	}
	sc.Duration = time.Duration(seconds * float64(time.Second))
	if sensor == "" {
		if len(sc.Sensors) == 0 {
			return nil, fmt.Errorf("scene %s has no sensor", name)
		}
		sensor = sc.Sensors[0].ID
	}
	return sc.Open(sensor)
}
