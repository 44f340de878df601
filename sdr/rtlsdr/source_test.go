package rtlsdr

import (
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// fakeDongle is a device that streams a known byte pattern: byte k of the
// stream tuned to f is patternByte(f, k), so a test can tell which
// samples came from before and after a retune.
type fakeDongle struct {
	center  int
	k       int64 // bytes streamed since the last retune
	maxRead int   // bytes per read if > 0 (short reads)
	reads   int
	resets  int
	closed  int
	readErr error
	tuneErr error
	empty   int // reads that return 0 bytes before data flows
}

func patternByte(center int, k int64) byte {
	return byte(int64(center/1000)*31 + k*7 + 3)
}

func (f *fakeDongle) ReadSync(buf []byte) (int, error) {
	f.reads++
	if f.readErr != nil {
		return 0, f.readErr
	}
	if f.empty > 0 {
		f.empty--
		return 0, nil
	}
	n := len(buf)
	if f.maxRead > 0 && f.maxRead < n {
		n = f.maxRead
	}
	for i := range buf[:n] {
		buf[i] = patternByte(f.center, f.k)
		f.k++
	}
	return n, nil
}

func (f *fakeDongle) SetCenterFreq(hz int) error {
	if f.tuneErr != nil {
		return f.tuneErr
	}
	f.center = hz
	return nil
}

func (f *fakeDongle) ResetBuffer() error {
	f.resets++
	f.k = 0
	return nil
}

func (f *fakeDongle) Close() error {
	f.closed++
	return nil
}

// cu8 is the RTL2832U's conversion, written out independently of
// sdr.CU8: the ADC's midpoint is 127.5 and full scale 127.5 counts.
func cu8(b byte) float32 { return (float32(b) - 127.5) / 127.5 }

func wantSample(center int, i int64) complex64 {
	return complex(cu8(patternByte(center, 2*i)), cu8(patternByte(center, 2*i+1)))
}

func newFakeSource(t testing.TB, f *fakeDongle, cfg SourceConfig) *Source {
	t.Helper()
	if cfg.Freq == 0 {
		cfg.Freq = 902_000_000
	}
	if err := cfg.fill(); err != nil {
		t.Fatal(err)
	}
	f.center = cfg.Freq
	return newSource(f, cfg, float64(cfg.Rate), math.NaN())
}

func TestSourceSamples(t *testing.T) {
	cases := []struct {
		name      string
		blockLen  int
		readBytes int
		maxRead   int
		blocks    int
	}{
		{"block within one read", 1000, 8192, 0, 5},
		{"block spans reads", 10000, 4096, 0, 4},
		{"block equals read", 2048, 4096, 0, 3},
		{"short reads", 3000, 8192, 1536, 4},
		{"odd block length", 777, 1024, 0, 6},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeDongle{maxRead: tc.maxRead}
			s := newFakeSource(t, f, SourceConfig{ReadBytes: tc.readBytes})
			b := &sdr.Block{Samples: make([]complex64, tc.blockLen)}
			var i int64
			var prev time.Time
			for k := 0; k < tc.blocks; k++ {
				if err := s.ReadBlock(b); err != nil {
					t.Fatal(err)
				}
				if len(b.Samples) != tc.blockLen {
					t.Fatalf("block %d: %d samples, want %d", k, len(b.Samples), tc.blockLen)
				}
				for j, v := range b.Samples {
					if w := wantSample(902_000_000, i); v != w {
						t.Fatalf("block %d sample %d (stream %d) = %v, want %v", k, j, i, v, w)
					}
					i++
				}
				if b.Seq != uint64(k) || b.Center != 902e6 || b.Rate != DefaultRate || b.Dropped != 0 {
					t.Fatalf("block %d: seq %d center %v rate %v dropped %d", k, b.Seq, b.Center, b.Rate, b.Dropped)
				}
				if k > 0 {
					// Time advances by exactly the previous block's span.
					step := b.Time.Sub(prev)
					want := time.Duration(float64(tc.blockLen) / DefaultRate * 1e9)
					if d := step - want; d < -time.Microsecond || d > time.Microsecond {
						t.Fatalf("block %d: time step %v, want %v", k, step, want)
					}
				}
				prev = b.Time
			}
		})
	}
}

