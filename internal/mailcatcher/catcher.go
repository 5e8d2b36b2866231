// Package mailcatcher is the local mail catcher of `latchkey demo`: an SMTP
// listener (github.com/emersion/go-smtp) that keeps the last messages in
// memory, and an http.Handler with an inbox page, so a newcomer clicks
// "Forgot password?" in the Store and reads the email in the browser.
//
// It is for loopback only: no authentication, no persistence. HTML bodies
// are untrusted and shown in a sandboxed iframe under a sandboxing CSP.
// It imports nothing of latchkey, so the demo wiring (or anything else) can
// use it.
package mailcatcher

import (
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Options tune a Catcher. The zero value works.
type Options struct {
	MaxMessages     int   // kept in memory, oldest dropped first (200)
	MaxMessageBytes int64 // larger messages are refused (10 MiB)
	Now             func() time.Time
}

// Catcher receives mail over SMTP and shows it over HTTP.
type Catcher struct {
	opts   Options
	mu     sync.Mutex
	msgs   []Message // oldest first
	nextID int
	smtp   *smtp.Server
	http   *http.Server
	wg     sync.WaitGroup
}

// New returns a Catcher that serves nothing yet: pass ServeSMTP a listener
// and mount Handler, or use Start.
func New(o Options) *Catcher {
	if o.MaxMessages <= 0 {
		o.MaxMessages = 200
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = 10 << 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	c := &Catcher{opts: o, nextID: 1}
	c.smtp = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{c: c}, nil }))
	c.smtp.Domain = "localhost"
	c.smtp.MaxMessageBytes = o.MaxMessageBytes
	c.smtp.MaxRecipients = 50
	c.smtp.ReadTimeout, c.smtp.WriteTimeout = time.Minute, time.Minute
	return c
}

// Start serves SMTP on smtpL and the inbox on httpL (both should be
// loopback listeners) until Close.
func Start(smtpL, httpL net.Listener, o Options) *Catcher {
	c := New(o)
	c.http = &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second}
	c.wg.Add(2)
	go func() { defer c.wg.Done(); c.ServeSMTP(smtpL) }()
	go func() { defer c.wg.Done(); c.http.Serve(httpL) }()
	return c
}

// ServeSMTP accepts SMTP connections on l until Close.
func (c *Catcher) ServeSMTP(l net.Listener) error {
	err := c.smtp.Serve(l)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops both servers and waits for them.
func (c *Catcher) Close() error {
	err := c.smtp.Close()
	if c.http != nil {
		err = errors.Join(err, c.http.Close())
	}
	c.wg.Wait()
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Messages returns the kept messages, newest first.
func (c *Catcher) Messages() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Message, len(c.msgs))
	for i, m := range c.msgs {
		out[len(c.msgs)-1-i] = m
	}
	return out
}

func (c *Catcher) message(id int) (Message, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		if m.ID == id {
			return m, true
		}
	}
	return Message{}, false
}

func (c *Catcher) add(m Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m.ID, m.Received = c.nextID, c.opts.Now()
	c.nextID++
	c.msgs = append(c.msgs, m)
	if len(c.msgs) > c.opts.MaxMessages {
		c.msgs = c.msgs[len(c.msgs)-c.opts.MaxMessages:]
	}
}

type session struct {
	c    *Catcher
	from string
	to   []string
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error   { s.to = append(s.to, to); return nil }
func (s *session) Reset()                                      { s.from, s.to = "", nil }
func (s *session) Logout() error                               { return nil }

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := parse(raw)
	m.EnvelopeFrom, m.EnvelopeTo = s.from, append([]string(nil), s.to...)
	s.c.add(m)
	return nil
}
