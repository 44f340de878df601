//go:build !purego

#include "textflag.h"

// func addToSSE(acc, p *float32, n int)
TEXT ·addToSSE(SB), NOSPLIT, $0-24
	MOVQ acc+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ n+16(FP), CX
	XORQ AX, AX
	MOVQ CX, DX
	ANDQ $-8, DX
	JZ   tail

loop:
	MOVUPS (DI)(AX*4), X0
	MOVUPS 16(DI)(AX*4), X1
	MOVUPS (SI)(AX*4), X2
	MOVUPS 16(SI)(AX*4), X3
	ADDPS  X2, X0
	ADDPS  X3, X1
	MOVUPS X0, (DI)(AX*4)
	MOVUPS X1, 16(DI)(AX*4)
	ADDQ   $8, AX
	CMPQ   AX, DX
	JB     loop

tail:
	CMPQ  AX, CX
	JAE   done
	MOVSS (DI)(AX*4), X0
	ADDSS (SI)(AX*4), X0
	MOVSS X0, (DI)(AX*4)
	INCQ  AX
	JMP   tail

done:
	RET
