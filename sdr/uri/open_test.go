package uri

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"math/cmplx"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/rtlsdr"
	"github.com/cellsentry/cellsentry/sdr/rtltcp"
	"github.com/cellsentry/cellsentry/sdr/sigmf"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

// toneScene has one carrier at 900.2 MHz heard by a sensor tuned to
// 900 MHz through a dongle without DC spike, spurs or crystal error.
const toneScene = `
name: tone
seed: 3
sample_rate: 1MHz
site:
  wings:
    - name: A
      polygon: [[0, 0], [10, 0], [10, 10], [0, 10]]
sensors:
  - id: s1
    position: [5, 5, 2]
    wing: A
    center: 900MHz
    dongle: {ppm: 0, spurs: [], lo_leak: -200dBFS, dc_i: 0, dc_q: 0}
  - id: s2
    position: [6, 5, 2]
    wing: A
    center: 900.1MHz
    dongle: {ppm: 0, spurs: [], lo_leak: -200dBFS, dc_i: 0, dc_q: 0}
interference:
  - id: cw
    kind: cw
    freq: 900.2MHz
    snr: 30dB
`

func writeToneScene(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tone.yaml")
	if err := os.WriteFile(path, []byte(toneScene), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// strongest is the baseband offset of the strongest FFT bin of x, Hz.
func strongest(x []complex64, rate float64) float64 {
	n := len(x)
	buf := make([]complex128, n)
	for i, v := range x {
		buf[i] = complex128(v)
	}
	spec := fourier.NewCmplxFFT(n).Coefficients(nil, buf)
	k, best := 0, -1.0
	for i, v := range spec {
		if a := cmplx.Abs(v); a > best {
			k, best = i, a
		}
	}
	if k >= n/2 {
		k -= n
	}
	return float64(k) * rate / float64(n)
}

// settled reads src until a full block that is not Settling and returns it.
func settled(t *testing.T, src Source, n int) *sdr.Block {
	t.Helper()
	b := &sdr.Block{Samples: make([]complex64, n)}
	for range 1000 {
		if err := src.ReadBlock(b); err != nil {
			t.Fatal(err)
		}
		if !b.Settling && len(b.Samples) == n {
			return b
		}
	}
	t.Fatal("no settled block in 1000")
	return nil
}

func mustParse(t *testing.T, raw string) Spec {
	t.Helper()
	s, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOpenSim(t *testing.T) {
	scene := writeToneScene(t)
	const n = 4096
	for _, tc := range []struct {
		name       string
		query      string
		rate       float64 // expected Rate
		center     float64 // expected Center
		tone       float64 // expected offset of the carrier, Hz
		tol        float64 // Hz
		gain       float64 // expected sim gain, dB (0: not checked)
		wantSensor string
	}{
		{"defaults", "", 1e6, 900e6, 200e3, 2 * 1e6 / n, 0, "s1"},
		{"freq retunes", "?freq=900.05M", 1e6, 900.05e6, 150e3, 2 * 1e6 / n, 0, "s1"},
		{"rate", "?rate=2M", 2e6, 900e6, 200e3, 2 * 2e6 / n, 0, "s1"},
		{"sensor", "?sensor=s2", 1e6, 900.1e6, 100e3, 2 * 1e6 / n, 0, "s2"},
		{"gain", "?gain=30", 1e6, 900e6, 200e3, 2 * 1e6 / n, 30, "s1"},
		// A correction of +10 ppm on an exact crystal leaves −10 ppm:
		// the LO sits 9 kHz low at 900 MHz and the carrier shows 9 kHz
		// higher.
		{"ppm", "?ppm=10", 1e6, 900e6, 209e3, 2 * 1e6 / n, 0, "s1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(context.Background(), mustParse(t, "sim://"+scene+tc.query))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if src.Rate() != tc.rate || src.Center() != tc.center {
				t.Errorf("Rate %g Center %g, want %g %g", src.Rate(), src.Center(), tc.rate, tc.center)
			}
			s := src.(*sim.Source)
			if s.Sensor() != tc.wantSensor {
				t.Errorf("sensor %s, want %s", s.Sensor(), tc.wantSensor)
			}
			if tc.gain != 0 && s.Gain() != tc.gain {
				t.Errorf("gain %g dB, want %g", s.Gain(), tc.gain)
			}
			b := settled(t, src, n)
			if b.Rate != tc.rate || b.Center != tc.center {
				t.Errorf("block Rate %g Center %g, want %g %g", b.Rate, b.Center, tc.rate, tc.center)
			}
			if got := strongest(b.Samples, b.Rate); math.Abs(got-tc.tone) > tc.tol {
				t.Errorf("carrier at %+.0f Hz, want %+.0f", got, tc.tone)
			}
		})
	}
	t.Run("seed", func(t *testing.T) {
		first := func(raw string) []complex64 {
			src, err := Open(context.Background(), mustParse(t, raw))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			b := &sdr.Block{Samples: make([]complex64, 1024)}
			if err := src.ReadBlock(b); err != nil {
				t.Fatal(err)
			}
			return b.Samples
		}
		a, a2, c := first("sim://"+scene+"?seed=7"), first("sim://"+scene+"?seed=7"), first("sim://"+scene+"?seed=8")
		same := func(x, y []complex64) bool {
			for i := range x {
				if x[i] != y[i] {
					return false
				}
			}
			return true
		}
		if !same(a, a2) {
			t.Error("seed=7 rendered different samples twice")
		}
		if same(a, c) {
			t.Error("seed=7 and seed=8 rendered the same samples")
		}
	})
	t.Run("builtin", func(t *testing.T) {
		src, err := Open(context.Background(), mustParse(t, "sim://gsm-call?sensor=a2"))
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		if got := src.(*sim.Source).Sensor(); got != "a2" {
			t.Errorf("sensor %s, want a2", got)
		}
		if src.Center() != 902.4e6 || src.Rate() != 2.4e6 {
			t.Errorf("Center %g Rate %g, want the scene's 902.4 MHz and 2.4 MS/s", src.Center(), src.Rate())
		}
	})
}

// writeRaw writes n cu8 samples of a ramp to path.
func writeRaw(t *testing.T, path string, n int) {
	t.Helper()
	data := make([]byte, 2*n)
	for i := range data {
		data[i] = byte(i)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	raw := filepath.Join(dir, "capture.cu8")
	writeRaw(t, raw, 10000)
	named := filepath.Join(dir, "g001_902.4M_2400k.cu8")
	writeRaw(t, named, 5000)
	prefix := filepath.Join(dir, "rec")
	w, err := sigmf.Create(prefix, sigmf.Meta{Datatype: sdr.CU8, SampleRate: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	blk := &sdr.Block{Samples: make([]complex64, 3000), Rate: 1e6, Center: 433.92e6, Time: time.Unix(1e9, 0)}
	if err := w.WriteBlock(blk); err != nil {
		t.Fatal(err)
	}
	blk.Center, blk.Time = 868e6, time.Unix(1e9+1, 0)
	if err := w.WriteBlock(blk); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		uri     string
		rate    float64
		center  float64
		samples int
	}{
		{"raw with rate and freq", "file://" + raw + "?rate=1M&freq=902.4M", 1e6, 902.4e6, 10000},
		{"raw, rate only", "file://" + raw + "?rate=250k", 250e3, 0, 10000},
		{"raw named", named, 2.4e6, 902.4e6, 5000},
		{"raw name overridden", "file://" + named + "?rate=1M", 1e6, 902.4e6, 5000},
		{"sigmf prefix", prefix, 1e6, 433.92e6, 6000},
		{"sigmf uri", "file://" + prefix + ".sigmf-meta", 1e6, 433.92e6, 6000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(context.Background(), mustParse(t, tc.uri))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if src.Rate() != tc.rate || src.Center() != tc.center {
				t.Errorf("Rate %g Center %g, want %g %g", src.Rate(), src.Center(), tc.rate, tc.center)
			}
			total := 0
			b := &sdr.Block{Samples: make([]complex64, 4096)}
			for src.ReadBlock(b) == nil {
				if b.Rate != tc.rate {
					t.Fatalf("block rate %g, want %g", b.Rate, tc.rate)
				}
				total += len(b.Samples)
			}
			if total != tc.samples {
				t.Errorf("%d samples, want %d", total, tc.samples)
			}
			err = src.Tune(900e6)
			if !errors.Is(err, ErrNotTunable) || !strings.Contains(err.Error(), "source ") {
				t.Errorf("Tune: %v, want ErrNotTunable naming the source", err)
			}
		})
	}
}

// commandLog collects the commands an rtl_tcp server received.
type commandLog struct {
	mu   sync.Mutex
	cmds []rtltcp.Command
}

func (l *commandLog) add(c rtltcp.Command) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cmds = append(l.cmds, c)
}

func (l *commandLog) has(want rtltcp.Command) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.cmds {
		if c == want {
			return true
		}
	}
	return false
}

// serveTone serves the tone scene over rtl_tcp on 127.0.0.1:0, in real
// time so that the socket buffers hold little stream: rtl_tcp has no way to
// say when the settings sent on connect took effect.
func serveTone(t *testing.T) (string, *commandLog) {
	t.Helper()
	sc, err := sim.Load(writeToneScene(t))
	if err != nil {
		t.Fatal(err)
	}
	src, err := sc.Open("s1")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	log := &commandLog{}
	go func() {
		defer close(done)
		_ = rtltcp.Serve(ctx, ln, src, rtltcp.ServerOptions{OnCommand: log.add})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		src.Close()
	})
	return ln.Addr().String(), log
}

func TestOpenRTLTCP(t *testing.T) {
	addr, log := serveTone(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	src, err := Open(ctx, mustParse(t, "rtltcp://"+addr+"?freq=900.05M&rate=1M&gain=12.5&ppm=-3"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Rate() != 1e6 || src.Center() != 900.05e6 {
		t.Errorf("Rate %g Center %g, want 1e6 900.05e6", src.Rate(), src.Center())
	}
	// Samples sent before the server applied the settings carry the new
	// Center all the same (see rtltcp.Client): wait for the retune, then
	// skip 50 ms of stream still in flight.
	for range 500 {
		if log.has(rtltcp.FreqCommand(900.05e6)) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	const n = 4096
	var b *sdr.Block
	for range 50_000/n + 1 {
		b = settled(t, src, n)
	}
	if got := strongest(b.Samples, b.Rate); math.Abs(got-150e3) > 2*1e6/n {
		t.Errorf("carrier at %+.0f Hz, want +150000 (tuned to 900.05 MHz)", got)
	}
	for _, want := range []rtltcp.Command{
		rtltcp.FreqCommand(900.05e6),
		rtltcp.SampleRateCommand(1e6),
		rtltcp.GainModeCommand(true),
		rtltcp.GainCommand(125),
		rtltcp.PPMCommand(-3),
	} {
		if !log.has(want) {
			t.Errorf("server never received %v", want)
		}
	}
	if h := src.(*rtltcp.Client).Header(); h.Tuner != rtltcp.TunerR820T {
		t.Errorf("header %+v, want the server's R820T", h)
	}
}

func TestOpenRTLSDR(t *testing.T) {
	if rtlsdr.Built {
		t.Skip("built with the librtlsdr binding: opening needs a dongle")
	}
	for _, raw := range []string{"rtlsdr://0?freq=902.4M", "rtlsdr://serial=00000001", "rtlsdr://1?gain=auto"} {
		t.Run(raw, func(t *testing.T) {
			_, err := Open(context.Background(), mustParse(t, raw))
			if !errors.Is(err, rtlsdr.ErrNotBuilt) {
				t.Fatalf("err = %v, want ErrNotBuilt", err)
			}
			if !strings.Contains(err.Error(), "rebuild") || !strings.Contains(err.Error(), "rtlsdr://") {
				t.Errorf("error %q should say how to rebuild and name the source", err)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	scene := writeToneScene(t)
	raw := filepath.Join(dir, "capture.cu8")
	writeRaw(t, raw, 100)
	prefix := filepath.Join(dir, "rec")
	w, err := sigmf.Create(prefix, sigmf.Meta{Datatype: sdr.CU8, SampleRate: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteBlock(&sdr.Block{Samples: make([]complex64, 100), Rate: 1e6}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// A port nobody listens on: listen, note it, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	for _, tc := range []struct {
		name string
		uri  string
		is   error  // errors.Is target, or nil
		want string // in the message
	}{
		{"unknown scene", "sim://no-such-scene", nil, "no-such-scene"},
		{"unknown sensor", "sim://" + scene + "?sensor=zz", nil, "no such sensor (it has s1, s2)"},
		{"sim auto gain", "sim://" + scene + "?gain=auto", nil, "no automatic gain"},
		{"missing file", filepath.Join(dir, "none.sigmf-meta"), fs.ErrNotExist, "none"},
		{"raw without rate", raw, sigmf.ErrNoRate, "capture.cu8"},
		{"sigmf with rate", "file://" + prefix + "?rate=1M", nil, "a SigMF recording's metadata gives them"},
		{"recording gain", "file://" + raw + "?rate=1M&gain=20", nil, "gain and ppm cannot be changed"},
		{"rtltcp refused", "rtltcp://" + closed, nil, closed},
		{"bad kind", "", nil, "unknown kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s Spec
			if tc.uri != "" {
				s = mustParse(t, tc.uri)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			src, err := Open(ctx, s)
			if err == nil {
				src.Close()
				t.Fatal("no error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err = %v, want it to wrap %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "source "+s.String()+": ") {
				t.Errorf("err = %q does not start by naming the source %s", err, s)
			}
		})
	}
}

// A dropped rtl_tcp server is reported through OnEvent at once, and its
// return too, while the reader keeps reading. The server comes back when
// the loss has been reported, from another goroutine: the reader may be
// waiting in ReadBlock for the reconnection (by design: a reconnecting
// client's ReadBlock waits for samples), so the test cannot restart it
// after a read returns.
func TestOpenWithEvents(t *testing.T) {
	sc, err := sim.Load(writeToneScene(t))
	if err != nil {
		t.Fatal(err)
	}
	serve := func(addr string) (string, func(), error) {
		src, err := sc.Open("s1")
		if err != nil {
			return "", nil, err
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			src.Close()
			return "", nil, err
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = rtltcp.Serve(ctx, ln, src, rtltcp.ServerOptions{}) }()
		return ln.Addr().String(), func() { cancel(); ln.Close(); <-done; src.Close() }, nil
	}
	addr, stop, err := serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var kinds []string
	lost := make(chan struct{}, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	src, err := OpenWith(ctx, mustParse(t, "rtltcp://"+addr+"?freq=900.05M&rate=1M"), Options{OnEvent: func(e Event) {
		mu.Lock()
		kinds = append(kinds, e.Kind)
		mu.Unlock()
		if e.Kind == "lost" {
			select {
			case lost <- struct{}{}:
			default:
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	// A ReadBlock still waiting when the time is up returns once closed.
	defer context.AfterFunc(ctx, func() { src.Close() })()
	got := func() string { mu.Lock(); defer mu.Unlock(); return strings.Join(kinds, ",") }
	buf := make([]complex64, 4096)
	b := sdr.Block{Samples: buf}
	if err := src.ReadBlock(&b); err != nil {
		t.Fatal(err)
	}
	back := make(chan func(), 1)
	go func() {
		select {
		case <-lost:
		case <-ctx.Done():
			back <- nil
			return
		}
		_, stop2, err := serve(addr)
		if err != nil {
			t.Errorf("serving again on %s: %v", addr, err)
		}
		back <- stop2
	}()
	stop()
	for got() != "lost,back" {
		if ctx.Err() != nil {
			t.Fatalf("events %q, want lost then back", got())
		}
		b := sdr.Block{Samples: buf}
		_ = src.ReadBlock(&b)
	}
	if stop2 := <-back; stop2 != nil {
		stop2()
	}
}
