// Package events owns FusionAuth's events and their webhooks: the event
// types and their JSON (extend/events-and-webhooks), which webhooks receive
// an event (a tenant's eventConfiguration and each webhook's eventsEnabled
// and tenants), the synchronous delivery of transactional events before a
// change commits (their veto), the outbox messages that carry every other
// delivery durably, and the delivery of those messages.
//
// Use cases (internal/auth, internal/manage) call Publisher.Prepare before
// their write and hand the messages it returns to the storage method that
// commits the change, so an event exists exactly when its change does. When
// no webhook wants an event type, Prepare returns nothing and costs a cache
// lookup: the login path writes no row it did not write before.
//
// It never imports net/http: the HTTP client that posts an event is
// internal/events/sender, behind the Poster interface, wired by internal/app.
package events
