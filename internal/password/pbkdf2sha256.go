package password

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding"
	"encoding/binary"
	"io"
	"reflect"
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
// future Go changes it. On amd64 CPUs with the SHA extensions the
// iterations run in assembly instead (chainRegisters, chainSHANI: the same
// two compressions per iteration with U kept in registers, nothing
// byte-swapped or stored in between), checked against crypto/hmac once.
func pbkdf2SHA256(password string, salt []byte, iter, keyLen int) ([]byte, error) {
	if !fastPathOK {
		return pbkdf2.Key(sha256.New, password, salt, iter, keyLen)
	}
	var h hmacSHA256
	h.init([]byte(password))
	if wordsInUse && !shaniInUse {
		h.attachWords()
	}
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
	// inH, outH are the digests' chaining values, reached directly
	// (digestWords; nil when this Go's digest does not have the layout
	// checked there), and ipadH, opadH their values after the pads.
	inH, outH    *[8]uint32
	ipadH, opadH [8]uint32
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

// attachWords makes chain reach the digests' chaining values directly
// (digestWords): false, and chain keeps the marshaled states, when they
// cannot be found.
func (h *hmacSHA256) attachWords() bool {
	in, out := digestWords(h.in), digestWords(h.out)
	if in == nil || out == nil {
		return false
	}
	h.inH, h.outH = in, out
	h.ipadH, h.opadH = *in, *out
	return true
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
// t ^= U_{k+1}. Two block compressions each, no allocation. With the
// chaining values reachable (inH, outH), restoring a pad state is a copy of
// eight words and the digest is read from them; otherwise through the
// marshaled state (chainMarshaled).
func (h *hmacSHA256) chain(t *[sha256.Size]byte, n int) {
	switch {
	case shaniInUse:
		h.chainRegisters(t, n)
		return
	case h.inH == nil:
		h.chainMarshaled(t, n)
		return
	}
	h.chainWords(t, n)
}

// chainRegisters is chain on the x86 SHA extensions (chainSHANI): each
// iteration is the two compressions and nothing else. The pad states are
// read from their marshaled form (bytes 4..36, fastPathOK).
func (h *hmacSHA256) chainRegisters(t *[sha256.Size]byte, n int) {
	var ip, op, acc [8]uint32
	for i := range acc {
		ip[i] = binary.BigEndian.Uint32(h.ipad[4+4*i:])
		op[i] = binary.BigEndian.Uint32(h.opad[4+4*i:])
		acc[i] = binary.BigEndian.Uint32(t[4*i:])
	}
	chainSHANI(&ip, &op, &acc, n)
	putWords(t[:], &acc)
}

// chainWords is chain through crypto/sha256's digests, their chaining
// values reached directly (attachWords).
func (h *hmacSHA256) chainWords(t *[sha256.Size]byte, n int) {
	var ib, ob [64]byte // the padded one-block messages of the inner and outer hash
	copy(ib[:32], t[:])
	ib[32], ob[32] = 0x80, 0x80
	binary.BigEndian.PutUint64(ib[56:], (64+32)*8)
	binary.BigEndian.PutUint64(ob[56:], (64+32)*8)
	// Restored once so their buffers are empty (sum leaves bytes in them):
	// each Write below is then one whole block, straight to the compression.
	_ = h.in.UnmarshalBinary(h.ipad[:])
	_ = h.out.UnmarshalBinary(h.opad[:])
	var acc [8]uint32
	for i := range acc {
		acc[i] = binary.BigEndian.Uint32(t[4*i:])
	}
	for range n {
		*h.inH = h.ipadH
		h.in.Write(ib[:])
		putWords(ob[:32], h.inH)
		*h.outH = h.opadH
		h.out.Write(ob[:])
		putWords(ib[:32], h.outH)
		for i, w := range h.outH {
			acc[i] ^= w
		}
	}
	putWords(t[:], &acc)
}

// putWords writes eight words big-endian, as SHA-256 emits its digest.
func putWords(b []byte, w *[8]uint32) {
	_ = b[31]
	for i, v := range w {
		binary.BigEndian.PutUint32(b[4*i:], v)
	}
}

// chainMarshaled is chain through the digests' marshaled states: bytes
// 4..36 are the eight state words in big-endian order, the digest itself.
func (h *hmacSHA256) chainMarshaled(t *[sha256.Size]byte, n int) {
	var ib, ob [64]byte
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

// digestWords returns the chaining value of a crypto/sha256 digest, the
// eight words its block function updates, when the digest is a pointer to
// a struct whose first field is h [8]uint32 (the standard library's
// layout since Go 1.0); nil otherwise. Writing them and then writing a
// whole 64-byte block runs exactly one compression from the written
// state (Digest.Write hands whole blocks to the block function when its
// buffer is empty, as it is after a pad's 64 bytes). wordsOK checks all of
// this against the marshaled state and against crypto/hmac once.
func digestWords(d sha256State) *[8]uint32 {
	v := reflect.ValueOf(d)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return nil
	}
	t := v.Type().Elem()
	if t.Kind() != reflect.Struct || t.NumField() == 0 {
		return nil
	}
	if f := t.Field(0); f.Name != "h" || f.Offset != 0 || f.Type != reflect.TypeFor[[8]uint32]() {
		return nil
	}
	return (*[8]uint32)(v.UnsafePointer())
}

// wordsOK: digestWords finds a digest's chaining value in this Go, and it
// is the value the marshaled state holds.
var wordsOK = checkWords()

func checkWords() bool {
	d, ok := sha256.New().(sha256State)
	if !ok {
		return false
	}
	w := digestWords(d)
	if w == nil {
		return false
	}
	d.Write([]byte("latchkey digest-words self-check, one whole 64-byte block......"))
	st, err := d.AppendBinary(nil)
	if err != nil || len(st) != stateSize {
		return false
	}
	for i, v := range w {
		if binary.BigEndian.Uint32(st[4+4*i:]) != v {
			return false
		}
	}
	return true
}

// wordsInUse: the chaining words are found (wordsOK) and give crypto/hmac's
// answer.
var wordsInUse = wordsOK && selfCheck(pathWords)

// shaniInUse: the CPU has the SHA extensions, the marshaled states have
// the layout chainRegisters reads (fastPathOK), and chainSHANI gives
// crypto/hmac's answer.
var shaniInUse = cpuSHANI && fastPathOK && selfCheck(pathRegisters)

// fastPathOK: the marshaled-state layout chain relies on holds in this Go.
var fastPathOK = checkFastPath()

// checkFastPath computes two PBKDF2 iterations with hmacSHA256 through the
// marshaled states and with crypto/hmac, which does not depend on the state
// layout.
func checkFastPath() bool {
	st, ok := sha256.New().(sha256State)
	if !ok {
		return false
	}
	if b, err := st.AppendBinary(nil); err != nil || len(b) != stateSize || string(b[:4]) != "sha\x03" {
		return false
	}
	return selfCheck(pathMarshaled)
}

// The ways chain can run the iterations.
const (
	pathMarshaled = iota // chainMarshaled
	pathWords            // chainWords
	pathRegisters        // chainRegisters
)

// selfCheck compares two PBKDF2 iterations of hmacSHA256 (through the
// chaining words, the marshaled states, or the SHA extensions) with
// crypto/hmac's.
func selfCheck(path int) bool {
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
	switch path {
	case pathWords:
		if !h.attachWords() {
			return false
		}
		h.chainWords(&t, 1)
	case pathRegisters:
		h.chainRegisters(&t, 1)
	default:
		h.chainMarshaled(&t, 1)
	}
	return hmac.Equal(t[:], want)
}
