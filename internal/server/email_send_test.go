package server_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/mailcatcher"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// sendTemplate stores an email template for POST /api/email/send whose
// subject and bodies read the user, the application and requestData.
func (s *mailStack) sendTemplate(subject, text string) string {
	s.t.Helper()
	res := s.apiOK("POST", "/api/email/template", map[string]any{"emailTemplate": map[string]any{
		"name": "Receipt " + uuid.NewString(), "defaultSubject": subject,
		"defaultTextTemplate": text, "defaultHtmlTemplate": "<p>" + text + "</p>"}})
	return res["emailTemplate"].(map[string]any)["id"].(string)
}

// headers parses a delivered message's header.
func headers(t *testing.T, m mailcatcher.Message) mail.Header {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Raw))
	must(t, err)
	return msg.Header
}

// nothingMailed waits for the queues to drain and fails if any message
// was delivered at all.
func (s *mailStack) nothingMailed() {
	s.t.Helper()
	s.drained()
	if ms := s.inbox.Messages(); len(ms) != 0 {
		s.t.Fatalf("%d message(s) delivered, the first to %s: %q", len(ms), ms[0].To, ms[0].Subject)
	}
}

// TestSendEmailDeliversTheRenderedTemplate: POST /api/email/send/{id}
// answers 202 {} and mails, over SMTP, one message per user and per
// address: the subject and bodies rendered with the user's fields, the
// application and requestData; ccAddresses in the Cc header of each,
// bccAddresses only in the envelope; an address without a user is
// rendered without one. A user named twice gets one message.
func TestSendEmailDeliversTheRenderedTemplate(t *testing.T) {
	s := newMailStack(t)
	id := s.sendTemplate(`Receipt for ${(user.username)!"guest"}`,
		`Paid ${(requestData.amount)!""} to ${application.name}: ${(requestData.message)!""}`)
	res := s.api("POST", "/api/email/send/"+id, map[string]any{
		"userIds":            []string{aliceID, strings.ToUpper(aliceID)},
		"toAddresses":        []map[string]string{{"address": "accounting@example.test", "display": "Accounting"}},
		"ccAddresses":        []string{"cc@example.test"},
		"bccAddresses":       []string{"audit@example.test"},
		"applicationId":      storeApp,
		"requestData":        map[string]any{"amount": 42, "message": "thank you"},
		"preferredLanguages": []string{"de"},
	})
	wantStatus(t, res, 202)
	if strings.TrimSpace(string(res.body)) != "{}" {
		t.Fatalf("answer %s, want {} (every message queued)", res.body)
	}
	for _, c := range []struct{ to, subject string }{{aliceEmail, "Receipt for alice"}, {"accounting@example.test", "Receipt for guest"}} {
		ms := s.mailTo(c.to, 1)
		m := ms[0]
		if m.Subject != c.subject || !strings.Contains(m.Text, "Paid 42 to Store: thank you") || !strings.Contains(m.HTML, "<p>Paid 42 to Store: thank you</p>") {
			t.Errorf("to %s: subject %q text %q html %q", c.to, m.Subject, m.Text, m.HTML)
		}
		h := headers(t, m)
		if cc := h.Get("Cc"); cc != "<cc@example.test>" && cc != "cc@example.test" {
			t.Errorf("to %s: Cc %q", c.to, cc)
		}
		if h.Get("Bcc") != "" || bytes.Contains(m.Raw, []byte("audit@example.test")) {
			t.Errorf("to %s: the Bcc address is in the message:\n%s", c.to, m.Raw)
		}
		env := slices.Sorted(slices.Values(m.EnvelopeTo))
		if want := slices.Sorted(slices.Values([]string{c.to, "cc@example.test", "audit@example.test"})); !slices.Equal(env, want) {
			t.Errorf("to %s: envelope %v, want %v", c.to, env, want)
		}
	}
	s.drained()
	if n := len(s.inbox.Messages()); n != 2 {
		t.Errorf("%d messages delivered, want 2 (alice once, accounting once)", n)
	}
}

