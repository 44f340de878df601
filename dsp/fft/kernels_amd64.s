//go:build !purego

#include "textflag.h"

// Constants in avxK (kernels_amd64.go).
#define K_H ·avxK+0(SB)
#define K_C1 ·avxK+32(SB)
#define K_S1 ·avxK+64(SB)
#define K_NC1 ·avxK+96(SB)
#define K_NS1 ·avxK+128(SB)
#define ODDSIGN ·avxK+160(SB)
#define ALLSIGN ·avxK+192(SB)

// AVX kernels for the FFT passes. A Y register holds four complex64
// (re, im, re, im, …): one lane per butterfly or per codelet. Every lane
// performs the float32 operations of the Go code (fft.go) in the same order,
// so the results are identical bit for bit; products are never fused.
//
// Helpers (Go operand order: sources first, destination last;
// VSUBPS b, a, d is d = a − b; VADDSUBPS b, a, d is d = (a−b, a+b) per
// complex, i.e. real parts subtracted and imaginary parts added).

// SWAP(y, d): d = (im, re) per complex.
#define SWAP(y, d) VSHUFPS $0xB1, y, y, d

// NEGI(y): y = −i·y = (im, −re) per complex.
#define NEGI(y) \
	SWAP(y, y); \
	VXORPS ODDSIGN, y, y

// DFT4 is the 4-point DFT's first half, shared by every pass:
// t0 = a0+a2, t1 = a0−a2, t2 = a1+a3, t3 = −i·(a1−a3).
#define DFT4(a0, a1, a2, a3, t0, t1, t2, t3) \
	VADDPS a2, a0, t0; \
	VSUBPS a2, a0, t1; \
	VADDPS a3, a1, t2; \
	VSUBPS a3, a1, t3; \
	NEGI(t3)

// CMULK(z, kr, ki, d): d = z·(kr + i·ki) = (zr·kr − zi·ki, zi·kr + zr·ki),
// kr and ki broadcast constants in memory; z is clobbered.
#define CMULK(z, kr, ki, d) \
	VMULPS kr, z, d; \
	SWAP(z, z); \
	VMULPS ki, z, z; \
	VADDSUBPS z, d, d

// HPLUS(z, t, d): d = h·(z − i·z) = (h·(zr+zi), h·(zi−zr)), h = √2/2.
#define HPLUS(z, t, d) \
	SWAP(z, t); \
	VXORPS ODDSIGN, t, t; \
	VADDPS t, z, d; \
	VMULPS K_H, d, d

// HMINUS(z, t, d): d = h·(−i·z − z) = (h·(zi−zr), −h·(zr+zi)).
#define HMINUS(z, t, d) \
	SWAP(z, t); \
	VXORPS ODDSIGN, t, t; \
	VSUBPS z, t, d; \
	VMULPS K_H, d, d

// SCATTER(y, x, off): lane 0 of y to off(DX), lanes 1, 2, 3 to
// off(DX) + R10, + R9, + R11 bytes (the codelets of the out-of-place
// first passes: b, b + n/32, b + n/64, b + 3n/64 for 16 points).
#define SCATTER(y, x, off) \
	VMOVLPS x, off(DX); \
	VMOVHPS x, off(DX)(R10*1); \
	VEXTRACTF128 $1, y, X15; \
	VMOVLPS X15, off(DX)(R9*1); \
	VMOVHPS X15, off(DX)(R11*1)

// SCATTERIP(stride, y, x, off): lane e of y to off + e·stride (DX).
#define SCATTERIP(stride, y, x, off) \
	VMOVLPS x, off(DX); \
	VMOVHPS x, off+stride(DX); \
	VEXTRACTF128 $1, y, X15; \
	VMOVLPS X15, off+2*stride(DX); \
	VMOVHPS X15, off+3*stride(DX)

// GATHERIP(stride, off, y, x): lane e of y from off + e·stride (DX).
#define GATHERIP(stride, off, y, x) \
	VMOVSD off(DX), x; \
	VMOVHPS off+stride(DX), x, x; \
	VMOVSD off+2*stride(DX), X15; \
	VMOVHPS off+3*stride(DX), X15, X15; \
	VINSERTF128 $1, X15, y, y

