package demotest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/demo"
	"github.com/latchkeyhq/latchkey/internal/loghygiene"
)

// Stack is a running demo: the three servers' public URLs and what Run
// printed.
type Stack struct {
	IdentityURL, StoreURL, ForumsURL string
	// InboxURL is the mail catcher's web inbox (its /api/messages lists
	// the mail as JSON).
	InboxURL string
	// Out is what Run printed (URLs, credentials).
	Out *loghygiene.Buffer

	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
	front  *http.Server // the WrapIdentity front, if any
}

// Start runs demo.Run with opts on three loopback port-0 listeners and
// returns once the Store answers /config.json. Start fills in opts'
// listeners, public URLs and Out; publicURL names each server's public URL
// from its role ("login", "store" or "forums") and port, nil meaning
// http://127.0.0.1:<port> ("inbox" is the mail catcher's web inbox). Whatever the test does not stop is stopped at its
// end, and an error from Run then fails the test. Options add hooks
// (WrapIdentity).
func Start(t testing.TB, opts demo.Options, publicURL func(role string, port int) string, options ...Option) *Stack {
	t.Helper()
	var o startOptions
	for _, fn := range options {
		fn(&o)
	}
	if publicURL == nil {
		publicURL = func(_ string, port int) string { return fmt.Sprintf("http://127.0.0.1:%d", port) }
	}
	var lns [4]net.Listener
	var urls [4]string
	for i, role := range []string{"login", "store", "forums", "inbox"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i], urls[i] = ln, publicURL(role, ln.Addr().(*net.TCPAddr).Port)
	}
	mail, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opts.IdentityListener, opts.StoreListener, opts.ForumsListener, opts.InboxListener, opts.MailListener = lns[0], lns[1], lns[2], lns[3], mail
	opts.IdentityURL, opts.StoreURL, opts.ForumsURL, opts.InboxURL = urls[0], urls[1], urls[2], urls[3]
	s := &Stack{IdentityURL: urls[0], StoreURL: urls[1], ForumsURL: urls[2], InboxURL: urls[3], Out: &loghygiene.Buffer{}, done: make(chan error, 1)}
	if o.identity != nil {
		inner, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		opts.IdentityListener = inner
		s.front = serveFront(lns[0], inner.Addr().String(), o.identity)
	}
	opts.Out = s.Out
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() { s.done <- demo.Run(ctx, opts) }()
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("demo.Run: %v", err)
		}
	})
	// The listeners exist already, so requests queue until each server
	// serves: one answer from the Store means Run is past its start-up. Its
	// real address is polled: the public names may not resolve outside a
	// browser.
	probe := "http://" + lns[1].Addr().String() + "/config.json"
	for {
		res, err := http.Get(probe)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-s.done:
			s.done <- err // for Stop
			t.Fatalf("demo.Run stopped early: %v\n%s", err, s.Out)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop stops Run and returns its error; later calls return the same.
func (s *Stack) Stop() error {
	s.once.Do(func() {
		s.cancel()
		s.err = <-s.done
		if s.front != nil {
			s.front.Close()
		}
	})
	return s.err
}
