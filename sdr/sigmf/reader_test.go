package sigmf

import (
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cellsentry/cellsentry/sdr"
)

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func f32le(vs ...float32) []byte {
	var out []byte
	for _, v := range vs {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	return out
}

// tagged is one delivered sample with the tuning of its block.
type tagged struct {
	center float64
	s      complex64
}

// readAll reads r to the end through a block of the given capacity and
// returns every sample with its block's center frequency.
func readAll(t testing.TB, r *Reader, blockCap int) []tagged {
	t.Helper()
	b := sdr.Block{Samples: make([]complex64, blockCap)}
	var out []tagged
	for {
		err := r.ReadBlock(&b)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("ReadBlock: %v", err)
		}
		for _, s := range b.Samples {
			out = append(out, tagged{b.Center, s})
		}
	}
}

// TestDecodeFiles reads tiny recordings written byte by byte and compares
// with samples computed by hand from each format's definition.
func TestDecodeFiles(t *testing.T) {
	cases := []struct {
		name   string
		global string // extra global fields
		caps   string
		data   []byte
		want   []tagged
	}{
		{
			name: "cu8", global: `"core:datatype":"cu8"`, caps: `[{"core:sample_start":0,"core:frequency":902e6}]`,
			data: []byte{0, 255, 127, 128},
			// (b - 127.5) / 127.5
			want: []tagged{{902e6, complex(-1, 1)}, {902e6, complex(-0.5/127.5, 0.5/127.5)}},
		},
		{
			name: "ci8", global: `"core:datatype":"ci8"`, caps: `[{"core:sample_start":0,"core:frequency":1e9}]`,
			data: []byte{0x80, 0x7f, 0x00, 0xff},
			// int8 / 128
			want: []tagged{{1e9, complex(-1, 127.0/128)}, {1e9, complex(0, -1.0/128)}},
		},
		{
			name: "ci16_le", global: `"core:datatype":"ci16_le"`, caps: `[{"core:sample_start":0}]`,
			data: []byte{0x00, 0x80, 0xff, 0x7f, 0x00, 0x40, 0x00, 0xc0},
			// int16 / 32768: 0x8000 = -32768, 0x7fff = 32767, 0x4000 = 16384, 0xc000 = -16384
			want: []tagged{{0, complex(-1, 32767.0/32768)}, {0, complex(0.5, -0.5)}},
		},
		{
			name: "cf32_le", global: `"core:datatype":"cf32_le"`, caps: `[{"core:sample_start":0,"core:frequency":847e6}]`,
			data: f32le(0.25, -3, 1.5, 0),
			want: []tagged{{847e6, complex(0.25, -3)}, {847e6, complex(1.5, 0)}},
		},
		{
			name: "cu8 with header_bytes per capture", global: `"core:datatype":"cu8"`,
			caps: `[{"core:sample_start":0,"core:frequency":1e8,"core:header_bytes":4},{"core:sample_start":1,"core:frequency":2e8,"core:header_bytes":2}]`,
			// [4-byte header][0 255][2-byte header][255 0 | 255 255]
			data: []byte{9, 9, 9, 9, 0, 255, 7, 7, 255, 0, 255, 255},
			want: []tagged{{1e8, complex(-1, 1)}, {2e8, complex(1, -1)}, {2e8, complex(1, 1)}},
		},
		{
			name: "ci8 non-conforming dataset with trailing bytes", global: `"core:datatype":"ci8","core:dataset":"odd.dat","core:trailing_bytes":3`,
			caps: `[{"core:sample_start":0}]`,
			data: []byte{0x40, 0xc0, 1, 2, 3},
			want: []tagged{{0, complex(0.5, -0.5)}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			prefix := filepath.Join(dir, "rec")
			writeFile(t, prefix+".sigmf-meta", []byte(`{"global":{`+c.global+`,"core:sample_rate":1e6,"core:version":"1.0.0"},"captures":`+c.caps+`,"annotations":[]}`))
			dataPath := prefix + ".sigmf-data"
			if strings.Contains(c.global, "odd.dat") {
				dataPath = filepath.Join(dir, "odd.dat")
			}
			writeFile(t, dataPath, c.data)
			r, err := Open(prefix)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer r.Close()
			if r.Meta().Path != dataPath {
				t.Errorf("Meta().Path = %q, want %q", r.Meta().Path, dataPath)
			}
			if r.Len() != int64(len(c.want)) {
				t.Errorf("Len() = %d, want %d", r.Len(), len(c.want))
			}
			got := readAll(t, r, 8)
			if len(got) != len(c.want) {
				t.Fatalf("read %d samples %v, want %d %v", len(got), got, len(c.want), c.want)
			}
			for i := range got {
				d := got[i].s - c.want[i].s
				if got[i].center != c.want[i].center || math.Abs(float64(real(d))) > 1e-7 || math.Abs(float64(imag(d))) > 1e-7 {
					t.Errorf("sample %d = %v at %g Hz, want %v at %g Hz", i, got[i].s, got[i].center, c.want[i].s, c.want[i].center)
				}
			}
		})
	}
}

// TestOpenBadInputs opens each testdata/bad-* recording and checks the one
// error it gives: the file, the field or byte offset, and the sentinel.
func TestOpenBadInputs(t *testing.T) {
	cases := []struct {
		file string
		want string
		is   error
	}{
		{"bad-json", "testdata/bad-json.sigmf-meta: line 4, column 37: bad SigMF metadata: invalid JSON: invalid character ','", ErrBadMeta},
		{"bad-top-array", "bad-top-array.sigmf-meta: bad SigMF metadata: top level is an array", ErrBadMeta},
		{"bad-datatype-missing", "bad-datatype-missing.sigmf-meta: bad SigMF metadata: global: core:datatype is missing", ErrBadMeta},
		{"bad-datatype-real", `bad-datatype-real.sigmf-meta: unsupported recording: global: core:datatype "ru8": real-valued samples`, ErrUnsupported},
		{"bad-datatype-bigendian", `bad-datatype-bigendian.sigmf-meta: unsupported recording: global: core:datatype "ci16_be": big-endian samples`, ErrUnsupported},
		{"bad-rate-missing", "bad-rate-missing.sigmf-meta: bad SigMF metadata: global: core:sample_rate is missing", ErrBadMeta},
		{"bad-rate-zero", "bad-rate-zero.sigmf-meta: bad SigMF metadata: global: core:sample_rate 0 must be a positive number", ErrBadMeta},
		{"bad-rate-negative", "bad-rate-negative.sigmf-meta: bad SigMF metadata: global: core:sample_rate -2.4e+06 must be a positive number", ErrBadMeta},
		{"bad-rate-string", `bad-rate-string.sigmf-meta: bad SigMF metadata: global: core:sample_rate is a string ("NaN"), want a number`, ErrBadMeta},
		{"bad-captures-order", "bad-captures-order.sigmf-meta: bad SigMF metadata: capture 2: core:sample_start 4 is before capture 1's 8", ErrBadMeta},
		{"bad-capture-beyond", "bad-capture-beyond.sigmf-meta: bad SigMF metadata: capture 2: core:sample_start 5000000 is beyond the end of data (12 samples in testdata/bad-capture-beyond.sigmf-data)", ErrBadMeta},
		{"bad-sample-start-missing", "bad-sample-start-missing.sigmf-meta: bad SigMF metadata: capture 0: core:sample_start is missing", ErrBadMeta},
		{"bad-datetime", `bad-datetime.sigmf-meta: bad SigMF metadata: capture 0: core:datetime "yesterday at noon" is not an RFC 3339 UTC time`, ErrBadMeta},
		{"bad-header-bytes", "bad-header-bytes.sigmf-meta: bad SigMF metadata: core:header_bytes (100 in all) and core:trailing_bytes (0) exceed the 24 bytes of testdata/bad-header-bytes.sigmf-data", ErrBadMeta},
		{"bad-num-channels", "bad-num-channels.sigmf-meta: unsupported recording: global: core:num_channels 2: cellsentry reads single-channel recordings only", ErrUnsupported},
		{"bad-version", `bad-version.sigmf-meta: unsupported recording: global: core:version "0.0.2": cellsentry reads SigMF 1.x`, ErrUnsupported},
		{"bad-missing-data", "bad-missing-data.sigmf-meta: missing data file: open testdata/bad-missing-data.sigmf-data", fs.ErrNotExist},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.file] = true
		t.Run(c.file, func(t *testing.T) {
			r, err := Open(filepath.Join("testdata", c.file+".sigmf-meta"))
			if err == nil {
				r.Close()
				t.Fatalf("Open succeeded, want error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\n does not contain %q", err, c.want)
			}
			if !errors.Is(err, c.is) {
				t.Errorf("error %q is not %v", err, c.is)
			}
		})
	}
	seen["bad-truncated"] = true // TestTruncated
	files, _ := filepath.Glob("testdata/bad-*.sigmf-meta")
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".sigmf-meta"); !seen[name] {
			t.Errorf("%s has no test case", f)
		}
	}
}

