package sdr

import (
	"encoding/binary"
	"math"
	"testing"
)

func TestDecodeHandComputed(t *testing.T) {
	f32 := func(v float32) []byte { return binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)) }
	cases := []struct {
		name string
		f    Format
		in   []byte
		want []complex64
	}{
		{"cu8 extremes", CU8, []byte{0, 255, 127, 128}, []complex64{complex(-1, 1), complex(-0.5/127.5, 0.5/127.5)}},
		{"cu8 partial trailing byte ignored", CU8, []byte{255, 0, 9}, []complex64{complex(1, -1)}},
		{"ci8", CI8, []byte{0x80, 0x7f, 0x00, 0xff}, []complex64{complex(-1, 127.0/128), complex(0, -1.0/128)}},
		{"ci16_le", CI16LE, []byte{0x00, 0x80, 0xff, 0x7f, 0x00, 0x40, 0x00, 0xc0}, []complex64{complex(-1, 32767.0/32768), complex(0.5, -0.5)}},
		{"cf32_le", CF32LE, append(f32(0.25), f32(-3)...), []complex64{complex(0.25, -3)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := make([]complex64, 8)
			n := c.f.Decode(dst, c.in)
			if n != len(c.want) {
				t.Fatalf("Decode returned %d samples, want %d", n, len(c.want))
			}
			for i, w := range c.want {
				if d := dst[i] - w; math.Abs(float64(real(d))) > 1e-7 || math.Abs(float64(imag(d))) > 1e-7 {
					t.Errorf("sample %d = %v, want %v", i, dst[i], w)
				}
			}
		})
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	in := []complex64{0, complex(0.5, -0.5), complex(-1, 0.98), complex(0.98, -0.999), complex(0.1234, 0.8765)}
	for _, f := range []Format{CU8, CI8, CI16LE, CF32LE} {
		t.Run(f.String(), func(t *testing.T) {
			buf := make([]byte, len(in)*f.BytesPerSample())
			if n := f.Encode(buf, in); n != len(buf) {
				t.Fatalf("Encode wrote %d bytes, want %d", n, len(buf))
			}
			out := make([]complex64, len(in))
			if n := f.Decode(out, buf); n != len(in) {
				t.Fatalf("Decode returned %d, want %d", n, len(in))
			}
			// Half a quantization step of each format.
			tol := map[Format]float64{CU8: 0.5 / 127.5, CI8: 0.5 / 128, CI16LE: 0.5 / 32768, CF32LE: 0}[f] + 1e-7
			for i := range in {
				if math.Abs(float64(real(out[i]-in[i]))) > tol || math.Abs(float64(imag(out[i]-in[i]))) > tol {
					t.Errorf("sample %d: %v → %v, beyond ±%g", i, in[i], out[i], tol)
				}
			}
		})
	}
}

func TestEncodeSaturates(t *testing.T) {
	in := []complex64{complex(3, -3), complex(float32(math.NaN()), 0)}
	buf := make([]byte, 4)
	CU8.Encode(buf, in)
	if buf[0] != 255 || buf[1] != 0 || buf[2] != 0 {
		t.Errorf("cu8 saturation: got %v, want [255 0 0 ...]", buf)
	}
	buf16 := make([]byte, 4)
	CI16LE.Encode(buf16, in[:1])
	if re, im := int16(binary.LittleEndian.Uint16(buf16)), int16(binary.LittleEndian.Uint16(buf16[2:])); re != 32767 || im != -32768 {
		t.Errorf("ci16 saturation: got %d,%d", re, im)
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"cu8", "ci8", "ci16_le", "cf32_le"} {
		f, err := ParseFormat(s)
		if err != nil || f.String() != s {
			t.Errorf("ParseFormat(%q) = %v, %v", s, f, err)
		}
	}
	for _, s := range []string{"ru8", "ci16_be", "cf64_le", ""} {
		if _, err := ParseFormat(s); err == nil {
			t.Errorf("ParseFormat(%q) accepted an unsupported datatype", s)
		}
	}
}

func TestDecodeAllocs(t *testing.T) {
	src := make([]byte, 1<<14)
	dst := make([]complex64, 1<<13)
	for _, f := range []Format{CU8, CI8, CI16LE, CF32LE} {
		if a := testing.AllocsPerRun(10, func() { f.Decode(dst, src) }); a != 0 {
			t.Errorf("%v Decode allocates %v per call", f, a)
		}
	}
}

func BenchmarkDecodeCU8(b *testing.B) {
	const n = 16384
	src := make([]byte, 2*n)
	for i := range src {
		src[i] = byte(i * 7)
	}
	dst := make([]complex64, n)
	b.SetBytes(2 * n)
	b.ReportAllocs()
	for b.Loop() {
		CU8.Decode(dst, src)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Msamples/s")
}
