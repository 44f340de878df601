package channelize

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

const (
	testRate   = 2.4e6
	testCenter = 902.4e6
)

var testT0 = time.Date(2026, 3, 1, 22, 10, 0, 0, time.UTC)

// collect keeps a copy of every frame it is handed.
type collect struct{ frames []Frame }

func (c *collect) Frame(f *Frame) {
	g := *f
	g.Power = append([]float32(nil), f.Power...)
	c.frames = append(c.frames, g)
}

// count only counts frames (no copies: for allocation tests and benchmarks).
type count struct{ n int }

func (c *count) Frame(*Frame) { c.n++ }

func mustNew(t testing.TB, cfg Config) *Channelizer {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// block is a block of samples taken at testCenter/testRate starting at
// stream sample start (no drops before it).
func block(s []complex64, start int64) *sdr.Block {
	return &sdr.Block{Samples: s, Center: testCenter, Rate: testRate, Time: sampleTime(start)}
}

// sampleTime is the instant of stream sample k at testRate.
func sampleTime(k int64) time.Time {
	return testT0.Add(time.Duration(math.Round(float64(k) / testRate * 1e9)))
}

// toneAt returns n samples of A·exp(2πi·f·t) with f the centre of FFT bin k
// of a size-point frame in frequency order (bin size/2 = 0 Hz):
// f = (k − size/2)·rate/size, i.e. a whole number of cycles per frame.
func toneAt(n, size, k int, a float64) []complex64 {
	s := make([]complex64, n)
	cyc := float64(k-size/2) / float64(size) // cycles per sample
	for i := range s {
		// Reduce the phase to one cycle in float64 before the trig so that
		// float32 output is as clean as it can be.
		ph := 2 * math.Pi * math.Mod(cyc*float64(i), 1)
		s[i] = complex64(complex(a*math.Cos(ph), a*math.Sin(ph)))
	}
	return s
}

// noise returns n samples of circular complex Gaussian noise of power p
// (E|x|² = p).
func noise(rng *rand.Rand, n int, p float64) []complex64 {
	s := make([]complex64, n)
	sd := math.Sqrt(p / 2)
	for i := range s {
		s[i] = complex(float32(rng.NormFloat64()*sd), float32(rng.NormFloat64()*sd))
	}
	return s
}

// TestToneAtBinCentre checks the power normalisation and the bin order
// against the definition in the package doc: a complex tone of amplitude A
// has power A², all of it in its own bin for the rectangular window, and
// spread over the window's main lobe (±1 bin for Hann, ±3 for the others:
// that is where the periodic 4-term Blackman–Harris puts all of it and
// where the Tukey keeps all but a few 1e-4) for the others.
func TestToneAtBinCentre(t *testing.T) {
	const size = 256
	cases := []struct {
		window string
		span   int     // bins either side of the tone's bin that hold its power
		tol    float64 // relative error allowed on the power in the span
	}{
		{"rect", 0, 1e-3},
		{"hann", 1, 1e-3},
		{"tukey", 3, 1e-3},
		{"blackman-harris", 3, 1e-3},
	}
	bins := []int{0, 1, 77, size / 2, size/2 + 1, size - 1}
	for _, tc := range cases {
		for _, k0 := range bins {
			for _, a := range []float64{1, 0.03} {
				t.Run(fmt.Sprintf("%s/bin%d/A%g", tc.window, k0, a), func(t *testing.T) {
					c := mustNew(t, Config{Size: size, Window: tc.window})
					var got collect
					c.Process(block(toneAt(3*size, size, k0, a), 0), &got)
					if len(got.frames) != 3 {
						t.Fatalf("%d frames from 3 frames of samples", len(got.frames))
					}
					want := a * a
					for _, f := range got.frames {
						var inSpan, total float64
						peak := 0
						for k, p := range f.Power {
							total += float64(p)
							if p > f.Power[peak] {
								peak = k
							}
							d := (k - k0 + size) % size // circular: −rate/2 and +rate/2 are neighbours
							if d <= tc.span || d >= size-tc.span {
								inSpan += float64(p)
							}
						}
						if peak != k0 {
							t.Errorf("frame %d: loudest bin %d, want %d", f.Index, peak, k0)
						}
						if e := math.Abs(inSpan-want) / want; e > tc.tol {
							t.Errorf("frame %d: power in bins %d±%d = %.6g, want A² = %.6g (rel. error %.2g > %g)",
								f.Index, k0, tc.span, inSpan, want, e, tc.tol)
						}
						// Parseval: the bins add up to the mean power whatever the window.
						if e := math.Abs(total-want) / want; e > 1e-4 {
							t.Errorf("frame %d: bins sum to %.6g, want %.6g", f.Index, total, want)
						}
						wantHz := testCenter + float64(k0-size/2)*testRate/size
						if got := f.FreqOf(peak); math.Abs(got-wantHz) > 1e-6 {
							t.Errorf("FreqOf(%d) = %.3f Hz, want %.3f Hz", peak, got, wantHz)
						}
					}
				})
			}
		}
	}
}

// TestBinOrder pins the FFT-shifted order: bin 0 is −rate/2, bin N/2 the
// centre, bin N−1 one bin below +rate/2, and BinHz = rate/N.
func TestBinOrder(t *testing.T) {
	for _, size := range []int{16, 256, 8192} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			f := Frame{Power: make([]float32, size), Center: testCenter, Rate: testRate}
			bin := testRate / float64(size)
			if f.BinHz() != bin {
				t.Errorf("BinHz = %g, want %g", f.BinHz(), bin)
			}
			checks := []struct {
				k    int
				want float64
			}{
				{0, testCenter - testRate/2},
				{size / 2, testCenter},
				{size/2 + 1, testCenter + bin},
				{size - 1, testCenter + testRate/2 - bin},
			}
			for _, ch := range checks {
				if got := f.FreqOf(ch.k); math.Abs(got-ch.want) > 1e-6 {
					t.Errorf("FreqOf(%d) = %.3f, want %.3f", ch.k, got, ch.want)
				}
			}
		})
	}
}

