package mail

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Queue is the outbox queue mail goes through.
const Queue = "mail"

// Address is an email address with its display name (FusionAuth's
// email.from {address, display}).
type Address struct {
	Address string `json:"address"`
	Display string `json:"display,omitempty"`
}

// Message is a rendered email as the outbox stores it (the payload of an
// outbox message of Queue "mail"). It is final: a template edited later does
// not change a message already queued.
type Message struct {
	From Address `json:"from"`
	To   Address `json:"to"`
	// Cc and Bcc are bare addresses (POST /api/email/send's ccAddresses
	// and bccAddresses): Cc is a header every recipient sees, Bcc only an
	// envelope recipient.
	Cc       []string `json:"cc,omitempty"`
	Bcc      []string `json:"bcc,omitempty"`
	Subject  string   `json:"subject"`
	HTML     string   `json:"html,omitempty"`
	Text     string   `json:"text,omitempty"`
	Template string   `json:"templateId,omitempty"` // which template made it, for operators
}

// Validate checks that m can be sent: addresses parse, one-line subject and
// names, a body.
func (m Message) Validate() error {
	for _, a := range []Address{m.From, m.To} {
		if !IsAddress(a.Address) {
			return fmt.Errorf("mail: %q is not an email address", a.Address)
		}
		if strings.ContainsAny(a.Display, "\r\n") {
			return errors.New("mail: a display name must be one line")
		}
	}
	for _, a := range append(append([]string(nil), m.Cc...), m.Bcc...) {
		if !IsAddress(a) {
			return fmt.Errorf("mail: %q is not an email address", a)
		}
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return errors.New("mail: the subject must be one line")
	}
	if m.HTML == "" && m.Text == "" {
		return errors.New("mail: the message has no body")
	}
	return nil
}

// IsAddress reports whether a is one bare email address (RFC 5322
// addr-spec) and nothing else: no display name, no second address, no
// line break or other header text a caller could smuggle in with it.
func IsAddress(a string) bool {
	p, err := mail.ParseAddress(a)
	return err == nil && p.Address == a
}

// OutboxMessage wraps m for the outbox. id becomes the Message-ID (so a
// message sent twice after a crash can be recognised as one); pass it to
// UserStore methods that accept outbox messages, or to EnqueueOutbox.
func OutboxMessage(id, tenantID string, m Message, now time.Time) (storage.OutboxMessage, error) {
	if err := m.Validate(); err != nil {
		return storage.OutboxMessage{}, err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return storage.OutboxMessage{}, err
	}
	return storage.OutboxMessage{ID: id, Queue: Queue, TenantID: tenantID, Payload: b, CreatedAt: now, NextAttemptAt: now}, nil
}

// oneLine makes a rendered header value safe to send: a user's name with a
// line break in it must not start a new header.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
