package mfa

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/url"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/latchkeyhq/latchkey/internal/auth"
)

// OTPAuthURI is the key URI authenticator apps scan (Google Authenticator's
// "Key Uri Format"): otpauth://totp/Issuer:account?secret=…&issuer=…, with
// FusionAuth's fixed parameters (SHA1, 6 digits, 30 s).
func OTPAuthURI(issuer, account, secret string) string {
	label := url.PathEscape(issuer + ":" + account)
	q := url.Values{"secret": {auth.TOTPBase32(secret)}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	return "otpauth://totp/" + label + "?" + q.Encode()
}

// QRCode renders uri as a PNG data URL (boombuler/barcode, the encoder
// pquerna/otp uses), so a page shows it without loading anything: the
// secret never leaves the answer that carries it.
func QRCode(uri string) (string, error) {
	code, err := qr.Encode(uri, qr.M, qr.Auto)
	if err != nil {
		return "", err
	}
	if code, err = barcode.Scale(code, 200, 200); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, code); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
