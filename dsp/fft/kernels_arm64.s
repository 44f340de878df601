//go:build !purego

#include "textflag.h"

// NEON kernels for the FFT passes. Complex vectors are kept split: one
// register of four real parts, the next of the four imaginary parts
// (VLD2/VST2 de-interleave and re-interleave complex64 memory), one lane
// per butterfly or per codelet. Go's assembler has no mnemonics for the
// vector float arithmetic, so it is encoded with WORD (encodings checked
// against GNU as); registers are given by number. Products are fused with
// the following addition where the instruction set allows (FMLA/FMLS), as
// Go's own arm64 code does in places: results agree with the Go code to a
// few float32 roundings, not bit for bit.

// d = n + m, d = n − m, d = n·m, d += n·m, d −= n·m, d = −n (.4S).
#define FADD4(m, n, d) WORD $(0x4E20D400 | ((m)<<16) | ((n)<<5) | (d))
#define FSUB4(m, n, d) WORD $(0x4EA0D400 | ((m)<<16) | ((n)<<5) | (d))
#define FMUL4(m, n, d) WORD $(0x6E20DC00 | ((m)<<16) | ((n)<<5) | (d))
#define FMLA4(m, n, d) WORD $(0x4E20CC00 | ((m)<<16) | ((n)<<5) | (d))
#define FMLS4(m, n, d) WORD $(0x4EA0CC00 | ((m)<<16) | ((n)<<5) | (d))
#define FNEG4(n, d) WORD $(0x6EA0F800 | ((n)<<5) | (d))

// By element: d = n·m[i], d += n·m[i], d −= n·m[i].
#define FMULE(m, i, n, d) WORD $(0x4F809000 | ((m)<<16) | (((i)&1)<<21) | (((i)>>1)<<11) | ((n)<<5) | (d))
#define FMLAE(m, i, n, d) WORD $(0x4F801000 | ((m)<<16) | (((i)&1)<<21) | (((i)>>1)<<11) | ((n)<<5) | (d))
#define FMLSE(m, i, n, d) WORD $(0x4F805000 | ((m)<<16) | (((i)&1)<<21) | (((i)>>1)<<11) | ((n)<<5) | (d))

// V31 holds the codelet constants K = (h, c1, s1, −h): h = √2/2,
// c1 = cos(π/8), s1 = sin(π/8) (neonK in kernels_arm64.go).
#define K_H 0
#define K_C1 1
#define K_S1 2
#define K_NH 3

// TR4(a, b, c, d, p, q, r, s): transposes the 4×4 matrix of rows a…d into
// columns p…s (p = (a0, b0, c0, d0), …). V24…V27 are scratch.
#define TR4(a, b, c, d, p, q, r, s) \
	VTRN1 b.S4, a.S4, V24.S4; \
	VTRN2 b.S4, a.S4, V25.S4; \
	VTRN1 d.S4, c.S4, V26.S4; \
	VTRN2 d.S4, c.S4, V27.S4; \
	VTRN1 V26.D2, V24.D2, p.D2; \
	VTRN2 V26.D2, V24.D2, r.D2; \
	VTRN1 V27.D2, V25.D2, q.D2; \
	VTRN2 V27.D2, V25.D2, s.D2

// DFT4: from a0 = (V0, V1), a1 = (V2, V3), a2 = (V4, V5), a3 = (V6, V7):
// t0 = a0+a2 (V8, V9), t1 = a0−a2 (V10, V11), t2 = a1+a3 (V12, V13),
// t3 = −i·(a1−a3) = (a1i−a3i, a3r−a1r) (V14, V15).
#define DFT4 \
	FADD4(4, 0, 8); \
	FADD4(5, 1, 9); \
	FSUB4(4, 0, 10); \
	FSUB4(5, 1, 11); \
	FADD4(6, 2, 12); \
	FADD4(7, 3, 13); \
	FSUB4(7, 3, 14); \
	FSUB4(2, 6, 15)

