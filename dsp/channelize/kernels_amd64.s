//go:build !purego

#include "textflag.h"

// func windowMaxSSE(work, x *complex64, w *float32, n int) float32
//
// Four samples per pass: work = x·w, and a running per-lane maximum of
// |re| and |im|. MAXPS returns its second operand when either is NaN, so
// with the sample first a NaN leaves the maximum as it was.
TEXT ·windowMaxSSE(SB), NOSPLIT, $0-36
	MOVQ   work+0(FP), DI
	MOVQ   x+8(FP), SI
	MOVQ   w+16(FP), BX
	MOVQ   n+24(FP), CX
	MOVQ   $0x7fffffff, AX
	MOVQ   AX, X15
	SHUFPS $0, X15, X15       // |·| mask
	XORPS  X12, X12           // maximum so far
	LEAQ   (SI)(CX*8), CX     // end of x

wloop:
	MOVUPS   (BX), X4         // w0 w1 w2 w3
	MOVAPS   X4, X5
	UNPCKLPS X4, X4           // w0 w0 w1 w1
	UNPCKHPS X5, X5           // w2 w2 w3 w3
	MOVUPS   (SI), X0         // x0 x1
	MOVUPS   16(SI), X1       // x2 x3
	MULPS    X0, X4
	MULPS    X1, X5
	MOVUPS   X4, (DI)
	MOVUPS   X5, 16(DI)
	ANDPS    X15, X0
	ANDPS    X15, X1
	MAXPS    X12, X0          // X0 = X0 > X12 ? X0 : X12
	MAXPS    X0, X1
	MOVAPS   X1, X12
	ADDQ     $32, SI
	ADDQ     $32, DI
	ADDQ     $16, BX
	CMPQ     SI, CX
	JB       wloop

	MOVAPS X12, X0
	SHUFPS $0x4E, X0, X0
	MAXPS  X0, X12
	MOVAPS X12, X0
	SHUFPS $0xB1, X0, X0
	MAXPS  X0, X12
	MOVSS  X12, ret+32(FP)
	RET

// POWER4(src, dst): dst[0…3] = (re² + im²)·norm of the four complex at
// src, norm in X15.
#define POWER4(src, dst) \
	MOVUPS (src), X0; \
	MOVUPS 16(src), X1; \
	MOVAPS X0, X2; \
	SHUFPS $0x88, X1, X2; \
	SHUFPS $0xDD, X1, X0; \
	MULPS  X2, X2; \
	MULPS  X0, X0; \
	ADDPS  X0, X2; \
	MULPS  X15, X2; \
	MOVUPS X2, (dst)

// func powerShiftSSE(p *float32, spec *complex64, n int, norm float32)
TEXT ·powerShiftSSE(SB), NOSPLIT, $0-28
	MOVQ   p+0(FP), DI
	MOVQ   spec+8(FP), SI
	MOVQ   n+16(FP), CX
	MOVSS  norm+24(FP), X15
	SHUFPS $0, X15, X15
	SHRQ   $1, CX             // n/2
	LEAQ   (SI)(CX*8), R8     // spec[n/2]: to p[0]
	LEAQ   (DI)(CX*4), R9     // p[n/2]: from spec[0]

ploop:
	POWER4(R8, DI)
	POWER4(SI, R9)
	ADDQ $32, R8
	ADDQ $32, SI
	ADDQ $16, DI
	ADDQ $16, R9
	SUBQ $4, CX
	JNZ  ploop
	RET

// func windowMaxAVX(work, x *complex64, w *float32, n int) float32
//
// As windowMaxSSE, eight samples per pass: each four window values
// broadcast to both halves and spread to (w0 w0 w1 w1 | w2 w2 w3 w3).
TEXT ·windowMaxAVX(SB), NOSPLIT, $0-36
	MOVQ         work+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         w+16(FP), BX
	MOVQ         n+24(FP), CX
	VMOVUPS      ·avxConst(SB), Y14     // spreading control
	VMOVUPS      ·avxConst+32(SB), Y15  // |·| mask
	VXORPS       Y12, Y12, Y12
	LEAQ         (SI)(CX*8), CX

awloop:
	VBROADCASTF128 (BX), Y4
	VPERMILPS      Y14, Y4, Y4     // w0 w0 w1 w1 | w2 w2 w3 w3
	VBROADCASTF128 16(BX), Y5
	VPERMILPS      Y14, Y5, Y5     // w4 w4 w5 w5 | w6 w6 w7 w7
	VMOVUPS        (SI), Y0
	VMOVUPS        32(SI), Y1
	VMULPS         Y0, Y4, Y4
	VMULPS         Y1, Y5, Y5
	VMOVUPS        Y4, (DI)
	VMOVUPS        Y5, 32(DI)
	VANDPS         Y15, Y0, Y0
	VANDPS         Y15, Y1, Y1
	VMAXPS         Y12, Y0, Y12    // max(|x|, m): a NaN sample leaves m
	VMAXPS         Y12, Y1, Y12
	ADDQ           $64, SI
	ADDQ           $64, DI
	ADDQ           $32, BX
	CMPQ           SI, CX
	JB             awloop

	VEXTRACTF128 $1, Y12, X0
	VMAXPS       X0, X12, X12
	VSHUFPS      $0x4E, X12, X12, X0
	VMAXPS       X0, X12, X12
	VSHUFPS      $0xB1, X12, X12, X0
	VMAXPS       X0, X12, X12
	VMOVSS       X12, ret+32(FP)
	VZEROUPPER
	RET

// func powerShiftAVX(p *float32, spec *complex64, n int, norm float32)
//
// As powerShiftSSE, eight bins per pass.
TEXT ·powerShiftAVX(SB), NOSPLIT, $0-28
	MOVQ         p+0(FP), DI
	MOVQ         spec+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS norm+24(FP), Y15
	SHRQ         $1, CX
	LEAQ         (SI)(CX*8), R8
	LEAQ         (DI)(CX*4), R9

#define POWER8(src, dst) \
	VMOVUPS    (src), Y0; \
	VMOVUPS    32(src), Y1; \
	VPERM2F128 $0x20, Y1, Y0, Y2; \
	VPERM2F128 $0x31, Y1, Y0, Y3; \
	VSHUFPS    $0x88, Y3, Y2, Y4; \
	VSHUFPS    $0xDD, Y3, Y2, Y5; \
	VMULPS     Y4, Y4, Y4; \
	VMULPS     Y5, Y5, Y5; \
	VADDPS     Y5, Y4, Y4; \
	VMULPS     Y15, Y4, Y4; \
	VMOVUPS    Y4, (dst)

aploop:
	POWER8(R8, DI)
	POWER8(SI, R9)
	ADDQ $64, R8
	ADDQ $64, SI
	ADDQ $32, DI
	ADDQ $32, R9
	SUBQ $8, CX
	JNZ  aploop
	VZEROUPPER
	RET
