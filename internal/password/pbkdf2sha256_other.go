//go:build !amd64 || purego

package password

// Without the amd64 SHA extensions chain runs through crypto/sha256
// (pbkdf2sha256_amd64.go).
const cpuSHANI = false

func chainSHANI(ipad, opad, acc *[8]uint32, n int) { panic("password: chainSHANI without SHA-NI") }
