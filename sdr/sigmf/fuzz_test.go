package sigmf

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/cellsentry/cellsentry/sdr"
)

// FuzzParseMeta: the metadata parser never panics, and whatever it accepts
// encodes to metadata that parses back to the same Meta.
func FuzzParseMeta(f *testing.F) {
	for _, c := range metaOK {
		f.Add([]byte(c.json))
	}
	for _, c := range metaBad {
		f.Add([]byte(c.json))
	}
	files, _ := filepath.Glob("testdata/*.sigmf-meta")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMeta(data)
		if err != nil {
			return
		}
		out, err := EncodeMeta(m)
		if err != nil {
			t.Fatalf("parsed metadata does not encode: %v\ninput: %q", err, data)
		}
		m2, err := ParseMeta(out)
		if err != nil {
			t.Fatalf("re-parsing encoded metadata: %v\n%s", err, out)
		}
		if !metaEqual(m, m2) {
			t.Fatalf("round trip changed the metadata:\n%+v\n%+v\nencoded:\n%s", m, m2, out)
		}
	})
}

// metaEqual compares two Metas, times by instant.
func metaEqual(a, b Meta) bool {
	if len(a.Captures) != len(b.Captures) {
		return false
	}
	a.Captures = append([]Capture(nil), a.Captures...)
	b.Captures = append([]Capture(nil), b.Captures...)
	for i := range a.Captures {
		if !a.Captures[i].Datetime.Equal(b.Captures[i].Datetime) {
			return false
		}
		a.Captures[i].Datetime = b.Captures[i].Datetime
	}
	return reflect.DeepEqual(a, b)
}

// FuzzDecode: every format decodes arbitrary bytes without panicking, into
// len/BytesPerSample samples, and the integer formats stay within ±1.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{0, 255, 127, 128})
	f.Add([]byte{0x80, 0x7f, 0x00, 0xff, 0x01})
	f.Add(f32le(0.25, -3, float32(math.NaN()), float32(math.Inf(1))))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fm := range allFormats {
			bps := fm.BytesPerSample()
			want := len(data) / bps
			dst := make([]complex64, want+1)
			if n := fm.Decode(dst, data); n != want {
				t.Fatalf("%v: Decode of %d bytes gave %d samples, want %d", fm, len(data), n, want)
			}
			if short := fm.Decode(dst[:want/2], data); short != want/2 {
				t.Fatalf("%v: Decode into %d slots gave %d", fm, want/2, short)
			}
			if fm == sdr.CF32LE {
				continue
			}
			for i, s := range dst[:want] {
				if math.Abs(float64(real(s))) > 1 || math.Abs(float64(imag(s))) > 1 {
					t.Fatalf("%v: sample %d = %v beyond full scale", fm, i, s)
				}
			}
		}
	})
}

// FuzzParseName: names never panic the parser, and what it finds is a
// positive finite frequency or rate that survives being written back into a
// name.
func FuzzParseName(f *testing.F) {
	for _, c := range nameCases {
		f.Add(c.name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		info, ok := ParseName(name)
		if !ok {
			return
		}
		for _, v := range []float64{info.Frequency, info.SampleRate} {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("ParseName(%q) = %+v: bad value %v", name, info, v)
			}
		}
		if info.Frequency == 0 && info.SampleRate == 0 {
			t.Fatalf("ParseName(%q) ok with neither frequency nor rate", name)
		}
		if info.Frequency == 0 || info.SampleRate == 0 {
			return
		}
		k := func(v float64) string { return strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k" }
		again, ok := ParseName("x_" + k(info.Frequency) + "_" + k(info.SampleRate) + ".cu8")
		if !ok || !near(again.Frequency, info.Frequency) || !near(again.SampleRate, info.SampleRate) {
			t.Fatalf("ParseName(%q) = %+v, but its rewritten name gives %+v", name, info, again)
		}
	})
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Abs(b)+1e-3 }
