package mail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

func testMessage() Message {
	return Message{
		From:    Address{Address: "no-reply@example.com", Display: "Latchkey"},
		To:      Address{Address: "ada@example.com", Display: "Ada Lovelace"},
		Subject: "Verify your email",
		Text:    "Open https://id.example.com/verify/v-123",
		HTML:    `<p><a href="https://id.example.com/verify/v-123">Verify</a></p>`,
	}
}

func smtpConfig(ts *testServer, security string) EmailConfiguration {
	return EmailConfiguration{Host: "127.0.0.1", Port: ts.port, Security: security}
}

// parsed is a received message as a mail client sees it.
type parsed struct {
	header     mail.Header
	text, html string
}

func parseReceived(t *testing.T, r received) parsed {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, r.Data)
	}
	p := parsed{header: m.Header}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		t.Fatalf("Content-Type %q: want multipart/alternative", m.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			return p
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part)
		switch ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type")); ct {
		case "text/plain":
			p.text = string(b)
		case "text/html":
			p.html = string(b)
		}
	}
}

func waitReceived(t *testing.T, ts *testServer) received {
	t.Helper()
	select {
	case r := <-ts.got:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("the SMTP server received nothing")
		return received{}
	}
}

func send(t *testing.T, s *Sender, c EmailConfiguration, m Message) error {
	t.Helper()
	return s.Send(context.Background(), c, "0f3c-msg-id", m)
}

func TestSendDeliversHeadersAndBodies(t *testing.T) {
	for _, mode := range []struct{ name, server, security, user string }{
		{"plain", "", SecurityNone, ""}, // no AUTH in clear text (ValidateEmailConfiguration)
		{"STARTTLS with AUTH", "starttls", SecurityTLS, "smtp-user"},
		{"implicit TLS with AUTH", "implicit", SecuritySSL, "smtp-user"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			ts := startSMTP(t, serverOpts{tlsMode: mode.server, user: mode.user, pass: "s3cret"}, nil)
			c := smtpConfig(ts, mode.security)
			if mode.user != "" {
				c.Username, c.Password = mode.user, "s3cret"
			}
			c.AdditionalHeaders = []storage.EmailHeader{{Name: "X-SES-CONFIGURATION-SET", Value: "latchkey"}}
			s := NewSender(SenderOptions{RootCAs: testRoots(t), Timeout: 10 * time.Second})
			if err := send(t, s, c, testMessage()); err != nil {
				t.Fatal(err)
			}
			r := waitReceived(t, ts)
			if r.From != "no-reply@example.com" || len(r.To) != 1 || r.To[0] != "ada@example.com" || r.Auth != mode.user {
				t.Errorf("envelope = %+v, want from no-reply@, to ada@, authenticated as %q", r, mode.user)
			}
			p := parseReceived(t, r)
			for h, want := range map[string]string{
				"From": `"Latchkey" <no-reply@example.com>`, "To": `"Ada Lovelace" <ada@example.com>`,
				"Subject": "Verify your email", "Message-Id": "<0f3c-msg-id@latchkey>", "X-Ses-Configuration-Set": "latchkey",
			} {
				if got := p.header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			if strings.TrimSpace(p.text) != testMessage().Text || strings.TrimSpace(p.html) != testMessage().HTML {
				t.Errorf("bodies: text %q html %q", p.text, p.html)
			}
		})
	}
}

func TestSendAuthLoginWhenPlainIsNotOffered(t *testing.T) {
	ts := startSMTP(t, serverOpts{tlsMode: "starttls", user: "u", pass: "p", loginOnly: true}, nil)
	c := smtpConfig(ts, SecurityTLS)
	c.Username, c.Password = "u", "p"
	if err := send(t, NewSender(SenderOptions{RootCAs: testRoots(t)}), c, testMessage()); err != nil {
		t.Fatal(err)
	}
	if r := waitReceived(t, ts); r.Auth != "u" {
		t.Errorf("authenticated as %q", r.Auth)
	}
}

// sendErr sends and returns the *SendError, failing if there is none.
func sendErr(t *testing.T, s *Sender, c EmailConfiguration, m Message) *SendError {
	t.Helper()
	err := send(t, s, c, m)
	var se *SendError
	if !errors.As(err, &se) {
		t.Fatalf("Send error = %v, want a *SendError", err)
	}
	return se
}

