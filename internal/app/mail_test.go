package app_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// tlsInbox is a real SMTP server (go-smtp) on loopback that requires
// STARTTLS with a certificate of a private CA, as a company mail relay
// might, and keeps what it receives.
type tlsInbox struct {
	port   int
	caFile string // the CA certificate, PEM
	mu     sync.Mutex
	got    []string // envelope recipients
}

func startTLSInbox(t *testing.T) *tlsInbox {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "private relay CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	in := &tlsInbox{caFile: filepath.Join(t.TempDir(), "relay-ca.pem")}
	must(t, os.WriteFile(in.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	in.port = l.Addr().(*net.TCPAddr).Port
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &tlsSession{in: in}, nil }))
	srv.Domain, srv.ErrorLog = "localhost", log.New(io.Discard, "", 0)
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return in
}

func (in *tlsInbox) received() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.got...)
}

type tlsSession struct {
	in *tlsInbox
	to []string
}

func (s *tlsSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *tlsSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }
func (s *tlsSession) Reset()                                    { s.to = nil }
func (s *tlsSession) Logout() error                             { return nil }
func (s *tlsSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	s.in.mu.Lock()
	s.in.got = append(s.in.got, s.to...)
	s.in.mu.Unlock()
	return nil
}

// TestSMTPRootCAs: the running server sends its mail through a relay that
// requires STARTTLS (security TLS) with a private CA's certificate once
// LATCHKEY_SMTP_ROOT_CAS names that CA, and without it refuses the
// certificate and keeps the mail queued: the API call succeeded either way.
func TestSMTPRootCAs(t *testing.T) {
	in := startTLSInbox(t)
	for _, trusted := range []bool{true, false} {
		name := map[bool]string{true: "trusted", false: "untrusted"}[trusted]
		t.Run(name, func(t *testing.T) {
			env := map[string]string{}
			if trusted {
				env["LATCHKEY_SMTP_ROOT_CAS"] = in.caFile
			}
			inst := apptest.Start(t, apptest.Options{
				Config: func(c *config.Config) { c.ApplyEnv(func(k string) string { return env[k] }) },
				Tenant: func(tn *storage.Tenant) {
					tn.EmailConfiguration = storage.EmailConfiguration{Host: "127.0.0.1", Port: in.port, Security: "TLS",
						DefaultFromEmail: "no-reply@example.test"}
				},
			})
			to := name + "@example.test"
			res, _ := inst.Do(t, "POST", "/api/user", map[string]any{"user": map[string]any{"email": to, "password": "a long passphrase"}})
			if res.StatusCode != 200 {
				t.Fatalf("create user: %d", res.StatusCode)
			}
			res, _ = inst.Do(t, "POST", "/api/user/forgot-password", map[string]any{"loginId": to})
			if res.StatusCode != 200 {
				t.Fatalf("forgot password: %d", res.StatusCode)
			}
			if trusted {
				deadline := time.Now().Add(15 * time.Second)
				for !containsAddr(in.received(), to) {
					if time.Now().After(deadline) {
						t.Fatal("no mail arrived over STARTTLS with the private CA trusted")
					}
					time.Sleep(20 * time.Millisecond)
				}
				return
			}
			deadline := time.Now().Add(15 * time.Second)
			for {
				msgs, err := inst.Store.ListOutbox(context.Background(), storage.OutboxFilter{Queue: "mail"})
				must(t, err)
				// Attempts counts from the claim; LastError comes with the outcome.
				if len(msgs) == 1 && msgs[0].LastError != "" && msgs[0].State == storage.OutboxPending {
					if !strings.Contains(msgs[0].LastError, "certificate") {
						t.Fatalf("last error %q, want the certificate refused", msgs[0].LastError)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("outbox %+v: want one message retried after a refused certificate", msgs)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if containsAddr(in.received(), to) {
				t.Fatal("mail sent to a relay whose certificate is not trusted")
			}
		})
	}
}

func containsAddr(list []string, addr string) bool {
	for _, a := range list {
		if a == addr {
			return true
		}
	}
	return false
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
