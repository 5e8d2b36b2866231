package sqlstorage

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// cutProxy forwards TCP to PostgreSQL; once armed, the next bytes a client
// sends are forwarded and then both sides are closed: the server got the
// query, the client never gets the answer (a connection dropped mid-query by
// a crash, a failover or a middlebox).
type cutProxy struct {
	ln     net.Listener
	target string
	armed  atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	})
	go p.serve()
	return p
}

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(c, s); c.Close() }()
		go p.upstream(c, s)
	}
}

func (p *cutProxy) upstream(c, s net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := s.Write(buf[:n]); werr != nil {
				break
			}
			if p.armed.CompareAndSwap(true, false) {
				break
			}
		}
		if err != nil {
			break
		}
	}
	c.Close()
	s.Close()
}

// TestConnectionDroppedMidQueryIsUnavailable: a PostgreSQL connection that
// dies while a statement is in flight ("unexpected EOF") is the database
// being unavailable (503, retry), not an internal error (500). The write's
// fate is unknown to the caller, which is why a rotation's retry is
// answered within the retry window (internal/auth).
func TestConnectionDroppedMidQueryIsUnavailable(t *testing.T) {
	ctx := context.Background()
	schemaDSN := postgresSchema(t)
	u, err := url.Parse(schemaDSN)
	if err != nil {
		t.Fatal(err)
	}
	p := newCutProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	s, err := Open(ctx, u.String(), Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.ListTenants(ctx); err != nil {
		t.Fatal(err)
	}
	// The store's own background queries (prepared statements, polls) share
	// the proxy: when one of them spends the armed cut, our query passes
	// untouched and the cut is armed again for the next try.
	for try := 0; ; try++ {
		p.armed.Store(true)
		_, err = s.ListTenants(ctx)
		if err != nil {
			break
		}
		if try == 20 {
			t.Fatal("20 queries succeeded with the cut armed: a dropped connection went unnoticed (or background queries spent every cut)")
		}
	}
	if !errors.Is(err, storage.ErrUnavailable) {
		t.Fatalf("dropped mid-query: %v; want ErrUnavailable", err)
	}
	// The query may have failed on a connection an earlier cut had already
	// closed (a background query spent that cut and its connection went
	// back to the pool), leaving this try's cut armed: it would cut the
	// next connection's start-up. Disarm before asking for a new one.
	p.armed.Store(false)
	if _, err := s.ListTenants(ctx); err != nil {
		t.Fatalf("the next query (a new connection): %v", err)
	}
}
