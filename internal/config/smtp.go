package config

import (
	"crypto/x509"
	"fmt"
	"os"
)

// SMTPRootCAPool is the pool the mail sender verifies SMTP servers'
// certificates with (security SSL and TLS): the system's roots plus the
// PEM certificates in SMTPRootCAs (LATCHKEY_SMTP_ROOT_CAS), for a mail
// relay with a private CA. nil when SMTPRootCAs is empty: the system roots
// alone.
func (c Config) SMTPRootCAPool() (*x509.CertPool, error) {
	if c.SMTPRootCAs == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(c.SMTPRootCAs)
	if err != nil {
		return nil, fmt.Errorf("SMTP root CAs: cannot read %q: %v", c.SMTPRootCAs, unwrapPath(err))
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("SMTP root CAs: %q holds no PEM certificate", c.SMTPRootCAs)
	}
	return pool, nil
}