// TestSendEmailReportsRenderErrorsPerRecipient: a template that cannot be
// rendered for one recipient (an address has no user; the template reads
// user.username without a default) answers 202 with that recipient under
// anonymousResults, keyed by the part that failed, and the others are
// still mailed; one failing for every user lists each under results, and
// nothing is sent to them. Never a 500.
func TestSendEmailReportsRenderErrorsPerRecipient(t *testing.T) {
	s := newMailStack(t)
	id := s.sendTemplate("Hello ${user.username}", "Hi ${user.username}")
	res := s.api("POST", "/api/email/send/"+id, map[string]any{
		"userIds": []string{aliceID}, "toAddresses": []map[string]string{{"address": "nobody@example.test"}}})
	wantStatus(t, res, 202)
	body := res.json(t)
	if _, ok := body["results"]; ok {
		t.Errorf("alice's message failed: %s", res.body)
	}
	managementGolden(t, "email_send_anonymous_render_error", res.status, res.body)
	anon, _ := body["anonymousResults"].(map[string]any)["nobody@example.test"].(map[string]any)
	if errs, _ := anon["renderErrors"].(map[string]any); errs["subject"] == nil {
		t.Fatalf("anonymousResults %s, want renderErrors.subject for nobody@example.test", res.body)
	}
	if m := s.mailTo(aliceEmail, 1)[0]; m.Subject != "Hello alice" {
		t.Errorf("alice's subject %q", m.Subject)
	}
	s.noMailTo("nobody@example.test")

	broken := s.sendTemplate("Hello", `Hi [#if (requestData.order)??]${requestData.order.missing}[/#if]`)
	res = s.api("POST", "/api/email/send/"+broken, map[string]any{"userIds": []string{aliceID}, "requestData": map[string]any{"order": map[string]any{}}})
	wantStatus(t, res, 202)
	managementGolden(t, "email_send_render_error", res.status, res.body)
	r, _ := res.json(t)["results"].(map[string]any)[aliceID].(map[string]any)
	if errs, _ := r["renderErrors"].(map[string]any); errs["text"] == nil && errs["html"] == nil {
		t.Fatalf("results %s, want a render error of alice's body", res.body)
	}
	s.drained()
	if n := len(s.inbox.Messages()); n != 1 {
		t.Errorf("%d messages delivered, want only the first send's one", n)
	}
}

