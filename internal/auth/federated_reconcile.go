package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/latchkeyhq/latchkey/internal/lambda"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ErrReconcileFailed: the provider's reconcile lambda could not be read,
// threw, timed out, hit a limit, or left a user or registration that an
// API update would refuse. FusionAuth neither creates nor links the user
// when a reconcile lambda throws (extend/code/lambdas "Exceptions"): the
// login is refused and nothing of it is written.
var ErrReconcileFailed = errors.New("auth: the identity provider's reconcile lambda failed")

// Fields a reconcile lambda may change (FusionAuth lets it change the user
// and the registration, except email and username once the user is
// linked; latchkey runs it after linking). Every other member is kept as
// it was: id, tenantId, email, username, password and its hash, verified,
// active, twoFactor, breachedPasswordStatus, passwordChangeRequired,
// expiry, parentEmail, the instants; the registration's id,
// applicationId, username, verified and instants. Changes to them are
// logged and dropped (docs/security.md, "Reconcile lambdas").
var (
	reconcileUserFields = []string{"firstName", "middleName", "lastName", "fullName", "birthDate", "imageUrl",
		"mobilePhone", "timezone", "preferredLanguages", "data"}
	reconcileRegistrationFields = []string{"roles", "data", "timezone", "preferredLanguages"}
)

// reconcile runs the provider's OpenIDReconcile lambda on copies of the
// user and of their registration for the application (the one the login
// creates, else the existing one, else none), with the upstream claims,
// and puts what it changed into acct: into the new user and registration
// the login creates, or as updates of the existing ones, so that it is
// written with the login's link and registration or not at all. It
// returns the user as reconciled, which the login then issues tokens for.
func (s *Service) reconcile(ctx context.Context, req FederatedRequest, app storage.Application, user storage.User,
	existing *storage.Registration, acct *storage.FederatedAccount) (storage.User, error) {
	id := req.Provider.LambdaConfiguration.ReconcileID
	refuse := func(msg string, attrs ...any) (storage.User, error) {
		s.log.WarnContext(ctx, msg, append([]any{"lambdaId", id, "identityProviderId", req.Provider.ID}, attrs...)...)
		s.emit(ctx, event{name: evLoginFailure, level: slog.LevelInfo, appID: app.ID, ip: req.IPAddress, outcome: "reconcile_failed"})
		return user, ErrReconcileFailed
	}
	if s.cfg.Lambdas == nil {
		return refuse("reconcile lambda cannot run (no lambda engine); the login is refused")
	}
	l, err := s.lambdas.Get(ctx, id)
	if err != nil {
		return refuse("reconcile lambda not available; the login is refused", "err", err)
	}
	reg := acct.Registration
	if reg == nil {
		reg = existing
	}
	in := lambda.ReconcileInput{JWT: req.Claims, IDToken: req.IDToken, Tokens: map[string]any{}}
	if req.RawIDToken != "" {
		in.Tokens["id_token"] = req.RawIDToken
	}
	if in.User, err = asMap(user); err != nil {
		return user, err
	}
	if reg != nil {
		if in.Registration, err = asMap(*reg); err != nil {
			return user, err
		}
	}
	res := s.cfg.Lambdas.Reconcile(ctx, engineLambda(l), in)
	if res.Err != nil {
		return user, s.reconcileRefused(ctx, req, app)
	}
	nu, kept, err := reconciled(user, in.User, res.User, reconcileUserFields)
	if p := storage.NULPaths("user", nu); err == nil && len(p) > 0 {
		err = errors.New("[invalid]" + p[0] + ": holds a NUL character")
	}
	if err == nil && nu.BirthDate != "" {
		if _, perr := time.Parse(time.DateOnly, nu.BirthDate); perr != nil {
			err = errors.New("[invalid]user.birthDate: not a date YYYY-MM-DD")
		}
	}
	if err != nil {
		return refuse("reconcile lambda left a user an update would refuse; the login is refused", "error", err.Error())
	}
	var nr storage.Registration
	if reg != nil {
		var keptReg []string
		nr, keptReg, err = reconciled(*reg, in.Registration, res.Registration, reconcileRegistrationFields)
		if err == nil {
			nr.Roles, err = knownRoles(app, nr.Roles)
		}
		if p := storage.NULPaths("registration", nr); err == nil && len(p) > 0 {
			err = errors.New("[invalid]" + p[0] + ": holds a NUL character")
		}
		if err != nil {
			return refuse("reconcile lambda left a registration an update would refuse; the login is refused", "error", err.Error())
		}
		for _, k := range keptReg {
			kept = append(kept, "registration."+k)
		}
	}
	if len(kept) > 0 {
		s.log.WarnContext(ctx, "reconcile lambda changed fields it may not; they are kept as they were",
			"lambdaId", id, "identityProviderId", req.Provider.ID, "fields", kept)
	}
	now := s.cfg.Now().UnixMilli()
	if acct.User != nil {
		*acct.User = nu
	} else if !sameJSON(nu, user) {
		nu.LastUpdateInstant = now
		acct.UpdatedUser = &nu
	}
	switch {
	case reg == nil:
	case acct.Registration != nil:
		*acct.Registration = nr
	case !sameJSON(nr, *existing):
		nr.LastUpdateInstant = now
		acct.UpdatedRegistration = &nr
	}
	return nu, nil
}

