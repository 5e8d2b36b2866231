package multinode

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/mailcatcher"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// TestEachMailSentOnce: three nodes share PostgreSQL and one SMTP server (a
// go-smtp listener, real SMTP over TCP). Password resets asked on every
// node, with an API key (the mail is queued by the request) and without
// one (a job is queued, whichever node runs it queues the mail), all reach
// the SMTP server, each exactly once: every node's outbox worker polls the
// same table, and a message is leased to one of them at a time.
func TestEachMailSentOnce(t *testing.T) {
	smtpL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	inbox := mailcatcher.Start(smtpL, httpL, mailcatcher.Options{MaxMessages: 1000})
	t.Cleanup(func() { inbox.Close() })
	c := startCluster(t, 3)
	key := []string{"Authorization", c.apiKey}
	port := smtpL.Addr().(*net.TCPAddr).Port
	if r := c.nodes[0].do(t, "PATCH", "/api/tenant/b54ca84b-aceb-4215-9678-473afdeaabed", map[string]any{"tenant": map[string]any{
		"emailConfiguration": map[string]any{"host": "127.0.0.1", "port": port, "security": "NONE", "defaultFromEmail": "no-reply@example.com"}}},
		key...); r.status != 200 {
		t.Fatalf("tenant email configuration: %d %s", r.status, r.body)
	}
	const keyed, keyless = 30, 9 // keyless ones: under each node's per-address limit of 10
	for i := range keyed {
		nd := c.nodes[i%3]
		if r := nd.do(t, "POST", "/api/user/forgot-password", map[string]any{"loginId": userEmail}, key...); r.status != 200 {
			t.Fatalf("forgot password %d on %s: %d %s", i, nd.name, r.status, r.body)
		}
	}
	for _, nd := range c.nodes {
		for i := range keyless {
			if r := nd.do(t, "POST", "/api/user/forgot-password", map[string]any{"loginId": lockEmail}); r.status != 200 {
				t.Fatalf("keyless forgot password %d on %s: %d %s", i, nd.name, r.status, r.body)
			}
		}
	}
	want := keyed + 3*keyless
	deadline := time.Now().Add(60 * time.Second)
	for len(inbox.Messages()) < want && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	// Let any duplicate that is coming arrive before counting.
	time.Sleep(3 * time.Second)
	seen := map[string]int{}
	for _, m := range inbox.Messages() {
		seen[m.MessageID]++
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %s delivered %d times", id, n)
		}
	}
	if len(seen) != want {
		t.Fatalf("%d distinct messages arrived, want %d", len(seen), want)
	}
	st, err := sqlstorage.Open(context.Background(), c.dbURL, sqlstorage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sent, err := st.ListOutbox(context.Background(), storage.OutboxFilter{Queue: "mail", State: storage.OutboxSent, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range sent {
		if m.Attempts != 1 {
			t.Errorf("message %s took %d attempts", m.ID, m.Attempts)
		}
	}
	if len(sent) != want {
		t.Fatalf("%d mail rows sent, want %d", len(sent), want)
	}
}
