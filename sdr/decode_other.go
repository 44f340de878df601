//go:build purego || !amd64

package sdr

func decodeU8(dst []complex64, src []byte) { decodeU8Go(dst, src) }
func decodeI8(dst []complex64, src []byte) { decodeI8Go(dst, src) }
