package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SenderOptions tune a Sender. The zero value works.
type SenderOptions struct {
	// RootCAs verifies the SMTP server's certificate; nil means the system
	// roots. Tests pass the certificate they generated.
	RootCAs *x509.CertPool
	// Timeout bounds connecting and each step of the SMTP conversation
	// (30s), so a server that accepts and then hangs cannot hold a worker.
	Timeout time.Duration
	// HELO is the name given in EHLO (go-mail's default: localhost).
	HELO string
}

// Sender sends one message per SMTP connection with github.com/wneessen/go-mail.
type Sender struct{ opts SenderOptions }

// NewSender returns a Sender.
func NewSender(o SenderOptions) *Sender {
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	return &Sender{opts: o}
}

// SendError is a failed send. Permanent is true when retrying cannot help
// this message: the server refused the recipient or the content with a 5xx
// reply (RFC 5321 §4.2.1). A 4xx reply, a connection or TLS failure, and a
// 5xx to AUTH or MAIL FROM (the server's or our configuration, which an
// operator can fix) are temporary.
type SendError struct {
	Permanent bool
	Code      int // the SMTP reply code, 0 when there was none
	Err       error
}

func (e *SendError) Error() string { return "mail: send: " + e.Err.Error() }
func (e *SendError) Unwrap() error { return e.Err }

// Send delivers m through the server c names, with id as its Message-ID.
// ctx ends the attempt early (the connection is closed).
func (s *Sender) Send(ctx context.Context, c EmailConfiguration, id string, m Message) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // also releases the dialer's AfterFunc
	if err := m.Validate(); err != nil {
		return &SendError{Permanent: true, Err: err}
	}
	client, err := s.client(ctx, c)
	if err != nil {
		return &SendError{Err: err}
	}
	msg, err := s.build(c, id, m)
	if err != nil {
		return &SendError{Permanent: true, Err: err}
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return classify(err)
	}
	return nil
}

// client configures go-mail for c: STARTTLS required for TLS, implicit TLS
// for SSL (through our dialer), PLAIN or LOGIN when a username is set.
func (s *Sender) client(ctx context.Context, c EmailConfiguration) (*gomail.Client, error) {
	host, port := endpoint(c)
	tlsConf := &tls.Config{ServerName: host, RootCAs: s.opts.RootCAs, MinVersion: tls.VersionTLS12}
	opts := []gomail.Option{
		gomail.WithPort(port),
		gomail.WithTimeout(s.opts.Timeout),
		gomail.WithTLSConfig(tlsConf),
		gomail.WithDialContextFunc(s.dialer(ctx, c.Security == SecuritySSL, tlsConf)),
	}
	switch c.Security {
	case SecurityTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default: // NONE, or SSL where TLS is already up when SMTP starts
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.opts.HELO != "" {
		opts = append(opts, gomail.WithHELO(s.opts.HELO))
	}
	if c.Username != "" {
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(c.Username), gomail.WithPassword(c.Password))
	}
	return gomail.NewClient(host, opts...)
}

// dialer connects with the configured timeout, wraps the connection in TLS
// for SSL (implicit TLS), and closes it when sendCtx ends, so shutdown or
// the attempt's deadline interrupts even a server that stopped answering.
func (s *Sender) dialer(sendCtx context.Context, implicitTLS bool, conf *tls.Config) gomail.DialContextFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: s.opts.Timeout}
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if implicitTLS {
			tc := tls.Client(conn, conf)
			hctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
			err := tc.HandshakeContext(hctx)
			cancel()
			if err != nil {
				conn.Close()
				return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
			}
			conn = tc
		}
		// Not wrapped: go-mail must see the *tls.Conn to know TLS is up.
		context.AfterFunc(sendCtx, func() { conn.Close() })
		return conn, nil
	}
}

func (s *Sender) build(c EmailConfiguration, id string, m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(oneLine(m.From.Display), m.From.Address); err != nil {
		return nil, err
	}
	if err := msg.AddToFormat(oneLine(m.To.Display), m.To.Address); err != nil {
		return nil, err
	}
	if len(m.Cc) > 0 {
		if err := msg.Cc(m.Cc...); err != nil {
			return nil, err
		}
	}
	if len(m.Bcc) > 0 {
		if err := msg.Bcc(m.Bcc...); err != nil { // never written as a header by go-mail
			return nil, err
		}
	}
	msg.Subject(oneLine(m.Subject))
	msg.SetMessageIDWithValue(id + "@latchkey")
	msg.SetDate()
	for _, h := range c.AdditionalHeaders {
		msg.SetGenHeader(gomail.Header(h.Name), oneLine(h.Value))
	}
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.HTML != "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	}
	return msg, nil
}

// classify turns a go-mail error into a SendError (see SendError).
func classify(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		refused := se.Reason == gomail.ErrSMTPRcptTo || se.Reason == gomail.ErrSMTPData || se.Reason == gomail.ErrSMTPDataClose
		return &SendError{Permanent: refused && code >= 500 && code < 600, Code: code, Err: err}
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return &SendError{Code: te.Code, Err: err}
	}
	return &SendError{Code: replyCode(err), Err: err}
}

// replyCode reads a leading three-digit reply code from an error text.
func replyCode(err error) int {
	msg := err.Error()
	if len(msg) >= 3 {
		if n, e := strconv.Atoi(msg[:3]); e == nil && n >= 200 && n < 600 {
			return n
		}
	}
	return 0
}
