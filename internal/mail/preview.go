package mail

import (
	"errors"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// PreviewEmail is FusionAuth's preview response "email" object
// (POST /api/email/template/preview).
type PreviewEmail struct {
	From    Address `json:"from"`
	Subject string  `json:"subject"`
	HTML    string  `json:"html"`
	Text    string  `json:"text"`
}

// SampleData is what a preview renders against: a user and every variable
// the default templates and a consent's notice read, with made-up values.
func SampleData() map[string]any {
	return map[string]any{
		"user": map[string]any{
			"id": "00000000-0000-0000-0000-000000000001", "tenantId": "00000000-0000-0000-0000-000000000002",
			"email": "ada@example.com", "username": "ada", "firstName": "Ada", "lastName": "Lovelace",
			"fullName": "Ada Lovelace", "verified": false, "active": true, "data": map[string]any{},
		},
		"application":      map[string]any{"id": "00000000-0000-0000-0000-000000000003", "name": "Store", "oauthConfiguration": map[string]any{"clientId": "00000000-0000-0000-0000-000000000003"}},
		"tenant":           map[string]any{"id": "00000000-0000-0000-0000-000000000002", "name": "Default"},
		"baseUrl":          "https://login.example.com",
		"verificationId":   "YkQY5Gsyo4RlfmDciBGRmvfj3RmatUqrbjoIZ19fmw4",
		"changePasswordId": "aXqFZ2mXz8wGd8aqv4cH0sE3bB1JvQ7mHc5vRq2Z1Xs",
		"code":             "835924",
		"method":           map[string]any{"id": "2KSZ", "method": "email", "email": "ada@example.com"},
		"state":            map[string]any{},
		"parentEmail":      "parent@example.com", // the family request email (families)
		// A consent's notice and reminder (manage.Consents): the consent and
		// the grant, whose userId is the user it was given to.
		"consent": map[string]any{"id": "00000000-0000-0000-0000-000000000004", "name": "Patient Consent",
			"defaultMinimumAgeForSelfConsent": 13, "values": []any{"Written"}, "data": map[string]any{}},
		"userConsent": map[string]any{"id": "00000000-0000-0000-0000-000000000005", "consentId": "00000000-0000-0000-0000-000000000004",
			"userId": "00000000-0000-0000-0000-000000000006", "giverUserId": "00000000-0000-0000-0000-000000000001",
			"status": "Active", "values": []any{"Written"}, "data": map[string]any{}},
	}
}

// Preview renders t, which need not be saved nor complete, against
// SampleData in locale: each field that fails to parse or render is an
// [invalidTemplate] field error and stays empty, the others are filled, as
// FusionAuth's preview answers.
func Preview(t storage.EmailTemplate, locale string, cfg EmailConfiguration) (PreviewEmail, []FieldError) {
	c, errs := parseFields(t)
	var langs []string
	if locale != "" {
		langs = []string{locale}
	}
	var p PreviewEmail
	out := []*string{&p.From.Display, &p.Subject, &p.HTML, &p.Text}
	for i, f := range templateFields(t) {
		s, _, err := c.renderField(f.name, SampleData(), langs)
		var fe *FieldRenderError
		if errors.As(err, &fe) {
			errs = append(errs, FieldError{Field: fe.Field, Code: "[invalidTemplate]" + fe.Field, Message: fe.Err.Error()})
		}
		*out[i] = s
	}
	p.From.Display, p.Subject = oneLine(p.From.Display), oneLine(p.Subject)
	p.From.Address = t.FromEmail
	if p.From.Address == "" {
		p.From.Address = cfg.DefaultFromEmail
	}
	if p.From.Display == "" {
		p.From.Display = cfg.DefaultFromName
	}
	return p, errs
}
