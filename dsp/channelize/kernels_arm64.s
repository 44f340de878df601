//go:build !purego

#include "textflag.h"

// Vector float arithmetic has no Go mnemonics: WORD encodings (checked
// against GNU as), registers by number. d = n·m, d += n·m, d = |n|,
// d = maxNum(n, m) (a NaN operand yields the other), s_d = maxNum over
// the lanes of n, d = n·m[0].
#define FMUL4(m, n, d) WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
#define FMLA4(m, n, d) WORD $(0x4E20CC00 | ((m)<<16) | ((n)<<5) | (d))
#define FABS4(n, d) WORD $(0x4EA0F800 | ((n)<<5) | (d))
#define FMAXNM4(m, n, d) WORD $(0x4E20C400 | ((m)<<16) | ((n)<<5) | (d))
#define FMAXNMV4(n, d) WORD $(0x6E30C800 | ((n)<<5) | (d))
#define FMULE0(m, n, d) WORD $(0x4F809000 | ((m)<<16) | ((n)<<5) | (d))

// func windowMaxNEON(work, x *complex64, w *float32, n int) float32
TEXT ·windowMaxNEON(SB), NOSPLIT, $0-36
	MOVD x+8(FP), R1
	MOVD work+0(FP), R0
	MOVD w+16(FP), R2
	MOVD n+24(FP), R3
	VEOR V5.B16, V5.B16, V5.B16   // maximum so far
	ADD  R3<<3, R1, R3            // end of x

wloop:
	VLD2.P 32(R1), [V0.S4, V1.S4] // re, im
	VLD1.P 16(R2), [V2.S4]
	FMUL4(2, 0, 3)
	FMUL4(2, 1, 4)
	VST2.P [V3.S4, V4.S4], 32(R0)
	FABS4(0, 0)
	FABS4(1, 1)
	FMAXNM4(0, 5, 5)
	FMAXNM4(1, 5, 5)
	CMP    R3, R1
	BLO    wloop

	FMAXNMV4(5, 5)
	FMOVS F5, ret+32(FP)
	RET

// func powerShiftNEON(p *float32, spec *complex64, n int, norm float32)
TEXT ·powerShiftNEON(SB), NOSPLIT, $0-28
	MOVD  p+0(FP), R0
	MOVD  spec+8(FP), R1
	MOVD  n+16(FP), R2
	FMOVS norm+24(FP), F31
	LSR   $1, R2, R2              // n/2
	ADD   R2<<3, R1, R3           // spec[n/2]: to p[0]
	ADD   R2<<2, R0, R4           // p[n/2]: from spec[0]

ploop:
	VLD2.P 32(R3), [V0.S4, V1.S4]
	FMUL4(0, 0, 2)
	FMLA4(1, 1, 2)
	FMULE0(31, 2, 2)
	VST1.P [V2.S4], 16(R0)
	VLD2.P 32(R1), [V0.S4, V1.S4]
	FMUL4(0, 0, 2)
	FMLA4(1, 1, 2)
	FMULE0(31, 2, 2)
	VST1.P [V2.S4], 16(R4)
	SUBS   $4, R2, R2
	BNE    ploop
	RET