// TestTruncated: a data file ending in a partial sample opens, delivers its
// whole samples, and reports the partial one with its byte offset.
func TestTruncated(t *testing.T) {
	r, err := Open("testdata/bad-truncated.sigmf-meta")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	err = r.Truncated()
	want := "testdata/bad-truncated.sigmf-data: truncated data file: the last 1 byte(s), from byte offset 10, are a partial cu8 sample (2 bytes per sample); the 5 whole samples before them are read"
	if err == nil || err.Error() != want || !errors.Is(err, ErrTruncated) {
		t.Errorf("Truncated() = %v\nwant %s", err, want)
	}
	if m := r.Meta(); m.TruncatedBytes != 1 {
		t.Errorf("TruncatedBytes = %d, want 1", m.TruncatedBytes)
	}
	got := readAll(t, r, 3)
	if len(got) != 5 {
		t.Fatalf("read %d samples, want the 5 whole ones", len(got))
	}
	// Byte 8, 9 = sample 4: (8-127.5)/127.5, (9-127.5)/127.5.
	if w := complex(float32((8-127.5)/127.5), float32((9-127.5)/127.5)); got[4].s != w {
		t.Errorf("last whole sample = %v, want %v", got[4].s, w)
	}
}

func TestOpenPathForms(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "wing.b")
	w, err := Create(prefix+".sigmf-meta", Meta{Datatype: sdr.CU8, SampleRate: 2.4e6})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteBlock(&sdr.Block{Samples: make([]complex64, 100), Center: 902e6, Rate: 2.4e6}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "notes.txt"), []byte("hello"))
	cases := []struct {
		name, path string
		want       error // nil: opens with 100 samples
	}{
		{"prefix with dot", prefix, nil},
		{"meta", prefix + ".sigmf-meta", nil},
		{"data", prefix + ".sigmf-data", nil},
		{"missing", filepath.Join(dir, "nothing"), fs.ErrNotExist},
		{"archive", filepath.Join(dir, "x.sigmf"), ErrUnsupported},
		{"other file", filepath.Join(dir, "notes.txt"), ErrUnsupported},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Open(c.path)
			if c.want != nil {
				if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.path) {
					t.Fatalf("Open(%q) error %v, want %v naming the path", c.path, err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Open(%q): %v", c.path, err)
			}
			defer r.Close()
			if r.Len() != 100 || r.Meta().Path != prefix+".sigmf-data" || r.MetaPath() != prefix+".sigmf-meta" || r.Meta().Captures[0].Frequency != 902e6 {
				t.Errorf("Len %d Path %q captures %+v", r.Len(), r.Meta().Path, r.Meta().Captures)
			}
		})
	}
}