// OUT4: t0+t2, t1+t3, t0−t2, t1−t3 into (V16, V17) … (V22, V23).
#define OUT4 \
	FADD4(12, 8, 16); \
	FADD4(13, 9, 17); \
	FADD4(14, 10, 18); \
	FADD4(15, 11, 19); \
	FSUB4(12, 8, 20); \
	FSUB4(13, 9, 21); \
	FSUB4(14, 10, 22); \
	FSUB4(15, 11, 23)

// The 16-point codelet (first16), four at a time. First half, for
// t1 = 0, 2, 1, 3 (inputs x(t1+4·t2) as a0…a3 for DFT4): the group's four
// outputs into (V16, V17) … (V22, V23), then STOREG(t1) transposes them so
// that each vector holds one codelet's four outputs, and parks them in the
// 512-byte stack area at R20: codelet e, group t1 at 128·e + 32·t1.

// F16T1x are the groups' twiddles (see first16): F16T0 none (OUT4).
// F16T2: y4 = t0+t2, y5 = h·(z1 − i·z1), y6 = −i·(t0−t2), y7 = h·(−i·z3 − z3),
// z1 = t1+t3, z3 = t1−t3.
#define F16T2 \
	FADD4(12, 8, 16); \
	FADD4(13, 9, 17); \
	FSUB4(13, 9, 20); \
	FSUB4(8, 12, 21); \
	FADD4(14, 10, 24); \
	FADD4(15, 11, 25); \
	FADD4(25, 24, 26); \
	FMULE(31, K_H, 26, 18); \
	FSUB4(24, 25, 27); \
	FMULE(31, K_H, 27, 19); \
	FSUB4(14, 10, 24); \
	FSUB4(15, 11, 25); \
	FSUB4(24, 25, 26); \
	FMULE(31, K_H, 26, 22); \
	FADD4(25, 24, 27); \
	FMULE(31, K_NH, 27, 23)

// F16T1: y8 = t0+t2, y9 = z1·(c1 − i·s1), y10 = h·(z2 − i·z2),
// y11 = z3·(s1 − i·c1), z2 = t0−t2.
#define F16T1 \
	FADD4(12, 8, 16); \
	FADD4(13, 9, 17); \
	FSUB4(12, 8, 24); \
	FSUB4(13, 9, 25); \
	FADD4(25, 24, 26); \
	FMULE(31, K_H, 26, 20); \
	FSUB4(24, 25, 27); \
	FMULE(31, K_H, 27, 21); \
	FADD4(14, 10, 24); \
	FADD4(15, 11, 25); \
	FMULE(31, K_C1, 24, 18); \
	FMLAE(31, K_S1, 25, 18); \
	FMULE(31, K_C1, 25, 19); \
	FMLSE(31, K_S1, 24, 19); \
	FSUB4(14, 10, 24); \
	FSUB4(15, 11, 25); \
	FMULE(31, K_S1, 24, 22); \
	FMLAE(31, K_C1, 25, 22); \
	FMULE(31, K_S1, 25, 23); \
	FMLSE(31, K_C1, 24, 23)

// F16T3: y12 = t0+t2, y13 = z1·(s1 − i·c1), y14 = h·(−i·z2 − z2),
// y15 = z3·(−c1 + i·s1).
#define F16T3 \
	FADD4(12, 8, 16); \
	FADD4(13, 9, 17); \
	FSUB4(12, 8, 24); \
	FSUB4(13, 9, 25); \
	FSUB4(24, 25, 26); \
	FMULE(31, K_H, 26, 20); \
	FADD4(25, 24, 27); \
	FMULE(31, K_NH, 27, 21); \
	FADD4(14, 10, 24); \
	FADD4(15, 11, 25); \
	FMULE(31, K_S1, 24, 18); \
	FMLAE(31, K_C1, 25, 18); \
	FMULE(31, K_S1, 25, 19); \
	FMLSE(31, K_C1, 24, 19); \
	FSUB4(14, 10, 24); \
	FSUB4(15, 11, 25); \
	FMULE(31, K_C1, 24, 22); \
	FMLAE(31, K_S1, 25, 22); \
	FNEG4(22, 22); \
	FMULE(31, K_S1, 24, 23); \
	FMLSE(31, K_C1, 25, 23)

