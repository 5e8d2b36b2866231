package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// namedTemplate stores an email template whose subject is subject and
// whose text names the consent, the user it was given to and the giver.
func (s *stack) namedTemplate(subject string) string {
	s.t.Helper()
	res := s.apiOK("POST", "/api/email/template", map[string]any{"emailTemplate": map[string]any{
		"name": subject, "defaultSubject": subject,
		"defaultTextTemplate": "${user.email} gave [${consent.name}] to ${userConsent.userId}", "defaultHtmlTemplate": "<p>${consent.name}</p>"}})
	return res["emailTemplate"].(map[string]any)["id"].(string)
}

// pendingReminders is the Email Plus reminders not yet run.
func (s *stack) pendingReminders() []storage.OutboxMessage {
	s.t.Helper()
	ms, err := s.Store.ListOutbox(context.Background(), storage.OutboxFilter{Queue: manage.ConsentReminderQueue, State: storage.OutboxPending})
	must(s.t, err)
	return ms
}

// subjects is the subjects of the mail to addr, oldest first, once n have
// arrived.
func (s *mailStack) subjects(addr string, n int) []string {
	s.t.Helper()
	var out []string
	for _, m := range s.mailTo(addr, n) {
		out = append(out, m.Subject)
	}
	return out
}

// TestConsentNoticeAndEmailPlusReminder (consents.mdx, consentEmailTemplateId
// and emailPlus): a grant mails the giver the consent's notice at once
// (real SMTP), and stores a reminder due at a random time within the
// consent's hours, which mails the giver then with the Email Plus template.
// A reminder whose grant was revoked meanwhile sends nothing; a reminder run
// twice mails once; a grant stored as Revoked mails nothing.
func TestConsentNoticeAndEmailPlusReminder(t *testing.T) {
	s := buildMailStack(t, stackOpts{})
	s.withConsentUsers()
	notice, reminder := s.namedTemplate("Notice of your consent"), s.namedTemplate("Reminder: notice of your consent")
	s.apiOK("PATCH", "/api/consent/"+consentID, map[string]any{"consent": map[string]any{"consentEmailTemplateId": notice,
		"emailPlus": map[string]any{"enabled": true, "emailTemplateId": reminder, "minimumTimeToSendEmailInHours": 30, "maximumTimeToSendEmailInHours": 40}}})

	granted := s.Clock.Now()
	kept := s.apiOK("POST", "/api/user/consent", grant(childID, parentID, consentID, "Written"))["userConsent"].(map[string]any)
	m := s.mailTo("parent@example.test", 1)[0]
	if m.Subject != "Notice of your consent" || !strings.Contains(m.Text, "parent@example.test gave [Patient Consent] to "+childID) {
		t.Fatalf("the giver's notice: %q %q", m.Subject, m.Text)
	}
	rs := s.pendingReminders()
	if len(rs) != 1 {
		t.Fatalf("%d reminders stored, want 1", len(rs))
	}
	if due := rs[0].NextAttemptAt.Sub(granted); due < 30*time.Hour || due > 40*time.Hour {
		t.Fatalf("the reminder is due %v after the grant, want 30h to 40h", due)
	}

	// A second grant, revoked before its reminder is due.
	revoked := s.apiOK("POST", "/api/user/consent", grant(parentID, parentID, consentID, "Verbal"))["userConsent"].(map[string]any)
	s.mailTo("parent@example.test", 2)
	if res := s.api("DELETE", "/api/user/consent/"+revoked["id"].(string), nil); res.status != 200 {
		t.Fatalf("revoke: %d %s", res.status, res.body)
	}
	// A grant stored as Revoked: no notice, no reminder.
	res := s.api("POST", "/api/user/consent", map[string]any{"userConsent": map[string]any{"userId": childID, "giverUserId": parentID,
		"consentId": consentID, "values": []string{"Verbal"}, "status": "Revoked"}})
	if res.status != 200 {
		t.Fatalf("grant as Revoked: %d %s", res.status, res.body)
	}
	if n := len(s.pendingReminders()); n != 2 {
		t.Fatalf("%d reminders pending, want 2 (the revoked-at-grant one stores none)", n)
	}
	s.drained()

	// Due (the claim of a message before its NextAttemptAt is the outbox's
	// own conformance test): the kept grant's reminder is sent.
	s.Clock.Advance(41 * time.Hour)
	s.subjects("parent@example.test", 3)
	waitFor(t, "the reminders to run", func() bool { return len(s.pendingReminders()) == 0 })
	s.drained()
	got := s.subjects("parent@example.test", 3)
	if len(got) != 3 || got[2] != "Reminder: notice of your consent" {
		t.Fatalf("after the reminders were due: %q (want the two notices and one reminder: the revoked grant's is not sent)", got)
	}
	if last := s.mailTo("parent@example.test", 3)[2]; !strings.Contains(last.Text, "to "+childID) || kept["id"] == nil {
		t.Fatalf("the reminder is not about the kept grant: %q", last.Text)
	}

	// The kept grant's reminder run again (a redelivery after a crash)
	// mails nothing more: its mail is named after the job.
	must(t, s.Srv.Manage.Consents.RunReminder(context.Background(), rs[0]))
	s.drained()
	if got := s.subjects("parent@example.test", 3); len(got) != 3 {
		t.Fatalf("a reminder run again mailed again: %q", got)
	}
}

