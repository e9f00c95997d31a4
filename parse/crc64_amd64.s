#include "textflag.h"

// The folding kernel for Redis's CRC64; the method, the bit layout and
// the constants are in crc64_fold.go, and foldModel in
// crc64_fold_test.go is this code in Go. Loads are unaligned (MOVOU)
// and go through a register: SSE's memory operands must be aligned.

// FOLD folds register acc over the constant pair in X8 and xors in the
// 16 bytes at off(SI); X9 and X10 are scratch.
#define FOLD(acc, off) \
	MOVOU     acc, X9;       \
	PCLMULQDQ $0x00, X8, acc; \
	PCLMULQDQ $0x11, X8, X9; \
	MOVOU     off(SI), X10;  \
	PXOR      X9, acc;       \
	PXOR      X10, acc

// MERGE folds register acc over the constant pair at off(DX) into X7.
#define MERGE(acc, off) \
	MOVOU     off(DX), X8;   \
	MOVOU     acc, X9;       \
	PCLMULQDQ $0x00, X8, acc; \
	PCLMULQDQ $0x11, X8, X9; \
	PXOR      X9, X7;        \
	PXOR      acc, X7

// func crc64Fold(crc uint64, p []byte, k *foldConsts) uint64
//
// len(p) is a positive multiple of 16.
TEXT ·crc64Fold(SB), NOSPLIT, $0-48
	MOVQ crc+0(FP), AX
	MOVQ p_base+8(FP), SI
	MOVQ p_len+16(FP), CX
	MOVQ k+32(FP), DX
	MOVQ AX, X15

	CMPQ CX, $128
	JB   one

	// Eight registers of 16 bytes each, the state xored into the first.
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MOVOU 64(SI), X4
	MOVOU 80(SI), X5
	MOVOU 96(SI), X6
	MOVOU 112(SI), X7
	PXOR  X15, X0
	ADDQ  $128, SI
	SUBQ  $128, CX

	// Each register over the 128 bytes to its next block: fold[7].
	MOVOU 112(DX), X8

loop128:
	CMPQ CX, $128
	JB   merge
	FOLD(X0, 0)
	FOLD(X1, 16)
	FOLD(X2, 32)
	FOLD(X3, 48)
	FOLD(X4, 64)
	FOLD(X5, 80)
	FOLD(X6, 96)
	FOLD(X7, 112)
	ADDQ $128, SI
	SUBQ $128, CX
	JMP  loop128

merge:
	// Register i is 7-i blocks before X7: fold[6-i].
	MERGE(X0, 96)
	MERGE(X1, 80)
	MERGE(X2, 64)
	MERGE(X3, 48)
	MERGE(X4, 32)
	MERGE(X5, 16)
	MERGE(X6, 0)
	MOVOU X7, X0
	JMP   blocks

one:
	MOVOU (SI), X0
	PXOR  X15, X0
	ADDQ  $16, SI
	SUBQ  $16, CX

blocks:
	// One block at a time: fold[0].
	MOVOU 0(DX), X8

loop16:
	CMPQ CX, $16
	JB   reduce
	FOLD(X0, 0)
	ADDQ $16, SI
	SUBQ $16, CX
	JMP  loop16

reduce:
	// W = H·(x^127 mod P)·x + L·x^64: the high half of fold[0] times
	// the low quadword, plus the high quadword moved down.
	MOVOU     X0, X1
	PSRLO     $8, X1
	PCLMULQDQ $0x10, X8, X0
	PXOR      X1, X0

	// Barrett: q is the low quadword of W's low quadword times ⌊μ/x⌋;
	// the CRC is the high quadword of q·⌊P/x⌋, plus W's, plus q.
	MOVOU     128(DX), X2
	MOVOU     X0, X1
	PCLMULQDQ $0x00, X2, X0
	MOVOU     X0, X3
	PCLMULQDQ $0x10, X2, X0
	PXOR      X1, X0
	PSLLO     $8, X3
	PXOR      X3, X0
	PEXTRQ    $1, X0, AX
	MOVQ      AX, ret+40(FP)
	RET
