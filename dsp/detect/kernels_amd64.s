//go:build !purego

#include "textflag.h"

// func accumulateSSE(acc, pw, z, floor *float32, n int)
//
// e = z − 1; acc += e; pw += e·floor; four cells at a time, then one.
TEXT ·accumulateSSE(SB), NOSPLIT, $0-40
	MOVQ   acc+0(FP), DI
	MOVQ   pw+8(FP), SI
	MOVQ   z+16(FP), DX
	MOVQ   floor+24(FP), BX
	MOVQ   n+32(FP), CX
	MOVL   $0x3f800000, AX    // 1.0
	MOVQ   AX, X7
	SHUFPS $0, X7, X7
	XORQ   AX, AX
	MOVQ   CX, R8
	ANDQ   $-4, R8
	JZ     tail

loop:
	MOVUPS (DX)(AX*4), X0
	SUBPS  X7, X0             // e
	MOVUPS (DI)(AX*4), X1
	ADDPS  X0, X1
	MOVUPS X1, (DI)(AX*4)
	MOVUPS (BX)(AX*4), X2
	MULPS  X0, X2             // floor·e
	MOVUPS (SI)(AX*4), X3
	ADDPS  X2, X3
	MOVUPS X3, (SI)(AX*4)
	ADDQ   $4, AX
	CMPQ   AX, R8
	JB     loop

tail:
	CMPQ  AX, CX
	JAE   done
	MOVSS (DX)(AX*4), X0
	SUBSS X7, X0
	MOVSS (DI)(AX*4), X1
	ADDSS X0, X1
	MOVSS X1, (DI)(AX*4)
	MOVSS (BX)(AX*4), X2
	MULSS X0, X2
	MOVSS (SI)(AX*4), X3
	ADDSS X2, X3
	MOVSS X3, (SI)(AX*4)
	INCQ  AX
	JMP   tail

done:
	RET

// func runSumsSSE(run, v, old *float32, n int, tau float32, hits *uint8, bit int) bool
//
// r = (r + v) − old, four at a time; where tau ≤ r (false for NaN) the
// byte of hits gets bit.
TEXT ·runSumsSSE(SB), NOSPLIT, $0-57
	MOVQ   run+0(FP), DI
	MOVQ   v+8(FP), SI
	MOVQ   old+16(FP), DX
	MOVQ   n+24(FP), CX
	MOVSS  tau+32(FP), X7
	SHUFPS $0, X7, X7
	MOVQ   hits+40(FP), BX
	MOVQ   bit+48(FP), R8
	XORQ   AX, AX
	XORL   R9, R9             // any

loop:
	MOVUPS   (DI)(AX*4), X0
	MOVUPS   (SI)(AX*4), X1
	ADDPS    X1, X0
	MOVUPS   (DX)(AX*4), X2
	SUBPS    X2, X0
	MOVUPS   X0, (DI)(AX*4)
	MOVAPS   X7, X3
	CMPPS    X0, X3, $2       // tau ≤ r
	MOVMSKPS X3, R10
	TESTL    R10, R10
	JNZ      hit

next:
	ADDQ $4, AX
	CMPQ AX, CX
	JB   loop
	MOVB R9, ret+56(FP)
	RET

hit:
	MOVL $1, R9

bits:
	BSFL R10, R11
	ADDQ AX, R11
	ORB  R8B, (BX)(R11*1)
	LEAL -1(R10), R12
	ANDL R12, R10             // clear the lowest set bit
	JNZ  bits
	JMP  next

// func normalizeSSE(z, cum1, p, inv, one *float32, n int)
//
// Per four bins: g = p·inv + one (stored to z), then the prefix sums in
// normalizeGo's order: S = (g0, g0+g1, g2, g2+g3), T = (g0, g0+g1, g2,
// (g0+g1)+(g2+g3)), C = run + T but for c2 = c1 + g2; run = c3.
TEXT ·normalizeSSE(SB), NOSPLIT, $0-48
	MOVQ    z+0(FP), DI
	MOVQ    cum1+8(FP), R8
	MOVQ    p+16(FP), SI
	MOVQ    inv+24(FP), DX
	MOVQ    one+32(FP), BX
	MOVQ    n+40(FP), CX
	PCMPEQL X15, X15
	PSLLDQ  $12, X15          // lane 3 only
	PCMPEQL X14, X14
	PSRLDQ  $12, X14
	PSLLDQ  $8, X14           // lane 2 only
	PCMPEQL X13, X13
	XORPS   X14, X13          // all but lane 2
	XORPS   X6, X6            // run
	XORQ    AX, AX

nloop:
	MOVUPS (SI)(AX*4), X0
	MOVUPS (DX)(AX*4), X1
	MULPS  X1, X0
	MOVUPS (BX)(AX*4), X1
	ADDPS  X1, X0             // g
	MOVUPS X0, (DI)(AX*4)
	MOVAPS X0, X1
	PSLLQ  $32, X1            // (0, g0, 0, g2)
	ADDPS  X0, X1             // S
	MOVAPS X1, X2
	PSLLDQ $8, X2
	ANDPS  X15, X2            // (0, 0, 0, S1)
	ADDPS  X1, X2             // T
	MOVAPS X6, X3
	ADDPS  X2, X3             // run + T
	MOVAPS X3, X6
	SHUFPS $0xFF, X6, X6      // next run = c3 (not waiting for the blend)
	MOVAPS X3, X4
	SHUFPS $0x55, X4, X4      // c1 everywhere
	ADDPS  X2, X4             // lane 2: c1 + g2
	ANDPS  X14, X4
	ANDPS  X13, X3
	ORPS   X4, X3             // C
	MOVUPS X3, (R8)(AX*4)
	ADDQ   $4, AX
	CMPQ   AX, CX
	JB     nloop
	RET

// func bandSumsSSE(v, cum *float32, pos *int, n, w int)
TEXT ·bandSumsSSE(SB), NOSPLIT, $0-40
	MOVQ v+0(FP), DI
	MOVQ cum+8(FP), SI
	MOVQ pos+16(FP), BX
	MOVQ n+24(FP), CX
	MOVQ w+32(FP), DX
	LEAQ (SI)(DX*4), DX       // cum[w:]
	XORQ AX, AX

bsloop:
	MOVQ  (BX)(AX*8), R8
	MOVSS (DX)(R8*4), X0
	SUBSS (SI)(R8*4), X0
	MOVSS X0, (DI)(AX*4)
	INCQ  AX
	CMPQ  AX, CX
	JB    bsloop
	RET