// LOAD4(p): Y0…Y3 from p, p+R9, p+R10, p+R11 (inputs t2 = 0…3 of a
// codelet group, rows 2n bytes apart).
#define LOAD4(p) \
	VMOVUPS (p), Y0; \
	VMOVUPS (p)(R9*1), Y1; \
	VMOVUPS (p)(R10*1), Y2; \
	VMOVUPS (p)(R11*1), Y3

// The 16-point codelet (first16), four at a time, in two halves around a
// 512-byte stack area holding y0…y15 (one vector each at 32·k(SP)).
// First half: for t1 = 0, 2, 1, 3, from a0…a3 = x(t1+4·t2) in Y0…Y3.

// F16T0: t1 = 0, no twiddles: y0…y3.
#define F16T0 \
	DFT4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7); \
	VADDPS Y6, Y4, Y0; \
	VADDPS Y7, Y5, Y1; \
	VSUBPS Y6, Y4, Y2; \
	VSUBPS Y7, Y5, Y3; \
	VMOVUPS Y0, 0(SP); \
	VMOVUPS Y1, 32(SP); \
	VMOVUPS Y2, 64(SP); \
	VMOVUPS Y3, 96(SP)

// F16T2: t1 = 2, twiddles 1, (1−i)/√2, −i, −(1+i)/√2: y4…y7.
#define F16T2 \
	DFT4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7); \
	VADDPS Y6, Y4, Y0; \
	VSUBPS Y6, Y4, Y2; \
	NEGI(Y2); \
	VADDPS Y7, Y5, Y1; \
	VSUBPS Y7, Y5, Y3; \
	HPLUS(Y1, Y8, Y9); \
	HMINUS(Y3, Y10, Y11); \
	VMOVUPS Y0, 128(SP); \
	VMOVUPS Y9, 160(SP); \
	VMOVUPS Y2, 192(SP); \
	VMOVUPS Y11, 224(SP)

// F16T1: t1 = 1, twiddles W16^{0,1,2,3}: y8…y11.
#define F16T1 \
	DFT4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7); \
	VADDPS Y6, Y4, Y0; \
	VADDPS Y7, Y5, Y1; \
	VSUBPS Y6, Y4, Y2; \
	VSUBPS Y7, Y5, Y3; \
	CMULK(Y1, K_C1, K_NS1, Y9); \
	HPLUS(Y2, Y8, Y10); \
	CMULK(Y3, K_S1, K_NC1, Y11); \
	VMOVUPS Y0, 256(SP); \
	VMOVUPS Y9, 288(SP); \
	VMOVUPS Y10, 320(SP); \
	VMOVUPS Y11, 352(SP)

// F16T3: t1 = 3, twiddles W16^{0,3,6,9}: y12…y15.
#define F16T3 \
	DFT4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7); \
	VADDPS Y6, Y4, Y0; \
	VADDPS Y7, Y5, Y1; \
	VSUBPS Y6, Y4, Y2; \
	VSUBPS Y7, Y5, Y3; \
	CMULK(Y1, K_S1, K_NC1, Y9); \
	HMINUS(Y2, Y8, Y10); \
	CMULK(Y3, K_NC1, K_S1, Y11); \
	VMOVUPS Y0, 384(SP); \
	VMOVUPS Y9, 416(SP); \
	VMOVUPS Y10, 448(SP); \
	VMOVUPS Y11, 480(SP)

// F16OUT(k1): second half, the outer 4-point DFT over t1 for k1:
// outputs k1, k1+4, k1+8, k1+12 in Y0, Y1, Y2, Y3. Z[t1][k1] sits at
// y[4·bitrev2(t1) + k1].
#define F16OUT(k1) \
	VMOVUPS (32*k1)(SP), Y0; \
	VMOVUPS (32*k1+256)(SP), Y1; \
	VMOVUPS (32*k1+128)(SP), Y2; \
	VMOVUPS (32*k1+384)(SP), Y3; \
	DFT4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7); \
	VADDPS Y6, Y4, Y0; \
	VADDPS Y7, Y5, Y1; \
	VSUBPS Y6, Y4, Y2; \
	VSUBPS Y7, Y5, Y3