#define STOREG(g) \
	TR4(V16, V18, V20, V22, V0, V2, V4, V6); \
	TR4(V17, V19, V21, V23, V1, V3, V5, V7); \
	FSTPQ (F0, F1), 32*g(R20); \
	FSTPQ (F2, F3), 128+32*g(R20); \
	FSTPQ (F4, F5), 256+32*g(R20); \
	FSTPQ (F6, F7), 384+32*g(R20)

// F16LANE(e, p): second half for codelet e, whose vectors hold k1 = 0…3:
// the outer 4-point DFT over t1 gives outputs 0…3, 4…7, 8…11, 12…15,
// stored at p (advanced by 128 bytes).
#define F16LANE(e, p) \
	FLDPQ 128*e(R20), (F0, F1); \
	FLDPQ 128*e+32(R20), (F2, F3); \
	FLDPQ 128*e+64(R20), (F4, F5); \
	FLDPQ 128*e+96(R20), (F6, F7); \
	DFT4; \
	OUT4; \
	VST2.P [V16.S4, V17.S4], 32(p); \
	VST2.P [V18.S4, V19.S4], 32(p); \
	VST2.P [V20.S4, V21.S4], 32(p); \
	VST2.P [V22.S4, V23.S4], 32(p)

// LOAD4(p): a0…a3 from p, p+R9, p+R10, p+R11 (rows 2n bytes apart).
#define LOAD4(p) \
	VLD2 (p), [V0.S4, V1.S4]; \
	ADD R9, p, R7; \
	VLD2 (R7), [V2.S4, V3.S4]; \
	ADD R10, p, R7; \
	VLD2 (R7), [V4.S4, V5.S4]; \
	ADD R11, p, R7; \
	VLD2 (R7), [V6.S4, V7.S4]

// LOADIP: four positions of four blocks (pointers R21…R24, advanced by
// 32 bytes), transposed so that a0…a3 hold positions 0, 2, 1, 3 (the
// bit-reversed order of the inputs) of the four blocks. Staged in V8…V15,
// which DFT4 overwrites next, so V16…V23 (first8's E) are kept.
#define LOADIP \
	VLD2.P 32(R21), [V8.S4, V9.S4]; \
	VLD2.P 32(R22), [V10.S4, V11.S4]; \
	VLD2.P 32(R23), [V12.S4, V13.S4]; \
	VLD2.P 32(R24), [V14.S4, V15.S4]; \
	TR4(V8, V10, V12, V14, V0, V4, V2, V6); \
	TR4(V9, V11, V13, V15, V1, V5, V3, V7)

// The 8-point codelet (first8), four at a time. F8EVEN: from x0, x2, x4,
// x6 as a0…a3, E0…E3 into (V16, V17), (V18, V19), (V20, V21), (V22, V23).
#define F8EVEN \
	DFT4; \
	FADD4(12, 8, 16); \
	FADD4(13, 9, 17); \
	FADD4(14, 10, 18); \
	FADD4(15, 11, 19); \
	FSUB4(12, 8, 20); \
	FSUB4(13, 9, 21); \
	FSUB4(14, 10, 22); \
	FSUB4(15, 11, 23)

// F8ODD: from x1, x3, x5, x7 as a0…a3: O0 = t0+t2 (V0, V1),
// O2 = −i·(t0−t2) (V2, V3), O1 = h·(z1 − i·z1) (V4, V5),
// O3 = h·(−i·z3 − z3) (V6, V7).
#define F8ODD \
	DFT4; \
	FADD4(12, 8, 0); \
	FADD4(13, 9, 1); \
	FSUB4(13, 9, 2); \
	FSUB4(8, 12, 3); \
	FADD4(14, 10, 24); \
	FADD4(15, 11, 25); \
	FADD4(25, 24, 26); \
	FMULE(31, K_H, 26, 4); \
	FSUB4(24, 25, 27); \
	FMULE(31, K_H, 27, 5); \
	FSUB4(14, 10, 24); \
	FSUB4(15, 11, 25); \
	FSUB4(24, 25, 26); \
	FMULE(31, K_H, 26, 6); \
	FADD4(25, 24, 27); \
	FMULE(31, K_NH, 27, 7)