// TestWhiteNoisePerBin: white noise of power σ² gives E[P[k]] = σ²/N in
// every bin, for every window (Σ|w·x|² has mean σ²·Σw², which the
// normalisation divides out). 65536 independent frames leave each bin's
// mean with a relative standard deviation of 1/√65536 = 0.4 %, so the 2 %
// bound is 5 standard deviations.
func TestWhiteNoisePerBin(t *testing.T) {
	cases := []struct {
		window string
		size   int
	}{
		{"tukey", 256},
		{"rect", 64},
		{"hann", 64},
		{"blackman-harris", 64},
	}
	const frames = 1 << 16
	const sigma2 = 0.01
	for i, tc := range cases {
		t.Run(fmt.Sprintf("%s/%d", tc.window, tc.size), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			c := mustNew(t, Config{Size: tc.size, Window: tc.window})
			sum := make([]float64, tc.size)
			acc := sinkFunc(func(f *Frame) {
				for k, p := range f.Power {
					sum[k] += float64(p)
				}
			})
			const blk = 1 << 16
			buf := make([]complex64, blk)
			sd := math.Sqrt(sigma2 / 2)
			var done int64
			for done < int64(frames*tc.size) {
				for j := range buf {
					buf[j] = complex(float32(rng.NormFloat64()*sd), float32(rng.NormFloat64()*sd))
				}
				c.Process(block(buf, done), acc)
				done += blk
			}
			want := sigma2 / float64(tc.size)
			var all float64
			for k := range sum {
				m := sum[k] / frames
				all += m
				if e := math.Abs(m-want) / want; e > 0.02 {
					t.Errorf("bin %d: mean power %.5g, want σ²/N = %.5g (off by %.1f %%)", k, m, want, 100*e)
				}
			}
			all /= float64(tc.size)
			if e := math.Abs(all-want) / want; e > 0.002 {
				t.Errorf("mean over all bins %.6g, want %.6g (off by %.2f %%)", all, want, 100*e)
			}
		})
	}
}

type sinkFunc func(*Frame)

func (s sinkFunc) Frame(f *Frame) { s(f) }

