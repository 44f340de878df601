//go:build !purego

#include "textflag.h"

// REDUCE(y, x): x[0] = (y0 + y2) + (y1 + y3).
#define REDUCE(y, x) \
	VEXTRACTF128 $1, y, X8; \
	VADDPD X8, x, x; \
	VHADDPD x, x, x

// func corrSumsAVX(px, py, rr, ri *float64, m int) (s1, s2, s3, s4 float64)
TEXT ·corrSumsAVX(SB), NOSPLIT, $0-72
	MOVQ   px+0(FP), SI
	MOVQ   py+8(FP), DI
	MOVQ   rr+16(FP), R8
	MOVQ   ri+24(FP), R9
	MOVQ   m+32(FP), CX
	VXORPD Y0, Y0, Y0         // s1 per lane
	VXORPD Y1, Y1, Y1         // s2
	VXORPD Y2, Y2, Y2         // s3
	VXORPD Y3, Y3, Y3         // s4
	XORQ   AX, AX
	MOVQ   CX, DX
	ANDQ   $-4, DX            // whole vectors
	JZ     reduce

loop:
	VMOVUPD (SI)(AX*8), Y4    // a
	VMOVUPD (DI)(AX*8), Y5    // b
	VMOVUPD (R8)(AX*8), Y6    // rr
	VMOVUPD (R9)(AX*8), Y7    // ri
	VMULPD  Y6, Y4, Y8
	VADDPD  Y8, Y0, Y0
	VMULPD  Y7, Y5, Y9
	VADDPD  Y9, Y1, Y1
	VMULPD  Y6, Y5, Y10
	VADDPD  Y10, Y2, Y2
	VMULPD  Y7, Y4, Y11
	VADDPD  Y11, Y3, Y3
	ADDQ    $4, AX
	CMPQ    AX, DX
	JB      loop

reduce:
	REDUCE(Y0, X0)
	REDUCE(Y1, X1)
	REDUCE(Y2, X2)
	REDUCE(Y3, X3)
	CMPQ AX, CX
	JAE  done

tail:
	VMOVSD (SI)(AX*8), X4
	VMOVSD (DI)(AX*8), X5
	VMOVSD (R8)(AX*8), X6
	VMOVSD (R9)(AX*8), X7
	VMULSD X6, X4, X8
	VADDSD X8, X0, X0
	VMULSD X7, X5, X9
	VADDSD X9, X1, X1
	VMULSD X6, X5, X10
	VADDSD X10, X2, X2
	VMULSD X7, X4, X11
	VADDSD X11, X3, X3
	INCQ   AX
	CMPQ   AX, CX
	JB     tail

done:
	VMOVSD X0, s1+40(FP)
	VMOVSD X1, s2+48(FP)
	VMOVSD X2, s3+56(FP)
	VMOVSD X3, s4+64(FP)
	VZEROUPPER
	RET

// func hypotsAVX(h, re, im *float64, n int) (nonFinite bool)
//
// math.Hypot's amd64 steps, four lanes at a time: p, q = |re|, |im|;
// h = max(p, q)·√(1 + (min(p, q)/max(p, q))²), 0 where both are 0. Reports
// whether any input was infinite or NaN (the caller redoes those).
TEXT ·hypotsAVX(SB), NOSPLIT, $0-33
	MOVQ    h+0(FP), DI
	MOVQ    re+8(FP), SI
	MOVQ    im+16(FP), DX
	MOVQ    n+24(FP), CX
	VMOVUPD ·hypotK(SB), Y15      // |·| mask
	VMOVUPD ·hypotK+32(SB), Y14   // +Inf
	VMOVUPD ·hypotK+64(SB), Y13   // 1.0
	VXORPD  Y12, Y12, Y12         // 0
	VXORPD  Y11, Y11, Y11         // non-finite lanes
	XORQ    AX, AX

hyloop:
	VANDPD  (SI)(AX*8), Y15, Y0   // p
	VANDPD  (DX)(AX*8), Y15, Y1   // q
	VMAXPD  Y1, Y0, Y2            // max: p > q ? p : q, as MAXSD
	VMINPD  Y0, Y1, Y3            // min: q < p ? q : p, as MINSD
	VDIVPD  Y2, Y3, Y3
	VMULPD  Y3, Y3, Y3
	VADDPD  Y13, Y3, Y3
	VSQRTPD Y3, Y3
	VMULPD  Y3, Y2, Y3
	VCMPPD  $0, Y12, Y2, Y4       // max == 0: both zero
	VANDNPD Y3, Y4, Y3
	VMOVUPD Y3, (DI)(AX*8)
	VCMPPD  $5, Y14, Y0, Y5       // !(p < Inf): Inf or NaN
	VCMPPD  $5, Y14, Y1, Y6
	VORPD   Y5, Y11, Y11
	VORPD   Y6, Y11, Y11
	ADDQ    $4, AX
	CMPQ    AX, CX
	JB      hyloop

	VMOVMSKPD Y11, AX
	TESTL     AX, AX
	SETNE     nonFinite+32(FP)
	VZEROUPPER
	RET
