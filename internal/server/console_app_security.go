package server

import (
	"errors"
	"net/http"
	"slices"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The application page's security settings (console_apps.go has the
// rest): the signing keys, the multi-factor policy and the client secret.

// checkKeyChoices refuses a signing key that is not published now (the
// form offers only those; a key retired since the page was loaded, or a
// forged value, is shown next to its field). alg is the chosen access
// token key's algorithm ("" when none is chosen), saved as the
// application's signingAlgorithm so that its tokens keep that algorithm
// once the key retires (keys.Manager.SignAs).
func (s *Server) checkKeyChoices(r *http.Request, f appForm) (fields map[string]string, alg string, err error) {
	fields = map[string]string{}
	if f.AccessKey == "" && f.IDKey == "" {
		return fields, "", nil
	}
	keys, err := s.Manage.Keys.List(r.Context())
	if err != nil {
		return nil, "", err
	}
	algOf := func(kid string) (string, bool) {
		i := slices.IndexFunc(keys, func(k manage.KeyView) bool { return k.Kid == kid })
		if i < 0 {
			return "", kid == ""
		}
		return keys[i].Algorithm, true
	}
	alg, ok := algOf(f.AccessKey)
	if !ok {
		fields["accessKey"] = "Choose one of the published signing keys."
	}
	if _, ok := algOf(f.IDKey); !ok {
		fields["idKey"] = "Choose one of the published signing keys."
	}
	return fields, alg, nil
}

// multiFactor is the form's multiFactorConfiguration over cur: unset when
// the form asks for the defaults (the tenant's login policy, trust from
// any application) and none was stored, so an unchanged form changes
// nothing; the policies as chosen otherwise (manage validates them).
func (f appForm) multiFactor(cur *storage.ApplicationMultiFactorConfiguration) *storage.ApplicationMultiFactorConfiguration {
	if cur == nil && f.MFALogin == "" && (f.MFATrust == "" || f.MFATrust == "Any") {
		return nil
	}
	m := storage.ApplicationMultiFactorConfiguration{}
	if cur != nil {
		m = *cur
	}
	m.LoginPolicy = f.MFALogin
	m.TrustPolicy = orUnset(m.TrustPolicy, f.MFATrust, "Any")
	return &m
}

// consoleApplicationSecret handles POST /admin/applications/{id}/secret:
// a new client secret (confirmed), shown on the answer page once; the old
// one is refused from the next token request on. The audit entry names the
// change with the values redacted.
func (s *Server) consoleApplicationSecret(w http.ResponseWriter, r *http.Request) {
	cur, ok := s.consoleApp(w, r)
	if !ok {
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		s.renderApp(w, r, http.StatusBadRequest, newAppForm(cur), consolePage{Problem: "The client secret was not changed.",
			Fields: map[string]string{"secretConfirm": "Tick the box to confirm: clients using the old secret stop working."}})
		return
	}
	secret, err := s.Manage.Applications.RegenerateSecret(r.Context(), manage.Scope{}, cur.ID)
	var inv *manage.Invalid
	switch {
	case errors.As(err, &inv):
		// A stored setting the API would refuse now: fixed on this page first.
		s.renderApp(w, r, http.StatusBadRequest, newAppForm(cur), consolePage{Problem: "The client secret was not changed: " + problemText(inv)})
		return
	case errors.Is(err, manage.ErrNotFound):
		s.consoleNotFound(w, r, "application")
		return
	case err != nil:
		s.consoleError(w, r, err)
		return
	}
	if cur, ok = s.consoleApp(w, r); !ok {
		return
	}
	f := newAppForm(cur)
	f.NewSecret = secret
	s.renderApp(w, r, http.StatusOK, f, consolePage{Notice: "The client secret is replaced. Copy it now: it is not shown again."})
}
