package selftest

import (
	"context"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
	"github.com/cellsentry/cellsentry/sdr/sim"
)

func status(r Report, name string) Check {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return Check{}
}

func TestWorkingDongle(t *testing.T) {
	sc, err := sim.Builtin("quiet-night")
	if err != nil {
		t.Fatal(err)
	}
	src, err := sc.Open(sc.Sensors[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), src, src.Rate(), Options{Duration: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range rep.Checks {
		t.Logf("%-12s %-4s %g %s — %s", c.Name, c.Status, c.Value, c.Unit, c.Detail)
	}
	if !rep.OK() || status(rep, "noise floor").Status != Pass || status(rep, "clipping").Status != Pass || status(rep, "sample rate").Status != Skip {
		t.Errorf("a working simulated dongle did not pass: %+v", rep.Checks)
	}
}

// constant delivers full-scale constant samples (a stuck ADC).
type constant struct{ v complex64 }

func (c constant) ReadBlock(b *sdr.Block) error {
	b.Samples = b.Samples[:cap(b.Samples)]
	for i := range b.Samples {
		b.Samples[i] = c.v
	}
	b.Center, b.Rate = 900e6, 2.4e6
	return nil
}
func (constant) Close() error { return nil }

func TestStuckADCFails(t *testing.T) {
	rep, err := Run(context.Background(), constant{complex(-1, -1)}, 2.4e6, Options{Duration: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || status(rep, "signal").Status != Fail || status(rep, "clipping").Status != Fail {
		t.Errorf("stuck, saturated ADC passed: %+v", rep.Checks)
	}
}

// paced delivers noise-free blocks and advances a fake clock as a source
// delivering factor × the nominal rate would.
type paced struct {
	rate, factor float64
	now          *time.Time
}

func (p paced) ReadBlock(b *sdr.Block) error {
	b.Samples = b.Samples[:cap(b.Samples)]
	for i := range b.Samples {
		b.Samples[i] = complex(float32(i%7)/10, 0)
	}
	b.Center, b.Rate = 900e6, p.rate
	*p.now = p.now.Add(time.Duration(float64(len(b.Samples)) / (p.rate * p.factor) * float64(time.Second)))
	return nil
}
func (paced) Close() error { return nil }

func TestDeliveredRate(t *testing.T) {
	for _, c := range []struct {
		factor float64
		want   Status
	}{{1.0, Pass}, {1.01, Pass}, {0.9, Fail}, {1.2, Fail}} {
		now := time.Unix(0, 0)
		src := paced{rate: 2.4e6, factor: c.factor, now: &now}
		rep, err := Run(context.Background(), src, 2.4e6, Options{Duration: time.Second, Realtime: true, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		got := status(rep, "sample rate")
		if got.Status != c.want {
			t.Errorf("delivering %.2f× the rate: %s (%.0f S/s), want %s", c.factor, got.Status, got.Value, c.want)
		}
	}
}
