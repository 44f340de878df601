package resilient

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// fake is a source that counts samples, fails after failAfter blocks, or
// hangs (until closed) when hang is set.
type fake struct {
	next      *atomic.Int64 // shared sample counter across reopens
	failAfter int
	hang      bool
	blocks    int
	closed    chan struct{}
	once      sync.Once
}

func (f *fake) Rate() float64 { return 1e6 }
func (f *fake) Close() error {
	f.once.Do(func() { close(f.closed) })
	return nil
}
func (f *fake) ReadBlock(b *sdr.Block) error {
	if f.hang && f.blocks >= f.failAfter {
		<-f.closed
		return errors.New("closed while hung")
	}
	if f.blocks >= f.failAfter {
		return errors.New("usb: device gone")
	}
	f.blocks++
	b.Samples = b.Samples[:cap(b.Samples)]
	for i := range b.Samples {
		b.Samples[i] = complex(float32(f.next.Add(1)), 0)
	}
	b.Rate = 1e6
	return nil
}

func TestRecoversAfterLossAndFailedOpens(t *testing.T) {
	var counter atomic.Int64
	opens := 0
	open := func(ctx context.Context) (Source, error) {
		opens++
		switch opens {
		case 2, 3: // the dongle is away for two attempts
			return nil, errors.New("usb: no device")
		}
		return &fake{next: &counter, failAfter: 3, closed: make(chan struct{})}, nil
	}
	var events []Event
	r := New(context.Background(), open, Options{BackoffMin: 2 * time.Millisecond, BackoffMax: 8 * time.Millisecond,
		OnEvent: func(e Event) { events = append(events, e) }})
	defer r.Close()
	buf := make([]complex64, 100)
	var dropped int64
	for i := 0; i < 6; i++ {
		b := sdr.Block{Samples: buf}
		if err := r.ReadBlock(&b); err != nil {
			t.Fatal(err)
		}
		if len(b.Samples) != 100 {
			t.Fatalf("block %d: %d samples", i, len(b.Samples))
		}
		dropped += b.Dropped
	}
	var kinds []EventKind
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	want := []EventKind{Lost, Retrying, Retrying, Reopened}
	if len(kinds) != len(want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("events %v, want %v", kinds, want)
		}
	}
	re := events[3]
	if re.Attempts != 3 || re.Gap < 2*time.Millisecond {
		t.Errorf("reopened after %d attempts, gap %v", re.Attempts, re.Gap)
	}
	// The gap is accounted for at the source's rate.
	if want := int64(re.Gap.Seconds() * 1e6); dropped < want*9/10 {
		t.Errorf("dropped %d samples, want about %d (gap %v at 1 MS/s)", dropped, want, re.Gap)
	}
	t.Logf("events %v, gap %v, dropped %d", kinds, re.Gap, dropped)
}

func TestStallIsALoss(t *testing.T) {
	var counter atomic.Int64
	open := func(ctx context.Context) (Source, error) {
		return &fake{next: &counter, failAfter: 2, hang: true, closed: make(chan struct{})}, nil
	}
	var lost int
	r := New(context.Background(), open, Options{Stall: 20 * time.Millisecond, BackoffMin: time.Millisecond,
		OnEvent: func(e Event) {
			if e.Kind == Lost {
				lost++
			}
		}})
	defer r.Close()
	buf := make([]complex64, 10)
	for range 5 {
		b := sdr.Block{Samples: buf}
		if err := r.ReadBlock(&b); err != nil {
			t.Fatal(err)
		}
	}
	if lost != 2 {
		t.Errorf("%d losses after 5 blocks of sources that hang after 2, want 2", lost)
	}
}

func TestContextEndsTheWait(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	r := New(ctx, func(context.Context) (Source, error) { return nil, errors.New("no device") },
		Options{BackoffMin: 5 * time.Millisecond, BackoffMax: 10 * time.Millisecond})
	b := sdr.Block{Samples: make([]complex64, 10)}
	if err := r.ReadBlock(&b); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the context's", err)
	}
}

func TestEOFPassesThrough(t *testing.T) {
	r := New(context.Background(), func(context.Context) (Source, error) { return eofSource{}, nil }, Options{})
	b := sdr.Block{Samples: make([]complex64, 10)}
	if err := r.ReadBlock(&b); !errors.Is(err, io.EOF) {
		t.Fatalf("err %v, want io.EOF", err)
	}
}

type eofSource struct{}

func (eofSource) ReadBlock(*sdr.Block) error { return io.EOF }
func (eofSource) Close() error               { return nil }
func (eofSource) Rate() float64              { return 1 }

// A thousand losses and reopens leave no goroutine behind.
func TestNoLeakAcrossReconnects(t *testing.T) {
	var counter atomic.Int64
	open := func(ctx context.Context) (Source, error) {
		return &fake{next: &counter, failAfter: 1, hang: true, closed: make(chan struct{})}, nil
	}
	r := New(context.Background(), open, Options{Stall: time.Millisecond, BackoffMin: time.Microsecond})
	before := runtime.NumGoroutine()
	b := sdr.Block{Samples: make([]complex64, 4)}
	for range 1000 {
		b.Samples = b.Samples[:cap(b.Samples)]
		if err := r.ReadBlock(&b); err != nil {
			t.Fatal(err)
		}
	}
	r.Close()
	time.Sleep(20 * time.Millisecond)
	after := runtime.NumGoroutine()
	t.Logf("goroutines %d → %d after 1000 reconnects", before, after)
	if after > before+2 {
		t.Errorf("goroutines grew from %d to %d", before, after)
	}
}

func TestReadBlockAllocs(t *testing.T) {
	var counter atomic.Int64
	r := New(context.Background(), func(context.Context) (Source, error) {
		return &fake{next: &counter, failAfter: 1 << 30, closed: make(chan struct{})}, nil
	}, Options{})
	defer r.Close()
	b := sdr.Block{Samples: make([]complex64, 256)}
	r.ReadBlock(&b)
	if a := testing.AllocsPerRun(200, func() {
		b.Samples = b.Samples[:cap(b.Samples)]
		r.ReadBlock(&b)
	}); a != 0 {
		t.Errorf("ReadBlock allocates %v per block", a)
	}
}

// tunable records retunes.
type tunable struct {
	*fake
	tuned *[]float64
}

func (t tunable) Tune(hz float64) error { *t.tuned = append(*t.tuned, hz); return nil }

func TestTuneSurvivesReopen(t *testing.T) {
	var counter atomic.Int64
	var tuned []float64
	open := func(ctx context.Context) (Source, error) {
		return tunable{&fake{next: &counter, failAfter: 2, closed: make(chan struct{})}, &tuned}, nil
	}
	r := New(context.Background(), open, Options{BackoffMin: time.Millisecond})
	defer r.Close()
	b := sdr.Block{Samples: make([]complex64, 8)}
	if err := r.ReadBlock(&b); err != nil {
		t.Fatal(err)
	}
	if err := r.Tune(902.4e6); err != nil {
		t.Fatal(err)
	}
	for range 4 { // the source fails every two blocks: one reopen at least
		b.Samples = b.Samples[:cap(b.Samples)]
		if err := r.ReadBlock(&b); err != nil {
			t.Fatal(err)
		}
	}
	if len(tuned) < 2 || tuned[0] != 902.4e6 || tuned[len(tuned)-1] != 902.4e6 {
		t.Errorf("retunes %v: want 902.4 MHz applied, and again after the reopen", tuned)
	}
	if r.Center() != 902.4e6 {
		t.Errorf("Center %g", r.Center())
	}
}
