package server_test

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/mailcatcher"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The account flows' tests run the real App with the demo's mail catcher
// as the SMTP server (real SMTP over TCP on loopback): mail is read where a
// person would read it, after the App's outbox worker sent it.

// mailStack is a stack whose tenant sends mail to a catcher.
type mailStack struct {
	*stack
	inbox *mailcatcher.Catcher
}

// newMailStack starts a catcher and the App with the tenant's SMTP server
// pointing at it; edit changes the world as newStack's edit does.
func newMailStack(t *testing.T, edit ...func(apps map[string]*storage.Application, tn *storage.Tenant)) *mailStack {
	t.Helper()
	return buildMailStack(t, stackOpts{}, edit...)
}

// buildMailStack is newMailStack with buildStack's options.
func buildMailStack(t *testing.T, o stackOpts, edit ...func(apps map[string]*storage.Application, tn *storage.Tenant)) *mailStack {
	t.Helper()
	smtpL, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	httpL, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	c := mailcatcher.Start(smtpL, httpL, mailcatcher.Options{})
	t.Cleanup(func() { c.Close() })
	port := smtpL.Addr().(*net.TCPAddr).Port
	all := append([]func(map[string]*storage.Application, *storage.Tenant){func(_ map[string]*storage.Application, tn *storage.Tenant) {
		e := &tn.EmailConfiguration
		e.Host, e.Port, e.Security, e.DefaultFromEmail, e.DefaultFromName = "127.0.0.1", port, "NONE", "no-reply@example.test", "Latchkey"
	}}, edit...)
	return &mailStack{stack: buildStack(t, o, all...), inbox: c}
}

// mailTo waits until n messages to addr have arrived (the outbox worker
// sends them after the request's commit) and returns them, oldest first.
// The deadline only keeps a broken test from hanging.
func (s *mailStack) mailTo(addr string, n int) []mailcatcher.Message {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var got []mailcatcher.Message
		for _, m := range s.inbox.Messages() {
			if strings.Contains(m.To, addr) {
				got = append([]mailcatcher.Message{m}, got...)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%d message(s) to %s after 15s, want %d", len(got), addr, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noMailTo asserts that nothing was sent to addr once the queues are empty.
func (s *mailStack) noMailTo(addr string) {
	s.t.Helper()
	s.drained()
	for _, m := range s.inbox.Messages() {
		if strings.Contains(m.To, addr) {
			s.t.Fatalf("a message was sent to %s: %q", addr, m.Subject)
		}
	}
}

// drained waits until no mail, account job or passwordless job is pending.
func (s *mailStack) drained() {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		busy := 0
		for _, q := range []string{"account", "passwordless", "mail"} {
			d, err := s.Store.OutboxDepth(context.Background(), q)
			must(s.t, err)
			busy += d.Pending
		}
		if busy == 0 {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%d outbox messages still pending after 15s", busy)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// linkID is the last path segment of the first link in m with prefix
// path (the id a mail carries), without its query.
func linkID(t testing.TB, m mailcatcher.Message, path string) string {
	t.Helper()
	for _, l := range m.Links {
		if i := strings.Index(l, path); i >= 0 {
			id, _, _ := strings.Cut(l[i+len(path):], "?")
			return id
		}
	}
	t.Fatalf("no %s link in %q: %v", path, m.Subject, m.Links)
	return ""
}

// admin is the API key header.
var admin = map[string]string{"Authorization": apiKey}

// jsonBody encodes v for a call.
func jsonBody(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return string(b)
}

// liveSessions is how many of the user's refresh tokens are live.
func (s *stack) liveSessions(userID string) int {
	s.t.Helper()
	live, err := s.Store.ListRefreshTokens(context.Background(), userID)
	must(s.t, err)
	return len(live)
}
