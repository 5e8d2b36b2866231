package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/mfa"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Error is one FusionAuth error entry: {"code":"[blank]user.email","message":"..."}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Errors is FusionAuth's error body for /api/* (errors.mdx):
// {"fieldErrors":{"user.email":[{code,message}]},"generalErrors":[{code,message}]}.
type Errors struct {
	FieldErrors   map[string][]Error `json:"fieldErrors,omitempty"`
	GeneralErrors []Error            `json:"generalErrors,omitempty"`
}

// Field adds a field error whose code is "[kind]field", e.g. Field("blank", "user.email", "...").
func (e *Errors) Field(kind, field, message string) {
	if e.FieldErrors == nil {
		e.FieldErrors = map[string][]Error{}
	}
	e.FieldErrors[field] = append(e.FieldErrors[field], Error{Code: "[" + kind + "]" + field, Message: message})
}

// General adds a general error with code "[name]".
func (e *Errors) General(name, message string) {
	e.GeneralErrors = append(e.GeneralErrors, Error{Code: "[" + name + "]", Message: message})
}

// Empty reports whether no error was added.
func (e *Errors) Empty() bool { return len(e.FieldErrors) == 0 && len(e.GeneralErrors) == 0 }

// Error makes *Errors usable as an error value.
func (e *Errors) Error() string { return "validation failed" }

// writeJSON writes v as JSON with FusionAuth's content type. Responses to API
// calls are never cached: they carry tokens or personal data.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

// writeEmpty writes a status with no body (FusionAuth's 401/404 on many APIs).
func writeEmpty(w http.ResponseWriter, status int) {
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
}

// writeErrors writes a FusionAuth Errors body.
func writeErrors(w http.ResponseWriter, status int, e *Errors) { writeJSON(w, status, e) }

// writeFieldError is a shortcut for a single field error with status 400.
func writeFieldError(w http.ResponseWriter, kind, field, message string) {
	var e Errors
	e.Field(kind, field, message)
	writeErrors(w, http.StatusBadRequest, &e)
}

// OAuthError is the /oauth2/* error body (RFC 6749 §5.2 plus FusionAuth's error_reason).
type OAuthError struct {
	Error       string `json:"error"`
	Reason      string `json:"error_reason,omitempty"`
	Description string `json:"error_description,omitempty"`
}

