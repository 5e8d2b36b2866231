//go:build amd64 && !purego

#include "textflag.h"

// chainSHANI runs PBKDF2-HMAC-SHA256 iterations with the x86 SHA
// extensions, every value kept in registers between iterations (see
// pbkdf2sha256_amd64.go). The 64 rounds are those of the standard
// library's blockSHANI (crypto/internal/fips140/sha256/sha256block_amd64.s,
// BSD-style licence, Copyright The Go Authors) with the message words
// already in registers instead of loaded and byte-swapped from memory.
//
// Registers: X1, X2 the working state (ABEF, CDGH); X3..X6 the message
// schedule; X0, X7 scratch; X11, X12 the inner pad's state and X13, X14
// the outer pad's (ABEF, CDGH); X8, X9 the XOR accumulator T; CX the
// iterations left; AX the round constants. X10 and X15 are not used (X15
// is Go's zero register in ABIInternal). The fixed second half of each
// padded one-block message (0x80000000, 0 ... 0, 768) is loaded from
// padWords.

DATA k256<>+0(SB)/8, $0x71374491428a2f98
DATA k256<>+8(SB)/8, $0xe9b5dba5b5c0fbcf
DATA k256<>+16(SB)/8, $0x59f111f13956c25b
DATA k256<>+24(SB)/8, $0xab1c5ed5923f82a4
DATA k256<>+32(SB)/8, $0x12835b01d807aa98
DATA k256<>+40(SB)/8, $0x550c7dc3243185be
DATA k256<>+48(SB)/8, $0x80deb1fe72be5d74
DATA k256<>+56(SB)/8, $0xc19bf1749bdc06a7
DATA k256<>+64(SB)/8, $0xefbe4786e49b69c1
DATA k256<>+72(SB)/8, $0x240ca1cc0fc19dc6
DATA k256<>+80(SB)/8, $0x4a7484aa2de92c6f
DATA k256<>+88(SB)/8, $0x76f988da5cb0a9dc
DATA k256<>+96(SB)/8, $0xa831c66d983e5152
DATA k256<>+104(SB)/8, $0xbf597fc7b00327c8
DATA k256<>+112(SB)/8, $0xd5a79147c6e00bf3
DATA k256<>+120(SB)/8, $0x1429296706ca6351
DATA k256<>+128(SB)/8, $0x2e1b213827b70a85
DATA k256<>+136(SB)/8, $0x53380d134d2c6dfc
DATA k256<>+144(SB)/8, $0x766a0abb650a7354
DATA k256<>+152(SB)/8, $0x92722c8581c2c92e
DATA k256<>+160(SB)/8, $0xa81a664ba2bfe8a1
DATA k256<>+168(SB)/8, $0xc76c51a3c24b8b70
DATA k256<>+176(SB)/8, $0xd6990624d192e819
DATA k256<>+184(SB)/8, $0x106aa070f40e3585
DATA k256<>+192(SB)/8, $0x1e376c0819a4c116
DATA k256<>+200(SB)/8, $0x34b0bcb52748774c
DATA k256<>+208(SB)/8, $0x4ed8aa4a391c0cb3
DATA k256<>+216(SB)/8, $0x682e6ff35b9cca4f
DATA k256<>+224(SB)/8, $0x78a5636f748f82ee
DATA k256<>+232(SB)/8, $0x8cc7020884c87814
DATA k256<>+240(SB)/8, $0xa4506ceb90befffa
DATA k256<>+248(SB)/8, $0xc67178f2bef9a3f7
GLOBL k256<>(SB), RODATA|NOPTR, $256

