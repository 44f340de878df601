//go:build !purego

package sdr

// decodeU8 is decodeU8Go with SSE2 (every amd64 CPU has it), eight
// samples at a time: bytes widened to integers, converted, then the same
// subtraction and IEEE division as the table holds, so the results are
// the table's bit for bit (TestDecodeKernel).
func decodeU8(dst []complex64, src []byte) {
	n := len(dst) &^ 7
	if n > 0 {
		_ = src[2*n-1]
		decodeU8SSE(&dst[0], &src[0], n)
	}
	decodeU8Go(dst[n:], src[2*n:])
}

// decodeI8 is decodeI8Go the same way: sign-extended bytes × 1/128, a
// power of two, so exact.
func decodeI8(dst []complex64, src []byte) {
	n := len(dst) &^ 7
	if n > 0 {
		_ = src[2*n-1]
		decodeI8SSE(&dst[0], &src[0], n)
	}
	decodeI8Go(dst[n:], src[2*n:])
}

//go:noescape
func decodeU8SSE(dst *complex64, src *byte, n int)

//go:noescape
func decodeI8SSE(dst *complex64, src *byte, n int)