// writeOAuthError writes an OAuth2 error. 401 responses to client
// authentication failures carry WWW-Authenticate (RFC 6749 §5.2).
func writeOAuthError(w http.ResponseWriter, status int, e OAuthError) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="latchkey"`)
	}
	writeJSON(w, status, e)
}

// statusClientGone is nginx's 499 "Client Closed Request": the answer to a
// request whose client went away before it was answered. Nobody reads it;
// it keeps such requests apart from the server's own errors in the access
// log and the metrics.
const statusClientGone = 499

// clientGone answers 499 and logs at debug level when err ended the request
// because its client went away (the request's context canceled: the
// connection closed, or the client gave up), instead of a 500 and an
// error line for what is not the server's error. The operation's outcome
// is whatever its storage made of the cancellation: a transaction not
// committed is rolled back (as after any error), one committed is kept.
func (s *Server) clientGone(w http.ResponseWriter, r *http.Request, err error) bool {
	if !wentAway(r.Context(), err) {
		return false
	}
	s.Logger.LogAttrs(r.Context(), slog.LevelDebug, "client went away before its answer",
		slog.String("request_id", requestID(r.Context())), slog.String("route", requestRoute(r)), slog.String("error", err.Error()))
	// Under overload clients and load balancers give up first: a count
	// once a minute keeps that visible at the default level.
	if ok, n := s.failureLog().Allow("clients went away"); ok {
		s.Logger.LogAttrs(r.Context(), slog.LevelInfo, "requests whose client went away before their answer",
			slog.String("route", requestRoute(r)), slog.Int("repeated", n))
	}
	w.WriteHeader(statusClientGone)
	return true
}

// wentAway reports whether err ended work of the request whose context is
// ctx because its client went away: the error is a cancellation and so is
// the end of the request's context (the server's own deadline is not).
func wentAway(ctx context.Context, err error) bool {
	return errors.Is(err, context.Canceled) && errors.Is(ctx.Err(), context.Canceled)
}

// writeInternal logs err with the request id and answers a generic 500 (or 503
// when the database is unavailable). Never leaks the error text.
func (s *Server) writeInternal(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, password.ErrBusy) {
		// A hash waited for a turn until its request's wait ended: the
		// gate's busy answer, whichever route it was.
		s.noteBusy(r, nil)
		writeBusy(w)
		return
	}
	if s.clientGone(w, r, err) {
		return
	}
	if storage.Transient(err) {
		// The database did not answer, or not within the request's
		// deadline (Config.RequestTimeout): 503 with Retry-After, as the
		// OAuth and hosted-page routes answer it in their formats, never a
		// 500. An outage fails every request the same way: the first is
		// logged, then one line a minute with the count (observe.Throttle).
		if ok, n := s.failureLog().Allow("database unavailable: " + err.Error()); ok {
			s.Logger.LogAttrs(r.Context(), slog.LevelWarn, "database unavailable",
				slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()),
				slog.Int("repeated", n))
		}
		var e Errors
		e.General("ServiceUnavailable", "The database is unavailable. Try again shortly.")
		w.Header().Set("Retry-After", "1")
		writeErrors(w, http.StatusServiceUnavailable, &e)
		return
	}
	s.Logger.LogAttrs(r.Context(), slog.LevelError, "internal error",
		slog.String("request_id", requestID(r.Context())), slog.String("route", requestRoute(r)), slog.String("error", err.Error()))
	var e Errors
	e.General("InternalError", "An internal error occurred. Request id "+requestID(r.Context())+".")
	writeErrors(w, http.StatusInternalServerError, &e)
}

// writeError is the one table from a use case's error to FusionAuth's /api/*
// answer (OAuth endpoints have theirs: writeGrantError). The request's
// content refused (*manage.Invalid) is 400 with fieldErrors/generalErrors; an
// unreadable body its decode answer (413, 415 or 400); an unknown record (or
// one outside the key's tenant) an empty 404; a caller without the right, or
// without the API key the application requires, an empty 401 (FusionAuth's
// answer for an insufficient key). Every credential failure of a login is
// the same empty 404 (auth folds unknown user, wrong password and inactive
// user into ErrInvalidCredentials, and nothing here adds a header or body
// that could tell them apart); every unusable refresh token the same 404
// body (security-bar.md R11). A login whose password verified but that
// ends without tokens (auth.Withheld: 203, 212, ...) gets its kind's status
// and body (login_withheld.go). Anything else is the server's fault
// (writeInternal).
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var inv *manage.Invalid
	var bad badBody
	var locked *auth.LockedError
	var held *auth.Withheld
	var veto *events.VetoError
	switch {
	case errors.As(err, &held):
		s.writeWithheld(w, r, held)
	case errors.As(err, &veto):
		// FusionAuth's answer when a transactional event's webhooks refuse
		// (spec §3.2); nothing was changed.
		var e Errors
		e.General("WebhookTransactionException", "One or more webhooks returned an invalid response or were unreachable. Based on your transaction configuration, your action cannot be completed.")
		writeErrors(w, http.StatusGatewayTimeout, &e)
	case errors.Is(err, manage.ErrImportConflict):
		var e Errors
		e.General("ImportRequestFailed", "An error occurred during the import request. This is most likely due to a unique key constraint which would indicate one or more of the users in the import request already exist. Nothing was imported. Re-attempt the request with additional validation by using the [validateDbConstraints] property.")
		writeErrors(w, http.StatusBadRequest, &e)
	case errors.Is(err, auth.ErrInvalidTwoFactorCode):
		writeEmpty(w, 421) // FusionAuth: invalid-two-factor-code, empty body
	case errors.Is(err, auth.ErrTwoFactorNotFound), isChallengeNotFound(err), errors.Is(err, mfa.ErrPasswordlessNotFound):
		writeEmpty(w, http.StatusNotFound)
	case errors.Is(err, mfa.ErrRateLimited), errors.Is(err, auth.ErrCodeMailLimited):
		var e Errors
		e.General("RateLimitedException", "Too many codes were requested for this user. Try again in a minute.")
		w.Header().Set("Retry-After", "60")
		writeErrors(w, http.StatusTooManyRequests, &e)
	case errors.Is(err, mfa.ErrMailUnavailable):
		var e Errors
		e.General("MailUnavailable", "No mail server is configured for this tenant, so no code can be sent.")
		writeErrors(w, http.StatusBadRequest, &e)
	case errors.As(err, &inv):
		writeErrors(w, http.StatusBadRequest, fusionErrors(inv))
	case errors.As(err, &bad):
		writeDecodeError(w, bad)
	case errors.Is(err, storage.ErrNUL):
		// A path the use cases do not check by field (storage.NULPaths).
		var e Errors
		e.General("invalid", "A value in the request holds a NUL character (U+0000), which cannot be stored.")
		writeErrors(w, http.StatusBadRequest, &e)
	case errors.Is(err, manage.ErrNotFound), errors.Is(err, auth.ErrInvalidCredentials):
		writeEmpty(w, http.StatusNotFound)
	case errors.Is(err, manage.ErrForbidden), errors.Is(err, auth.ErrAPIKeyRequired):
		writeEmpty(w, http.StatusUnauthorized)
	case errors.Is(err, manage.ErrContended):
		var e Errors
		e.General("ConcurrentModification", "The record was changed by other requests while this one was applied, every time it was tried. Nothing of this request was changed; send it again.")
		writeErrors(w, http.StatusConflict, &e)
	case errors.Is(err, manage.ErrDisabled):
		writeEmpty(w, http.StatusForbidden)
	case errors.Is(err, auth.ErrExpiredUser):
		writeEmpty(w, http.StatusGone)
	case errors.Is(err, auth.ErrUnknownApplication):
		writeFieldError(w, "invalid", "applicationId", "The [applicationId] property does not name an active application.")
	case errors.As(err, &locked):
		writeLocked(w, locked)
	case errors.Is(err, auth.ErrRefreshNotFound):
		writeRefreshNotFound(w)
	case errors.Is(err, auth.ErrRefreshNotAllowed):
		writeFieldError(w, "notAllowed", "refreshToken", "The application does not allow token refresh (loginConfiguration.allowTokenRefresh).")
	default:
		s.writeInternal(w, r, err)
	}
}

// fusionErrors is FusionAuth's error body for a use case's problems, in order.
func fusionErrors(inv *manage.Invalid) *Errors {
	e := &Errors{}
	for _, p := range inv.Problems {
		if p.Field == "" {
			e.General(p.Kind, p.Message)
		} else {
			e.Field(p.Kind, p.Field, p.Message)
		}
	}
	return e
}

// writeRefreshNotFound is the one answer for every token that cannot be
// used, whatever the reason (security-bar.md R11).
func writeRefreshNotFound(w http.ResponseWriter) {
	var e Errors
	e.Field("invalid", "refreshToken", "The refresh token is unknown, expired or revoked. Log in again.")
	writeErrors(w, http.StatusNotFound, &e)
}

// lockAction is the FusionAuth user action a 409 lists (fusionauth-api.md
// §1.3): the lockout is modelled as a prevent-login action.
type lockAction struct {
	Name       string `json:"name"`
	Reason     string `json:"reason"`
	ReasonCode string `json:"reasonCode"`
	Expiry     int64  `json:"expiry,omitempty"`
}

// writeLocked is the 409 of a locked account (fusionauth-api.md §1.3).
func writeLocked(w http.ResponseWriter, locked *auth.LockedError) {
	var expiry int64
	if !locked.Until.IsZero() {
		expiry = locked.Until.UnixMilli()
	}
	writeJSON(w, http.StatusConflict, struct {
		Actions       []lockAction `json:"actions"`
		GeneralErrors []Error      `json:"generalErrors"`
	}{
		Actions: []lockAction{{Name: "Locked", Reason: "Too many failed login attempts",
			ReasonCode: "failed_authentication", Expiry: expiry}},
		GeneralErrors: []Error{{Code: "[UserLockedException]",
			Message: "The account is locked after too many failed login attempts. Try again later."}},
	})
}