// F8STORE: y_k = E_k + O_k (k = 0…3, into V8…V15), y_(k+4) = E_k − O_k
// (in place of E_k), transposed per codelet and stored at R21…R24.
#define F8STORE \
	FADD4(0, 16, 8); \
	FADD4(1, 17, 9); \
	FSUB4(0, 16, 16); \
	FSUB4(1, 17, 17); \
	FADD4(4, 18, 10); \
	FADD4(5, 19, 11); \
	FSUB4(4, 18, 18); \
	FSUB4(5, 19, 19); \
	FADD4(2, 20, 12); \
	FADD4(3, 21, 13); \
	FSUB4(2, 20, 20); \
	FSUB4(3, 21, 21); \
	FADD4(6, 22, 14); \
	FADD4(7, 23, 15); \
	FSUB4(6, 22, 22); \
	FSUB4(7, 23, 23); \
	TR4(V8, V10, V12, V14, V0, V2, V4, V6); \
	TR4(V9, V11, V13, V15, V1, V3, V5, V7); \
	VST2.P [V0.S4, V1.S4], 32(R21); \
	VST2.P [V2.S4, V3.S4], 32(R22); \
	VST2.P [V4.S4, V5.S4], 32(R23); \
	VST2.P [V6.S4, V7.S4], 32(R24); \
	TR4(V16, V18, V20, V22, V0, V2, V4, V6); \
	TR4(V17, V19, V21, V23, V1, V3, V5, V7); \
	VST2.P [V0.S4, V1.S4], 32(R21); \
	VST2.P [V2.S4, V3.S4], 32(R22); \
	VST2.P [V4.S4, V5.S4], 32(R23); \
	VST2.P [V6.S4, V7.S4], 32(R24)

// OUTPTRS(shift): R21…R24 = dst + (gather[r] << shift) + 0, 4n, 2n, 6n
// bytes: the codelets of lanes 0…3 in the out-of-place first passes.
#define OUTPTRS(shift) \
	MOVWU (R3)(R5<<2), R8; \
	ADD R8<<shift, R0, R21; \
	ADD R10, R21, R22; \
	ADD R9, R21, R23; \
	ADD R11, R21, R24

// func conjNEON(dst, src *complex64, n int)
TEXT ·conjNEON(SB), NOSPLIT, $0-24
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R2
	ADD  R2<<3, R1, R2        // end of src

cjloop:
	VLD2.P 32(R1), [V0.S4, V1.S4]
	FNEG4(1, 1)
	VST2.P [V0.S4, V1.S4], 32(R0)
	CMP    R2, R1
	BLO    cjloop
	RET

// func radix4NEON(x *complex64, n, m int, tw *float32)
//
// Per group of four butterflies j…j+3 (see radix4):
// a0 = x0[j], a1 = x2[j]·w^j, a2 = x1[j]·w^2j, a3 = x3[j]·w^3j;
// x0 = t0+t2, x2 = t0−t2, x1 = t1 − i·t3, x3 = t1 + i·t3.
TEXT ·radix4NEON(SB), NOSPLIT, $0-32
	MOVD x+0(FP), R0
	MOVD n+8(FP), R1
	MOVD m+16(FP), R2
	MOVD tw+24(FP), R3
	LSL  $3, R2, R2           // bytes per sub-transform
	ADD  R1<<3, R0, R9        // end of x

r4group:
	MOVD R0, R10              // x0
	ADD  R2, R10, R11         // x1
	ADD  R2, R11, R12         // x2
	ADD  R2, R12, R13         // x3
	MOVD R11, R8              // end of x0
	MOVD R3, R14              // twiddles