func TestSourceSettling(t *testing.T) {
	// 5 ms at 2.4 MS/s is 12000 samples: blocks of 4096 starting at 0,
	// 4096 and 8192 are Settling, the one at 12288 is not.
	f := &fakeDongle{}
	s := newFakeSource(t, f, SourceConfig{ReadBytes: 8192})
	b := &sdr.Block{Samples: make([]complex64, 4096)}
	read := func() {
		t.Helper()
		if err := s.ReadBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	for k, want := range []bool{true, true, true, false, false} {
		read()
		if b.Settling != want {
			t.Errorf("block %d after open: Settling = %v, want %v", k, b.Settling, want)
		}
	}
	endBefore := b.Time.Add(b.Duration())

	// Pending bytes from the old frequency are dropped at the retune.
	resets := f.resets
	if err := s.Tune(1_747_400_000); err != nil {
		t.Fatal(err)
	}
	if f.resets != resets+1 {
		t.Errorf("Tune did not flush the dongle's FIFO")
	}
	if s.Center() != 1_747_400_000 {
		t.Errorf("Center() = %v after Tune", s.Center())
	}
	for k, want := range []bool{true, true, true, false} {
		read()
		if b.Settling != want {
			t.Errorf("block %d after retune: Settling = %v, want %v", k, b.Settling, want)
		}
		if b.Center != 1_747_400_000 {
			t.Errorf("block %d after retune: center %v", k, b.Center)
		}
		if k == 0 {
			if w := wantSample(1_747_400_000, 0); b.Samples[0] != w {
				t.Errorf("first sample after retune = %v, want %v (the new frequency's first)", b.Samples[0], w)
			}
			if b.Time.Before(endBefore) {
				t.Errorf("time ran backwards across the retune: %v < %v", b.Time, endBefore)
			}
		}
	}
}

func TestSourceNoSettle(t *testing.T) {
	f := &fakeDongle{}
	cfg := SourceConfig{ReadBytes: 8192, Settle: time.Nanosecond}
	s := newFakeSource(t, f, cfg)
	b := &sdr.Block{Samples: make([]complex64, 100)}
	if err := s.ReadBlock(b); err != nil {
		t.Fatal(err)
	}
	// 1 ns rounds up to one sample, so only the first block settles.
	if !b.Settling {
		t.Error("first block not Settling")
	}
	if err := s.ReadBlock(b); err != nil {
		t.Fatal(err)
	}
	if b.Settling {
		t.Error("second block Settling with a one-sample settle time")
	}
}

func TestSourceErrors(t *testing.T) {
	errUSB := &Error{"rtlsdr_read_sync", -4}
	cases := []struct {
		name string
		f    *fakeDongle
		op   func(s *Source) error
		want string
		is   error
	}{
		{"read fails", &fakeDongle{readErr: errUSB},
			func(s *Source) error { return s.ReadBlock(&sdr.Block{Samples: make([]complex64, 10)}) },
			`rtlsdr: read device "1": rtlsdr_read_sync returned -4 (LIBUSB_ERROR_NO_DEVICE)`, ErrNoDevice},
		{"stalled", &fakeDongle{empty: 1000},
			func(s *Source) error { return s.ReadBlock(&sdr.Block{Samples: make([]complex64, 10)}) },
			`rtlsdr: read device "1": 16 reads in a row returned no sample`, nil},
		{"zero capacity", &fakeDongle{},
			func(s *Source) error { return s.ReadBlock(&sdr.Block{}) },
			sdr.ErrNoBuffer.Error(), sdr.ErrNoBuffer},
		{"tune fails", &fakeDongle{tuneErr: errors.New("PLL not locked")},
			func(s *Source) error { return s.Tune(2e9) },
			`rtlsdr: tune device "1" to 2000000000 Hz: PLL not locked`, nil},
		{"read after close", &fakeDongle{},
			func(s *Source) error { s.Close(); return s.ReadBlock(&sdr.Block{Samples: make([]complex64, 10)}) },
			ErrClosed.Error(), ErrClosed},
		{"close twice", &fakeDongle{},
			func(s *Source) error { s.Close(); return s.Close() },
			ErrClosed.Error(), ErrClosed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newFakeSource(t, tc.f, SourceConfig{Device: "1", ReadBytes: 1024})
			err := tc.op(s)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
		})
	}
	t.Run("close releases the dongle once", func(t *testing.T) {
		f := &fakeDongle{}
		s := newFakeSource(t, f, SourceConfig{})
		s.Close()
		s.Close()
		if f.closed != 1 {
			t.Errorf("device closed %d times, want 1", f.closed)
		}
	})
}

func TestSourceReadBlockAllocs(t *testing.T) {
	f := &fakeDongle{}
	s := newFakeSource(t, f, SourceConfig{ReadBytes: 16384})
	b := &sdr.Block{Samples: make([]complex64, 5000)}
	allocs := testing.AllocsPerRun(100, func() {
		if err := s.ReadBlock(b); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("ReadBlock allocates %v times per block, want 0", allocs)
	}
}

// nullDongle hands back its buffer untouched, so the benchmark measures
// Source's own cost (decoding and bookkeeping), not a fake's pattern.
type nullDongle struct{}

func (nullDongle) ReadSync(buf []byte) (int, error) { return len(buf), nil }
func (nullDongle) SetCenterFreq(int) error          { return nil }
func (nullDongle) ResetBuffer() error               { return nil }
func (nullDongle) Close() error                     { return nil }

func BenchmarkSourceReadBlock(b *testing.B) {
	for _, n := range []int{4096, 65536, 262144} {
		b.Run(sizeName(n), func(b *testing.B) {
			cfg := SourceConfig{Freq: 902e6}
			if err := cfg.fill(); err != nil {
				b.Fatal(err)
			}
			s := newSource(nullDongle{}, cfg, DefaultRate, math.NaN())
			blk := &sdr.Block{Samples: make([]complex64, n)}
			b.SetBytes(int64(2 * n))
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := s.ReadBlock(blk); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Msamples/s")
		})
	}
}

func sizeName(n int) string {
	if n%1024 == 0 {
		return strconv.Itoa(n/1024) + "k"
	}
	return strconv.Itoa(n)
}
