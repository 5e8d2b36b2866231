// Package mail owns latchkey's email: the template language (the subset of
// FreeMarker that FusionAuth's shipped email templates use, parsed once when a
// template is saved), the default templates, the tenant's SMTP configuration
// and its validation, the SMTP sender (github.com/wneessen/go-mail), and the
// worker that drains the durable outbox (internal/outbox) through it.
//
// Mail leaves only through the outbox: a use case renders a message with
// Render, stores it with the change that caused it (storage methods accept
// outbox messages, or OutboxStore.EnqueueOutbox), and the Worker sends it,
// retrying with backoff, so an SMTP server that is down, slow or refusing
// delays mail but loses none.
//
// This package must not import net/http (the sender's SMTP client is its only
// network code) nor internal/server, internal/auth or a storage backend; it
// depends on the storage contract only.
package mail
