package manage

import (
	"context"
	"fmt"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The management use cases' webhook events: each change that has one
// prepares it before its write (events.Publisher.Prepare: a transactional
// event's webhooks may refuse the change then) and commits its messages in
// that write (storage.UserChange, NewAccount, Revocation, KeyRotation,
// UserImport). Nothing is built when no webhook wants the event.

// UseEvents makes the use cases publish webhook events through p.
func (m *Service) UseEvents(p *events.Publisher) {
	m.Users.Events = p
	m.Accounts.Events = p
	m.RefreshTokens.Events = p
	m.Import.Events = p
	m.Keys.Events = p
	m.Actions.Events = p
	m.Applications.Events = p
	m.Webhooks.Publisher = p
}

// eventMessages prepares one event of typ in tenantID, built by fill, and
// returns its outbox messages (none when no webhook wants it).
func eventMessages(ctx context.Context, p *events.Publisher, tenantID, typ string, fill func(*events.Event)) ([]storage.OutboxMessage, error) {
	pl, err := p.Plan(ctx, tenantID, typ)
	if err != nil {
		return nil, fmt.Errorf("manage: plan %s: %w", typ, err)
	}
	if pl.Empty() {
		return nil, nil
	}
	ev := &events.Event{}
	fill(ev)
	return p.Prepare(ctx, pl, ev)
}

// userEvent is eventMessages for an event whose only field is the user.
func userEvent(ctx context.Context, p *events.Publisher, typ string, u storage.User) ([]storage.OutboxMessage, error) {
	return eventMessages(ctx, p, u.TenantID, typ, func(ev *events.Event) { ev.User = events.UserView(u) })
}

// registrationEvent is user.registration.create: the registration, and the
// user without registrations (FusionAuth's event example).
func registrationEvent(ctx context.Context, p *events.Publisher, u storage.User, r storage.Registration) ([]storage.OutboxMessage, error) {
	return eventMessages(ctx, p, u.TenantID, events.UserRegistrationCreate, func(ev *events.Event) {
		u.Registrations = nil
		ev.ApplicationID, ev.Registration, ev.User = r.ApplicationID, &r, events.UserView(u)
	})
}
