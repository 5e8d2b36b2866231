package manage

import (
	"cmp"
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Bounds on a consent definition (docs/api.md): FusionAuth documents none;
// a consent is a handful of choices, not a document store.
const (
	MaxConsentNameLength = 255
	MaxConsentValues     = 100
	MaxConsentValueLen   = 255
	// MaxSelfConsentAge bounds an age of self-consent (a larger one would
	// overflow the birth date arithmetic and grant instead of refuse).
	MaxSelfConsentAge = 150
)

// ConsentsStore is what Consents uses.
type ConsentsStore interface {
	storage.ConsentStore
	userReader
	GetEmailTemplate(ctx context.Context, id string) (storage.EmailTemplate, error)
	GetTenant(ctx context.Context, id string) (storage.Tenant, error)
	EnqueueOutbox(ctx context.Context, msgs ...storage.OutboxMessage) error
}

// Consents is FusionAuth's Consent API (apis/consents): the definitions,
// global as in FusionAuth, and the consents granted to users, which a
// tenant-scoped key sees only for its tenant's users. A grant mails its
// giver the consent's notice and, with Email Plus, a reminder later
// (consent_mail.go).
type Consents struct {
	Store ConsentsStore
	Mail  *Mailer
	Now   func() time.Time

	updates     recordLocks // Update's, by consent id
	userUpdates recordLocks // UpdateUser's, by user consent id
}

// CreateConsent stores a new consent with id ("" generates one).
func (cs *Consents) CreateConsent(ctx context.Context, id string, c storage.Consent) (storage.Consent, error) {
	if id == "" {
		id = newID()
	}
	now := cs.Now().UnixMilli()
	c.ID, c.InsertInstant, c.LastUpdateInstant, c.Revision = strings.ToLower(id), now, now, 0
	e, err := cs.validate(ctx, &c)
	if err != nil {
		return c, err
	}
	if _, err := cs.Store.GetConsent(ctx, c.ID); err == nil {
		e.Field("duplicate", "consent.id", "A consent with Id ["+c.ID+"] already exists.")
	} else if !errors.Is(err, storage.ErrNotFound) {
		return c, err
	}
	if err := e.Err(); err != nil {
		return c, err
	}
	err = cs.Store.CreateConsent(ctx, c, audit(ctx, cs.Now(), "", "Created the consent with Id ["+c.ID+"]", nil, c))
	if errors.Is(err, storage.ErrConflict) { // a name (or id) taken meanwhile
		return c, invalid("duplicate", "consent.name", "A consent named ["+truncate(c.Name, 64)+"] already exists.")
	}
	return c, err
}

// validate checks c as FusionAuth does and fills its defaults; e holds the
// problems, err a failed read.
func (cs *Consents) validate(ctx context.Context, c *storage.Consent) (*Invalid, error) {
	e := &Invalid{}
	switch n := utf8.RuneCountInString(c.Name); {
	case strings.TrimSpace(c.Name) == "":
		e.Field("blank", "consent.name", "You must specify the [name] property.")
	case n > MaxConsentNameLength:
		e.Field("tooLong", "consent.name", "The [name] is longer than "+strconv.Itoa(MaxConsentNameLength)+" characters.")
	case strings.IndexFunc(c.Name, isControl) >= 0:
		e.Field("invalid", "consent.name", "The [name] must not contain control characters.")
	default:
		if err := cs.checkNameFree(ctx, e, c.ID, c.Name); err != nil {
			return e, err
		}
	}
	if c.DefaultMinimumAgeForSelfConsent == nil {
		e.Field("blank", "consent.defaultMinimumAgeForSelfConsent", "You must specify the [defaultMinimumAgeForSelfConsent] property.")
	} else if a := *c.DefaultMinimumAgeForSelfConsent; a < 0 || a > MaxSelfConsentAge {
		e.Field("invalid", "consent.defaultMinimumAgeForSelfConsent", "The [defaultMinimumAgeForSelfConsent] must be from 0 to "+strconv.Itoa(MaxSelfConsentAge)+".")
	}
	for locale, age := range c.CountryMinimumAgeForSelfConsent {
		if age < 0 || age > MaxSelfConsentAge || locale == "" || len(locale) > 16 {
			e.Field("invalid", "consent.countryMinimumAgeForSelfConsent", "Each entry must name a locale and an age from 0 to "+strconv.Itoa(MaxSelfConsentAge)+".")
			break
		}
	}
	if len(c.CountryMinimumAgeForSelfConsent) > MaxConsentValues {
		e.Field("tooMany", "consent.countryMinimumAgeForSelfConsent", "At most "+strconv.Itoa(MaxConsentValues)+" entries.")
	}
	checkConsentValues(e, c)
	if err := cs.checkTemplate(ctx, e, "consent.consentEmailTemplateId", c.ConsentEmailTemplateID, false); err != nil {
		return e, err
	}
	if p := c.EmailPlus; p != nil {
		p.MaximumTimeToSendEmailInHours = cmp.Or(p.MaximumTimeToSendEmailInHours, 48)
		p.MinimumTimeToSendEmailInHours = cmp.Or(p.MinimumTimeToSendEmailInHours, 24)
		if err := cs.checkTemplate(ctx, e, "consent.emailPlus.emailTemplateId", p.EmailTemplateID, p.Enabled); err != nil {
			return e, err
		}
		if p.MaximumTimeToSendEmailInHours > MaxEmailPlusHours {
			e.Field("invalid", "consent.emailPlus.maximumTimeToSendEmailInHours", "The [maximumTimeToSendEmailInHours] must be at most "+strconv.Itoa(MaxEmailPlusHours)+".")
		}
		if p.MinimumTimeToSendEmailInHours < 0 || p.MinimumTimeToSendEmailInHours > p.MaximumTimeToSendEmailInHours {
			e.Field("invalid", "consent.emailPlus.minimumTimeToSendEmailInHours", "The [minimumTimeToSendEmailInHours] must be between 0 and [maximumTimeToSendEmailInHours].")
		}
	}
	return e, nil
}

// checkConsentValues: values are required when several may be given, each
// named once, none blank, and bounded.
func checkConsentValues(e *Invalid, c *storage.Consent) {
	if c.MultipleValuesAllowed && len(c.Values) == 0 {
		e.Field("blank", "consent.values", "You must specify at least one value when [multipleValuesAllowed] is true.")
	}
	if len(c.Values) > MaxConsentValues {
		e.Field("tooMany", "consent.values", "At most "+strconv.Itoa(MaxConsentValues)+" values.")
		return
	}
	seen := map[string]bool{}
	for _, v := range c.Values {
		switch {
		case strings.TrimSpace(v) == "":
			e.Field("blank", "consent.values", "A value must not be blank.")
			return
		case utf8.RuneCountInString(v) > MaxConsentValueLen:
			e.Field("tooLong", "consent.values", "A value is longer than "+strconv.Itoa(MaxConsentValueLen)+" characters.")
			return
		case seen[v]:
			e.Field("duplicate", "consent.values", "The value ["+truncate(v, 64)+"] is named more than once.")
			return
		}
		seen[v] = true
	}
}

// checkNameFree adds [duplicate]consent.name when a consent other than id
// has name (without case).
func (cs *Consents) checkNameFree(ctx context.Context, e *Invalid, id, name string) error {
	all, err := cs.Store.ListConsents(ctx)
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.ID != id && strings.EqualFold(o.Name, name) {
			e.Field("duplicate", "consent.name", "A consent named ["+truncate(name, 64)+"] already exists.")
		}
	}
	return nil
}

