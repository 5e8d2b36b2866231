package events

import "slices"

// The event types latchkey sends (FusionAuth's names, EventType.java and
// the TypeScript client's EventType enum).
const (
	UserAction             = "user.action"
	UserCreate             = "user.create"
	UserUpdate             = "user.update"
	UserDelete             = "user.delete"
	UserDeactivate         = "user.deactivate"
	UserReactivate         = "user.reactivate"
	UserLoginSuccess       = "user.login.success"
	UserLoginFailed        = "user.login.failed"
	UserRegistrationCreate = "user.registration.create"
	// UserRegistrationVerified: a registration's verificationId was used
	// (POST /api/user/verify-registration).
	UserRegistrationVerified = "user.registration.verified"
	UserPasswordUpdate       = "user.password.update"
	UserEmailVerified        = "user.email.verified"
	UserBulkCreate           = "user.bulk.create"
	JWTRefresh               = "jwt.refresh"
	JWTRefreshTokenRevoke    = "jwt.refresh-token.revoke"
	JWTPublicKeyUpdate       = "jwt.public-key.update"
	// JWTRefreshTokenReuse is latchkey's own: a superseded refresh token
	// was presented, and its whole family was revoked (docs/decisions.md,
	// "What counts as refresh-token reuse"). Named in FusionAuth's style
	// next to jwt.refresh-token.revoke; FusionAuth has no such event, and
	// its receivers ignore types they do not know.
	JWTRefreshTokenReuse = "jwt.refresh-token.reuse"
	// Test is FusionAuth's test event, sent only on request to one webhook
	// (Publisher.Test), never routed.
	Test = "test"
)

// Sent lists the types latchkey emits, in documentation order. A webhook
// or tenant may enable any FusionAuth type (Known); the others are never
// sent (docs/compatibility.md).
var Sent = []string{
	UserAction, UserCreate, UserUpdate, UserDelete, UserDeactivate, UserReactivate, UserLoginSuccess, UserLoginFailed,
	UserRegistrationCreate, UserRegistrationVerified, UserPasswordUpdate, UserEmailVerified, UserBulkCreate,
	JWTRefresh, JWTRefreshTokenRevoke, JWTPublicKeyUpdate, JWTRefreshTokenReuse,
}

// known are FusionAuth's event types (the TypeScript client's EventType,
// 1.69) besides those latchkey sends: accepted in eventsEnabled and in a
// tenant's eventConfiguration so that FusionAuth configurations load, never
// sent.
var known = []string{
	"audit-log.create", "event-log.create", "kickstart.success",
	"group.create", "group.create.complete", "group.delete", "group.delete.complete",
	"group.member.add", "group.member.add.complete", "group.member.remove", "group.member.remove.complete",
	"group.member.update", "group.member.update.complete", "group.update", "group.update.complete",
	"user.create.complete", "user.delete.complete", "user.email.update",
	"user.identity-provider.link", "user.identity-provider.unlink",
	"user.loginId.duplicate.create", "user.loginId.duplicate.update",
	"user.login.new-device", "user.login.suspicious", "user.password.breach",
	"user.password.reset.send", "user.password.reset.start", "user.password.reset.success",
	"user.registration.create.complete", "user.registration.delete", "user.registration.delete.complete",
	"user.registration.update", "user.registration.update.complete",
	"user.two-factor.method.add", "user.two-factor.method.remove", "user.update.complete",
	"user.identity.verified", "user.identity.update",
	"entity.create", "entity.create.complete", "entity.delete", "entity.delete.complete",
	"entity.grant.create", "entity.grant.delete", "entity.grant.update", "entity.update", "entity.update.complete",
	"test",
}

// Known reports whether t is an event type a webhook or tenant may name.
func Known(t string) bool { return slices.Contains(Sent, t) || slices.Contains(known, t) }

// Transaction types (FusionAuth's TransactionType).
const (
	TxNone             = "None"
	TxAny              = "Any"
	TxSimpleMajority   = "SimpleMajority"
	TxSuperMajority    = "SuperMajority"
	TxAbsoluteMajority = "AbsoluteMajority"
)

// TransactionTypes lists the valid transaction types.
var TransactionTypes = []string{TxNone, TxAny, TxSimpleMajority, TxSuperMajority, TxAbsoluteMajority}

// Vetoable are the types whose webhooks can refuse the change: with a
// transaction type other than None they are delivered before the change
// commits, and the change happens only if enough webhooks answer 2xx
// (FusionAuth's transactional events). FusionAuth also lists
// user.login.failed and jwt.refresh-token.revoke as transactional; latchkey
// never lets a receiver hold back a refused login or a revocation (a
// session must end even when a receiver is down), so those two, like
// every type FusionAuth calls non-transactional, take None only.
var Vetoable = []string{
	UserAction, UserCreate, UserUpdate, UserDelete, UserDeactivate, UserReactivate, UserRegistrationCreate,
	UserEmailVerified, UserLoginSuccess, JWTRefresh, JWTPublicKeyUpdate,
}

// CanVeto reports whether t may have a transaction type other than None.
func CanVeto(t string) bool { return slices.Contains(Vetoable, t) }

// Succeeded is FusionAuth's TransactionType.success(n, ok): whether ok
// successful deliveries out of n let the change commit. With no webhook
// the transaction trivially succeeds.
func Succeeded(txType string, n, ok int) bool {
	if n == 0 {
		return true
	}
	switch txType {
	case TxAny:
		return ok > 0
	case TxSimpleMajority:
		return float64(ok) >= float64(n)/2.0
	case TxSuperMajority:
		return float64(ok) >= float64(n)/3.0*2.0
	case TxAbsoluteMajority:
		return ok == n
	default:
		return true
	}
}