// TestFramingAcrossBlocks: cutting the stream into blocks of any size
// changes nothing: the frames are bitwise those of one big block, and
// Index, Offset and Time follow from the frame's position in the stream.
func TestFramingAcrossBlocks(t *testing.T) {
	cases := []struct {
		name      string
		size, hop int
		window    string
	}{
		{"256 no overlap", 256, 0, ""},
		{"256 hop 100", 256, 100, ""},
		{"256 hop 128 hann", 256, 128, "hann"},
		{"64 hop 1", 64, 1, "rect"},
		{"16 no overlap", 16, 16, "blackman-harris"},
	}
	rng := rand.New(rand.NewPCG(7, 7))
	// A tone in noise, with a few clipped samples so that the clip counts
	// are compared too.
	const n = 60000
	stream := noise(rng, n, 0.05)
	tone := toneAt(n, 256, 150, 0.3)
	for i := range stream {
		stream[i] += tone[i]
		if rng.IntN(500) == 0 {
			stream[i] = complex(1, imag(stream[i]))
		}
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Size: tc.size, Hop: tc.hop, Window: tc.window}
			hop := tc.hop
			if hop == 0 {
				hop = tc.size
			}
			var whole collect
			mustNew(t, cfg).Process(block(stream, 0), &whole)
			wantFrames := (n-tc.size)/hop + 1
			if len(whole.frames) != wantFrames {
				t.Fatalf("one block of %d samples: %d frames, want %d", n, len(whole.frames), wantFrames)
			}
			checkPositions(t, "one block", whole.frames, hop)

			for trial := range 3 {
				var cut collect
				c := mustNew(t, cfg)
				maxBlk := []int{7, 300, 5000}[trial]
				for pos := 0; pos < n; {
					m := min(n-pos, 1+rng.IntN(maxBlk))
					c.Process(block(stream[pos:pos+m], int64(pos)), &cut)
					pos += m
				}
				name := fmt.Sprintf("blocks of 1..%d", maxBlk)
				if len(cut.frames) != len(whole.frames) {
					t.Fatalf("%s: %d frames, want %d", name, len(cut.frames), len(whole.frames))
				}
				checkPositions(t, name, cut.frames, hop)
				for i := range cut.frames {
					a, b := &cut.frames[i], &whole.frames[i]
					if a.Clipped != b.Clipped || a.Reset != b.Reset {
						t.Fatalf("%s: frame %d: clipped %d reset %v, one block gives %d %v", name, i, a.Clipped, a.Reset, b.Clipped, b.Reset)
					}
					for k := range a.Power {
						if math.Float32bits(a.Power[k]) != math.Float32bits(b.Power[k]) {
							t.Fatalf("%s: frame %d bin %d: %g, one block gives %g", name, i, k, a.Power[k], b.Power[k])
						}
					}
				}
			}
		})
	}
}

// checkPositions checks Index, Offset, Time, Center, Rate and Reset of
// the frames of one uninterrupted stream that began at sample 0.
func checkPositions(t *testing.T, name string, frames []Frame, hop int) {
	t.Helper()
	for i, f := range frames {
		off := int64(i) * int64(hop)
		if f.Index != int64(i) || f.Offset != off {
			t.Fatalf("%s: frame %d: Index %d Offset %d, want %d %d", name, i, f.Index, f.Offset, i, off)
		}
		// Block times are rounded to the nanosecond and a frame's time is
		// its block's plus its position in it: 2 ns covers both roundings.
		if d := f.Time.Sub(sampleTime(off)); d < -2 || d > 2 {
			t.Fatalf("%s: frame %d (sample %d): Time off by %v", name, i, off, d)
		}
		if f.Center != testCenter || f.Rate != testRate {
			t.Fatalf("%s: frame %d: Center %g Rate %g", name, i, f.Center, f.Rate)
		}
		if f.Reset != (i == 0) {
			t.Fatalf("%s: frame %d: Reset %v, want it on the first frame only", name, i, f.Reset)
		}
	}
}