// reconcileRefused counts a login a failed lambda refused (the engine has
// logged the failure with the lambda's id).
func (s *Service) reconcileRefused(ctx context.Context, req FederatedRequest, app storage.Application) error {
	s.emit(ctx, event{name: evLoginFailure, level: slog.LevelInfo, appID: app.ID, ip: req.IPAddress, outcome: "reconcile_failed"})
	return ErrReconcileFailed
}

// reconciled returns cur with the allowed members taken from after (the
// lambda's object; a member it removed or set to null is cleared), and the
// other members the lambda changed, which are not taken. A member of the
// wrong type is an error: nothing is applied.
func reconciled[T any](cur T, before, after map[string]any, allowed []string) (T, []string, error) {
	var kept []string
	for _, k := range unionKeys(before, after) {
		if !slices.Contains(allowed, k) && !sameJSON(before[k], after[k]) {
			kept = append(kept, k)
		}
	}
	merged := map[string]any{}
	for _, k := range allowed {
		if v, ok := after[k]; ok {
			merged[k] = v
		}
	}
	b, err := json.Marshal(merged)
	if err != nil {
		return cur, nil, err
	}
	var fresh T
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&fresh); err != nil {
		return cur, nil, fmt.Errorf("[invalid] %w", err)
	}
	// Clear the allowed members of cur, then take fresh's.
	out, err := overlay(cur, fresh, allowed)
	return out, kept, err
}

// overlay sets the allowed JSON members of cur to fresh's (zero when fresh
// lacks them), through their JSON form so the field names are the API's.
func overlay[T any](cur, fresh T, allowed []string) (T, error) {
	var cm, fm map[string]json.RawMessage
	cb, err := json.Marshal(cur)
	if err != nil {
		return cur, err
	}
	fb, err := json.Marshal(fresh)
	if err != nil {
		return cur, err
	}
	if err := json.Unmarshal(cb, &cm); err != nil {
		return cur, err
	}
	if err := json.Unmarshal(fb, &fm); err != nil {
		return cur, err
	}
	for _, k := range allowed {
		if v, ok := fm[k]; ok {
			cm[k] = v
		} else {
			delete(cm, k)
		}
	}
	b, err := json.Marshal(cm)
	if err != nil {
		return cur, err
	}
	out := cur // keeps what JSON does not carry (password hash, revision, user id of a registration)
	clearAllowed(&out)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	err = dec.Decode(&out)
	return out, err
}

// clearAllowed zeroes the members a reconcile may clear, so that decoding
// a JSON object without them leaves them empty.
func clearAllowed(v any) {
	switch x := v.(type) {
	case *storage.User:
		x.FirstName, x.MiddleName, x.LastName, x.FullName, x.BirthDate, x.ImageURL = "", "", "", "", "", ""
		x.MobilePhone, x.Timezone, x.PreferredLanguages, x.Data = "", "", nil, nil
	case *storage.Registration:
		x.Roles, x.Data, x.Timezone, x.PreferredLanguages = nil, nil, "", nil
	}
}

// knownRoles keeps roles to the application's role names, without
// duplicates; an unknown name is an error, as for the Registration API
// ([invalid]registration.roles).
func knownRoles(app storage.Application, roles []string) ([]string, error) {
	out := []string{}
	for _, name := range roles {
		if !slices.ContainsFunc(app.Roles, func(r storage.ApplicationRole) bool { return r.Name == name }) {
			return nil, fmt.Errorf("[invalid]registration.roles: the role [%s] does not exist in the application", truncateRunes(name, 64))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

func asMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return m, dec.Decode(&m)
}

func unionKeys(a, b map[string]any) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
