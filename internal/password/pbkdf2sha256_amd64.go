//go:build amd64 && !purego

package password

// chainSHANI runs n PBKDF2-HMAC-SHA256 iterations from acc = U_1 with the
// x86 SHA extensions and leaves T = U_1 ^ ... ^ U_{n+1} in acc. ipad and
// opad are the chaining values after H(K ^ ipad) and H(K ^ opad); acc holds
// 32-byte values as eight big-endian words. The eight words of U and of
// the inner digest stay in registers from one compression to the next:
// nothing is byte-swapped, stored or reloaded, which is what remains around
// the block function when each iteration goes through crypto/sha256
// (docs/decisions.md, "PBKDF2 at the speed of SHA-256").
//
//go:noescape
func chainSHANI(ipad, opad, acc *[8]uint32, n int)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

// hasSHANI: the CPU has the SHA extensions (CPUID.(EAX=7,ECX=0):EBX[29])
// and SSSE3 and SSE4.1 (CPUID.1:ECX[9], [19]), which chainSHANI uses.
func hasSHANI() bool {
	if max, _, _, _ := cpuid(0, 0); max < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<29) != 0 && c1&(1<<9) != 0 && c1&(1<<19) != 0
}

var cpuSHANI = hasSHANI()
