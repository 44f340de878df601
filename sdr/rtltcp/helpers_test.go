package rtltcp

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// counterSource is a Tunable whose sample k encodes k: I is byte(k) and Q
// is byte(k>>8) in cu8, so a client can check exactly which samples it got.
type counterSource struct {
	rate float64
	k    uint64
	mu   sync.Mutex
	tune []float64
}

func (s *counterSource) ReadBlock(b *sdr.Block) error {
	b.Samples = b.Samples[:cap(b.Samples)]
	for i := range b.Samples {
		k := s.k + uint64(i)
		b.Samples[i] = complex(u8val(byte(k)), u8val(byte(k>>8)))
	}
	b.Rate = s.rate
	s.k += uint64(len(b.Samples))
	return nil
}

func (s *counterSource) Tune(hz float64) error {
	s.mu.Lock()
	s.tune = append(s.tune, hz)
	s.mu.Unlock()
	return nil
}

func (s *counterSource) Close() error { return nil }

// u8val is the value sdr.CU8 decodes byte v to.
func u8val(v byte) float32 { return (float32(v) - 127.5) / 127.5 }

// counterOf recovers the 16-bit counter of a decoded sample.
func counterOf(x complex64) uint16 {
	i := uint16(real(x)*127.5 + 127.5 + 0.5)
	q := uint16(imag(x)*127.5 + 127.5 + 0.5)
	return q<<8 | i
}

// testServer runs Serve on a loopback port until stopped.
type testServer struct {
	addr string
	stop func() error
}

func startServer(t testing.TB, addr string, src Tunable, opt ServerOptions) *testServer {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for try := 0; try < 50; try++ { // a restarted server may find its port briefly taken
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, src, opt) }()
	var once sync.Once
	var serr error
	s := &testServer{addr: ln.Addr().String()}
	s.stop = func() error {
		once.Do(func() {
			cancel()
			serr = <-done
		})
		return serr
	}
	t.Cleanup(func() { s.stop() })
	return s
}

func dial(t testing.TB, addr string, opt Options) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