// checkTemplate adds [invalid]field for an email template id that names
// none, [blank]field for a required one left out.
func (cs *Consents) checkTemplate(ctx context.Context, e *Invalid, field, id string, required bool) error {
	name := field[strings.LastIndexByte(field, '.')+1:]
	if id == "" {
		if required {
			e.Field("blank", field, "You must specify the ["+name+"] property.")
		}
		return nil
	}
	if !ValidID(id) {
		e.Field("invalid", field, "No email template exists with Id ["+truncate(id, 64)+"].")
		return nil
	}
	_, err := cs.Store.GetEmailTemplate(ctx, strings.ToLower(id))
	if errors.Is(err, storage.ErrNotFound) {
		e.Field("invalid", field, "No email template exists with Id ["+truncate(id, 64)+"].")
		return nil
	}
	return err
}

// GetConsent returns one consent.
func (cs *Consents) GetConsent(ctx context.Context, id string) (storage.Consent, error) {
	c, err := cs.Store.GetConsent(ctx, strings.ToLower(id))
	return c, notFound(err)
}

// ListConsents returns every consent by name.
func (cs *Consents) ListConsents(ctx context.Context) ([]storage.Consent, error) {
	return cs.Store.ListConsents(ctx)
}

// UpdateConsent replaces consent id with change's result (a PUT, or a
// PATCH applied to the current one), validated as a new one; the id and
// insertInstant stay. A read-modify-write (recordLocks.rewrite).
func (cs *Consents) UpdateConsent(ctx context.Context, id string, change func(storage.Consent) (storage.Consent, error)) (storage.Consent, error) {
	var c storage.Consent
	err := cs.updates.rewrite(id, func() error {
		cur, err := cs.GetConsent(ctx, id)
		if err != nil {
			return err
		}
		if c, err = change(cur); err != nil {
			return err
		}
		c.ID, c.InsertInstant, c.LastUpdateInstant, c.Revision = cur.ID, cur.InsertInstant, cs.Now().UnixMilli(), cur.Revision
		e, err := cs.validate(ctx, &c)
		if err != nil {
			return err
		}
		if err := e.Err(); err != nil {
			return err
		}
		err = cs.Store.UpdateConsent(ctx, c, audit(ctx, cs.Now(), "", "Updated the consent with Id ["+c.ID+"]", cur, c))
		if errors.Is(err, storage.ErrConflict) {
			return invalid("duplicate", "consent.name", "A consent named ["+truncate(c.Name, 64)+"] already exists.")
		}
		return notFound(err)
	})
	return c, err
}

