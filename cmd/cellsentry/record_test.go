package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/rtltcp"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// runRecordCmd runs "cellsentry record ARGS" as main would.
func runRecordCmd(ctx context.Context, args ...string) (stderr string, err error) {
	var errb syncBuffer
	e := &env{stdout: io.Discard, stderr: &errb, log: slog.New(slog.NewTextHandler(&errb, nil))}
	err = run(ctx, e, append([]string{"record", "--progress", "never"}, args...))
	return errb.String(), err
}

// serveScene serves sensor of the built-in scene name over rtl_tcp on
// 127.0.0.1:0 until the test ends ("": its first sensor).
func serveScene(t *testing.T, name, sensor string, unpaced bool) string {
	t.Helper()
	sc, err := sim.Builtin(name)
	if err != nil {
		t.Fatal(err)
	}
	if sensor == "" {
		sensor = sc.Sensors[0].ID
	}
	src, err := sc.Open(sensor)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = rtltcp.Serve(ctx, ln, src, rtltcp.ServerOptions{Unpaced: unpaced})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		src.Close()
	})
	return ln.Addr().String()
}

// TestRecord records 2.5 s of the gsm-call scene (the call starts at 1.5 s,
// so 1 s of it is in the recording: 1 s would hold none), straight from the
// simulator and through an rtl_tcp server, and replays each recording
// through the detector.
func TestRecord(t *testing.T) {
	addr := serveScene(t, "gsm-call", "a1", true)
	truth := renderScene(t, t.TempDir(), "gsm-call", 2.5, 0).truth
	for _, tc := range []struct {
		name string
		args []string
		hw   string
		gain float64
	}{
		{"sim", []string{"--source", "sim://gsm-call"}, "sim", 19.7},
		{"rtltcp", []string{"--source", "rtltcp://" + addr + "?gain=19.7", "--freq", "902.4M"}, "rtltcp", 19.7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := filepath.Join(t.TempDir(), "rec")
			stderr, err := runRecordCmd(context.Background(), append(tc.args, "--seconds", "2.5", "--out", prefix)...)
			if err != nil {
				t.Fatalf("record: %v\n%s", err, stderr)
			}
			r, err := sigmf.Open(prefix)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			m := r.Meta()
			if r.Len() != 6_000_000 {
				t.Errorf("%d samples, want 2.5 s × 2.4 MS/s = 6000000", r.Len())
			}
			if m.SampleRate != 2.4e6 || m.Datatype != sdr.CU8 {
				t.Errorf("rate %g datatype %v, want 2.4e6 cu8", m.SampleRate, m.Datatype)
			}
			if m.Hardware != tc.hw || m.Recorder != recorderName || m.Gain != tc.gain {
				t.Errorf("hw %q recorder %q gain %g, want %q %q %g", m.Hardware, m.Recorder, m.Gain, tc.hw, recorderName, tc.gain)
			}
			for i, c := range m.Captures {
				if c.Frequency != 902.4e6 || c.Datetime.IsZero() {
					t.Errorf("capture %d: frequency %g datetime %v, want 902.4 MHz and a time", i, c.Frequency, c.Datetime)
				}
			}
			out, stderr, err := runReplayCmd(t, prefix+".sigmf-meta")
			if err != nil {
				t.Fatalf("replay: %v\n%s", err, stderr)
			}
			// The GSM bursts the sensor received, from a direct render of
			// the same scene, must come out of the recording as gsm lines
			// at their time (within 0.2 ms) and frequency (within half a
			// channel), with the bar of TestReplay: two thirds.
			lines := parseReplay(t, out)
			var calls, found int
			for _, em := range truth {
				if em.Class != sim.ClassGSM {
					continue
				}
				calls++
				for _, l := range lines {
					if l.class == "gsm" && math.Abs(l.offset-em.Start) < 0.2e-3 && math.Abs(l.freq-em.Freq) < 100e3 {
						found++
						break
					}
				}
			}
			t.Logf("%d of %d GSM bursts found", found, calls)
			if calls < 20 || found < calls*2/3 {
				t.Errorf("%d of %d GSM bursts found as gsm at the call's time and frequency, want two thirds", found, calls)
			}
		})
	}
}

