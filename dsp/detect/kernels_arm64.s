//go:build !purego

#include "textflag.h"

// Vector float arithmetic has no Go mnemonics: WORD encodings (checked
// against GNU as), registers by number. .4S: d = n + m, d = n − m,
// d += n·m, d = (n ≥ m) as all ones or zeros; s_d = the largest lane of n.
#define FADD4(m, n, d) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
#define FSUB4(m, n, d) WORD $(0x4EA0D400 | ((m)<<16) | ((n)<<5) | (d))
#define FMLA4(m, n, d) WORD $(0x4E20CC00 | ((m)<<16) | ((n)<<5) | (d))
#define FCMGE4(m, n, d) WORD $(0x6E20E400 | ((m)<<16) | ((n)<<5) | (d))
#define UMAXV4(n, d) WORD $(0x6EB0A800 | ((n)<<5) | (d))

// func accumulateNEON(acc, pw, z, floor *float32, n int)
TEXT ·accumulateNEON(SB), NOSPLIT, $0-40
	MOVD  acc+0(FP), R0
	MOVD  pw+8(FP), R1
	MOVD  z+16(FP), R2
	MOVD  floor+24(FP), R3
	MOVD  n+32(FP), R4
	FMOVS $1.0, F7
	VDUP  V7.S[0], V7.S4
	AND   $-4, R4, R5
	CBZ   R5, tail
	ADD   R5<<2, R2, R5       // end of the vector part of z

loop:
	VLD1.P 16(R2), [V0.S4]
	FSUB4(7, 0, 0)            // e = z − 1
	VLD1   (R0), [V1.S4]
	FADD4(0, 1, 1)
	VST1.P [V1.S4], 16(R0)
	VLD1.P 16(R3), [V2.S4]
	VLD1   (R1), [V3.S4]
	FMLA4(2, 0, 3)            // pw += e·floor
	VST1.P [V3.S4], 16(R1)
	CMP    R5, R2
	BLO    loop

tail:
	AND   $3, R4, R4
	CBZ   R4, done

tailloop:
	FMOVS.P 4(R2), F0
	FSUBS   F7, F0, F0
	FMOVS   (R0), F1
	FADDS   F0, F1, F1
	FMOVS.P F1, 4(R0)
	FMOVS.P 4(R3), F2
	FMOVS   (R1), F3
	FMADDS  F2, F3, F0, F3    // F3 = F3 + F0·F2
	FMOVS.P F3, 4(R1)
	SUBS    $1, R4, R4
	BNE     tailloop

done:
	RET

// func runSumsNEON(run, v, old *float32, n int, tau float32, hits *uint8, bit int) bool
TEXT ·runSumsNEON(SB), NOSPLIT, $0-57
	MOVD  run+0(FP), R0
	MOVD  v+8(FP), R1
	MOVD  old+16(FP), R2
	MOVD  n+24(FP), R3
	FMOVS tau+32(FP), F7
	VDUP  V7.S[0], V7.S4
	MOVD  hits+40(FP), R4
	MOVD  bit+48(FP), R5
	MOVD  $0, R6              // any
	MOVD  $0, R7              // index

loop:
	VLD1   (R0), [V0.S4]
	VLD1.P 16(R1), [V1.S4]
	FADD4(1, 0, 0)
	VLD1.P 16(R2), [V2.S4]
	FSUB4(2, 0, 0)
	VST1.P [V0.S4], 16(R0)
	FCMGE4(7, 0, 3)           // r ≥ tau
	UMAXV4(3, 4)
	FMOVS  F4, R8
	CBNZ   R8, hit

next:
	ADD $4, R7
	CMP R3, R7
	BLT loop
	MOVB R6, ret+56(FP)
	RET

hit:
	MOVD $1, R6
	ADD  R7, R4, R9           // hits[index]
	VMOV V3.S[0], R10
	CBZ  R10, l1
	MOVBU (R9), R11
	ORR  R5, R11, R11
	MOVB R11, (R9)

l1:
	VMOV V3.S[1], R10
	CBZ  R10, l2
	MOVBU 1(R9), R11
	ORR  R5, R11, R11
	MOVB R11, 1(R9)

l2:
	VMOV V3.S[2], R10
	CBZ  R10, l3
	MOVBU 2(R9), R11
	ORR  R5, R11, R11
	MOVB R11, 2(R9)

l3:
	VMOV V3.S[3], R10
	CBZ  R10, next
	MOVBU 3(R9), R11
	ORR  R5, R11, R11
	MOVB R11, 3(R9)
	B    next

// func normalizeNEON(z, cum1, p, inv, one *float32, n int)
//
// As normalizeSSE (g = one + p·inv fused, as Go's arm64 code does).
TEXT ·normalizeNEON(SB), NOSPLIT, $0-48
	MOVD z+0(FP), R0
	MOVD cum1+8(FP), R1
	MOVD p+16(FP), R2
	MOVD inv+24(FP), R3
	MOVD one+32(FP), R4
	MOVD n+40(FP), R5
	VEOR V31.B16, V31.B16, V31.B16   // zero
	VEOR V6.B16, V6.B16, V6.B16      // run
	ADD  R5<<2, R0, R5               // end of z

nloop:
	VLD1.P 16(R2), [V0.S4]
	VLD1.P 16(R3), [V1.S4]
	VLD1.P 16(R4), [V5.S4]
	FMLA4(1, 0, 5)                   // g = one + p·inv
	VST1.P [V5.S4], 16(R0)
	VSHL   $32, V5.D2, V1.D2         // (0, g0, 0, g2)
	FADD4(5, 1, 1)                   // S
	VEXT   $8, V1.B16, V31.B16, V2.B16   // (0, 0, S0, S1)
	VMOV   V31.S[0], V2.S[2]         // (0, 0, 0, S1)
	FADD4(1, 2, 2)                   // T
	FADD4(2, 6, 3)                   // run + T
	VDUP   V3.S[3], V6.S4            // next run = c3
	VDUP   V3.S[1], V4.S4            // c1
	FADD4(2, 4, 4)                   // lane 2: c1 + g2
	VMOV   V4.S[2], V3.S[2]          // C
	VST1.P [V3.S4], 16(R1)
	CMP    R5, R0
	BLO    nloop
	RET

// func bandSumsNEON(v, cum *float32, pos *int, n, w int)
TEXT ·bandSumsNEON(SB), NOSPLIT, $0-40
	MOVD v+0(FP), R0
	MOVD cum+8(FP), R1
	MOVD pos+16(FP), R2
	MOVD n+24(FP), R3
	MOVD w+32(FP), R4
	ADD  R4<<2, R1, R4        // cum[w:]

bsloop:
	MOVD.P  8(R2), R5
	FMOVS   (R4)(R5<<2), F0
	FMOVS   (R1)(R5<<2), F1
	FSUBS   F1, F0, F0
	FMOVS.P F0, 4(R0)
	SUBS    $1, R3, R3
	BNE     bsloop
	RET
