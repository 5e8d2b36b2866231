package mailcatcher

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/mail"
)

// startCatcher runs a catcher on two loopback listeners, as the demo will.
func startCatcher(t *testing.T, o Options) (c *Catcher, smtpPort int, base string) {
	t.Helper()
	sl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c = Start(sl, hl, o)
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c, sl.Addr().(*net.TCPAddr).Port, "http://" + hl.Addr().String()
}

// sendVia sends m with latchkey's own sender, as the outbox worker would.
func sendVia(t *testing.T, port int, id string, m mail.Message) {
	t.Helper()
	s := mail.NewSender(mail.SenderOptions{Timeout: 10 * time.Second})
	if err := s.Send(context.Background(), mail.EmailConfiguration{Host: "127.0.0.1", Port: port, Security: mail.SecurityNone}, id, m); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func resetEmail() mail.Message {
	return mail.Message{
		From: mail.Address{Address: "no-reply@latchkey.test", Display: "Latchkey"}, To: mail.Address{Address: "ada@example.com"},
		Subject: `Reset <script>alert(1)</script> your password`,
		Text:    "Open https://login.example.com/password/change/abc?x=1&y=2.\nThanks",
		HTML:    `<p onclick="steal()">Open <a href="https://login.example.com/password/change/abc">this link</a></p><script>parent.document.title='pwned'</script>`,
	}
}

func TestCatcherInbox(t *testing.T) {
	c, port, base := startCatcher(t, Options{})
	sendVia(t, port, "m-1", resetEmail())
	msgs := c.Messages()
	if len(msgs) != 1 {
		t.Fatalf("caught %d messages", len(msgs))
	}
	m := msgs[0]
	if m.Subject != resetEmail().Subject || m.EnvelopeTo[0] != "ada@example.com" || m.MessageID != "<m-1@latchkey>" ||
		fmt.Sprint(m.Links) != "[https://login.example.com/password/change/abc?x=1&y=2]" || !strings.Contains(m.HTML, "this link") {
		t.Fatalf("caught %+v", m)
	}

	resp, body := get(t, base+"/")
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("inbox: %d %v", resp.StatusCode, resp.Header)
	}
	if strings.Contains(body, "<script>") || !strings.Contains(body, "Reset &lt;script&gt;alert(1)&lt;/script&gt; your password") || !strings.Contains(body, `href="/m/1"`) {
		t.Errorf("inbox page does not list the message safely:\n%s", body)
	}

	_, body = get(t, base+"/m/1")
	for _, want := range []string{
		`<iframe sandbox="allow-popups allow-popups-to-escape-sandbox"`, `src="/m/1/html"`,
		`<a href="https://login.example.com/password/change/abc?x=1&amp;y=2" target="_blank" rel="noopener noreferrer">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("message page lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "onclick") {
		t.Errorf("message page carries the email's markup outside the sandbox:\n%s", body)
	}

	resp, body = get(t, base+"/m/1/html")
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "sandbox allow-popups allow-popups-to-escape-sandbox;") || strings.Contains(csp, "allow-scripts") || strings.Contains(csp, "allow-same-origin") {
		t.Errorf("HTML body CSP %q must sandbox without scripts or same-origin", csp)
	}
	if !strings.Contains(body, `<base target="_blank">`) || !strings.Contains(body, "this link") {
		t.Errorf("HTML body: %s", body)
	}

	resp, body = get(t, base+"/api/messages")
	var api struct{ Messages []Message }
	if err := json.Unmarshal([]byte(body), &api); err != nil || resp.Header.Get("Content-Type") != "application/json" || len(api.Messages) != 1 || api.Messages[0].Links[0] != m.Links[0] {
		t.Errorf("api: %v %s", err, body)
	}
	for _, path := range []string{"/m/2", "/m/x", "/m/2/html"} {
		if resp, _ := get(t, base+path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestCatcherKeepsTheLatest(t *testing.T) {
	c, port, _ := startCatcher(t, Options{MaxMessages: 2})
	for i := range 3 {
		m := resetEmail()
		m.Subject = fmt.Sprint("mail ", i)
		sendVia(t, port, fmt.Sprint("id-", i), m)
	}
	var got []string
	for _, m := range c.Messages() {
		got = append(got, fmt.Sprint(m.ID, ":", m.Subject))
	}
	if fmt.Sprint(got) != "[3:mail 2 2:mail 1]" {
		t.Errorf("kept %v, want the two newest, newest first", got)
	}
}

func TestParseEncodings(t *testing.T) {
	raw := "From: =?UTF-8?q?J=C3=BCrgen?= <j@example.com>\r\nSubject: =?UTF-8?b?w5xiZXI=?=\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"aHR0cHM6Ly9leGFtcGxlLmNvbS9hIGFuZCBow6RsbG8=\r\n"
	m := parse([]byte(raw))
	if m.From != "Jürgen <j@example.com>" || m.Subject != "Über" || m.Text != "https://example.com/a and hällo" || fmt.Sprint(m.Links) != "[https://example.com/a]" {
		t.Errorf("parsed %+v", m)
	}
	if m := parse([]byte("not a message")); m.Text != "not a message" {
		t.Errorf("unparseable message: %+v", m)
	}
}