r4loop:
	VLD2   (R12), [V0.S4, V1.S4]                       // x2
	VLD2   (R11), [V2.S4, V3.S4]                       // x1
	VLD2   (R13), [V4.S4, V5.S4]                       // x3
	VLD2   (R10), [V6.S4, V7.S4]                       // a0
	VLD1.P 64(R14), [V16.S4, V17.S4, V18.S4, V19.S4]   // w1, w2
	VLD1.P 32(R14), [V20.S4, V21.S4]                   // w3
	FMUL4(16, 0, 8)           // a1 = x2·w1
	FMLS4(17, 1, 8)
	FMUL4(17, 0, 9)
	FMLA4(16, 1, 9)
	FMUL4(18, 2, 10)          // a2 = x1·w2
	FMLS4(19, 3, 10)
	FMUL4(19, 2, 11)
	FMLA4(18, 3, 11)
	FMUL4(20, 4, 12)          // a3 = x3·w3
	FMLS4(21, 5, 12)
	FMUL4(21, 4, 13)
	FMLA4(20, 5, 13)
	FADD4(10, 6, 14)          // t0 = a0 + a2
	FADD4(11, 7, 15)
	FSUB4(10, 6, 6)           // t1 = a0 − a2
	FSUB4(11, 7, 7)
	FADD4(12, 8, 10)          // t2 = a1 + a3
	FADD4(13, 9, 11)
	FSUB4(12, 8, 8)           // t3 = a1 − a3
	FSUB4(13, 9, 9)
	FADD4(10, 14, 0)          // x0 = t0 + t2
	FADD4(11, 15, 1)
	FSUB4(10, 14, 2)          // x2 = t0 − t2
	FSUB4(11, 15, 3)
	FADD4(9, 6, 4)            // x1 = (t1r + t3i, t1i − t3r)
	FSUB4(8, 7, 5)
	FSUB4(9, 6, 12)           // x3 = (t1r − t3i, t1i + t3r)
	FADD4(8, 7, 13)
	VST2.P [V0.S4, V1.S4], 32(R10)
	VST2.P [V4.S4, V5.S4], 32(R11)
	VST2.P [V2.S4, V3.S4], 32(R12)
	VST2.P [V12.S4, V13.S4], 32(R13)
	CMP    R8, R10
	BLO    r4loop

	MOVD R13, R0              // the next group starts where x3 ended
	CMP  R9, R0
	BLO  r4group
	RET

// func first16NEON(dst, src *complex64, n int, gather *uint32)
//
// Lanes e = 0…3 are the codelets whose inputs start at src[r+e]: input t
// of all four is one vector at src[r + t·n/16]. Their outputs go to
// codelets gather[r] + bitrev(e), i.e. + 0, n/32, n/64, 3n/64.
TEXT ·first16NEON(SB), 0, $512-32
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R2
	MOVD gather+24(FP), R3
	MOVD $buf-512(SP), R20
	MOVD $·neonK(SB), R4
	VLD1 (R4), [V31.S4]
	LSL  $1, R2, R9           // 2n bytes: 4 input rows; lane 2's codelet
	LSL  $2, R2, R10          // 4n: 8 rows; lane 1's codelet
	ADD  R9, R10, R11         // 6n: 12 rows; lane 3's codelet
	LSR  $1, R2, R12          // n/2: one row of n/16 samples
	LSR  $4, R2, R15          // codelets
	MOVD $0, R5               // r

f16loop:
	ADD  R5<<3, R1, R13       // row 0
	LOAD4(R13)
	DFT4
	OUT4
	STOREG(0)
	ADD  R2, R13, R6          // row 2
	LOAD4(R6)
	DFT4
	F16T2
	STOREG(2)
	ADD  R12, R13, R6         // row 1
	LOAD4(R6)
	DFT4
	F16T1
	STOREG(1)
	ADD  R2, R6, R6           // row 3
	LOAD4(R6)
	DFT4
	F16T3
	STOREG(3)
	OUTPTRS(7)
	F16LANE(0, R21)
	F16LANE(1, R22)
	F16LANE(2, R23)
	F16LANE(3, R24)
	ADD  $4, R5
	CMP  R15, R5
	BLO  f16loop
	RET

