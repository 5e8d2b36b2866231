package password

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding"
	"encoding/binary"
	"io"
)

// pbkdf2SHA256 is PBKDF2 (RFC 8018 §5.2) with HMAC-SHA256 (RFC 2104) as the
// PRF, equal to crypto/pbkdf2.Key(sha256.New, ...) but about 1.4× faster
// (docs/decisions.md, "PBKDF2 at the speed of SHA-256").
//
// Every U_n after the first is HMAC(P, U_{n-1}) with a 32-byte message, so
// both the inner and the outer hash are exactly one 64-byte block once the
// HMAC pad states are precomputed: U (32 bytes) || 0x80 || zeros || the
// bit length 768 (FIPS 180-4 §5.1.1). The standard library's HMAC pads and
// finalises each of them in Sum, which costs more than the compression; here
// the padded block is built once, written with one Write (which runs the
// block function on it directly), and the chaining value is read back from
// the digest's binary state, whose bytes 4..36 are the eight state words in
// big-endian order, which is the digest itself. fastPathOK checks that
// layout once against crypto/hmac and falls back to crypto/pbkdf2 if a
// future Go changes it.
func pbkdf2SHA256(password string, salt []byte, iter, keyLen int) ([]byte, error) {
	if !fastPathOK {
		return pbkdf2.Key(sha256.New, password, salt, iter, keyLen)
	}
	var h hmacSHA256
	h.init([]byte(password))
	dk := make([]byte, 0, (keyLen+sha256.Size-1)/sha256.Size*sha256.Size)
	var idx [4]byte
	for i := uint32(1); len(dk) < keyLen; i++ {
		binary.BigEndian.PutUint32(idx[:], i)
		// U_1 = PRF(P, S || INT(i)): the salt has any length, so the
		// general HMAC.
		var t [sha256.Size]byte
		h.sum(&t, salt, idx[:])
		h.chain(&t, iter-1)
		dk = append(dk, t[:]...)
	}
	return dk[:keyLen], nil
}

// sha256State is what crypto/sha256's digest offers beyond hash.Hash.
type sha256State interface {
	io.Writer
	encoding.BinaryAppender
	encoding.BinaryUnmarshaler
	Sum([]byte) []byte
}

// stateSize is the length of a marshaled SHA-256 state: a 4-byte magic,
// the eight state words, the 64-byte buffer, the 8-byte length.
const stateSize = 4 + 32 + 64 + 8

// hmacSHA256 holds the digests after H(K ^ ipad) and H(K ^ opad) and their
// marshaled states, to be restored before each use (RFC 2104 §4 suggests
// exactly this precomputation).
type hmacSHA256 struct {
	in, out    sha256State
	ipad, opad [stateSize]byte
	scratch    [stateSize]byte
}

func (h *hmacSHA256) init(key []byte) {
	if len(key) > 64 { // RFC 2104 §2: longer keys are hashed first
		s := sha256.Sum256(key)
		key = s[:]
	}
	var ip, op [64]byte
	copy(ip[:], key)
	copy(op[:], key)
	for i := range ip {
		ip[i] ^= 0x36
		op[i] ^= 0x5c
	}
	h.in, h.out = sha256.New().(sha256State), sha256.New().(sha256State)
	h.in.Write(ip[:])
	h.out.Write(op[:])
	_, _ = h.in.AppendBinary(h.ipad[:0])
	_, _ = h.out.AppendBinary(h.opad[:0])
}

// sum sets mac to HMAC(K, the concatenation of msgs).
func (h *hmacSHA256) sum(mac *[sha256.Size]byte, msgs ...[]byte) {
	_ = h.in.UnmarshalBinary(h.ipad[:])
	for _, m := range msgs {
		h.in.Write(m)
	}
	inner := h.in.Sum(h.scratch[:0])
	_ = h.out.UnmarshalBinary(h.opad[:])
	h.out.Write(inner)
	h.out.Sum(mac[:0])
}

// chain runs n more PBKDF2 iterations from t = U_1: U_{k+1} = HMAC(K, U_k),
// t ^= U_{k+1}. Two block compressions each, no allocation.
func (h *hmacSHA256) chain(t *[sha256.Size]byte, n int) {
	var ib, ob [64]byte // the padded one-block messages of the inner and outer hash
	copy(ib[:32], t[:])
	ib[32], ob[32] = 0x80, 0x80
	binary.BigEndian.PutUint64(ib[56:], (64+32)*8)
	binary.BigEndian.PutUint64(ob[56:], (64+32)*8)
	st := h.scratch[:0]
	for range n {
		_ = h.in.UnmarshalBinary(h.ipad[:])
		h.in.Write(ib[:])
		st, _ = h.in.AppendBinary(st[:0])
		copy(ob[:32], st[4:36])
		_ = h.out.UnmarshalBinary(h.opad[:])
		h.out.Write(ob[:])
		st, _ = h.out.AppendBinary(st[:0])
		copy(ib[:32], st[4:36])
		subtle.XORBytes(t[:], t[:], ib[:32])
	}
}

// fastPathOK: the marshaled-state layout chain relies on holds in this Go.
var fastPathOK = checkFastPath()

// checkFastPath computes two PBKDF2 iterations with hmacSHA256 and with
// crypto/hmac, which does not depend on the state layout.
func checkFastPath() bool {
	st, ok := sha256.New().(sha256State)
	if !ok {
		return false
	}
	if b, err := st.AppendBinary(nil); err != nil || len(b) != stateSize || string(b[:4]) != "sha\x03" {
		return false
	}
	key, msg := []byte("latchkey fast-path self-check"), []byte("salt")
	ref := hmac.New(sha256.New, key)
	ref.Write(msg)
	u1 := ref.Sum(nil)
	ref.Reset()
	ref.Write(u1)
	want := ref.Sum(nil)
	subtle.XORBytes(want, want, u1)

	var h hmacSHA256
	h.init(key)
	var t [sha256.Size]byte
	h.sum(&t, msg)
	h.chain(&t, 1)
	return hmac.Equal(t[:], want)
}