// The 8-point codelet (first8), four at a time. F8EVEN: from x0, x2, x4,
// x6 in Y0…Y3, E0…E3 in Y8, Y10, Y9, Y11 (E0, E1, E2, E3).
#define F8EVEN \
	DFT4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7); \
	VADDPS Y6, Y4, Y8; \
	VSUBPS Y6, Y4, Y9; \
	VADDPS Y7, Y5, Y10; \
	VSUBPS Y7, Y5, Y11

// F8ODD: from x1, x3, x5, x7 in Y0…Y3, O0 in Y0, O2 in Y1, O1 in Y5, O3 in Y7.
#define F8ODD \
	DFT4(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7); \
	VADDPS Y6, Y4, Y0; \
	VSUBPS Y6, Y4, Y1; \
	NEGI(Y1); \
	VADDPS Y7, Y5, Y2; \
	VSUBPS Y7, Y5, Y3; \
	HPLUS(Y2, Y4, Y5); \
	HMINUS(Y3, Y6, Y7)

// STORE8(store): the outputs y_k = E_k + O_k, y_(k+4) = E_k − O_k, each
// written by store(y, x, off) at byte offset off = 8k of its codelet.
#define STORE8(store) \
	VADDPS Y0, Y8, Y12; \
	VSUBPS Y0, Y8, Y13; \
	store(Y12, X12, 0); \
	store(Y13, X13, 32); \
	VADDPS Y5, Y10, Y12; \
	VSUBPS Y5, Y10, Y13; \
	store(Y12, X12, 8); \
	store(Y13, X13, 40); \
	VADDPS Y1, Y9, Y12; \
	VSUBPS Y1, Y9, Y13; \
	store(Y12, X12, 16); \
	store(Y13, X13, 48); \
	VADDPS Y7, Y11, Y12; \
	VSUBPS Y7, Y11, Y13; \
	store(Y12, X12, 24); \
	store(Y13, X13, 56)

// func conjAVX(dst, src *complex64, n int)
TEXT ·conjAVX(SB), NOSPLIT, $0-24
	MOVQ    dst+0(FP), DI
	MOVQ    src+8(FP), SI
	MOVQ    n+16(FP), CX
	VMOVUPS ODDSIGN, Y7
	LEAQ    (SI)(CX*8), CX    // end of src

cjloop:
	VXORPS  (SI), Y7, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	CMPQ    SI, CX
	JB      cjloop
	VZEROUPPER
	RET