// TestDiscontinuities: a retune, a rate change, dropped samples and
// settling blocks restart the framing (the partial frame is discarded),
// set Reset on the next frame, and keep the stream offset counting every
// sample the source produced or lost.
func TestDiscontinuities(t *testing.T) {
	const size = 256
	// The first block leaves 1000 − 3·256 = 232 samples pending.
	type step struct {
		n        int
		center   float64
		rate     float64
		dropped  int64
		settling bool
	}
	type want struct {
		offset int64
		center float64
		reset  bool
	}
	first := step{n: 1000, center: testCenter, rate: testRate}
	firstFrames := []want{{0, testCenter, true}, {256, testCenter, false}, {512, testCenter, false}}
	cases := []struct {
		name  string
		steps []step
		want  []want // after firstFrames
	}{
		{"continuous", []step{{n: 1000, center: testCenter, rate: testRate}},
			// 232 pending + 1000 = 1232: four frames from 768 on.
			[]want{{768, testCenter, false}, {1024, testCenter, false}, {1280, testCenter, false}, {1536, testCenter, false}}},
		{"retune", []step{{n: 1000, center: testCenter + 1e6, rate: testRate}},
			[]want{{1000, testCenter + 1e6, true}, {1256, testCenter + 1e6, false}, {1512, testCenter + 1e6, false}}},
		{"rate change", []step{{n: 1000, center: testCenter, rate: 2 * testRate}},
			[]want{{1000, testCenter, true}, {1256, testCenter, false}, {1512, testCenter, false}}},
		{"dropped", []step{{n: 1000, center: testCenter, rate: testRate, dropped: 500}},
			[]want{{1500, testCenter, true}, {1756, testCenter, false}, {2012, testCenter, false}}},
		{"settling then same tuning", []step{
			{n: 1000, center: testCenter, rate: testRate, settling: true},
			{n: 600, center: testCenter, rate: testRate}},
			[]want{{2000, testCenter, true}, {2256, testCenter, false}}},
		{"retune, settling with drops, then data", []step{
			{n: 300, center: testCenter - 2e6, rate: testRate, settling: true, dropped: 44},
			{n: 700, center: testCenter - 2e6, rate: testRate, dropped: 6}},
			[]want{{1350, testCenter - 2e6, true}, {1606, testCenter - 2e6, false}}},
		{"short block then drop", []step{
			{n: 100, center: testCenter, rate: testRate},
			{n: 600, center: testCenter, rate: testRate, dropped: 1}},
			// 232 + 100 = 332 gives one frame at 768; the drop discards
			// the 76 left and restarts at 1101.
			[]want{{768, testCenter, false}, {1101, testCenter, true}, {1357, testCenter, false}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := mustNew(t, Config{Size: size})
			var got collect
			var next int64 // stream index of the next block's first sample
			blockAt := map[int64]time.Time{}
			for _, s := range append([]step{first}, tc.steps...) {
				next += s.dropped
				b := &sdr.Block{Samples: make([]complex64, s.n), Center: s.center, Rate: s.rate,
					Time: testT0.Add(time.Duration(next) * time.Millisecond), Dropped: s.dropped, Settling: s.settling}
				blockAt[next] = b.Time
				c.Process(b, &got)
				next += int64(s.n)
			}
			all := append(append([]want(nil), firstFrames...), tc.want...)
			if len(got.frames) != len(all) {
				t.Fatalf("%d frames, want %d", len(got.frames), len(all))
			}
			for i, w := range all {
				f := got.frames[i]
				if f.Offset != w.offset || f.Center != w.center || f.Reset != w.reset || f.Index != int64(i) {
					t.Errorf("frame %d: Index %d Offset %d Center %.0f Reset %v, want %d %d %.0f %v",
						i, f.Index, f.Offset, f.Center, f.Reset, i, w.offset, w.center, w.reset)
				}
				// A frame that starts a block carries that block's time.
				if bt, ok := blockAt[f.Offset]; ok && !f.Time.Equal(bt) {
					t.Errorf("frame %d at a block start: Time %v, want the block's %v", i, f.Time, bt)
				}
			}
		})
	}
}

