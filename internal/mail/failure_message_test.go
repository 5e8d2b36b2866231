package mail

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// TestFailureMessageNamesTheMailNotTheCredentials: a real SMTP server that
// authenticates the sender and then refuses the recipient, echoing the
// SMTP username and password in its reply (as a badly written relay
// might). A 550 makes the message dead, a 451 a retry; each failed attempt
// reaches outbox.Config.Failed, and its FailureMessage names the template,
// the recipient, the attempt and the server's reply, but neither
// credential, and neither does the error the outbox keeps with the
// message; the subject and body (a verification link) are not in it.
func TestFailureMessageNamesTheMailNotTheCredentials(t *testing.T) {
	const user, pass = "relay-user-7f3a", "relay-pass-9c41-secret"
	for _, c := range []struct {
		code      int
		state     string
		attempt   string
		permanent bool
	}{
		{550, storage.OutboxDead, "(attempt 1, gave up)", true},
		{451, storage.OutboxPending, "(attempt 1, will retry at ", false},
	} {
		ts := startSMTP(t, serverOpts{tlsMode: "starttls", user: user, pass: pass,
			rcptErr: smtpErr(c.code, "mailbox of ada@example.com refused for "+user+" with "+pass)}, nil)
		cfg := smtpConfig(ts, SecurityTLS)
		cfg.Username, cfg.Password = user, pass
		st := sqlstorage.OpenTest(t)
		var mu sync.Mutex
		var told []string
		w, err := NewWorker(WorkerConfig{Store: st,
			Configs: func(context.Context, string) (EmailConfiguration, error) { return cfg, nil },
			Sender:  NewSender(SenderOptions{RootCAs: testRoots(t), Timeout: 5 * time.Second}),
			Tuning: outbox.Config{AttemptTimeout: 5 * time.Second, Failed: func(_ context.Context, o outbox.Outcome) {
				mu.Lock()
				defer mu.Unlock()
				told = append(told, FailureMessage(o))
			}}})
		must(t, err)
		m := testMessage()
		m.Template = "0f1a2b3c-0000-4000-8000-00000000e1a1"
		om, err := OutboxMessage("m1", "tenant-1", m, time.Now())
		must(t, err)
		must(t, st.EnqueueOutbox(context.Background(), om))
		if _, err := w.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		got, err := st.GetOutboxMessage(context.Background(), "m1")
		must(t, err)
		if got.State != c.state || len(told) != 1 {
			t.Fatalf("%d: state %s, %d failures told; want %s and 1", c.code, got.State, len(told), c.state)
		}
		text := told[0]
		for _, want := range []string{"Failed to send the email with template [" + m.Template + "] to [ada@example.com]", c.attempt, itoaPort(c.code), "mailbox of ada@example.com refused"} {
			if !strings.Contains(text, want) {
				t.Errorf("%d: %q lacks %q", c.code, text, want)
			}
		}
		for _, secret := range []string{user, pass, m.Subject, "v-123"} {
			if strings.Contains(text, secret) || strings.Contains(got.LastError, secret) {
				t.Errorf("%d: %q leaked into the event log text %q or the kept error %q", c.code, secret, text, got.LastError)
			}
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