// TestRecordSettling retunes a scene on open: the dongle model's stale and
// transient samples (3.5 ms) come in Settling blocks, which must not be in
// the recording, and the loss must be in the metadata.
func TestRecordSettling(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "rec")
	stderr, err := runRecordCmd(context.Background(), "--source", "sim://gsm-call?freq=902.6M", "--seconds", "0.1", "--out", prefix, "--datatype", "ci16_le")
	if err != nil {
		t.Fatalf("record: %v\n%s", err, stderr)
	}
	r, err := sigmf.Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := r.Meta()
	if r.Len() != 240_000 || m.Datatype != sdr.CI16LE {
		t.Errorf("%d samples of %v, want 240000 ci16_le", r.Len(), m.Datatype)
	}
	if len(m.Captures) != 1 {
		t.Fatalf("%d captures, want 1: %+v", len(m.Captures), m.Captures)
	}
	c := m.Captures[0]
	const settle = 8400 // 3.5 ms at 2.4 MS/s
	if c.Frequency != 902.6e6 || c.GlobalIndex < settle || c.GlobalIndex > settle+recordBlock {
		t.Errorf("capture at %g Hz, global index %d: want 902.6 MHz after %d–%d settling samples", c.Frequency, c.GlobalIndex, settle, settle+recordBlock)
	}
	if !strings.Contains(stderr, "settling_skipped=") || strings.Contains(stderr, "settling_skipped=0 ") {
		t.Errorf("the log does not report the settling samples skipped:\n%s", stderr)
	}
}

// TestRecordInterrupt cancels long recordings, as Ctrl-C does, and checks
// that what was recorded is a valid recording.
func TestRecordInterrupt(t *testing.T) {
	addr := serveScene(t, "quiet-night", "", false)
	for _, tc := range []struct {
		name   string
		source string
	}{
		{"sim", "sim://quiet-night"},
		{"rtltcp paced", "rtltcp://" + addr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := filepath.Join(t.TempDir(), "rec")
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			var stderr string
			go func() {
				var err error
				stderr, err = runRecordCmd(ctx, "--source", tc.source, "--seconds", "3600", "--out", prefix)
				done <- err
			}()
			time.Sleep(300 * time.Millisecond)
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("record: %v\n%s", err, stderr)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("record did not stop when cancelled")
			}
			if !strings.Contains(stderr, "stopped=interrupted") {
				t.Errorf("log does not say it was interrupted:\n%s", stderr)
			}
			r, err := sigmf.Open(prefix)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var n int64
			for _, c := range r.Meta().Captures {
				n += c.Length
			}
			if r.Len() == 0 || r.Len() >= 3600*2.4e6 || n != r.Len() {
				t.Errorf("%d samples, captures cover %d: want some, all described", r.Len(), n)
			}
		})
	}
}

func TestRecordErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name  string
		args  []string
		usage bool
		want  string
	}{
		{"no source", []string{"--seconds", "1", "--out", dir + "/a"}, true, "--source is required"},
		{"no out", []string{"--source", "sim://gsm-call", "--seconds", "1"}, true, "--out is required"},
		{"no seconds", []string{"--source", "sim://gsm-call", "--out", dir + "/a"}, true, "--seconds 0"},
		{"negative seconds", []string{"--source", "sim://gsm-call", "--seconds", "-1", "--out", dir + "/a"}, true, "--seconds -1"},
		{"bad datatype", []string{"--source", "sim://gsm-call", "--seconds", "1", "--out", dir + "/a", "--datatype", "ri8"}, true, "unsupported datatype"},
		{"bad freq", []string{"--source", "sim://gsm-call", "--seconds", "1", "--out", dir + "/a", "--freq", "fast"}, true, `--freq "fast"`},
		{"bad uri", []string{"--source", "radio://x", "--seconds", "1", "--out", dir + "/a"}, true, `unknown scheme "radio"`},
		{"extra argument", []string{"--source", "sim://gsm-call", "--seconds", "1", "--out", dir + "/a", "b"}, true, `unexpected argument "b"`},
		{"unknown scene", []string{"--source", "sim://nowhere", "--seconds", "1", "--out", dir + "/a"}, false, "source sim://nowhere"},
		{"no such directory", []string{"--source", "sim://gsm-call", "--seconds", "1", "--out", dir + "/none/a"}, false, "none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runRecordCmd(context.Background(), tc.args...)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, errUsage) != tc.usage {
				t.Errorf("err = %v, usage error: %v, want %v", err, errors.Is(err, errUsage), tc.usage)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestRecordGain checks where the gain in the metadata comes from.
func TestRecordGain(t *testing.T) {
	for _, tc := range []struct {
		name string
		uri  string
		want float64
	}{
		{"from the uri", "sim://gsm-call?gain=30", 30},
		{"from the scene", "sim://gsm-call", 19.7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := filepath.Join(t.TempDir(), "rec")
			if stderr, err := runRecordCmd(context.Background(), "--source", tc.uri, "--seconds", "0.01", "--out", prefix); err != nil {
				t.Fatalf("record: %v\n%s", err, stderr)
			}
			r, err := sigmf.Open(prefix)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if g := r.Meta().Gain; g != tc.want {
				t.Errorf("gain %g dB, want %g", g, tc.want)
			}
		})
	}
}

// steadySource is an endless uri.Source at one frequency that costs
// nothing to read, so that benchmarks measure the recorder.
type steadySource struct {
	seq  uint64
	t    time.Time
	fill complex64
}

func (s *steadySource) ReadBlock(b *sdr.Block) error {
	b.Samples = b.Samples[:cap(b.Samples)]
	for i := range b.Samples {
		b.Samples[i] = s.fill
	}
	b.Center, b.Rate, b.Time, b.Seq, b.Dropped, b.Settling = 902.4e6, 2.4e6, s.t, s.seq, 0, false
	s.seq++
	s.t = s.t.Add(time.Duration(float64(len(b.Samples)) / 2.4e6 * float64(time.Second)))
	return nil
}
func (s *steadySource) Close() error       { return nil }
func (s *steadySource) Tune(float64) error { return nil }
func (s *steadySource) Rate() float64      { return 2.4e6 }
func (s *steadySource) Center() float64    { return 902.4e6 }
func newSteadySource() *steadySource {
	return &steadySource{t: time.Unix(1.7e9, 0), fill: complex(0.25, -0.5)}
}
func quietProgress() *progress { return newProgress(io.Discard, "never", 0, 2.4e6) }

// TestRecordAllocs checks that recording allocates nothing per block: a
// 40-block recording allocates about what a 4-block one does. (When this
// was written: 59 and 62, the few extra in the file writer, not one per
// block.)
func TestRecordAllocs(t *testing.T) {
	dir := t.TempDir()
	allocs := func(blocks int64) float64 {
		return testing.AllocsPerRun(3, func() {
			w, err := sigmf.Create(filepath.Join(dir, "rec"), sigmf.Meta{Datatype: sdr.CU8, SampleRate: 2.4e6})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := record(context.Background(), newSteadySource(), w, blocks*recordBlock, quietProgress()); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
	few, many := allocs(4), allocs(40)
	t.Logf("allocations: %v for 4 blocks, %v for 40", few, many)
	if many-few >= 36/4 {
		t.Errorf("%v allocations for 40 blocks, %v for 4: the recorder allocates per block", many, few)
	}
}

func BenchmarkRecord(b *testing.B) {
	for _, f := range []sdr.Format{sdr.CU8, sdr.CF32LE} {
		b.Run(f.String(), func(b *testing.B) {
			const blocks = 16
			b.ReportAllocs()
			b.SetBytes(blocks * recordBlock * int64(f.BytesPerSample()))
			dir := b.TempDir()
			for b.Loop() {
				w, err := sigmf.Create(filepath.Join(dir, "rec"), sigmf.Meta{Datatype: f, SampleRate: 2.4e6})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := record(context.Background(), newSteadySource(), w, blocks*recordBlock, quietProgress()); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*blocks*recordBlock/b.Elapsed().Seconds()/1e6, "Msamples/s")
		})
	}
}
