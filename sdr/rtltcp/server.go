package rtltcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// Tunable is what Serve needs of a source: blocks, and retuning when the
// client asks. *sim.Source satisfies it; wrap a recording with Fixed.
type Tunable interface {
	sdr.Source
	Tune(hz float64) error
}

// ErrNotTunable is returned by the Tune of a Fixed source.
var ErrNotTunable = errors.New("rtltcp: source cannot be retuned")

// Fixed adapts a source that cannot be retuned, such as a recording, to
// Tunable: its Tune returns ErrNotTunable, which Serve logs while the
// stream goes on at the recorded frequency. Failing loudly in the log is
// better than pretending: a client that hops over a recording sees the
// same spectrum at every "frequency", and the log says why.
func Fixed(src sdr.Source) Tunable { return fixed{src} }

type fixed struct{ sdr.Source }

func (fixed) Tune(float64) error { return ErrNotTunable }

// ServerOptions configure Serve. Zero fields take the defaults.
type ServerOptions struct {
	// Tuner and GainCount go into the header (0: TunerR820T and
	// R820TGains, the common dongle).
	Tuner     TunerType
	GainCount uint32
	// BlockSamples is the number of samples read from the source and sent
	// per write (0: 8192, 3.4 ms at 2.4 MS/s, so that a retune lands
	// within a few ms of stream).
	BlockSamples int
	// Unpaced sends as fast as the client reads instead of in real time.
	// Tests use it; a scene served unpaced runs faster than the air.
	Unpaced bool
	// WriteTimeout drops a client that accepts no data for this long
	// (0: 10 s).
	WriteTimeout time.Duration
	// Logger receives connections and commands (nil: discard).
	Logger *slog.Logger
	// OnCommand, if set, is called with every command received, in order,
	// from the goroutine that streams to the client.
	OnCommand func(Command)
}

// Serve accepts rtl_tcp clients on ln, one at a time like rtl_tcp, and
// streams src to each as cu8 after the header, paced by the wall clock at
// the blocks' Rate unless opt.Unpaced. Frequency commands retune src
// between blocks; the other commands are logged and passed to
// opt.OnCommand, and change nothing in the stream. The source is not
// reset between clients.
//
// Serve closes ln and returns nil when ctx is done, and returns io.EOF
// when a finite source ends, or the error of the source or of Accept.
func Serve(ctx context.Context, ln net.Listener, src Tunable, opt ServerOptions) error {
	if opt.Tuner == 0 {
		opt.Tuner = TunerR820T
	}
	if opt.GainCount == 0 {
		opt.GainCount = R820TGains
	}
	if opt.BlockSamples <= 0 {
		opt.BlockSamples = 8192
	}
	if opt.WriteTimeout <= 0 {
		opt.WriteTimeout = 10 * time.Second
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("stage", "rtltcp-server", "listen", ln.Addr().String())
	s := &server{
		src: src, opt: opt, log: log,
		blk: sdr.Block{Samples: make([]complex64, opt.BlockSamples)},
		out: make([]byte, 2*opt.BlockSamples),
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
		}
		ln.Close()
	}()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("rtltcp: accept on %s: %w", ln.Addr(), err)
		}
		err = s.serveConn(ctx, conn)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

type server struct {
	src Tunable
	opt ServerOptions
	log *slog.Logger
	blk sdr.Block
	out []byte
}

// serveConn streams to one client until it leaves (nil) or the source
// fails (its error, io.EOF at the end of a recording).
func (s *server) serveConn(ctx context.Context, conn net.Conn) error {
	log := s.log.With("client", conn.RemoteAddr().String())
	log.Info("client connected")
	ctx, cancel := context.WithCancel(ctx)
	cmds := make(chan Command, 64)
	readerDone := make(chan struct{})
	defer func() {
		cancel()
		conn.Close()
		<-readerDone
	}()
	go func() {
		defer close(readerDone)
		defer cancel()
		var buf [CommandSize]byte
		for {
			if _, err := io.ReadFull(conn, buf[:]); err != nil {
				if ctx.Err() == nil {
					log.Info("client left", "err", err)
				}
				return
			}
			cmd, err := ParseCommand(buf[:])
			if err != nil {
				log.Warn("ignoring command", "err", err) // as rtl_tcp does
				continue
			}
			select {
			case cmds <- cmd:
			case <-ctx.Done():
				return
			}
		}
	}()

	conn.SetWriteDeadline(time.Now().Add(s.opt.WriteTimeout))
	if _, err := conn.Write(Header{s.opt.Tuner, s.opt.GainCount}.Append(nil)); err != nil {
		log.Info("client left", "err", err)
		return nil
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	start := time.Now()
	var sent time.Duration // stream time sent so far
	for {
		for drained := false; !drained; {
			select {
			case cmd := <-cmds:
				s.apply(log, cmd)
			default:
				drained = true
			}
		}
		s.blk.Samples = s.blk.Samples[:cap(s.blk.Samples)]
		if err := s.src.ReadBlock(&s.blk); err != nil {
			if errors.Is(err, io.EOF) {
				log.Info("source ended")
				return io.EOF
			}
			return fmt.Errorf("rtltcp: serve: read source: %w", err)
		}
		n := sdr.CU8.Encode(s.out, s.blk.Samples)
		conn.SetWriteDeadline(time.Now().Add(s.opt.WriteTimeout))
		if _, err := conn.Write(s.out[:n]); err != nil {
			if ctx.Err() == nil {
				log.Info("client left", "err", err)
			}
			return nil
		}
		if s.opt.Unpaced {
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		// Real time: block k is sent when the wall clock reaches the
		// stream time of its start, so the server leads by one block.
		sent += s.blk.Duration()
		timer.Reset(time.Until(start.Add(sent)))
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
	}
}

// apply carries out one client command.
func (s *server) apply(log *slog.Logger, cmd Command) {
	if s.opt.OnCommand != nil {
		s.opt.OnCommand(cmd)
	}
	switch cmd.Op {
	case OpSetFreq:
		if err := s.src.Tune(float64(cmd.Param)); err != nil {
			log.Warn("tune failed", "hz", cmd.Param, "err", err)
			return
		}
		log.Info("tuned", "hz", cmd.Param)
	case OpSetSampleRate:
		if r := s.blk.Rate; r != 0 && float64(cmd.Param) != r {
			log.Warn("sample rate cannot change; serving the source's", "asked", cmd.Param, "rate", r)
			return
		}
		log.Info("command", "cmd", cmd.String())
	default:
		log.Info("command recorded", "cmd", cmd.String())
	}
}