// TestClipped: Frame.Clipped counts the frame's samples whose I or Q has
// magnitude ≥ ClipLevel, across block boundaries and overlapping frames.
func TestClipped(t *testing.T) {
	const n = 4096
	s := make([]complex64, n)
	for i := range s {
		s[i] = complex(0.1, -0.1)
	}
	clipped := make([]bool, n)
	set := func(i int, v complex64, clip bool) { s[i], clipped[i] = v, clip }
	set(3, complex(1, 0), true)
	set(40, complex(-1, 0.2), true)
	set(41, complex(0.2, 1), true)
	set(42, complex(0.3, -1), true)
	set(43, complex(-1, -1), true)
	set(100, complex(ClipLevel, 0), true) // at the level counts
	set(101, complex(0.98, -0.98), false) // just below does not
	set(102, complex(0, -0.9899), false)
	for i := 1000; i < 1300; i++ { // a saturated stretch
		set(i, complex(-1, -1), true)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	for _, cfg := range []Config{{Size: 64}, {Size: 64, Hop: 16}, {Size: 256, Hop: 200}, {Size: 16, Hop: 1}} {
		t.Run(fmt.Sprintf("size%d/hop%d", cfg.Size, cfg.Hop), func(t *testing.T) {
			c := mustNew(t, cfg)
			var got collect
			for pos := 0; pos < n; {
				m := min(n-pos, 1+rng.IntN(333))
				c.Process(block(s[pos:pos+m], int64(pos)), &got)
				pos += m
			}
			if len(got.frames) == 0 {
				t.Fatal("no frames")
			}
			some := false
			for _, f := range got.frames {
				want := 0
				for i := f.Offset; i < f.Offset+int64(c.Size()); i++ {
					if clipped[i] {
						want++
					}
				}
				if f.Clipped != want {
					t.Errorf("frame at %d: Clipped %d, want %d", f.Offset, f.Clipped, want)
				}
				some = some || want > 0
			}
			if !some {
				t.Error("no frame covers a clipped sample: the test checks nothing")
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Size: 100}, "channelize: size 100: must be a power of two from 16 to 8192"},
		{Config{Size: 8}, "channelize: size 8: must be a power of two from 16 to 8192"},
		{Config{Size: 16384}, "channelize: size 16384: must be a power of two from 16 to 8192"},
		{Config{Size: -256}, "channelize: size -256: must be a power of two from 16 to 8192"},
		{Config{Hop: -1}, "channelize: hop -1: must be from 1 to the size 256"},
		{Config{Size: 64, Hop: 65}, "channelize: hop 65: must be from 1 to the size 64"},
		{Config{Window: "kaiser"}, `channelize: unknown window "kaiser" (known: [tukey hann blackman-harris rect])`},
		{Config{Window: "Hann"}, `channelize: unknown window "Hann" (known: [tukey hann blackman-harris rect])`},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%+v", tc.cfg), func(t *testing.T) {
			c, err := New(tc.cfg)
			if err == nil {
				t.Fatalf("New(%+v) = %v, nil; want error %q", tc.cfg, c, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %q\nwant %q", err, tc.want)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	cases := []struct {
		cfg       Config
		size, hop int
	}{
		{Config{}, DefaultSize, DefaultSize},
		{Config{Size: 64}, 64, 64},
		{Config{Size: 8192, Hop: 1}, 8192, 1},
		{Config{Size: 16, Hop: 16}, 16, 16},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%+v", tc.cfg), func(t *testing.T) {
			c := mustNew(t, tc.cfg)
			if c.Size() != tc.size || c.Hop() != tc.hop {
				t.Errorf("Size %d Hop %d, want %d %d", c.Size(), c.Hop(), tc.size, tc.hop)
			}
		})
	}
	// The default window is the Tukey.
	var got collect
	mustNew(t, Config{}).Process(block(toneAt(256, 256, 100, 1), 0), &got)
	var tk collect
	mustNew(t, Config{Window: "tukey"}).Process(block(toneAt(256, 256, 100, 1), 0), &tk)
	for k := range got.frames[0].Power {
		if got.frames[0].Power[k] != tk.frames[0].Power[k] {
			t.Fatalf("default window differs from tukey at bin %d", k)
		}
	}
}

// TestWindowShapes checks each window against its formula at known points
// and its periodic symmetry w[i] = w[N−i].
func TestWindowShapes(t *testing.T) {
	type point struct {
		at   func(n int) int
		want float64
	}
	at := func(num, den int) func(int) int { return func(n int) int { return n * num / den } }
	cases := []struct {
		name   string
		points []point
		min    float64 // smallest value anywhere
	}{
		{"rect", []point{{at(0, 1), 1}, {at(1, 2), 1}, {at(1, 3), 1}}, 1},
		// 0.5 − 0.5·cos(2πi/N)
		{"hann", []point{{at(0, 1), 0}, {at(1, 4), 0.5}, {at(1, 2), 1}, {at(3, 4), 0.5}}, 0},
		// Tukey α = 0.5: Hann tapers over the first and last N/4, 1 between.
		{"tukey", []point{{at(0, 1), 0}, {at(1, 8), 0.5}, {at(1, 4), 1}, {at(1, 2), 1}, {at(3, 4), 1}, {at(7, 8), 0.5}}, 0},
		// a0 − a1 + a2 − a3 at 0, a0 + a1 + a2 + a3 = 1 at the middle.
		{"blackman-harris", []point{{at(0, 1), 0.35875 - 0.48829 + 0.14128 - 0.01168}, {at(1, 2), 1},
			{at(1, 4), 0.35875 - 0.14128}}, 0.35875 - 0.48829 + 0.14128 - 0.01168},
	}
	for _, tc := range cases {
		for _, n := range []int{16, 256, 4096} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, n), func(t *testing.T) {
				w, err := Window(tc.name, n)
				if err != nil {
					t.Fatal(err)
				}
				if len(w) != n {
					t.Fatalf("len %d, want %d", len(w), n)
				}
				for _, p := range tc.points {
					i := p.at(n)
					if math.Abs(float64(w[i])-p.want) > 1e-6 {
						t.Errorf("w[%d] = %.7f, want %.7f", i, w[i], p.want)
					}
				}
				for i := 1; i < n; i++ {
					if math.Abs(float64(w[i]-w[n-i])) > 1e-6 {
						t.Errorf("w[%d] = %g ≠ w[%d] = %g: not periodic-symmetric", i, w[i], n-i, w[n-i])
					}
				}
				for i, v := range w {
					if float64(v) < tc.min-1e-7 || v > 1+1e-7 {
						t.Errorf("w[%d] = %g outside [%g, 1]", i, v, tc.min)
					}
				}
			})
		}
	}
	if _, err := Window("flattop", 16); err == nil || err.Error() != `unknown window "flattop" (known: [tukey hann blackman-harris rect])` {
		t.Errorf("Window(flattop): %v", err)
	}
}

