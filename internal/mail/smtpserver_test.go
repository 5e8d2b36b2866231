package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// A real SMTP server (github.com/emersion/go-smtp) on a loopback port, for
// the sender and worker tests.

type received struct {
	From string
	To   []string
	Data []byte
	Auth string // user that authenticated, "" if none
}

type serverOpts struct {
	tlsMode    string // "", "starttls", "implicit"
	user, pass string // require AUTH with these when set
	loginOnly  bool   // offer AUTH LOGIN only (no PLAIN)
	rcptErr    error  // returned by RCPT TO
	mailErr    error  // returned by MAIL FROM
}

type testServer struct {
	addr string
	port int
	srv  *smtp.Server
	mu   sync.Mutex
	msgs []received
	got  chan received
}

func (s *testServer) messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

// startSMTP serves on l (a fresh loopback listener when nil).
func startSMTP(t *testing.T, o serverOpts, l net.Listener) *testServer {
	t.Helper()
	if l == nil {
		var err error
		if l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
	}
	ts := &testServer{addr: l.Addr().String(), port: l.Addr().(*net.TCPAddr).Port, got: make(chan received, 16)}
	ts.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{ts: ts, o: o}, nil
	}))
	ts.srv.Domain = "localhost"
	ts.srv.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are expected in some tests
	ts.srv.ReadTimeout, ts.srv.WriteTimeout = 10*time.Second, 10*time.Second
	switch o.tlsMode {
	case "starttls":
		ts.srv.TLSConfig = serverTLS(t)
	case "implicit":
		ts.srv.TLSConfig = serverTLS(t)
		l = tls.NewListener(l, ts.srv.TLSConfig)
	}
	go ts.srv.Serve(l)
	t.Cleanup(func() { ts.srv.Close() })
	return ts
}

type session struct {
	ts   *testServer
	o    serverOpts
	user string
	msg  received
}

func (s *session) AuthMechanisms() []string {
	if s.o.user == "" {
		return nil
	}
	if s.o.loginOnly {
		return []string{sasl.Login}
	}
	return []string{sasl.Plain}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != s.o.user || pass != s.o.pass {
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}
	if mech == sasl.Login {
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.o.user != "" && s.user == "" {
		return smtp.ErrAuthRequired
	}
	if s.o.mailErr != nil {
		return s.o.mailErr
	}
	s.msg = received{From: from, Auth: s.user}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.o.rcptErr != nil {
		return s.o.rcptErr
	}
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.Data = b
	s.ts.mu.Lock()
	s.ts.msgs = append(s.ts.msgs, s.msg)
	s.ts.mu.Unlock()
	s.ts.got <- s.msg
	return nil
}

func (s *session) Reset()        { s.msg = received{} }
func (s *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN (go-sasl ships only the
// client): "Username:", "Password:", then check.
type loginServer struct {
	step  int
	user  string
	check func(user, pass string) error
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if len(resp) > 0 { // initial response carries the username
			l.user, l.step = string(resp), 2
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	case 3:
		return nil, true, l.check(l.user, string(resp))
	}
	return nil, true, errors.New("unexpected LOGIN step")
}

var (
	certOnce sync.Once
	certTLS  tls.Certificate
	certPool *x509.CertPool
)

// serverTLS returns a TLS config with a self-signed certificate for
// 127.0.0.1 and localhost, generated once per test binary.
func serverTLS(t *testing.T) *tls.Config {
	certOnce.Do(func() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "latchkey test SMTP"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
			KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			IsCA: true, BasicConstraintsValid: true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			panic(err)
		}
		leaf, _ := x509.ParseCertificate(der)
		certTLS = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
		certPool = x509.NewCertPool()
		certPool.AddCert(leaf)
	})
	return &tls.Config{Certificates: []tls.Certificate{certTLS}, MinVersion: tls.VersionTLS12}
}

func testRoots(t *testing.T) *x509.CertPool {
	serverTLS(t)
	return certPool
}