// func first16InPlaceNEON(x *complex64, n int)
//
// Lanes e = 0…3 are the blocks b+e (128 bytes each) of bit-reversed x:
// input t of block b is x[16b + bitrev4(t)]; positions 4q…4q+3 hold the
// inputs of group t1 = bitrev2(q).
TEXT ·first16InPlaceNEON(SB), 0, $512-16
	MOVD x+0(FP), R0
	MOVD n+8(FP), R2
	MOVD $buf-512(SP), R20
	MOVD $·neonK(SB), R4
	VLD1 (R4), [V31.S4]
	ADD  R2<<3, R0, R15       // end of x

f16iploop:
	MOVD R0, R21
	ADD  $128, R0, R22
	ADD  $256, R0, R23
	ADD  $384, R0, R24
	LOADIP
	DFT4
	OUT4
	STOREG(0)
	LOADIP
	DFT4
	F16T2
	STOREG(2)
	LOADIP
	DFT4
	F16T1
	STOREG(1)
	LOADIP
	DFT4
	F16T3
	STOREG(3)
	MOVD R0, R21
	ADD  $128, R0, R22
	ADD  $256, R0, R23
	ADD  $384, R0, R24
	F16LANE(0, R21)
	F16LANE(1, R22)
	F16LANE(2, R23)
	F16LANE(3, R24)
	ADD  $512, R0
	CMP  R15, R0
	BLO  f16iploop
	RET

// func first8NEON(dst, src *complex64, n int, gather *uint32)
//
// As first16NEON with 8-point codelets: input t at src[r + t·n/8], outputs
// to codelets gather[r] + 0, n/16, n/32, 3n/32 (64 bytes each).
TEXT ·first8NEON(SB), NOSPLIT, $0-32
	MOVD dst+0(FP), R0
	MOVD src+8(FP), R1
	MOVD n+16(FP), R2
	MOVD gather+24(FP), R3
	MOVD $·neonK(SB), R4
	VLD1 (R4), [V31.S4]
	LSL  $1, R2, R9           // 2n bytes: 2 input rows; lane 2's codelet
	LSL  $2, R2, R10          // 4n: 4 rows; lane 1's codelet
	ADD  R9, R10, R11         // 6n: 6 rows; lane 3's codelet
	LSR  $3, R2, R15          // codelets
	MOVD $0, R5               // r

f8loop:
	ADD  R5<<3, R1, R13       // x0; x2, x4, x6 at +2n, +4n, +6n
	LOAD4(R13)
	F8EVEN
	ADD  R2, R13, R6          // x1
	LOAD4(R6)
	F8ODD
	OUTPTRS(6)
	F8STORE
	ADD  $4, R5
	CMP  R15, R5
	BLO  f8loop
	RET

// func first8InPlaceNEON(x *complex64, n int)
//
// Lanes are blocks b+e (64 bytes) of bit-reversed x: input t of block b is
// x[8b + bitrev3(t)]; positions 0…3 hold the even inputs, 4…7 the odd.
TEXT ·first8InPlaceNEON(SB), NOSPLIT, $0-16
	MOVD x+0(FP), R0
	MOVD n+8(FP), R2
	MOVD $·neonK(SB), R4
	VLD1 (R4), [V31.S4]
	ADD  R2<<3, R0, R15       // end of x

f8iploop:
	MOVD R0, R21
	ADD  $64, R0, R22
	ADD  $128, R0, R23
	ADD  $192, R0, R24
	LOADIP
	F8EVEN
	LOADIP
	F8ODD
	MOVD R0, R21
	ADD  $64, R0, R22
	ADD  $128, R0, R23
	ADD  $192, R0, R24
	F8STORE
	ADD  $256, R0
	CMP  R15, R0
	BLO  f8iploop
	RET