func TestRawFiles(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 5, 1, 22, 10, 0, 0, time.UTC)
	cu8 := []byte{0, 255, 255, 0, 128, 127}
	cs16 := []byte{0x00, 0x40, 0x00, 0xc0}
	cases := []struct {
		name     string
		file     string
		data     []byte
		opt      *RawOptions // nil: Open
		rate     float64
		freq     float64
		t0       time.Time
		first    complex64
		n        int64
		wantErr  string
		wantIs   error
		wantMeta sdr.Format
	}{
		{name: "rtl_433 name", file: "g001_902M_2400k.cu8", data: cu8, rate: 2.4e6, freq: 902e6, t0: epoch, first: complex(-1, 1), n: 3, wantMeta: sdr.CU8},
		{name: "rtl_433 name cs16", file: "g005_433.92M_250k.cs16", data: cs16, rate: 250e3, freq: 433.92e6, t0: epoch, first: complex(0.5, -0.5), n: 1, wantMeta: sdr.CI16LE},
		{name: "explicit options", file: "capture.cs16", data: cs16, opt: &RawOptions{SampleRate: 1e6, Frequency: 847e6, Start: start}, rate: 1e6, freq: 847e6, t0: start, first: complex(0.5, -0.5), n: 1, wantMeta: sdr.CI16LE},
		{name: "options override name", file: "g002_902M_2400k.cu8", data: cu8, opt: &RawOptions{SampleRate: 2.048e6}, rate: 2.048e6, freq: 902e6, t0: epoch, first: complex(-1, 1), n: 3, wantMeta: sdr.CU8},
		{name: "explicit format", file: "dump.dat", data: []byte{0x40, 0xc0}, opt: &RawOptions{Format: sdr.CI8, SampleRate: 1e6}, rate: 1e6, t0: epoch, first: complex(0.5, -0.5), n: 1, wantMeta: sdr.CI8},
		{name: "gqrx", file: "gqrx_20260501_221000_902200000_2400000_fc.raw", data: f32le(0.5, 0.25), rate: 2.4e6, freq: 902.2e6, t0: start, first: complex(0.5, 0.25), n: 1, wantMeta: sdr.CF32LE},
		{name: "no rate anywhere", file: "capture.cu8", data: cu8, wantErr: "capture.cu8: sample rate unknown: the file name carries no rate (rtl_433 style: g001_902M_2400k.cu8); pass the sample rate", wantIs: ErrNoRate},
		{name: "no rate with frequency", file: "x_902M.cu8", data: cu8, opt: &RawOptions{}, wantErr: "sample rate unknown", wantIs: ErrNoRate},
		{name: "unknown extension", file: "dump.dat", data: cu8, opt: &RawOptions{SampleRate: 1e6}, wantErr: `dump.dat: unsupported recording: sample format unknown: extension ".dat"`, wantIs: ErrUnsupported},
		{name: "negative rate", file: "neg.cu8", data: cu8, opt: &RawOptions{SampleRate: -1}, wantErr: "sample rate -1 must be a positive number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.file)
			writeFile(t, path, c.data)
			var r *Reader
			var err error
			if c.opt == nil {
				r, err = Open(path)
			} else {
				r, err = OpenRaw(path, *c.opt)
			}
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) || (c.wantIs != nil && !errors.Is(err, c.wantIs)) {
					t.Fatalf("error %v, want %q (%v)", err, c.wantErr, c.wantIs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			m := r.Meta()
			if m.Datatype != c.wantMeta || m.SampleRate != c.rate || r.Len() != c.n || m.Path != path || r.MetaPath() != "" {
				t.Errorf("datatype %v rate %v len %d path %q meta %q, want %v %v %d %q \"\"", m.Datatype, m.SampleRate, r.Len(), m.Path, r.MetaPath(), c.wantMeta, c.rate, c.n, path)
			}
			b := sdr.Block{Samples: make([]complex64, 16)}
			if err := r.ReadBlock(&b); err != nil {
				t.Fatal(err)
			}
			if b.Center != c.freq || b.Rate != c.rate || !b.Time.Equal(c.t0) || b.Samples[0] != c.first {
				t.Errorf("block center %v rate %v time %v first %v; want %v %v %v %v", b.Center, b.Rate, b.Time, b.Samples[0], c.freq, c.rate, c.t0, c.first)
			}
		})
	}
}