// TestWindowChoice backs the numbers in the comments on the Tukey window:
// for white noise, the power of a frame summed over many bins has the
// variance of (Σw²)²/Σw⁴ independent samples — that fraction of N is the
// share of the samples' statistical weight the window keeps (equivalent
// looks). Hann keeps 18/35 ≈ 51 %, the Tukey (α = 0.5) 74 %: 1.6 dB more.
func TestWindowChoice(t *testing.T) {
	looks := func(name string) float64 {
		w, err := Window(name, 256)
		if err != nil {
			t.Fatal(err)
		}
		var s2, s4 float64
		for _, v := range w {
			p := float64(v) * float64(v)
			s2 += p
			s4 += p * p
		}
		return s2 * s2 / s4 / float64(len(w))
	}
	cases := []struct {
		name string
		want float64
	}{
		{"rect", 1},
		{"hann", 18.0 / 35},
		// Half the samples at 1 and half on a Hann taper:
		// (1/2 + 1/2·3/8)² / (1/2 + 1/2·35/128) = 0.7423.
		{"tukey", math.Pow(0.5+0.5*3.0/8, 2) / (0.5 + 0.5*35.0/128)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := looks(tc.name); math.Abs(got-tc.want) > 1e-5 {
				t.Errorf("equivalent looks %.5f of N, want %.5f", got, tc.want)
			}
		})
	}
	if gain := 10 * math.Log10(looks("tukey")/looks("hann")); gain < 1.5 || gain > 1.7 {
		t.Errorf("Tukey over Hann: %.2f dB of looks, the doc says about 1.5", gain)
	}
}

// TestProcessAllocs: in steady state Process allocates nothing, with and
// without overlap and with blocks that leave partial frames.
func TestProcessAllocs(t *testing.T) {
	for _, cfg := range []Config{{}, {Size: 1024, Hop: 300}, {Size: 64, Hop: 1}} {
		t.Run(fmt.Sprintf("size%d/hop%d", cfg.Size, cfg.Hop), func(t *testing.T) {
			c := mustNew(t, cfg)
			rng := rand.New(rand.NewPCG(1, 2))
			b := block(noise(rng, 10007, 0.1), 0)
			var sink count
			c.Process(b, &sink)
			allocs := testing.AllocsPerRun(50, func() {
				b.Time = b.Time.Add(b.Duration())
				c.Process(b, &sink)
			})
			if allocs != 0 {
				t.Errorf("Process: %v allocations per block, want 0", allocs)
			}
			if sink.n == 0 {
				t.Error("no frames")
			}
		})
	}
}

// BenchmarkProcess measures the channelizer over 64 Ki-sample blocks (27 ms
// at 2.4 MS/s) for a few frame sizes, without and with half overlap.
func BenchmarkProcess(b *testing.B) {
	const blk = 1 << 16
	rng := rand.New(rand.NewPCG(1, 1))
	s := noise(rng, blk, 0.1)
	for _, size := range []int{64, 256, 1024} {
		for _, hop := range []int{size, size / 2} {
			b.Run(fmt.Sprintf("size=%d/hop=%d", size, hop), func(b *testing.B) {
				c := mustNew(b, Config{Size: size, Hop: hop})
				blkp := block(s, 0)
				var sink count
				b.ReportAllocs()
				b.SetBytes(blk * 8) // complex64 samples in
				for b.Loop() {
					c.Process(blkp, &sink)
				}
				ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / blk
				b.ReportMetric(ns, "ns/sample")
				b.ReportMetric(1e3/ns, "Msamples/s")
			})
		}
	}
}