// TestSendEmailRefusesBadRequestsQueuingNothing: an unknown or malformed
// template, application or user, no recipient, an address that is not
// one bare address, and more recipients or copies than the limits are
// each a 400 with FusionAuth's field error, and no message is queued or
// sent, not even to the valid recipients of the same request.
func TestSendEmailRefusesBadRequestsQueuingNothing(t *testing.T) {
	s := newMailStack(t)
	id := s.sendTemplate("Hello", "Hi")
	many := make([]string, manage.MaxSendRecipients+1)
	for i := range many {
		many[i] = uuid.NewString()
	}
	copies := make([]string, manage.MaxSendCopies+1)
	for i := range copies {
		copies[i] = "c" + strconv.Itoa(i) + "@example.test"
	}
	unknown := uuid.NewString()
	ok := []string{aliceID}
	for _, c := range []struct {
		name, template string
		body           map[string]any
		field, code    string
	}{
		{"unknown template", unknown, map[string]any{"userIds": ok}, "emailTemplateId", "[invalid]emailTemplateId"},
		{"malformed template", "not-a-uuid", map[string]any{"userIds": ok}, "emailTemplateId", "[couldNotConvert]emailTemplateId"},
		{"unknown user", id, map[string]any{"userIds": []string{aliceID, unknown}}, "userIds", "[invalid]userIds"},
		{"malformed user", id, map[string]any{"userIds": []string{aliceID, "alice"}}, "userIds", "[invalid]userIds"},
		{"no recipient", id, map[string]any{"ccAddresses": []string{"cc@example.test"}}, "userIds", "[missing]userIds"},
		{"too many recipients", id, map[string]any{"userIds": many}, "userIds", "[tooMany]userIds"},
		{"too many copies", id, map[string]any{"userIds": ok, "bccAddresses": copies}, "ccAddresses", "[tooMany]ccAddresses"},
		{"unknown application", id, map[string]any{"userIds": ok, "applicationId": unknown}, "applicationId", "[invalid]applicationId"},
		{"blank address", id, map[string]any{"userIds": ok, "toAddresses": []map[string]string{{"display": "Nobody"}}}, "toAddresses[0].address", "[blank]toAddresses[0].address"},
		{"not an address", id, map[string]any{"userIds": ok, "toAddresses": []map[string]string{{"address": "bob"}}}, "toAddresses[0].address", "[invalid]toAddresses[0].address"},
		{"bad cc", id, map[string]any{"userIds": ok, "ccAddresses": []string{"cc@example.test", "nope"}}, "ccAddresses[1]", "[invalid]ccAddresses[1]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := s.api("POST", "/api/email/send/"+c.template, c.body)
			if codes := fieldCodes(t, res, c.field); !slices.Contains(codes, c.code) {
				t.Errorf("%s: %v, want %s", c.field, codes, c.code)
			}
		})
	}
	// Too many recipients is refused before any of them is looked up: the
	// answer names the bound, not each of the unknown users.
	if codes := fieldCodes(t, s.api("POST", "/api/email/send/"+id, map[string]any{"userIds": many}), "userIds"); len(codes) != 1 {
		t.Errorf("too many recipients: %v, want only [tooMany]userIds", codes)
	}
	s.nothingMailed()
}

