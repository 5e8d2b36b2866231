package manage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ConsentReminderQueue is the outbox queue of Email Plus reminders: a
// grant stores one, due at a random time in the consent's range of hours,
// and its worker (RunReminder) mails the giver then if the grant is still
// active.
const ConsentReminderQueue = "consent_reminder"

// MaxEmailPlusHours bounds emailPlus.maximumTimeToSendEmailInHours (a
// year): FusionAuth documents no bound, and a reminder is a notice about a
// recent grant.
const MaxEmailPlusHours = 24 * 365

// reminderJob is the payload of a ConsentReminderQueue message.
type reminderJob struct {
	UserConsentID string `json:"userConsentId"`
}

// reminderMailSpace names a reminder's mail after its job (uuid.NewSHA1),
// so a job delivered twice enqueues one mail.
var reminderMailSpace = uuid.MustParse("6f1d1c8e-3b55-4f0e-9a53-5c0a3c2d7e01")

// grantMail is the mail a grant causes (consents.mdx: consentEmailTemplateId
// and emailPlus), stored with the grant: the notice to the giver at once,
// and the Email Plus reminder as a job due at a random time between the
// consent's minimum and maximum hours. A grant stored as Revoked, and a
// giver without an address, cause none.
func (cs *Consents) grantMail(ctx context.Context, c storage.Consent, uc storage.UserConsent, giver storage.User, now time.Time) ([]storage.OutboxMessage, error) {
	if uc.Status != ConsentActive || giver.Email == "" || cs.Mail == nil {
		return nil, nil
	}
	var msgs []storage.OutboxMessage
	if c.ConsentEmailTemplateID != "" {
		m, ok, err := cs.notice(ctx, "consent notice", c.ConsentEmailTemplateID, c, uc, giver, now)
		if err != nil {
			return nil, err
		}
		if ok {
			msgs = append(msgs, m)
		}
	}
	if p := c.EmailPlus; p != nil && p.Enabled && p.EmailTemplateID != "" {
		b, err := json.Marshal(reminderJob{UserConsentID: uc.ID})
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, storage.OutboxMessage{ID: uuid.NewString(), Queue: ConsentReminderQueue, TenantID: uc.TenantID,
			Payload: b, CreatedAt: now, NextAttemptAt: now.Add(reminderDelay(*p))})
	}
	return msgs, nil
}

// reminderDelay is a uniformly random time between the minimum and the
// maximum hours (a consent stored with a larger maximum than
// MaxEmailPlusHours is held to it).
func reminderDelay(p storage.EmailPlus) time.Duration {
	hi := min(max(p.MaximumTimeToSendEmailInHours, 0), MaxEmailPlusHours)
	lo := min(max(p.MinimumTimeToSendEmailInHours, 0), hi)
	return time.Duration(lo)*time.Hour + rand.N(time.Duration(hi-lo)*time.Hour+1)
}

// notice renders the consent's template templateID for the giver. The
// template sees the giver as user (its recipient, as in every template),
// the consent and the user consent (whose userId is the user it was given
// to). ok is false when nothing is to be sent: the template is gone or
// cannot be rendered, which the log tells the operator (there is no
// shipped template to send instead).
func (cs *Consents) notice(ctx context.Context, kind, templateID string, c storage.Consent, uc storage.UserConsent, giver storage.User,
	now time.Time) (storage.OutboxMessage, bool, error) {
	t, err := cs.Store.GetTenant(ctx, giver.TenantID)
	if err != nil {
		return storage.OutboxMessage{}, false, err
	}
	k := mailKind{name: kind, optional: true,
		tenant: func(storage.EmailTemplateIDs) string { return templateID },
		app:    func(storage.Application) string { return "" }}
	return cs.Mail.message(ctx, k, MailFor{Tenant: t.WithDefaults(), User: giver},
		map[string]any{"consent": c, "userConsent": userConsentView(uc, nil)}, now)
}

// RunReminder sends an Email Plus reminder (the Deliver of the
// ConsentReminderQueue worker): to the giver, with the consent's
// emailPlus template, when the grant is still there and active, and the
// consent still sends reminders. Anything else ends the job quietly; a
// job delivered twice enqueues one mail.
func (cs *Consents) RunReminder(ctx context.Context, m storage.OutboxMessage) error {
	var j reminderJob
	if err := json.Unmarshal(m.Payload, &j); err != nil || j.UserConsentID == "" {
		return outbox.Permanent(fmt.Errorf("consent reminder %s: bad payload: %v", m.ID, err))
	}
	uc, err := cs.Store.GetUserConsent(ctx, j.UserConsentID)
	if err != nil || uc.Status != ConsentActive {
		return quietIfGone(err)
	}
	c, err := cs.Store.GetConsent(ctx, uc.ConsentID)
	if err != nil || c.EmailPlus == nil || !c.EmailPlus.Enabled || c.EmailPlus.EmailTemplateID == "" {
		return quietIfGone(err)
	}
	giver, err := cs.Store.GetUser(ctx, uc.GiverUserID)
	if err != nil || giver.Email == "" {
		return quietIfGone(err)
	}
	msg, ok, err := cs.notice(ctx, "consent reminder", c.EmailPlus.EmailTemplateID, c, uc, giver, cs.Now())
	if err != nil || !ok {
		return err
	}
	msg.ID = uuid.NewSHA1(reminderMailSpace, []byte(m.ID)).String()
	if err := cs.Store.EnqueueOutbox(ctx, msg); err != nil && !errors.Is(err, storage.ErrConflict) {
		return err
	}
	cs.Mail.notify(msg.Queue)
	return nil
}

// quietIfGone: a record deleted since the job was stored ends it.
func quietIfGone(err error) error {
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	return err
}