// TestTimesDroppedAndSeek: block times follow capture datetimes (or carry
// the clock on when a capture has none), Dropped comes from global_index,
// and SeekSample lands in the right capture.
func TestTimesDroppedAndSeek(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "rec")
	// rate 1000 S/s: one sample per millisecond.
	writeFile(t, prefix+".sigmf-meta", []byte(`{"global":{"core:datatype":"cu8","core:sample_rate":1000,"core:version":"1.0.0"},
"captures":[
 {"core:sample_start":0,"core:frequency":1e8,"core:datetime":"2026-05-01T00:00:00Z"},
 {"core:sample_start":10,"core:frequency":2e8,"core:global_index":15},
 {"core:sample_start":20,"core:frequency":3e8,"core:global_index":25,"core:datetime":"2026-05-01T01:00:00.5Z"}],
"annotations":[]}`))
	writeFile(t, prefix+".sigmf-data", make([]byte, 2*30))
	r, err := Open(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	t0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	type blk struct {
		center  float64
		n       int
		time    time.Time
		dropped int64
		seq     uint64
	}
	ms := time.Millisecond
	want := []blk{
		{1e8, 4, t0, 0, 0}, {1e8, 4, t0.Add(4 * ms), 0, 1}, {1e8, 2, t0.Add(8 * ms), 0, 2},
		// capture 1 has no datetime: 10 samples + 5 lost after t0.
		{2e8, 4, t0.Add(15 * ms), 5, 3}, {2e8, 4, t0.Add(19 * ms), 0, 4}, {2e8, 2, t0.Add(23 * ms), 0, 5},
		{3e8, 4, t0.Add(time.Hour + 500*ms), 0, 6}, {3e8, 4, t0.Add(time.Hour + 504*ms), 0, 7}, {3e8, 2, t0.Add(time.Hour + 508*ms), 0, 8},
	}
	b := sdr.Block{Samples: make([]complex64, 4)}
	for i, w := range want {
		if err := r.ReadBlock(&b); err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		got := blk{b.Center, len(b.Samples), b.Time, b.Dropped, b.Seq}
		if got != w {
			t.Errorf("block %d = %+v, want %+v", i, got, w)
		}
	}
	if err := r.ReadBlock(&b); err != io.EOF || len(b.Samples) != 0 {
		t.Errorf("after the last block: %v with %d samples, want io.EOF and none", err, len(b.Samples))
	}

	seeks := []struct {
		to     int64
		center float64
		time   time.Time
		err    bool
	}{
		{12, 2e8, t0.Add(17 * ms), false},
		{0, 1e8, t0, false},
		{29, 3e8, t0.Add(time.Hour + 509*ms), false},
		{30, 0, time.Time{}, false}, // at the end: EOF
		{31, 0, time.Time{}, true},
		{-1, 0, time.Time{}, true},
	}
	for _, s := range seeks {
		err := r.SeekSample(s.to)
		if (err != nil) != s.err {
			t.Fatalf("SeekSample(%d) error %v, want error %v", s.to, err, s.err)
		}
		if s.err {
			continue
		}
		err = r.ReadBlock(&b)
		if s.to == 30 {
			if err != io.EOF {
				t.Errorf("ReadBlock after SeekSample(30) = %v, want io.EOF", err)
			}
			continue
		}
		if err != nil || b.Center != s.center || !b.Time.Equal(s.time) || b.Dropped != 0 {
			t.Errorf("after SeekSample(%d): err %v center %v time %v dropped %d; want %v %v 0", s.to, err, b.Center, b.Time, b.Dropped, s.center, s.time)
		}
	}
}

func TestNoDatetimeStartsAtUnixEpoch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x_100M_1k.cu8")
	writeFile(t, path, make([]byte, 2*1500))
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b := sdr.Block{Samples: make([]complex64, 1000)}
	var times []time.Time
	for r.ReadBlock(&b) == nil {
		times = append(times, b.Time)
	}
	want := []time.Time{time.Unix(0, 0).UTC(), time.Unix(1, 0).UTC()}
	if len(times) != 2 || !times[0].Equal(want[0]) || !times[1].Equal(want[1]) {
		t.Errorf("block times %v, want %v", times, want)
	}
}