// TestSendEmailRefusesHeaderInjection: an address with a line break, a
// display name, a second address or a header after it (in toAddresses,
// ccAddresses or bccAddresses) is refused with 400 and nothing is sent; a
// display name or a requestData value with a line break and a header in
// it reaches no header: the message goes to the one address named, with
// no Bcc or other injected header, and the subject on one line.
func TestSendEmailRefusesHeaderInjection(t *testing.T) {
	s := newMailStack(t)
	id := s.sendTemplate(`Your ${(requestData.item)!""}`, "Hi")
	for _, c := range []struct {
		name, field string
		body        map[string]any
	}{
		{"CRLF header in address", "toAddresses[0].address", map[string]any{"toAddresses": []map[string]string{{"address": "eve@example.test\r\nBcc: victim@example.test"}}}},
		{"LF header in address", "toAddresses[0].address", map[string]any{"toAddresses": []map[string]string{{"address": "eve@example.test\nBcc: victim@example.test"}}}},
		{"two addresses", "toAddresses[0].address", map[string]any{"toAddresses": []map[string]string{{"address": "eve@example.test, victim@example.test"}}}},
		{"display name in address", "toAddresses[0].address", map[string]any{"toAddresses": []map[string]string{{"address": "Eve <victim@example.test>"}}}},
		{"header in cc", "ccAddresses[0]", map[string]any{"userIds": []string{aliceID}, "ccAddresses": []string{"cc@example.test\r\nBcc: victim@example.test"}}},
		{"two addresses in bcc", "bccAddresses[0]", map[string]any{"userIds": []string{aliceID}, "bccAddresses": []string{"bcc@example.test,victim@example.test"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := s.api("POST", "/api/email/send/"+id, c.body)
			if codes := fieldCodes(t, res, c.field); len(codes) != 1 || !strings.HasPrefix(codes[0], "[invalid]") {
				t.Errorf("%s: %v, want [invalid]%s", c.field, codes, c.field)
			}
		})
	}
	s.nothingMailed()

	res := s.api("POST", "/api/email/send/"+id, map[string]any{
		"toAddresses": []map[string]string{{"address": "eve@example.test", "display": "Eve\r\nBcc: victim@example.test\r\nX-Injected: yes"}},
		"requestData": map[string]any{"item": "order\r\nBcc: victim@example.test\r\nX-Injected: yes"}})
	wantStatus(t, res, 202)
	m := s.mailTo("eve@example.test", 1)[0]
	if !slices.Equal(m.EnvelopeTo, []string{"eve@example.test"}) {
		t.Errorf("envelope %v, want only eve", m.EnvelopeTo)
	}
	h := headers(t, m)
	if h.Get("Bcc") != "" || h.Get("X-Injected") != "" {
		t.Errorf("an injected header arrived:\n%s", m.Raw)
	}
	to, err := mail.ParseAddressList(h.Get("To"))
	if err != nil || len(to) != 1 || to[0].Address != "eve@example.test" {
		t.Errorf("To %q (%v), want eve alone", h.Get("To"), err)
	}
	if m.Subject != "Your order Bcc: victim@example.test X-Injected: yes" {
		t.Errorf("subject %q, want the value on one line", m.Subject)
	}
}

// TestSendEmailNeedsItsKeyPermission: without a key, with a key for the
// email templates only, or with one holding only GET on /api/email/send,
// a send is 401 and nothing is mailed; a key holding POST on
// /api/email/send sends.
func TestSendEmailNeedsItsKeyPermission(t *testing.T) {
	s := newMailStack(t)
	id := s.sendTemplate("Hello", "Hi")
	key := func(perms map[string]any) string {
		k := s.apiOK("POST", "/api/api-key", map[string]any{"apiKey": map[string]any{"permissions": map[string]any{"endpoints": perms}}})
		return k["apiKey"].(map[string]any)["key"].(string)
	}
	templates := key(map[string]any{"/api/email/template": []string{"GET", "POST", "PUT", "PATCH", "DELETE"}})
	getOnly := key(map[string]any{"/api/email/send": []string{"GET"}})
	sender := key(map[string]any{"/api/email/send": []string{"POST"}})
	body := map[string]any{"userIds": []string{aliceID}}
	for name, k := range map[string]string{"no key": "", "template key": templates, "GET-only key": getOnly} {
		if res := s.api("POST", "/api/email/send/"+id, body, "Authorization", k); res.status != 401 {
			t.Errorf("%s: %d %s, want 401", name, res.status, res.body)
		}
	}
	s.nothingMailed()
	wantStatus(t, s.api("POST", "/api/email/send/"+id, body, "Authorization", sender), 202)
	s.mailTo(aliceEmail, 1)
}

// TestSendEmailTenantScopedKey: a key scoped to a tenant mails its
// tenant's users, but another tenant's user is refused exactly like an
// unknown one (400 [invalid]userIds), and nothing of that request is
// sent, not even to its own tenant's user.
func TestSendEmailTenantScopedKey(t *testing.T) {
	s := newMailStack(t)
	s.withOtherTenant()
	ctx := context.Background()
	def, err := s.Store.GetTenant(ctx, tenantID)
	must(t, err)
	other, err := s.Store.GetTenant(ctx, otherTenant)
	must(t, err)
	other.EmailConfiguration = def.EmailConfiguration // the same catcher
	must(t, s.Store.UpdateTenant(ctx, other))
	id := s.sendTemplate("Hello", "Hi")
	res := s.api("POST", "/api/email/send/"+id, map[string]any{"userIds": []string{aliceID, otherUserID}}, "Authorization", scopedKey)
	if codes := fieldCodes(t, res, "userIds"); !slices.Equal(codes, []string{"[invalid]userIds"}) {
		t.Fatalf("another tenant's user: %v", codes)
	}
	managementGolden(t, "email_send_unknown_user", res.status, res.body)
	s.nothingMailed()
	wantStatus(t, s.api("POST", "/api/email/send/"+id, map[string]any{"userIds": []string{aliceID}}, "Authorization", scopedKey), 202)
	s.mailTo(aliceEmail, 1)
	// A global key reaches every tenant's user.
	wantStatus(t, s.api("POST", "/api/email/send/"+id, map[string]any{"userIds": []string{otherUserID}}), 202)
	s.mailTo("other@example.test", 1)
}

// enqueueFails is the real store whose standalone outbox writes fail
// once armed.
type enqueueFails struct {
	storage.Storage
	armed atomic.Bool
}

func (e *enqueueFails) EnqueueOutbox(ctx context.Context, msgs ...storage.OutboxMessage) error {
	if e.armed.Load() {
		return errors.New("disk full")
	}
	return e.Storage.EnqueueOutbox(ctx, msgs...)
}

// TestSendEmailAnswersOnlyWhatIsQueued: when the outbox write fails the
// send is not acknowledged (a 500, never the 202 that says the messages
// are queued), and nothing is sent.
func TestSendEmailAnswersOnlyWhatIsQueued(t *testing.T) {
	st := &enqueueFails{Storage: sqlstorage.OpenTest(t)}
	s := buildMailStack(t, stackOpts{store: st})
	id := s.sendTemplate("Hello", "Hi")
	st.armed.Store(true)
	res := s.api("POST", "/api/email/send/"+id, map[string]any{"userIds": []string{aliceID}})
	if res.status != 500 {
		t.Fatalf("send with a failing outbox: %d %s, want 500", res.status, res.body)
	}
	st.armed.Store(false)
	s.nothingMailed()
}

// mailUnclaimed is the real store whose mail worker finds nothing to
// send: the node stops after answering and before any delivery.
type mailUnclaimed struct{ storage.Storage }

func (m mailUnclaimed) ClaimOutbox(ctx context.Context, c storage.OutboxClaim) ([]storage.OutboxMessage, error) {
	if c.Queue == "mail" {
		return nil, nil
	}
	return m.Storage.ClaimOutbox(ctx, c)
}

// TestSendEmailSurvivesARestart: the 202 comes once every message is
// stored, not sent: a node that answers and stops before its worker sends
// anything loses nothing, and the next node on the same database delivers
// every message, rendered as at the request.
func TestSendEmailSurvivesARestart(t *testing.T) {
	st := sqlstorage.OpenTest(t)
	t.Run("answer, then stop", func(t *testing.T) {
		s := buildMailStack(t, stackOpts{store: mailUnclaimed{st}})
		id := s.sendTemplate(`Receipt ${(requestData.n)!""}`, "Hi")
		res := s.api("POST", "/api/email/send/"+id, map[string]any{"userIds": []string{aliceID},
			"toAddresses": []map[string]string{{"address": "accounting@example.test"}}, "requestData": map[string]any{"n": 7}})
		wantStatus(t, res, 202)
		d, err := st.OutboxDepth(context.Background(), "mail")
		must(t, err)
		if d.Pending != 2 || len(s.inbox.Messages()) != 0 {
			t.Fatalf("after the answer: %d pending, %d delivered; want 2 pending, none delivered", d.Pending, len(s.inbox.Messages()))
		}
	})
	// The next node: a new catcher, the tenant's SMTP server moved to it.
	smtpL, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	httpL, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	c := mailcatcher.Start(smtpL, httpL, mailcatcher.Options{})
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	tn, err := st.GetTenant(ctx, tenantID)
	must(t, err)
	tn.EmailConfiguration.Port = smtpL.Addr().(*net.TCPAddr).Port
	must(t, st.UpdateTenant(ctx, tn))
	in := apptest.Start(t, apptest.Options{Store: st})
	s := &mailStack{stack: &stack{t: t, URL: in.URL, Store: st, Srv: in.App.Server}, inbox: c}
	for _, to := range []string{aliceEmail, "accounting@example.test"} {
		if m := s.mailTo(to, 1)[0]; m.Subject != "Receipt 7" {
			t.Errorf("to %s after the restart: %q", to, m.Subject)
		}
	}
}