func TestSendFailures(t *testing.T) {
	roots := testRoots(t)
	tests := []struct {
		name      string
		server    serverOpts
		security  string
		user      string
		pass      string
		roots     bool
		permanent bool
		code      int
	}{
		{"wrong password is temporary (fix the config, mail goes)", serverOpts{tlsMode: "starttls", user: "u", pass: "right"}, SecurityTLS, "u", "wrong", true, false, 535},
		{"STARTTLS required but not offered", serverOpts{}, SecurityTLS, "", "", true, false, 0},
		{"untrusted certificate", serverOpts{tlsMode: "implicit"}, SecuritySSL, "", "", false, false, 0},
		{"recipient refused for good", serverOpts{rcptErr: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}}, SecurityNone, "", "", true, true, 550},
		{"recipient deferred", serverOpts{rcptErr: &smtp.SMTPError{Code: 450, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "mailbox busy"}}, SecurityNone, "", "", true, false, 450},
		{"sender refused is the configuration's fault", serverOpts{mailErr: &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "sender not allowed"}}, SecurityNone, "", "", true, false, 550},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startSMTP(t, tt.server, nil)
			c := smtpConfig(ts, tt.security)
			c.Username, c.Password = tt.user, tt.pass
			o := SenderOptions{Timeout: 10 * time.Second}
			if tt.roots {
				o.RootCAs = roots
			}
			se := sendErr(t, NewSender(o), c, testMessage())
			if se.Permanent != tt.permanent || se.Code != tt.code {
				t.Errorf("got permanent=%v code=%d (%v), want permanent=%v code=%d", se.Permanent, se.Code, se.Err, tt.permanent, tt.code)
			}
			if n := len(ts.messages()); n != 0 {
				t.Errorf("the server received %d messages", n)
			}
		})
	}
}

// TestSendHangingServerTimesOut: a server that accepts and never answers
// holds the sender for the timeout, not forever.
func TestSendHangingServerTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent
		}
	}()
	c := EmailConfiguration{Host: "127.0.0.1", Port: l.Addr().(*net.TCPAddr).Port}
	se := sendErr(t, NewSender(SenderOptions{Timeout: 300 * time.Millisecond}), c, testMessage())
	if se.Permanent {
		t.Errorf("a timeout was classified permanent: %v", se)
	}
}

func TestSendConnectionRefusedIsTemporary(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	se := sendErr(t, NewSender(SenderOptions{Timeout: 2 * time.Second}), EmailConfiguration{Host: "127.0.0.1", Port: port}, testMessage())
	if se.Permanent {
		t.Errorf("connection refused was classified permanent: %v", se)
	}
}

// TestSendHeaderInjection: a display name or subject carrying a line break
// (a user's firstName) cannot add a header or a recipient.
func TestSendHeaderInjection(t *testing.T) {
	ts := startSMTP(t, serverOpts{}, nil)
	m := testMessage()
	m.To.Display = "Ada\r\nBcc: victim@example.net"
	if err := m.Validate(); err == nil {
		t.Fatal("Validate accepted a display name with a line break")
	}
	se := sendErr(t, NewSender(SenderOptions{}), smtpConfig(ts, SecurityNone), m)
	if !se.Permanent {
		t.Errorf("an invalid message is not worth retrying: %v", se)
	}
	// Rendered subjects go through oneLine before they reach a Message.
	m = testMessage()
	m.Subject = oneLine("Hello Ada\r\nBcc: victim@example.net")
	if err := send(t, NewSender(SenderOptions{}), smtpConfig(ts, SecurityNone), m); err != nil {
		t.Fatal(err)
	}
	r := waitReceived(t, ts)
	p := parseReceived(t, r)
	if len(r.To) != 1 || p.header.Get("Bcc") != "" || p.header.Get("Subject") != "Hello Ada Bcc: victim@example.net" {
		t.Errorf("envelope %v, Bcc %q, Subject %q", r.To, p.header.Get("Bcc"), p.header.Get("Subject"))
	}
}

// TestSendCopies: a message's Cc addresses are recipients and a Cc header
// every recipient sees; its Bcc addresses are recipients only, never in a
// header; a copy address that is not one bare address (a line break and a
// header after it, a second address) is refused before any connection.
func TestSendCopies(t *testing.T) {
	ts := startSMTP(t, serverOpts{}, nil)
	s := NewSender(SenderOptions{Timeout: 10 * time.Second})
	m := testMessage()
	m.Cc, m.Bcc = []string{"cc@example.com"}, []string{"audit@example.com"}
	if err := send(t, s, smtpConfig(ts, SecurityNone), m); err != nil {
		t.Fatal(err)
	}
	r := waitReceived(t, ts)
	if want := []string{"ada@example.com", "cc@example.com", "audit@example.com"}; strings.Join(r.To, " ") != strings.Join(want, " ") {
		t.Errorf("envelope recipients %v, want %v", r.To, want)
	}
	p := parseReceived(t, r)
	if cc := p.header.Get("Cc"); cc != "<cc@example.com>" {
		t.Errorf("Cc %q", cc)
	}
	if p.header.Get("Bcc") != "" || bytes.Contains(r.Data, []byte("audit@example.com")) {
		t.Errorf("the Bcc address is in the message:\n%s", r.Data)
	}
	copies := func(cc, bcc []string) Message {
		m := testMessage()
		m.Cc, m.Bcc = cc, bcc
		return m
	}
	for _, bad := range []Message{
		copies([]string{"cc@example.com\r\nBcc: victim@example.com"}, nil),
		copies(nil, []string{"a@example.com, victim@example.com"}),
	} {
		var se *SendError
		if err := send(t, s, smtpConfig(ts, SecurityNone), bad); !errors.As(err, &se) || !se.Permanent {
			t.Errorf("cc %q bcc %q: %v, want a permanent refusal", bad.Cc, bad.Bcc, err)
		}
	}
	if n := len(ts.messages()); n != 1 {
		t.Errorf("%d messages received, want only the first", n)
	}
}
