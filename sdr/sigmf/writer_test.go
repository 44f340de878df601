package sigmf

import (
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

// quantTol is half a quantization step of each format, the most a round
// trip through it may move a value inside full scale: cu8 steps are 2/255
// (codes 0..255 span -1..+1), ci8 1/128, ci16 1/32768; float32 is exact.
func quantTol(f sdr.Format) float64 {
	switch f {
	case sdr.CU8:
		return 0.5 * 2 / 255
	case sdr.CI8:
		return 0.5 / 128
	case sdr.CI16LE:
		return 0.5 / 32768
	}
	return 0
}

var allFormats = []sdr.Format{sdr.CU8, sdr.CI8, sdr.CI16LE, sdr.CF32LE}

func TestRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 5, 1, 22, 0, 0, 0, time.UTC)
	const rate = 2.4e6
	for _, f := range allFormats {
		t.Run(f.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(f)))
			in := make([]complex64, 10000)
			for i := range in {
				// Inside the ci8 range [-1, 127/128] so no format saturates.
				in[i] = complex(rng.Float32()*1.98-0.99, rng.Float32()*1.98-0.99)
			}
			prefix := filepath.Join(t.TempDir(), "rt")
			m := Meta{
				Datatype: f, SampleRate: rate, Description: "round trip", Author: "test", Hardware: "none",
				Recorder: "sigmf_test", Gain: 38.6, PPM: -3, Extra: map[string]any{"my:field": "kept"},
				Annotations: []map[string]any{{"core:sample_start": 5, "core:label": "x"}},
			}
			w, err := Create(prefix, m)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(in); i += 1000 {
				b := sdr.Block{Samples: in[i : i+1000], Center: 902e6, Rate: rate, Time: t0.Add(sampleDuration(int64(i), rate))}
				if err := w.WriteBlock(&b); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(prefix + ".sigmf-data"); err != nil || st.Size() != int64(len(in)*f.BytesPerSample()) {
				t.Fatalf("data file: %v, size %d, want %d bytes", err, st.Size(), len(in)*f.BytesPerSample())
			}
			r, err := Open(prefix)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got := r.Meta()
			if got.Datatype != f || got.SampleRate != rate || got.Description != m.Description || got.Author != m.Author ||
				got.Hardware != m.Hardware || got.Recorder != m.Recorder || got.Gain != m.Gain || got.PPM != m.PPM {
				t.Errorf("meta read back %+v", got)
			}
			if got.Extra["my:field"] != "kept" || len(got.Annotations) != 1 || got.Annotations[0]["core:label"] != "x" {
				t.Errorf("Extra %v annotations %v not kept", got.Extra, got.Annotations)
			}
			if len(got.Captures) != 1 || got.Captures[0].Length != int64(len(in)) || !got.Captures[0].Datetime.Equal(t0) {
				t.Errorf("captures %+v, want one of %d samples at %v", got.Captures, len(in), t0)
			}
			out := readAll(t, r, 777)
			if len(out) != len(in) {
				t.Fatalf("read %d samples, want %d", len(out), len(in))
			}
			tol := quantTol(f) + 1e-7
			worst := 0.0
			for i := range in {
				d := out[i].s - in[i]
				worst = max(worst, math.Abs(float64(real(d))), math.Abs(float64(imag(d))))
			}
			if worst > tol {
				t.Errorf("worst round-trip error %g, want ≤ %g", worst, tol)
			}
		})
	}
}

