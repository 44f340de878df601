//go:build !purego

#include "textflag.h"

// d += n·m (.2D) and d = n0 + n1 (scalar pairwise), WORD-encoded (Go's
// assembler has no mnemonics for them; checked against GNU as).
#define FMLA2D(m, n, d) WORD $(0x4E60CC00 | ((m)<<16) | ((n)<<5) | (d))
#define FADDPD(n, d) WORD $(0x7E70D800 | ((n)<<5) | (d))

// func corrSumsNEON(px, py, rr, ri *float64, m int) (s1, s2, s3, s4 float64)
TEXT ·corrSumsNEON(SB), NOSPLIT, $0-72
	MOVD px+0(FP), R0
	MOVD py+8(FP), R1
	MOVD rr+16(FP), R2
	MOVD ri+24(FP), R3
	MOVD m+32(FP), R4
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	AND  $-2, R4, R5          // whole vectors
	CBZ  R5, reduce
	ADD  R5<<3, R2, R5        // end of the vector part of rr

loop:
	VLD1.P 16(R0), [V4.D2]    // a
	VLD1.P 16(R1), [V5.D2]    // b
	VLD1.P 16(R2), [V6.D2]    // rr
	VLD1.P 16(R3), [V7.D2]    // ri
	FMLA2D(6, 4, 0)
	FMLA2D(7, 5, 1)
	FMLA2D(6, 5, 2)
	FMLA2D(7, 4, 3)
	CMP    R5, R2
	BLO    loop

reduce:
	FADDPD(0, 0)
	FADDPD(1, 1)
	FADDPD(2, 2)
	FADDPD(3, 3)
	TBZ  $0, R4, done         // even length: no tail
	FMOVD (R0), F4
	FMOVD (R1), F5
	FMOVD (R2), F6
	FMOVD (R3), F7
	FMULD F6, F4, F8
	FADDD F8, F0, F0
	FMULD F7, F5, F8
	FADDD F8, F1, F1
	FMULD F6, F5, F8
	FADDD F8, F2, F2
	FMULD F7, F4, F8
	FADDD F8, F3, F3

done:
	FMOVD F0, s1+40(FP)
	FMOVD F1, s2+48(FP)
	FMOVD F2, s3+56(FP)
	FMOVD F3, s4+64(FP)
	RET