func TestReaderMisuse(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x_100M_1k.cu8")
	writeFile(t, path, make([]byte, 20))
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.ReadBlock(&sdr.Block{}); !errors.Is(err, sdr.ErrNoBuffer) {
		t.Errorf("ReadBlock with zero capacity: %v, want sdr.ErrNoBuffer", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	b := sdr.Block{Samples: make([]complex64, 4)}
	if err := r.ReadBlock(&b); !errors.Is(err, os.ErrClosed) {
		t.Errorf("ReadBlock after Close: %v, want os.ErrClosed", err)
	}
	if err := r.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close: %v, want os.ErrClosed", err)
	}
}

// TestConstantMemory reads a 200 MB file through a small block: ReadBlock
// allocates nothing, and the whole pass allocates far less than the file.
func TestConstantMemory(t *testing.T) {
	const size = 200 << 20
	path := filepath.Join(t.TempDir(), "big_902M_2400k.cu8")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := os.Truncate(path, size); err != nil { // sparse: fast, no disk
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Len() != size/2 {
		t.Fatalf("Len() = %d, want %d", r.Len(), size/2)
	}
	b := sdr.Block{Samples: make([]complex64, 16384)}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var total int64
	var sum complex64
	for {
		err := r.ReadBlock(&b)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		total += int64(len(b.Samples))
		sum += b.Samples[0]
	}
	runtime.ReadMemStats(&after)
	if total != size/2 {
		t.Errorf("read %d samples, want %d", total, size/2)
	}
	// Zero bytes decode to (0-127.5)/127.5 = -1 in cu8.
	if want := complex64(complex(-float32(total/16384), -float32(total/16384))); sum != want {
		t.Errorf("sum of first samples %v, want %v", sum, want)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("reading %d MB allocated %d bytes, want < 1 MiB", size>>20, grew)
	}

	if err := r.SeekSample(0); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(200, func() {
		if err := r.ReadBlock(&b); err == io.EOF {
			r.SeekSample(0)
		}
	})
	if allocs != 0 {
		t.Errorf("ReadBlock allocates %v times per call, want 0", allocs)
	}
}

// TestSampleIndexBase: with core:offset, indices are absolute when every
// capture starts at or after it, file-relative otherwise; samples before
// the first capture are not delivered.
func TestSampleIndexBase(t *testing.T) {
	// Six cu8 samples whose I is the file index: code 128+k·16.
	data := []byte{128, 0, 144, 0, 160, 0, 176, 0, 192, 0, 208, 0}
	idx := func(s complex64) int { return int(math.Round((float64(real(s))*127.5 + 127.5 - 128) / 16)) }
	cases := []struct {
		name   string
		offset int
		starts [2]int
		want   []int     // file indices delivered, in order
		freqs  []float64 // center of each
	}{
		{"no offset", 0, [2]int{0, 3}, []int{0, 1, 2, 3, 4, 5}, []float64{1, 1, 1, 2, 2, 2}},
		{"absolute indices", 1000, [2]int{1000, 1004}, []int{0, 1, 2, 3, 4, 5}, []float64{1, 1, 1, 1, 2, 2}},
		{"offset but file-relative indices", 1000, [2]int{0, 2}, []int{0, 1, 2, 3, 4, 5}, []float64{1, 1, 2, 2, 2, 2}},
		{"leading samples outside captures", 0, [2]int{2, 5}, []int{2, 3, 4, 5}, []float64{1, 1, 1, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			prefix := filepath.Join(t.TempDir(), "r")
			meta := `{"global":{"core:datatype":"cu8","core:sample_rate":1,"core:version":"1.0.0","core:offset":` + strconv.Itoa(c.offset) + `},
"captures":[{"core:sample_start":` + strconv.Itoa(c.starts[0]) + `,"core:frequency":1},{"core:sample_start":` + strconv.Itoa(c.starts[1]) + `,"core:frequency":2}],"annotations":[]}`
			writeFile(t, prefix+".sigmf-meta", []byte(meta))
			writeFile(t, prefix+".sigmf-data", data)
			r, err := Open(prefix)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got := readAll(t, r, 2)
			if len(got) != len(c.want) || r.Len() != 6 {
				t.Fatalf("delivered %d samples (Len %d), want %d (Len 6)", len(got), r.Len(), len(c.want))
			}
			for i, g := range got {
				if idx(g.s) != c.want[i] || g.center != c.freqs[i] {
					t.Errorf("sample %d: file index %d at %v Hz, want %d at %v Hz", i, idx(g.s), g.center, c.want[i], c.freqs[i])
				}
			}
		})
	}
}
