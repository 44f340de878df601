package sdr

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// Format is an interleaved IQ sample encoding.
type Format int

// The sample formats cellsentry reads and writes. Names follow SigMF
// datatypes; the raw-file extensions used by rtl_sdr and rtl_433 map onto
// them (see FormatFromExt).
const (
	FormatUnknown Format = iota
	CU8                  // unsigned 8-bit I then Q, offset 127.5 (rtl_sdr, rtl_tcp)
	CI8                  // signed 8-bit I then Q (".cs8")
	CI16LE               // signed 16-bit little-endian I then Q (".cs16")
	CF32LE               // IEEE float32 little-endian I then Q (".cf32")
)

// String returns the SigMF datatype name.
func (f Format) String() string {
	switch f {
	case CU8:
		return "cu8"
	case CI8:
		return "ci8"
	case CI16LE:
		return "ci16_le"
	case CF32LE:
		return "cf32_le"
	}
	return "unknown"
}

// BytesPerSample is the size of one complex sample (I and Q together).
func (f Format) BytesPerSample() int {
	switch f {
	case CU8, CI8:
		return 2
	case CI16LE:
		return 4
	case CF32LE:
		return 8
	}
	return 0
}

// ParseFormat maps a SigMF datatype string to a Format. SigMF allows "_le"
// to be omitted for 8-bit types; 16-bit and float types must say their byte
// order, and only little-endian is supported.
func ParseFormat(s string) (Format, error) {
	switch strings.TrimSpace(s) {
	case "cu8", "cu8_le", "cu8_be":
		return CU8, nil
	case "ci8", "ci8_le", "ci8_be":
		return CI8, nil
	case "ci16_le":
		return CI16LE, nil
	case "cf32_le":
		return CF32LE, nil
	}
	return FormatUnknown, fmt.Errorf("unsupported datatype %q (supported: cu8, ci8, ci16_le, cf32_le)", s)
}

// FormatFromExt maps a raw recording's file extension (with or without the
// dot) to a Format: .cu8 and .bin (rtl_sdr output) are CU8, .cs8 is CI8,
// .cs16 is CI16LE, .cf32 and .cfile are CF32LE.
func FormatFromExt(ext string) (Format, bool) {
	switch strings.ToLower(strings.TrimPrefix(ext, ".")) {
	case "cu8", "bin", "raw":
		return CU8, true
	case "cs8", "ci8":
		return CI8, true
	case "cs16", "ci16":
		return CI16LE, true
	case "cf32", "cfile", "fc32":
		return CF32LE, true
	}
	return FormatUnknown, false
}

// u8LUT maps an unsigned 8-bit sample to ±1 full scale. The RTL2832U
// centers its ADC at 127.5, so 0 → -1 and 255 → +1 exactly.
var u8LUT = func() (t [256]float32) {
	for i := range t {
		t[i] = (float32(i) - 127.5) / 127.5
	}
	return t
}()

// i8LUT maps a signed 8-bit sample (as its byte) to ±1 full scale, 1/128 per
// count, so that -128 → -1.
var i8LUT = func() (t [256]float32) {
	for i := range t {
		t[i] = float32(int8(uint8(i))) / 128
	}
	return t
}()

// Decode converts whole samples from src into dst and returns the number of
// samples written: min(len(dst), len(src)/BytesPerSample). A trailing partial
// sample in src is ignored. It does not allocate.
func (f Format) Decode(dst []complex64, src []byte) int {
	bps := f.BytesPerSample()
	if bps == 0 {
		return 0
	}
	n := len(src) / bps
	if n > len(dst) {
		n = len(dst)
	}
	switch f {
	case CU8:
		decodeU8(dst[:n], src[:2*n])
	case CI8:
		decodeI8(dst[:n], src[:2*n])
	case CI16LE:
		src = src[:4*n]
		for i := range dst[:n] {
			re := int16(binary.LittleEndian.Uint16(src[4*i:]))
			im := int16(binary.LittleEndian.Uint16(src[4*i+2:]))
			dst[i] = complex(float32(re)/32768, float32(im)/32768)
		}
	case CF32LE:
		src = src[:8*n]
		for i := range dst[:n] {
			re := math.Float32frombits(binary.LittleEndian.Uint32(src[8*i:]))
			im := math.Float32frombits(binary.LittleEndian.Uint32(src[8*i+4:]))
			dst[i] = complex(re, im)
		}
	}
	return n
}

// decodeU8Go is the portable cu8 decoder: each byte through the table.
func decodeU8Go(dst []complex64, src []byte) {
	src = src[:2*len(dst)]
	for i := range dst {
		dst[i] = complex(u8LUT[src[2*i]], u8LUT[src[2*i+1]])
	}
}

// decodeI8Go is the portable ci8 decoder.
func decodeI8Go(dst []complex64, src []byte) {
	src = src[:2*len(dst)]
	for i := range dst {
		dst[i] = complex(i8LUT[src[2*i]], i8LUT[src[2*i+1]])
	}
}

// Encode converts samples from src into dst in format f and returns the
// number of bytes written: BytesPerSample × min(len(src), len(dst)/BytesPerSample).
// Integer formats round to nearest and saturate at full scale, as an ADC
// clips. It does not allocate.
func (f Format) Encode(dst []byte, src []complex64) int {
	bps := f.BytesPerSample()
	if bps == 0 {
		return 0
	}
	n := len(dst) / bps
	if n > len(src) {
		n = len(src)
	}
	switch f {
	case CU8:
		for i, s := range src[:n] {
			dst[2*i] = quantU8(real(s))
			dst[2*i+1] = quantU8(imag(s))
		}
	case CI8:
		for i, s := range src[:n] {
			dst[2*i] = byte(quantI(real(s), 128, -128, 127))
			dst[2*i+1] = byte(quantI(imag(s), 128, -128, 127))
		}
	case CI16LE:
		for i, s := range src[:n] {
			binary.LittleEndian.PutUint16(dst[4*i:], uint16(int16(quantI(real(s), 32768, -32768, 32767))))
			binary.LittleEndian.PutUint16(dst[4*i+2:], uint16(int16(quantI(imag(s), 32768, -32768, 32767))))
		}
	case CF32LE:
		for i, s := range src[:n] {
			binary.LittleEndian.PutUint32(dst[8*i:], math.Float32bits(real(s)))
			binary.LittleEndian.PutUint32(dst[8*i+4:], math.Float32bits(imag(s)))
		}
	}
	return n * bps
}

// quantU8 is the inverse of u8LUT with rounding and saturation.
func quantU8(v float32) byte {
	x := float64(v)*127.5 + 127.5
	if !(x >= 0) { // also catches NaN
		return 0
	}
	if x >= 255 {
		return 255
	}
	return byte(math.Floor(x + 0.5))
}

func quantI(v float32, scale float64, lo, hi int) int {
	x := math.Floor(float64(v)*scale + 0.5)
	if !(x >= float64(lo)) {
		return lo
	}
	if x > float64(hi) {
		return hi
	}
	return int(x)
}
