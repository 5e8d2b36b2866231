package manage

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The statuses of a user consent (FusionAuth's ConsentStatus).
const (
	ConsentActive  = "Active"
	ConsentRevoked = "Revoked"
)

// UserConsent is FusionAuth's UserConsent as requested and answered; an
// answer carries the consent it grants.
type UserConsent struct {
	Consent           *storage.Consent `json:"consent,omitempty"`
	ConsentID         string           `json:"consentId,omitempty"`
	Data              map[string]any   `json:"data,omitempty"`
	GiverUserID       string           `json:"giverUserId,omitempty"`
	ID                string           `json:"id,omitempty"`
	InsertInstant     int64            `json:"insertInstant,omitempty"`
	LastUpdateInstant int64            `json:"lastUpdateInstant,omitempty"`
	Status            string           `json:"status,omitempty"`
	UserID            string           `json:"userId,omitempty"`
	Values            []string         `json:"values,omitempty"`
}

func userConsentView(uc storage.UserConsent, c *storage.Consent) UserConsent {
	return UserConsent{Consent: c, ConsentID: uc.ConsentID, Data: uc.Data, GiverUserID: uc.GiverUserID, ID: uc.ID,
		InsertInstant: uc.InsertInstant, LastUpdateInstant: uc.LastUpdateInstant, Status: uc.Status, UserID: uc.UserID, Values: uc.Values}
}

// Grant gives a user of the caller's scope a consent (POST
// /api/user/consent[/{id}], grant-a-user-consent.mdx). The giver must be a
// user of the same tenant; an unknown user, giver or consent, a status
// other than Active or Revoked, a value the consent does not offer, more
// than one value when it allows one, and self-consent below the consent's
// age of self-consent are refused. The insertInstant is the server's.
func (cs *Consents) Grant(ctx context.Context, scope Scope, id string, in UserConsent) (UserConsent, error) {
	if id == "" {
		id = newID()
	}
	e := &Invalid{}
	if in.Status == "" {
		in.Status = ConsentActive
	}
	checkConsentStatus(e, in.Status)
	user, err := cs.consentUser(ctx, e, scope, "userConsent.userId", in.UserID, "")
	if err != nil {
		return UserConsent{}, err
	}
	giver, err := cs.consentUser(ctx, e, scope, "userConsent.giverUserId", in.GiverUserID, user.TenantID)
	if err != nil {
		return UserConsent{}, err
	}
	var c storage.Consent
	if in.ConsentID == "" {
		e.Field("blank", "userConsent.consentId", "You must specify the [consentId] property.")
	} else {
		err := ErrNotFound
		if ValidID(in.ConsentID) {
			c, err = cs.GetConsent(ctx, in.ConsentID)
		}
		switch {
		case errors.Is(err, ErrNotFound):
			e.Field("invalid", "userConsent.consentId", "No consent exists with Id ["+truncate(in.ConsentID, 64)+"].")
		case err != nil:
			return UserConsent{}, err
		default:
			checkGrantedValues(e, c, in.Values)
			if user.ID != "" && user.ID == giver.ID {
				checkSelfConsentAge(e, c, user, cs.Now())
			}
		}
	}
	if _, err := cs.Store.GetUserConsent(ctx, strings.ToLower(id)); err == nil {
		e.Field("duplicate", "userConsent.id", "A user consent with Id ["+strings.ToLower(id)+"] already exists.")
	} else if !errors.Is(err, storage.ErrNotFound) {
		return UserConsent{}, err
	}
	if err := e.Err(); err != nil {
		return UserConsent{}, err
	}
	now := cs.Now()
	uc := storage.UserConsent{ID: strings.ToLower(id), UserID: user.ID, TenantID: user.TenantID, ConsentID: c.ID, GiverUserID: giver.ID,
		Status: in.Status, Values: in.Values, Data: in.Data, InsertInstant: now.UnixMilli(), LastUpdateInstant: now.UnixMilli()}
	v := userConsentView(uc, &c)
	msgs, err := cs.grantMail(ctx, c, uc, giver, now)
	if err != nil {
		return UserConsent{}, err
	}
	err = cs.Store.CreateUserConsent(ctx, uc, msgs, audit(ctx, now, user.TenantID,
		"Granted the consent with Id ["+c.ID+"] to the user with Id ["+user.ID+"]", nil, userConsentView(uc, nil)))
	switch {
	case errors.Is(err, storage.ErrNotFound): // the user or consent was deleted meanwhile
		return UserConsent{}, invalid("invalid", "userConsent.userId", "No user exists with Id ["+truncate(in.UserID, 64)+"].")
	case errors.Is(err, storage.ErrConflict):
		return UserConsent{}, invalid("duplicate", "userConsent.id", "A user consent with Id ["+uc.ID+"] already exists.")
	case err == nil:
		for _, m := range msgs {
			cs.Mail.notify(m.Queue)
		}
	}
	return v, err
}

func checkConsentStatus(e *Invalid, status string) {
	if status != ConsentActive && status != ConsentRevoked {
		e.Field("invalid", "userConsent.status", "The [status] must be Active or Revoked.")
	}
}

// consentUser reads the user field names for the grant (a user the caller
// sees, in tenant when that is set); a missing or unknown one is a
// problem in e.
func (cs *Consents) consentUser(ctx context.Context, e *Invalid, scope Scope, field, id, tenant string) (storage.User, error) {
	name := field[strings.IndexByte(field, '.')+1:]
	if id == "" {
		e.Field("blank", field, "You must specify the ["+name+"] property.")
		return storage.User{}, nil
	}
	var u storage.User
	err := ErrNotFound
	if ValidID(id) {
		u, err = scopedGet(ctx, cs.Store.GetUser, strings.ToLower(id), scope, userTenant)
	}
	switch {
	case errors.Is(err, ErrNotFound) || (err == nil && tenant != "" && u.TenantID != tenant):
		e.Field("invalid", field, "No user exists with Id ["+truncate(id, 64)+"].")
		return storage.User{}, nil
	case err != nil:
		return storage.User{}, err
	}
	return u, nil
}

// checkGrantedValues: each value one the consent offers, named once, and
// one at most unless the consent allows several.
func checkGrantedValues(e *Invalid, c storage.Consent, values []string) {
	seen := map[string]bool{}
	for _, v := range values {
		if !slices.Contains(c.Values, v) || seen[v] {
			e.Field("invalid", "userConsent.values", "The value ["+truncate(v, 64)+"] is not one the consent offers, or is named twice.")
			return
		}
		seen[v] = true
	}
	if len(values) > 1 && !c.MultipleValuesAllowed {
		e.Field("invalid", "userConsent.values", "The consent allows one value at most.")
	}
}

// checkSelfConsentAge refuses a user who consents for themselves below the
// consent's age of self-consent: the age for the first of the user's
// preferred languages the consent names (its full tag, then its language),
// else defaultMinimumAgeForSelfConsent. A user without a birthDate is not
// checked (FusionAuth cannot tell their age either).
func checkSelfConsentAge(e *Invalid, c storage.Consent, u storage.User, now time.Time) {
	born, err := time.Parse(time.DateOnly, u.BirthDate)
	if err != nil || c.DefaultMinimumAgeForSelfConsent == nil {
		return
	}
	minAge := *c.DefaultMinimumAgeForSelfConsent
find:
	for _, l := range u.PreferredLanguages {
		lang, _, _ := strings.Cut(strings.ReplaceAll(l, "_", "-"), "-")
		for _, k := range []string{l, lang} {
			if a, ok := c.CountryMinimumAgeForSelfConsent[k]; ok {
				minAge = a
				break find
			}
		}
	}
	if !born.AddDate(minAge, 0, 0).After(now) {
		return
	}
	e.Field("invalid", "userConsent.giverUserId", "The user is younger than the consent's age of self-consent ["+strconv.Itoa(minAge)+"]; another user must give it.")
}

// GetUserConsent returns a user consent of a user the caller sees, with
// its consent.
func (cs *Consents) GetUserConsent(ctx context.Context, scope Scope, id string) (UserConsent, error) {
	uc, err := cs.userConsent(ctx, scope, id)
	if err != nil {
		return UserConsent{}, err
	}
	return cs.withConsent(ctx, uc)
}

func (cs *Consents) userConsent(ctx context.Context, scope Scope, id string) (storage.UserConsent, error) {
	uc, err := scopedGet(ctx, cs.Store.GetUserConsent, strings.ToLower(id), scope, func(uc storage.UserConsent) string { return uc.TenantID })
	return uc, notFound(err)
}

func (cs *Consents) withConsent(ctx context.Context, uc storage.UserConsent) (UserConsent, error) {
	c, err := cs.Store.GetConsent(ctx, uc.ConsentID)
	if err != nil {
		return UserConsent{}, notFound(err)
	}
	return userConsentView(uc, &c), nil
}

// ListUserConsents returns the consents of a user the caller sees (GET
// /api/user/consent?userId=), oldest first; ErrNotFound for an unknown
// user.
func (cs *Consents) ListUserConsents(ctx context.Context, scope Scope, userID string) ([]UserConsent, error) {
	if !ValidID(userID) {
		return nil, ErrNotFound
	}
	u, err := scopedGet(ctx, cs.Store.GetUser, strings.ToLower(userID), scope, userTenant)
	if err != nil {
		return nil, err
	}
	list, err := cs.Store.ListUserConsents(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	consents := map[string]*storage.Consent{}
	out := make([]UserConsent, 0, len(list))
	for _, uc := range list {
		c, ok := consents[uc.ConsentID]
		if !ok {
			got, err := cs.Store.GetConsent(ctx, uc.ConsentID)
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return nil, err
			}
			if err == nil {
				c = &got
			}
			consents[uc.ConsentID] = c
		}
		if c != nil { // else deleted meanwhile, and the user consent with it
			out = append(out, userConsentView(uc, c))
		}
	}
	return out, nil
}

// UpdateUserConsent changes the status and values of a user consent the
// caller sees (PUT and PATCH /api/user/consent/{id}) to change's result:
// Revoked revokes it, Active makes it active again; its user, giver and
// consent never change. A read-modify-write (recordLocks.rewrite).
func (cs *Consents) UpdateUserConsent(ctx context.Context, scope Scope, id string, change func(UserConsent) (UserConsent, error)) (UserConsent, error) {
	var out UserConsent
	err := cs.userUpdates.rewrite(id, func() error {
		cur, err := cs.userConsent(ctx, scope, id)
		if err != nil {
			return err
		}
		view, err := cs.withConsent(ctx, cur)
		if err != nil {
			return err
		}
		in, err := change(view)
		if err != nil {
			return err
		}
		e := &Invalid{}
		if in.Status == "" {
			e.Field("blank", "userConsent.status", "You must specify the [status] property.")
		} else {
			checkConsentStatus(e, in.Status)
		}
		checkGrantedValues(e, *view.Consent, in.Values)
		if err := e.Err(); err != nil {
			return err
		}
		next := cur
		next.Status, next.Values, next.Data, next.LastUpdateInstant = in.Status, in.Values, in.Data, cs.Now().UnixMilli()
		message := "Updated the user consent with Id [" + cur.ID + "]"
		if next.Status == ConsentRevoked && cur.Status != ConsentRevoked {
			message = "Revoked the user consent with Id [" + cur.ID + "]"
		}
		if err := cs.Store.UpdateUserConsent(ctx, next, audit(ctx, cs.Now(), cur.TenantID, message,
			userConsentView(cur, nil), userConsentView(next, nil))); err != nil {
			return notFound(err)
		}
		out = userConsentView(next, view.Consent)
		return nil
	})
	return out, err
}

// RevokeUserConsent sets a user consent's status to Revoked, keeping it
// (DELETE /api/user/consent/{id}, revoke-a-user-consent.mdx).
func (cs *Consents) RevokeUserConsent(ctx context.Context, scope Scope, id string) error {
	_, err := cs.UpdateUserConsent(ctx, scope, id, func(cur UserConsent) (UserConsent, error) {
		cur.Status = ConsentRevoked
		return cur, nil
	})
	return err
}
