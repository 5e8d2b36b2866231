// Package manage holds the management use cases: users, registrations,
// applications, tenants, API keys, the system configuration, refresh-token
// administration, the revocation feed, email templates, and the account
// flows (forgot and change password, email verification, keyless sign-up)
// with the mail they cause (Mailer renders it into the outbox with the
// change; JobQueue runs the keyless requests that must not reveal whether
// an account exists), and the directory: user search, application roles,
// groups and members, user actions, login records, the audit log and the
// signing-key listing. Every management change is audited in its own
// transaction, naming the Actor its context carries (audit.go); the admin
// console calls these use cases directly. Every rule of the management API
// (validation, server-owned fields, what a change revokes, tenant scoping)
// lives here once; internal/server only decodes a request, calls a use case
// and encodes the answer.
//
// Each use case is a struct whose dependencies are fields, and it takes a
// narrow interface naming only the storage methods it calls (stores.go).
// Errors are values: *Invalid (the request's content is refused, one Problem
// per reason), ErrNotFound (unknown, or outside the caller's Scope),
// ErrForbidden (the caller may not do this), ErrDisabled (the tenant has the
// feature off), ErrNoAddress (no email address to send to); anything else is a fault of the
// server or its database.
//
// It must not import net/http or internal/server (internal/archtest).
package manage
