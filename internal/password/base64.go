package password

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// decodeSalt decodes a FusionAuth salt: standard base64 with or without
// padding, as java.util.Base64's basic decoder accepts it (FusionAuth's
// encryptors decode the salt with it). Anything else, or a salt over
// maxSaltBytes, is ErrMalformedHash.
func decodeSalt(s string) ([]byte, error) {
	if len(s) > base64.StdEncoding.EncodedLen(maxSaltBytes) {
		return nil, fmt.Errorf("%w: salt longer than %d bytes", ErrMalformedHash, maxSaltBytes)
	}
	b, err := decodeStd(s)
	if err != nil {
		return nil, fmt.Errorf("%w: salt: %v", ErrMalformedHash, err)
	}
	return b, nil
}

// decodeStd decodes standard base64, padding optional.
func decodeStd(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimSuffix(strings.TrimSuffix(s, "="), "="))
}

// decodeDigest decodes a stored digest that must be n bytes.
func decodeDigest(s, scheme string, n int) ([]byte, error) {
	if len(s) > base64.StdEncoding.EncodedLen(n) {
		return nil, fmt.Errorf("%w: %s hash is not %d bytes of base64", ErrMalformedHash, scheme, n)
	}
	b, err := decodeStd(s)
	if err != nil || len(b) != n {
		return nil, fmt.Errorf("%w: %s hash is not %d bytes of base64", ErrMalformedHash, scheme, n)
	}
	return b, nil
}