// DeleteConsent removes a consent and every consent granted of it, in
// every tenant (delete-a-consent.mdx).
func (cs *Consents) DeleteConsent(ctx context.Context, id string) error {
	c, err := cs.GetConsent(ctx, id)
	if err != nil {
		return err
	}
	return notFound(cs.Store.DeleteConsent(ctx, c.ID, audit(ctx, cs.Now(), "", "Deleted the consent with Id ["+c.ID+"]", c, nil)))
}

// ConsentSearch is FusionAuth's ConsentSearchCriteria.
type ConsentSearch struct {
	Name                      string
	OrderBy                   string // id, insertInstant or name (default), then ASC or DESC
	StartRow, NumberOfResults int
}

// SearchConsents returns one page of the consents that match q (name a
// case-insensitive pattern, MatchPattern) and how many match.
func (cs *Consents) SearchConsents(ctx context.Context, q ConsentSearch) ([]storage.Consent, int, error) {
	e := &Invalid{}
	checkPaging(e, searchPaging(q.StartRow, q.NumberOfResults)...)
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	all, err := cs.Store.ListConsents(ctx)
	if err != nil {
		return nil, 0, err
	}
	out := []storage.Consent{}
	for _, c := range all {
		if q.Name == "" || MatchPattern(q.Name, c.Name) {
			out = append(out, c)
		}
	}
	sortByOrder(e, out, q.OrderBy, []orderKey[storage.Consent]{
		{"id", func(a, b storage.Consent) int { return strings.Compare(a.ID, b.ID) }},
		{"insertInstant", func(a, b storage.Consent) int { return cmp.Compare(a.InsertInstant, b.InsertInstant) }},
		{"name", func(a, b storage.Consent) int { return byName(a.Name, b.Name) }},
	}, func(c storage.Consent) string { return c.ID })
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	page, err := PageOf(out, q.StartRow, q.NumberOfResults)
	return page, len(out), err
}
