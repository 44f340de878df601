//go:build !purego

#include "textflag.h"

// 127.5 in each float32 lane.
DATA half255<>+0(SB)/4, $0x42ff0000
DATA half255<>+4(SB)/4, $0x42ff0000
DATA half255<>+8(SB)/4, $0x42ff0000
DATA half255<>+12(SB)/4, $0x42ff0000
GLOBL half255<>(SB), RODATA|NOPTR, $16

// 1/128 in each float32 lane.
DATA inv128<>+0(SB)/4, $0x3c000000
DATA inv128<>+4(SB)/4, $0x3c000000
DATA inv128<>+8(SB)/4, $0x3c000000
DATA inv128<>+12(SB)/4, $0x3c000000
GLOBL inv128<>(SB), RODATA|NOPTR, $16

// func decodeU8SSE(dst *complex64, src *byte, n int)
// n is a multiple of 8: 16 bytes in, 16 float32 (8 complex64) out per
// turn, in the bytes' order (re, im interleaved as complex64 is).
TEXT ·decodeU8SSE(SB), NOSPLIT, $0-24
	MOVQ   dst+0(FP), DI
	MOVQ   src+8(FP), SI
	MOVQ   n+16(FP), CX
	SHLQ   $1, CX                 // bytes
	XORQ   AX, AX
	PXOR   X7, X7
	MOVUPS half255<>(SB), X6

loop:
	MOVOU     (SI)(AX*1), X0
	MOVO      X0, X2
	PUNPCKLBW X7, X0              // bytes 0-7 → words
	PUNPCKHBW X7, X2              // bytes 8-15 → words
	MOVO      X0, X1
	PUNPCKLWL X7, X0              // 0-3 → dwords
	PUNPCKHWL X7, X1              // 4-7
	MOVO      X2, X3
	PUNPCKLWL X7, X2              // 8-11
	PUNPCKHWL X7, X3              // 12-15
	CVTPL2PS  X0, X0
	CVTPL2PS  X1, X1
	CVTPL2PS  X2, X2
	CVTPL2PS  X3, X3
	SUBPS     X6, X0
	SUBPS     X6, X1
	SUBPS     X6, X2
	SUBPS     X6, X3
	DIVPS     X6, X0
	DIVPS     X6, X1
	DIVPS     X6, X2
	DIVPS     X6, X3
	MOVUPS    X0, (DI)(AX*4)
	MOVUPS    X1, 16(DI)(AX*4)
	MOVUPS    X2, 32(DI)(AX*4)
	MOVUPS    X3, 48(DI)(AX*4)
	ADDQ      $16, AX
	CMPQ      AX, CX
	JB        loop
	RET

// func decodeI8SSE(dst *complex64, src *byte, n int)
// Signed bytes: unpacked into the high byte of each word and then of each
// dword, and shifted back arithmetically, which sign-extends them.
TEXT ·decodeI8SSE(SB), NOSPLIT, $0-24
	MOVQ   dst+0(FP), DI
	MOVQ   src+8(FP), SI
	MOVQ   n+16(FP), CX
	SHLQ   $1, CX
	XORQ   AX, AX
	MOVUPS inv128<>(SB), X6

iloop:
	MOVOU     (SI)(AX*1), X4
	PXOR      X0, X0
	PXOR      X2, X2
	PUNPCKLBW X4, X0              // byte k → high byte of word k
	PUNPCKHBW X4, X2
	PXOR      X1, X1
	PXOR      X3, X3
	MOVO      X0, X5
	PXOR      X4, X4
	PUNPCKLWL X0, X4              // word → high half of dword
	PUNPCKHWL X5, X1
	MOVO      X2, X5
	PXOR      X0, X0
	PUNPCKLWL X2, X0
	PUNPCKHWL X5, X3
	PSRAL     $24, X4
	PSRAL     $24, X1
	PSRAL     $24, X0
	PSRAL     $24, X3
	CVTPL2PS  X4, X4
	CVTPL2PS  X1, X1
	CVTPL2PS  X0, X0
	CVTPL2PS  X3, X3
	MULPS     X6, X4
	MULPS     X6, X1
	MULPS     X6, X0
	MULPS     X6, X3
	MOVUPS    X4, (DI)(AX*4)
	MOVUPS    X1, 16(DI)(AX*4)
	MOVUPS    X0, 32(DI)(AX*4)
	MOVUPS    X3, 48(DI)(AX*4)
	ADDQ      $16, AX
	CMPQ      AX, CX
	JB        iloop
	RET