// func radix4AVX(x *complex64, n, m int, tw *float32)
//
// Per group of four butterflies j…j+3 (see radix4):
// a0 = x0[j], a1 = x2[j]·w^j, a2 = x1[j]·w^2j, a3 = x3[j]·w^3j;
// x0 = t0+t2, x2 = t0−t2, x1 = t1 − i·t3, x3 = t1 + i·t3.
TEXT ·radix4AVX(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ m+16(FP), DX
	MOVQ tw+24(FP), SI
	SHLQ $3, DX               // bytes per sub-transform
	LEAQ (DI)(CX*8), R9       // end of x
	VMOVUPS ALLSIGN, Y15

r4group:
	MOVQ DI, R10              // x0
	LEAQ (DI)(DX*1), R11      // x1
	LEAQ (R11)(DX*1), R12     // x2
	LEAQ (R12)(DX*1), R13     // x3
	MOVQ R11, R8              // end of x0
	MOVQ SI, R14              // twiddles

r4loop:
	VMOVUPS (R12), Y0
	VMOVUPS (R11), Y1
	VMOVUPS (R13), Y2
	VMULPS 0(R14), Y0, Y3     // a1 = x2·w1
	SWAP(Y0, Y0)
	VMULPS 32(R14), Y0, Y0
	VADDSUBPS Y0, Y3, Y3
	VMULPS 64(R14), Y1, Y4    // a2 = x1·w2
	SWAP(Y1, Y1)
	VMULPS 96(R14), Y1, Y1
	VADDSUBPS Y1, Y4, Y4
	VMULPS 128(R14), Y2, Y5   // a3 = x3·w3
	SWAP(Y2, Y2)
	VMULPS 160(R14), Y2, Y2
	VADDSUBPS Y2, Y5, Y5
	VMOVUPS (R10), Y6         // a0
	VADDPS Y4, Y6, Y7         // t0 = a0 + a2
	VSUBPS Y4, Y6, Y6         // t1 = a0 − a2
	VADDPS Y5, Y3, Y8         // t2 = a1 + a3
	VSUBPS Y5, Y3, Y3         // t3 = a1 − a3
	VADDPS Y8, Y7, Y9         // x0 = t0 + t2
	VSUBPS Y8, Y7, Y7         // x2 = t0 − t2
	SWAP(Y3, Y3)              // (t3i, t3r)
	VADDSUBPS Y3, Y6, Y10     // x3 = (t1r − t3i, t1i + t3r)
	VXORPS Y15, Y3, Y3        // (−t3i, −t3r)
	VADDSUBPS Y3, Y6, Y6      // x1 = (t1r + t3i, t1i − t3r)
	VMOVUPS Y9, (R10)
	VMOVUPS Y6, (R11)
	VMOVUPS Y7, (R12)
	VMOVUPS Y10, (R13)
	ADDQ $32, R10
	ADDQ $32, R11
	ADDQ $32, R12
	ADDQ $32, R13
	ADDQ $192, R14
	CMPQ R10, R8
	JB   r4loop

	MOVQ R13, DI              // the next group starts where x3 ended
	CMPQ DI, R9
	JB   r4group
	VZEROUPPER
	RET

// func first16AVX(dst, src *complex64, n int, gather *uint32)
//
// Lanes e = 0…3 are the codelets whose inputs start at src[r+e]: input t
// of all four is one vector at src[r + t·n/16]. Their outputs go to
// codelets gather[r] + bitrev(e), i.e. + 0, n/32, n/64, 3n/64.
TEXT ·first16AVX(SB), 0, $512-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ gather+24(FP), BX
	LEAQ (CX)(CX*1), R9       // 2n bytes: 4 input rows; lane 2's codelet
	MOVQ CX, R10
	SHLQ $2, R10              // 4n: 8 rows; lane 1's codelet
	LEAQ (R9)(R10*1), R11     // 6n: 12 rows; lane 3's codelet
	MOVQ CX, R12
	SHRQ $1, R12              // n/2 bytes: one row of n/16 samples
	MOVQ CX, R15
	SHRQ $4, R15              // codelets
	XORQ AX, AX               // r

f16loop:
	LEAQ (SI)(AX*8), R13      // row 0
	LOAD4(R13)
	F16T0
	LEAQ (R13)(CX*1), R14     // row 2
	LOAD4(R14)
	F16T2
	LEAQ (R13)(R12*1), R14    // row 1
	LOAD4(R14)
	F16T1
	ADDQ CX, R14              // row 3
	LOAD4(R14)
	F16T3

	MOVL (BX)(AX*4), DX
	SHLQ $7, DX
	ADDQ DI, DX               // codelet gather[r]
	F16OUT(0)
	SCATTER(Y0, X0, 0)
	SCATTER(Y1, X1, 32)
	SCATTER(Y2, X2, 64)
	SCATTER(Y3, X3, 96)
	F16OUT(1)
	SCATTER(Y0, X0, 8)
	SCATTER(Y1, X1, 40)
	SCATTER(Y2, X2, 72)
	SCATTER(Y3, X3, 104)
	F16OUT(2)
	SCATTER(Y0, X0, 16)
	SCATTER(Y1, X1, 48)
	SCATTER(Y2, X2, 80)
	SCATTER(Y3, X3, 112)
	F16OUT(3)
	SCATTER(Y0, X0, 24)
	SCATTER(Y1, X1, 56)
	SCATTER(Y2, X2, 88)
	SCATTER(Y3, X3, 120)

	ADDQ $4, AX
	CMPQ AX, R15
	JB   f16loop
	VZEROUPPER
	RET

// func first16InPlaceAVX(x *complex64, n int)
//
// Lanes e = 0…3 are the blocks b+e (128 bytes each) of bit-reversed x:
// input t of block b is x[16b + bitrev4(t)].
TEXT ·first16InPlaceAVX(SB), 0, $512-16
	MOVQ x+0(FP), DX
	MOVQ n+8(FP), CX
	LEAQ (DX)(CX*8), R8       // end of x

f16iploop:
	GATHERIP(128, 0, Y0, X0)
	GATHERIP(128, 16, Y1, X1)
	GATHERIP(128, 8, Y2, X2)
	GATHERIP(128, 24, Y3, X3)
	F16T0
	GATHERIP(128, 32, Y0, X0)
	GATHERIP(128, 48, Y1, X1)
	GATHERIP(128, 40, Y2, X2)
	GATHERIP(128, 56, Y3, X3)
	F16T2
	GATHERIP(128, 64, Y0, X0)
	GATHERIP(128, 80, Y1, X1)
	GATHERIP(128, 72, Y2, X2)
	GATHERIP(128, 88, Y3, X3)
	F16T1
	GATHERIP(128, 96, Y0, X0)
	GATHERIP(128, 112, Y1, X1)
	GATHERIP(128, 104, Y2, X2)
	GATHERIP(128, 120, Y3, X3)
	F16T3

	F16OUT(0)
	SCATTERIP(128, Y0, X0, 0)
	SCATTERIP(128, Y1, X1, 32)
	SCATTERIP(128, Y2, X2, 64)
	SCATTERIP(128, Y3, X3, 96)
	F16OUT(1)
	SCATTERIP(128, Y0, X0, 8)
	SCATTERIP(128, Y1, X1, 40)
	SCATTERIP(128, Y2, X2, 72)
	SCATTERIP(128, Y3, X3, 104)
	F16OUT(2)
	SCATTERIP(128, Y0, X0, 16)
	SCATTERIP(128, Y1, X1, 48)
	SCATTERIP(128, Y2, X2, 80)
	SCATTERIP(128, Y3, X3, 112)
	F16OUT(3)
	SCATTERIP(128, Y0, X0, 24)
	SCATTERIP(128, Y1, X1, 56)
	SCATTERIP(128, Y2, X2, 88)
	SCATTERIP(128, Y3, X3, 120)

	ADDQ $512, DX
	CMPQ DX, R8
	JB   f16iploop
	VZEROUPPER
	RET

// SCATTER8IP is SCATTERIP for 64-byte blocks, in STORE8's form.
#define SCATTER8IP(y, x, off) SCATTERIP(64, y, x, off)

// func first8AVX(dst, src *complex64, n int, gather *uint32)
//
// As first16AVX with 8-point codelets: input t at src[r + t·n/8], outputs
// to codelets gather[r] + 0, n/16, n/32, 3n/32 (64 bytes each).
TEXT ·first8AVX(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ gather+24(FP), BX
	LEAQ (CX)(CX*1), R9       // 2n bytes: 2 input rows; lane 2's codelet
	MOVQ CX, R10
	SHLQ $2, R10              // 4n: 4 rows; lane 1's codelet
	LEAQ (R9)(R10*1), R11     // 6n: 6 rows; lane 3's codelet
	MOVQ CX, R15
	SHRQ $3, R15              // codelets
	XORQ AX, AX               // r

f8loop:
	LEAQ (SI)(AX*8), R13      // x0; x2, x4, x6 at +2n, +4n, +6n
	LOAD4(R13)
	F8EVEN
	ADDQ CX, R13              // x1
	LOAD4(R13)
	F8ODD
	MOVL (BX)(AX*4), DX
	SHLQ $6, DX
	ADDQ DI, DX               // codelet gather[r]
	STORE8(SCATTER)
	ADDQ $4, AX
	CMPQ AX, R15
	JB   f8loop
	VZEROUPPER
	RET

// func first8InPlaceAVX(x *complex64, n int)
//
// Lanes are blocks b+e (64 bytes) of bit-reversed x: input t of block b is
// x[8b + bitrev3(t)].
TEXT ·first8InPlaceAVX(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), DX
	MOVQ n+8(FP), CX
	LEAQ (DX)(CX*8), R8       // end of x

f8iploop:
	GATHERIP(64, 0, Y0, X0)
	GATHERIP(64, 16, Y1, X1)
	GATHERIP(64, 8, Y2, X2)
	GATHERIP(64, 24, Y3, X3)
	F8EVEN
	GATHERIP(64, 32, Y0, X0)
	GATHERIP(64, 48, Y1, X1)
	GATHERIP(64, 40, Y2, X2)
	GATHERIP(64, 56, Y3, X3)
	F8ODD
	STORE8(SCATTER8IP)
	ADDQ $256, DX
	CMPQ DX, R8
	JB   f8iploop
	VZEROUPPER
	RET