// TestConsentMailRefusalsAndGaps (adversarial): an Email Plus range beyond
// a year is refused with nothing stored; a giver without an email address
// is mailed nothing and gets no reminder; a notice template deleted after
// the consent named it leaves the grant working and sends nothing (there
// is no shipped template to send instead).
func TestConsentMailRefusalsAndGaps(t *testing.T) {
	s := buildMailStack(t, stackOpts{})
	s.withConsentUsers()
	tpl := s.namedTemplate("Notice of your consent")
	before := s.storedConsents()
	res := s.api("PATCH", "/api/consent/"+consentID, map[string]any{"consent": map[string]any{"consentEmailTemplateId": tpl,
		"emailPlus": map[string]any{"enabled": true, "emailTemplateId": tpl, "maximumTimeToSendEmailInHours": manage.MaxEmailPlusHours + 1}}})
	if res.status != 400 || !strings.Contains(string(res.body), "[invalid]consent.emailPlus.maximumTimeToSendEmailInHours") {
		t.Fatalf("a reminder beyond a year: %d %s", res.status, res.body)
	}
	if after := s.storedConsents(); after[0].Revision != before[0].Revision {
		t.Fatalf("the refused update was written: revision %d, was %d", after[0].Revision, before[0].Revision)
	}
	s.apiOK("PATCH", "/api/consent/"+consentID, map[string]any{"consent": map[string]any{"consentEmailTemplateId": tpl,
		"emailPlus": map[string]any{"enabled": true, "emailTemplateId": tpl}}})

	// A giver without an address.
	const quiet = "0f1a2b3c-0000-4000-8000-00000000c0a3"
	must(t, s.Store.CreateUser(context.Background(), storage.User{ID: quiet, TenantID: tenantID, Active: true, Username: "quiet",
		InsertInstant: s.Clock.Now().UnixMilli()}))
	s.apiOK("POST", "/api/user/consent", grant(childID, quiet, consentID, "Written"))
	if n := len(s.pendingReminders()); n != 0 {
		t.Fatalf("a giver without an address got %d reminders", n)
	}

	// The notice template deleted after the consent named it.
	if res := s.api("DELETE", "/api/email/template/"+tpl, nil); res.status != 200 {
		t.Fatalf("delete the template: %d", res.status)
	}
	if res := s.api("POST", "/api/user/consent", grant(childID, parentID, consentID, "Verbal")); res.status != 200 {
		t.Fatalf("a grant whose notice template is gone: %d %s", res.status, res.body)
	}
	s.noMailTo("parent@example.test")
	if n := len(s.pendingReminders()); n != 1 {
		t.Fatalf("%d reminders stored, want 1 (it finds its template gone when due)", n)
	}
}