#define ROUNDS \
	MOVO X3, X0; \
	PADDD (AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1; \
	MOVO X4, X0; \
	PADDD 16(AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1; \
	SHA256MSG1 X4, X3; \
	MOVO X5, X0; \
	PADDD 32(AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1; \
	SHA256MSG1 X5, X4; \
	MOVO X6, X0; \
	PADDD 48(AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	MOVO X6, X7; \
	PALIGNR $0x04, X5, X7; \
	PADDD X7, X3; \
	SHA256MSG2 X6, X3; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1; \
	SHA256MSG1 X6, X5; \
	MOVO X3, X0; \
	PADDD 64(AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	MOVO X3, X7; \
	PALIGNR $0x04, X6, X7; \
	PADDD X7, X4; \
	SHA256MSG2 X3, X4; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1; \
	SHA256MSG1 X3, X6; \
	MOVO X4, X0; \
	PADDD 80(AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	MOVO X4, X7; \
	PALIGNR $0x04, X3, X7; \
	PADDD X7, X5; \
	SHA256MSG2 X4, X5; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1; \
	SHA256MSG1 X4, X3; \
	MOVO X5, X0; \
	PADDD 96(AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	MOVO X5, X7; \
	PALIGNR $0x04, X4, X7; \
	PADDD X7, X6; \
	SHA256MSG2 X5, X6; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1; \
	SHA256MSG1 X5, X4; \
	MOVO X6, X0; \
	PADDD 112(AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	MOVO X6, X7; \
	PALIGNR $0x04, X5, X7; \
	PADDD X7, X3; \
	SHA256MSG2 X6, X3; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1; \
	SHA256MSG1 X6, X5; \
	MOVO X3, X0; \
	PADDD 128(AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	MOVO X3, X7; \
	PALIGNR $0x04, X6, X7; \
	PADDD X7, X4; \
	SHA256MSG2 X3, X4; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1; \
	SHA256MSG1 X3, X6; \
	MOVO X4, X0; \
	PADDD 144(AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	MOVO X4, X7; \
	PALIGNR $0x04, X3, X7; \
	PADDD X7, X5; \
	SHA256MSG2 X4, X5; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1; \
	SHA256MSG1 X4, X3; \
	MOVO X5, X0; \
	PADDD 160(AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	MOVO X5, X7; \
	PALIGNR $0x04, X4, X7; \
	PADDD X7, X6; \
	SHA256MSG2 X5, X6; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1; \
	SHA256MSG1 X5, X4; \
	MOVO X6, X0; \
	PADDD 176(AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	MOVO X6, X7; \
	PALIGNR $0x04, X5, X7; \
	PADDD X7, X3; \
	SHA256MSG2 X6, X3; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1; \
	SHA256MSG1 X6, X5; \
	MOVO X3, X0; \
	PADDD 192(AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	MOVO X3, X7; \
	PALIGNR $0x04, X6, X7; \
	PADDD X7, X4; \
	SHA256MSG2 X3, X4; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1; \
	SHA256MSG1 X3, X6; \
	MOVO X4, X0; \
	PADDD 208(AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	MOVO X4, X7; \
	PALIGNR $0x04, X3, X7; \
	PADDD X7, X5; \
	SHA256MSG2 X4, X5; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1; \
	MOVO X5, X0; \
	PADDD 224(AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	MOVO X5, X7; \
	PALIGNR $0x04, X4, X7; \
	PADDD X7, X6; \
	SHA256MSG2 X5, X6; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1; \
	MOVO X6, X0; \
	PADDD 240(AX), X0; \
	SHA256RNDS2 X0, X1, X2; \
	PSHUFD $0x0e, X0, X0; \
	SHA256RNDS2 X0, X2, X1;

DATA padWords<>+0(SB)/8, $0x0000000080000000
DATA padWords<>+8(SB)/8, $0x0000000000000000
DATA padWords<>+16(SB)/8, $0x0000000000000000
DATA padWords<>+24(SB)/8, $0x0000030000000000
GLOBL padWords<>(SB), RODATA|NOPTR, $32

// toABEF turns the eight state words h0..h7 in lo, hi (memory order) into
// the SHA-NI layout (lo = ABEF, hi = CDGH), as blockSHANI's prologue.
#define toABEF(lo, hi) \
	PSHUFD  $0xb1, lo, lo; \
	PSHUFD  $0x1b, hi, hi; \
	MOVO    lo, X7; \
	PALIGNR $0x08, hi, lo; \
	PBLENDW $0xf0, X7, hi

// toWords is the inverse, as blockSHANI's epilogue: lo = h0..h3, hi =
// h4..h7, the digest's words, which are the next message's first eight.
#define toWords(lo, hi) \
	PSHUFD  $0x1b, lo, lo; \
	PSHUFD  $0xb1, hi, hi; \
	MOVO    lo, X7; \
	PBLENDW $0xf0, hi, lo; \
	PALIGNR $0x08, X7, hi

// func chainSHANI(ipad, opad, acc *[8]uint32, n int)
TEXT ·chainSHANI(SB), NOSPLIT, $0-32
	MOVQ ipad+0(FP), DI
	MOVQ opad+8(FP), SI
	MOVQ acc+16(FP), DX
	MOVQ n+24(FP), CX
	TESTQ CX, CX
	JLE  done

	MOVOU (DI), X11
	MOVOU 16(DI), X12
	toABEF(X11, X12)
	MOVOU (SI), X13
	MOVOU 16(SI), X14
	toABEF(X13, X14)
	LEAQ  k256<>+0(SB), AX
	// U_1 = T at the start: the first message and the accumulator.
	MOVOU (DX), X3
	MOVOU 16(DX), X4
	MOVO  X3, X8
	MOVO  X4, X9

loop:
	// inner hash: compress(ipad state, U || padding)
	MOVO  X11, X1
	MOVO  X12, X2
	MOVOU padWords<>+0(SB), X5
	MOVOU padWords<>+16(SB), X6
	ROUNDS
	PADDD X11, X1
	PADDD X12, X2
	toWords(X1, X2)
	MOVO  X1, X3
	MOVO  X2, X4

	// outer hash: compress(opad state, inner || padding) = U_next
	MOVO  X13, X1
	MOVO  X14, X2
	MOVOU padWords<>+0(SB), X5
	MOVOU padWords<>+16(SB), X6
	ROUNDS
	PADDD X13, X1
	PADDD X14, X2
	toWords(X1, X2)
	MOVO  X1, X3
	MOVO  X2, X4
	PXOR  X1, X8
	PXOR  X2, X9

	DECQ CX
	JNZ  loop

	MOVOU X8, (DX)
	MOVOU X9, 16(DX)

done:
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET
