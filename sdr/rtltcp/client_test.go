package rtltcp

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/cmplx"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

func TestHeaderFromServer(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  ServerOptions
		want Header
	}{
		{"defaults are an R820T", ServerOptions{}, Header{TunerR820T, 29}},
		{"E4000", ServerOptions{Tuner: TunerE4000, GainCount: 14}, Header{TunerE4000, 14}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, "", &counterSource{rate: 1e6}, tc.opt)
			c := dial(t, srv.addr, Options{SampleRate: 1e6})
			if got := c.Header(); got != tc.want {
				t.Fatalf("header %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestCommandsReachServer sends every command and checks that the server
// received each with its parameter, in order.
func TestCommandsReachServer(t *testing.T) {
	got := make(chan Command, 100)
	src := &counterSource{rate: 1e6}
	srv := startServer(t, "", src, ServerOptions{OnCommand: func(c Command) { got <- c }})
	c := dial(t, srv.addr, Options{Center: 900e6, SampleRate: 1e6, Gain: 402, PPM: -25, AGC: true, BiasTee: true})

	want := []Command{ // on connect, in op order
		{OpSetFreq, 900000000}, {OpSetSampleRate, 1000000}, {OpSetGainMode, 1}, {OpSetGain, 402},
		{OpSetFreqCorr, uint32(0xffffffe7)}, {OpSetAGC, 1}, {OpSetBiasTee, 1},
	}
	steps := []struct {
		do   func() error
		want Command
	}{
		{func() error { return c.Tune(901.25e6) }, Command{OpSetFreq, 901250000}},
		{func() error { return c.SetSampleRate(1e6) }, Command{OpSetSampleRate, 1000000}},
		{func() error { return c.SetGainMode(false) }, Command{OpSetGainMode, 0}},
		{func() error { return c.SetGain(197) }, Command{OpSetGain, 197}},
		{func() error { return c.SetPPM(12) }, Command{OpSetFreqCorr, 12}},
		{func() error { return c.Send(IFGainCommand(3, -25)) }, Command{OpSetIFGain, 3<<16 | 0xffe7}},
		{func() error { return c.Send(Command{OpSetTestMode, 1}) }, Command{OpSetTestMode, 1}},
		{func() error { return c.SetAGC(false) }, Command{OpSetAGC, 0}},
		{func() error { return c.Send(Command{OpSetDirectSamp, 2}) }, Command{OpSetDirectSamp, 2}},
		{func() error { return c.Send(Command{OpSetOffsetTuning, 1}) }, Command{OpSetOffsetTuning, 1}},
		{func() error { return c.Send(Command{OpSetRTLXtal, 28800000}) }, Command{OpSetRTLXtal, 28800000}},
		{func() error { return c.Send(Command{OpSetTunerXtal, 28799000}) }, Command{OpSetTunerXtal, 28799000}},
		{func() error { return c.Send(Command{OpSetGainIndex, 7}) }, Command{OpSetGainIndex, 7}},
		{func() error { return c.SetBiasTee(false) }, Command{OpSetBiasTee, 0}},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("step %d (%v): %v", i, s.want, err)
		}
		want = append(want, s.want)
	}
	seen := make(map[Op]bool)
	for i, w := range want {
		select {
		case g := <-got:
			if g != w {
				t.Fatalf("command %d: server got %v, want %v", i, g, w)
			}
			seen[g.Op] = true
		case <-time.After(10 * time.Second):
			t.Fatalf("command %d (%v) never arrived", i, w)
		}
	}
	for op := OpSetFreq; op <= OpSetBiasTee; op++ {
		if !seen[op] {
			t.Errorf("command %v not exercised", op)
		}
	}
	src.mu.Lock()
	defer src.mu.Unlock()
	if len(src.tune) != 2 || src.tune[0] != 900e6 || src.tune[1] != 901.25e6 {
		t.Errorf("source tuned to %v, want [9e8 9.0125e8]", src.tune)
	}
}

const toneScene = `
name: tone
seed: 7
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
interference:
  - id: cw
    kind: cw
    freq: 900.2MHz
    snr: 30dB
`

// peakOffset is the frequency of the strongest FFT bin of x, Hz.
func peakOffset(fft *fourier.CmplxFFT, x []complex64, rate float64, buf []complex128) float64 {
	for i, v := range x {
		buf[i] = complex128(v)
	}
	spec := fft.Coefficients(nil, buf)
	best, k := -1.0, 0
	for i, v := range spec {
		if p := cmplx.Abs(v); p > best {
			best, k = p, i
		}
	}
	n := len(buf)
	if k >= n/2 {
		k -= n
	}
	return float64(k) * rate / float64(n)
}

// TestRetuneMidStream serves a scene with a carrier at 900.2 MHz, tuned
// first to 900 MHz (carrier at +200 kHz) then to 900.5 MHz (at −300 kHz).
func TestRetuneMidStream(t *testing.T) {
	sc, err := sim.Parse([]byte(toneScene), "tone.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := sim.CleanDongle()
	d.Stale, d.Transient = 2*time.Millisecond, 1500*time.Microsecond // the real dongle's retune garbage
	sc.Sensors[0].Dongle = d
	src, err := sc.Open("s1")
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "", src, ServerOptions{})
	c := dial(t, srv.addr, Options{Center: 900e6, SampleRate: 1e6})

	const n = 4096
	fft := fourier.NewCmplxFFT(n)
	buf := make([]complex128, n)
	b := sdr.Block{Samples: make([]complex64, n)}
	binHz := 1e6 / n
	check := func(phase string, center, want float64, blocks int) {
		t.Helper()
		var settled, settling int
		var arrived bool // a block at the new center was seen
		for settled < blocks {
			if err := c.ReadBlock(&b); err != nil {
				t.Fatal(err)
			}
			if b.Center != center && !arrived {
				continue // received before the retune
			}
			arrived = true
			if b.Settling {
				settling++
				continue
			}
			if b.Center != center {
				t.Fatalf("%s: settled block %d has center %g, want %g", phase, b.Seq, b.Center, center)
			}
			if len(b.Samples) < n {
				continue // cut short at the end of settling
			}
			if got := peakOffset(fft, b.Samples, b.Rate, buf); math.Abs(got-want) > 2*binHz {
				t.Fatalf("%s: block %d: carrier at %+.0f Hz, want %+.0f Hz", phase, b.Seq, got, want)
			}
			settled++
		}
		if settling == 0 {
			t.Errorf("%s: no block was marked Settling", phase)
		}
	}
	check("before retune", 900e6, 200e3, 20)
	if err := c.Tune(900.5e6); err != nil {
		t.Fatal(err)
	}
	check("after retune", 900.5e6, -300e3, 20)
}

// TestServerRestart kills the server mid-stream and starts it again on the
// same port: the client reconnects by itself, re-sends its settings and
// reports the gap.
func TestServerRestart(t *testing.T) {
	var events []Event
	var mu sync.Mutex
	src := &counterSource{rate: 1e6}
	srv := startServer(t, "", src, ServerOptions{})
	c := dial(t, srv.addr, Options{Center: 900e6, SampleRate: 1e6, Reconnect: true, BackoffMin: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
		OnEvent: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }})
	b := sdr.Block{Samples: make([]complex64, 8192)}
	for range 10 {
		if err := c.ReadBlock(&b); err != nil {
			t.Fatal(err)
		}
	}
	before := b
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	time.Sleep(300 * time.Millisecond)
	src2 := &counterSource{rate: 1e6}
	startServer(t, srv.addr, src2, ServerOptions{})
	restarted := time.Now()

	var gapBlock sdr.Block
	for range 200 {
		if err := c.ReadBlock(&b); err != nil {
			t.Fatalf("ReadBlock after restart: %v", err)
		}
		if b.Dropped > 0 {
			gapBlock = b
			break
		}
	}
	if gapBlock.Dropped == 0 {
		t.Fatal("no block reported the gap")
	}
	down := restarted.Sub(killed).Seconds()
	if min := int64(0.5 * down * 1e6); gapBlock.Dropped < min {
		t.Errorf("gap %d samples, want at least %d (server down %.2f s)", gapBlock.Dropped, min, down)
	}
	if !gapBlock.Time.After(before.Time) || gapBlock.Seq <= before.Seq {
		t.Errorf("block after gap at %v seq %d, before it %v seq %d", gapBlock.Time, gapBlock.Seq, before.Time, before.Seq)
	}
	if gapBlock.Center != 900e6 {
		t.Errorf("center after reconnect %g", gapBlock.Center)
	}
	var retuned bool
	for range 500 { // the settings may reach the server after its first block
		src2.mu.Lock()
		retuned = len(src2.tune) == 1 && src2.tune[0] == 900e6
		src2.mu.Unlock()
		if retuned {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !retuned {
		t.Errorf("restarted server was not retuned to 900 MHz: %v", src2.tune)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) != 2 || events[0].Kind != Disconnected || events[1].Kind != Reconnected || events[1].Gap != gapBlock.Dropped {
		t.Errorf("events %+v, want disconnected then reconnected with gap %d", events, gapBlock.Dropped)
	}
}

func TestDisconnectWithoutReconnect(t *testing.T) {
	srv := startServer(t, "", &counterSource{rate: 1e6}, ServerOptions{})
	c := dial(t, srv.addr, Options{SampleRate: 1e6})
	b := sdr.Block{Samples: make([]complex64, 4096)}
	if err := c.ReadBlock(&b); err != nil {
		t.Fatal(err)
	}
	srv.stop()
	var err error
	for range 10000 {
		if err = c.ReadBlock(&b); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrDisconnected) {
		t.Fatalf("err = %v, want ErrDisconnected", err)
	}
	if err := c.Tune(901e6); !errors.Is(err, ErrDisconnected) {
		t.Errorf("Tune after loss: %v, want ErrDisconnected", err)
	}
	c.Close()
	if err := c.ReadBlock(&b); !errors.Is(err, ErrClosed) {
		t.Errorf("ReadBlock after Close: %v, want ErrClosed", err)
	}
}

// TestSlowReader lets the consumer fall behind a server that sends as fast
// as it can: the ring drops the oldest samples, and every block's Dropped
// and Time account exactly for the samples that never arrived.
func TestSlowReader(t *testing.T) {
	srv := startServer(t, "", &counterSource{rate: 1e6}, ServerOptions{Unpaced: true})
	c := dial(t, srv.addr, Options{SampleRate: 1e6, RingSamples: 1 << 15})
	b := sdr.Block{Samples: make([]complex64, 4096)}
	if err := c.ReadBlock(&b); err != nil {
		t.Fatal(err)
	}
	last, lastTime, lastLen := counterOf(b.Samples[len(b.Samples)-1]), b.Time, len(b.Samples)
	var dropped int64
	for i := range 200 {
		if i%20 == 0 {
			time.Sleep(20 * time.Millisecond) // fall behind
		}
		if err := c.ReadBlock(&b); err != nil {
			t.Fatal(err)
		}
		first := counterOf(b.Samples[0])
		if want := last + 1 + uint16(b.Dropped); first != want {
			t.Fatalf("block %d: first sample %d, want %d (last %d + 1 + dropped %d)", b.Seq, first, want, last, b.Dropped)
		}
		for j := 1; j < len(b.Samples); j++ {
			if counterOf(b.Samples[j]) != first+uint16(j) {
				t.Fatalf("block %d: sample %d is %d, want %d", b.Seq, j, counterOf(b.Samples[j]), first+uint16(j))
			}
		}
		wantTime := lastTime.Add(time.Duration(float64(int64(lastLen)+b.Dropped) / 1e6 * 1e9))
		if d := b.Time.Sub(wantTime); d < -time.Microsecond || d > time.Microsecond {
			t.Fatalf("block %d: time %v, want %v", b.Seq, b.Time, wantTime)
		}
		dropped += b.Dropped
		last, lastTime, lastLen = counterOf(b.Samples[len(b.Samples)-1]), b.Time, len(b.Samples)
	}
	if dropped == 0 {
		t.Fatal("a reader that sleeps against an unpaced server dropped nothing")
	}
	t.Logf("dropped %d samples", dropped)
}

func TestReadBlockAllocs(t *testing.T) {
	srv := startServer(t, "", &counterSource{rate: 2.4e6}, ServerOptions{Unpaced: true})
	c := dial(t, srv.addr, Options{})
	b := sdr.Block{Samples: make([]complex64, 16384)}
	for range 50 {
		if err := c.ReadBlock(&b); err != nil {
			t.Fatal(err)
		}
	}
	// Counts the whole process: the client's reader and the server too.
	allocs := testing.AllocsPerRun(200, func() {
		if err := c.ReadBlock(&b); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per ReadBlock, want 0", allocs)
	}
}

func openFDs(t testing.TB) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(ents)
}

// TestReconnectLeaks reconnects a thousand times to a server that hangs up
// after each burst of data, and checks that goroutines and file
// descriptors stay flat.
func TestReconnectLeaks(t *testing.T) {
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		payload := append(Header{TunerR820T, 29}.Append(nil), make([]byte, 4096)...)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Write(payload)
			conn.Close()
		}
	}()
	runtime.GC()
	g0, fd0 := runtime.NumGoroutine(), openFDs(t)

	var reconnects atomic.Int64
	c := dial(t, ln.Addr().String(), Options{SampleRate: 1e6, Reconnect: true,
		BackoffMin: 100 * time.Microsecond, BackoffMax: time.Millisecond,
		OnEvent: func(e Event) {
			if e.Kind == Reconnected {
				reconnects.Add(1)
			}
		}})
	b := sdr.Block{Samples: make([]complex64, 1024)}
	var gMid, fdMid int
	for reconnects.Load() < 1000 {
		if err := c.ReadBlock(&b); err != nil {
			t.Fatal(err)
		}
		if gMid == 0 && reconnects.Load() >= 100 {
			gMid, fdMid = runtime.NumGoroutine(), openFDs(t)
		}
	}
	gEnd, fdEnd := runtime.NumGoroutine(), openFDs(t)
	if gEnd > gMid+2 || fdEnd > fdMid+2 {
		t.Errorf("after 100 reconnects %d goroutines, %d fds; after 1000: %d, %d", gMid, fdMid, gEnd, fdEnd)
	}
	c.Close()
	var g1, fd1 int
	for range 100 { // let the runtime reap exited goroutines
		g1, fd1 = runtime.NumGoroutine(), openFDs(t)
		if g1 <= g0 && fd1 <= fd0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if g1 > g0 || fd1 > fd0 {
		t.Errorf("before: %d goroutines, %d fds; after 1000 reconnects and Close: %d, %d", g0, fd0, g1, fd1)
	}
	t.Logf("goroutines %d → %d → %d, fds %d → %d → %d", g0, gMid, g1, fd0, fdMid, fd1)
}

func BenchmarkClient(b *testing.B) {
	for _, n := range []int{4096, 65536} {
		b.Run(fmt.Sprintf("block=%d", n), func(b *testing.B) {
			srv := startServer(b, "", &counterSource{rate: 2.4e6}, ServerOptions{Unpaced: true, BlockSamples: 65536})
			c := dial(b, srv.addr, Options{})
			blk := sdr.Block{Samples: make([]complex64, n)}
			b.ReportAllocs()
			b.SetBytes(int64(2 * n))
			var samples, dropped int64
			start := time.Now()
			for b.Loop() {
				if err := c.ReadBlock(&blk); err != nil {
					b.Fatal(err)
				}
				samples += int64(len(blk.Samples))
				dropped += blk.Dropped
			}
			b.ReportMetric(float64(samples)/time.Since(start).Seconds()/1e6, "Msamples/s")
			b.ReportMetric(float64(dropped)/float64(samples+dropped), "dropped/sample")
		})
	}
}

// TestStall: a server that sends its header and then nothing is treated as
// lost after StallTimeout.
func TestStall(t *testing.T) {
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.Write(Header{TunerR820T, 29}.Append(nil))
		io.Copy(io.Discard, conn) // read commands, send nothing
	}()
	var got atomic.Value
	c := dial(t, ln.Addr().String(), Options{StallTimeout: 100 * time.Millisecond,
		OnEvent: func(e Event) { got.Store(e) }})
	b := sdr.Block{Samples: make([]complex64, 1024)}
	err = c.ReadBlock(&b)
	if !errors.Is(err, ErrDisconnected) || !strings.Contains(err.Error(), "stream stalled") {
		t.Fatalf("err = %v, want a stall wrapping ErrDisconnected", err)
	}
	if e, _ := got.Load().(Event); e.Kind != Disconnected {
		t.Errorf("event %+v, want Disconnected", e)
	}
}
