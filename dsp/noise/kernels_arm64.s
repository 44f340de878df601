//go:build !purego

#include "textflag.h"

// d = n + m (.4S), WORD-encoded: Go's assembler has no vector FADD.
#define FADD4(m, n, d) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))

// func addToNEON(acc, p *float32, n int)
TEXT ·addToNEON(SB), NOSPLIT, $0-24
	MOVD acc+0(FP), R0
	MOVD p+8(FP), R1
	MOVD n+16(FP), R2
	AND  $-4, R2, R3
	CBZ  R3, tail
	ADD  R3<<2, R1, R3        // end of the vector part of p

loop:
	VLD1   (R0), [V0.S4]
	VLD1.P 16(R1), [V1.S4]
	FADD4(1, 0, 0)
	VST1.P [V0.S4], 16(R0)
	CMP    R3, R1
	BLO    loop

tail:
	AND $3, R2, R2
	CBZ R2, done

tailloop:
	FMOVS   (R0), F0
	FMOVS.P 4(R1), F1
	FADDS   F1, F0, F0
	FMOVS.P F0, 4(R0)
	SUBS    $1, R2, R2
	BNE     tailloop

done:
	RET