// TestMultiCapture writes retunes, a dropped-samples gap, a time jump and
// timing jitter, and checks the captures written and the blocks read back.
func TestMultiCapture(t *testing.T) {
	const rate = 1e6 // 1 µs per sample
	t0 := time.Date(2026, 5, 1, 22, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	type in struct {
		center  float64
		at      time.Duration // block time after t0
		dropped int64
	}
	blocks := []in{
		{902e6, 0, 0}, {902e6, 1 * ms, 0}, {902e6, 2*ms + 500*time.Nanosecond, 0}, // jitter of half a sample: same capture
		{1747e6, 5 * ms, 0}, {1747e6, 6 * ms, 0}, // retune 1
		{847e6, 8 * ms, 0}, {847e6, 9 * ms, 0}, // retune 2
		{847e6, 10*ms + 500*time.Microsecond, 500}, {847e6, 11*ms + 500*time.Microsecond, 0}, // 500 samples lost
		{902e6, 12*ms + 500*time.Microsecond, 0}, // retune 3, contiguous in time
		{902e6, 20 * ms, 0},                      // time jump, nothing reported dropped
	}
	want := []Capture{
		{SampleStart: 0, Frequency: 902e6, Datetime: t0, Length: 3000, GlobalIndex: 0},
		{SampleStart: 3000, Frequency: 1747e6, Datetime: t0.Add(5 * ms), Length: 2000, GlobalIndex: 3000},
		{SampleStart: 5000, Frequency: 847e6, Datetime: t0.Add(8 * ms), Length: 2000, GlobalIndex: 5000},
		{SampleStart: 7000, Frequency: 847e6, Datetime: t0.Add(10*ms + 500*time.Microsecond), Length: 2000, GlobalIndex: 7500},
		{SampleStart: 9000, Frequency: 902e6, Datetime: t0.Add(12*ms + 500*time.Microsecond), Length: 1000, GlobalIndex: 9500},
		{SampleStart: 10000, Frequency: 902e6, Datetime: t0.Add(20 * ms), Length: 1000, GlobalIndex: 10500},
	}

	prefix := filepath.Join(t.TempDir(), "multi")
	w, err := Create(prefix, Meta{Datatype: sdr.CF32LE}) // rate from the first block
	if err != nil {
		t.Fatal(err)
	}
	// Each sample carries its data-file index in I, so that the reader's
	// blocks can be checked sample by sample.
	var idx int
	for _, bi := range blocks {
		s := make([]complex64, 1000)
		for i := range s {
			s[i] = complex(float32(idx)/16384, 0)
			idx++
		}
		if err := w.WriteBlock(&sdr.Block{Samples: s, Center: bi.center, Rate: rate, Time: t0.Add(bi.at), Dropped: bi.dropped}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(prefix + ".sigmf-meta")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := r.Meta().Captures
	if len(got) != len(want) {
		t.Fatalf("%d captures %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		g := got[i]
		g.Extra = nil
		if g.SampleStart != want[i].SampleStart || g.Frequency != want[i].Frequency || !g.Datetime.Equal(want[i].Datetime) ||
			g.Length != want[i].Length || g.GlobalIndex != want[i].GlobalIndex {
			t.Errorf("capture %d = %+v\n want %+v", i, g, want[i])
		}
	}

	// Read through a block size that divides no capture: no block may
	// straddle a capture, and each block's time is its capture's datetime
	// plus the offset into it.
	b := sdr.Block{Samples: make([]complex64, 700)}
	next := 0
	var dropped []int64
	for {
		err := r.ReadBlock(&b)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		k := 0
		for k+1 < len(want) && int64(next) >= want[k+1].SampleStart {
			k++
		}
		c := want[k]
		if end := int64(next + len(b.Samples)); end > c.SampleStart+c.Length {
			t.Fatalf("block at sample %d of %d samples straddles capture %d ending at %d", next, len(b.Samples), k, c.SampleStart+c.Length)
		}
		if b.Center != c.Frequency {
			t.Errorf("block at sample %d: center %v, want %v", next, b.Center, c.Frequency)
		}
		if wt := c.Datetime.Add(time.Duration(int64(next)-c.SampleStart) * time.Microsecond); !b.Time.Equal(wt) {
			t.Errorf("block at sample %d: time %v, want %v", next, b.Time, wt)
		}
		for i, s := range b.Samples {
			if real(s) != float32(next+i)/16384 {
				t.Fatalf("sample %d = %v, want index %d", next+i, s, next+i)
			}
		}
		if b.Dropped != 0 {
			dropped = append(dropped, int64(next), b.Dropped)
		}
		next += len(b.Samples)
	}
	if next != 11000 {
		t.Errorf("read %d samples, want 11000", next)
	}
	if len(dropped) != 2 || dropped[0] != 7000 || dropped[1] != 500 {
		t.Errorf("Dropped reported as [sample, count...] %v, want [7000 500]", dropped)
	}
}

func TestWriterAllocs(t *testing.T) {
	const rate = 2.4e6
	w, err := Create(filepath.Join(t.TempDir(), "a"), Meta{Datatype: sdr.CU8, SampleRate: rate})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	b := sdr.Block{Samples: make([]complex64, 16384), Center: 902e6, Rate: rate, Time: time.Unix(1e9, 0)}
	n := 0
	allocs := testing.AllocsPerRun(100, func() {
		b.Time = time.Unix(1e9, 0).Add(sampleDuration(int64(n), rate))
		if err := w.WriteBlock(&b); err != nil {
			t.Fatal(err)
		}
		n += len(b.Samples)
	})
	if allocs != 0 {
		t.Errorf("WriteBlock allocates %v times per call, want 0", allocs)
	}
	if c := w.Meta().Captures; len(c) != 1 || c[0].Length != int64(n) {
		t.Errorf("captures %+v, want one of %d samples", c, n)
	}
}

// TestWriterSync: Sync leaves a readable recording of what was written so
// far, and neither Sync nor Close leaves temporary files behind.
func TestWriterSync(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "live")
	w, err := Create(prefix, Meta{Datatype: sdr.CI8, SampleRate: 1e6})
	if err != nil {
		t.Fatal(err)
	}
	blk := &sdr.Block{Samples: make([]complex64, 500), Center: 850e6, Rate: 1e6}
	if err := w.WriteBlock(blk); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(prefix)
	if err != nil {
		t.Fatalf("Open after Sync: %v", err)
	}
	if r.Len() != 500 || r.Meta().Captures[0].Length != 500 {
		t.Errorf("after Sync: Len %d captures %+v, want 500 samples", r.Len(), r.Meta().Captures)
	}
	r.Close()
	if err := w.WriteBlock(blk); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "live.sigmf-data live.sigmf-meta" {
		t.Errorf("directory holds %v, want only the pair", names)
	}
	if r, err := Open(prefix); err != nil || r.Len() != 1000 {
		t.Errorf("after Close: %v, Len %d, want 1000", err, r.Len())
	}
}

func TestWriterErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(filepath.Join(dir, "u"), Meta{SampleRate: 1e6}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Create without datatype: %v, want ErrUnsupported", err)
	}
	if _, err := Create(filepath.Join(dir, "n"), Meta{Datatype: sdr.CU8, SampleRate: math.NaN()}); err == nil {
		t.Error("Create with NaN rate succeeded")
	}
	if _, err := Create(filepath.Join(dir, "missing", "x"), Meta{Datatype: sdr.CU8, SampleRate: 1}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Create in a missing directory: %v, want ErrNotExist", err)
	}
	w, err := Create(filepath.Join(dir, "r"), Meta{Datatype: sdr.CU8, SampleRate: 2.4e6})
	if err != nil {
		t.Fatal(err)
	}
	err = w.WriteBlock(&sdr.Block{Samples: make([]complex64, 4), Rate: 2.048e6, Seq: 7})
	if err == nil || !strings.Contains(err.Error(), "block 7 has rate 2.048e+06 S/s, the recording 2.4e+06 S/s") {
		t.Errorf("rate mismatch: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteBlock(&sdr.Block{Samples: make([]complex64, 4)}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("WriteBlock after Close: %v, want os.ErrClosed", err)
	}
	if err := w.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close: %v, want os.ErrClosed", err)
	}
}

// TestWriterOffset: with Meta.Offset the writer writes absolute sample
// indices, and the reader maps them back onto the data file.
func TestWriterOffset(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "part2")
	w, err := Create(prefix, Meta{Datatype: sdr.CI16LE, SampleRate: 1e6, Offset: 5000})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []float64{1e8, 2e8} {
		if err := w.WriteBlock(&sdr.Block{Samples: make([]complex64, 300), Center: c, Rate: 1e6}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := r.Meta()
	if m.Offset != 5000 || len(m.Captures) != 2 || m.Captures[0].SampleStart != 5000 || m.Captures[1].SampleStart != 5300 || m.Captures[1].Length != 300 {
		t.Fatalf("offset %d captures %+v, want starts 5000 and 5300", m.Offset, m.Captures)
	}
	got := readAll(t, r, 1000)
	if len(got) != 600 || got[299].center != 1e8 || got[300].center != 2e8 {
		t.Errorf("read %d samples; centers at 299, 300: %v, %v", len(got), got[299].center, got[300].center)
	}
}
