package server

import (
	"net/http"
	"slices"
	"sort"

	json "github.com/go-json-experiment/json"

	"github.com/latchkeyhq/latchkey/internal/jsonnum"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The fields a keyless sign-up may set (accounts spec §8.3): a person's
// own profile, never an id, roles, a verified flag, two-factor methods, an
// encryption scheme or a flag meant for an API key.
var (
	signUpFields             = []string{"registration", "user"}
	signUpUserFields         = []string{"birthDate", "data", "email", "firstName", "fullName", "lastName", "middleName", "mobilePhone", "parentEmail", "password", "preferredLanguages", "timezone", "username"}
	signUpRegistrationFields = []string{"applicationId", "data", "preferredLanguages", "timezone", "username"}
)

// signUpRequest is the allow-listed shape of a keyless sign-up.
type signUpRequest struct {
	User struct {
		storage.User
		Password string `json:"password"`
	} `json:"user"`
	Registration storage.Registration `json:"registration"`
}

// signUp handles POST /api/user/registration without an API key:
// self-service sign-up for an application with
// registrationConfiguration.enabled, else 401 as FusionAuth answers a call
// without a key (manage.Registrations.SignUp). Fields outside the allow-list
// are refused with [notAllowed]<path>, never silently dropped. The answer
// is {"user", "registration"} without a token; the SPA then logs in.
func (s *Server) signUp(w http.ResponseWriter, r *http.Request) {
	var raw map[string]any
	if !s.decodeJSON(w, r, &raw, false) {
		return
	}
	var req signUpRequest
	b, err := json.Marshal(raw, jsonnum.Options)
	if err == nil {
		err = json.Unmarshal(b, &req, jsonnum.Options)
	}
	if err != nil {
		giveBackToken(r)
		writeDecodeError(w, badBody{err})
		return
	}
	u := req.User.User
	in := manage.SignUp{Password: req.User.Password, Registration: req.Registration, NotAllowed: notAllowed(raw),
		User: storage.User{Email: u.Email, Username: u.Username, FirstName: u.FirstName, LastName: u.LastName, FullName: u.FullName,
			MiddleName: u.MiddleName, BirthDate: u.BirthDate, MobilePhone: u.MobilePhone, ParentEmail: u.ParentEmail, Timezone: u.Timezone,
			PreferredLanguages: u.PreferredLanguages, Data: u.Data}}
	c, err := s.Manage.Registrations.SignUp(r.Context(), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, createdResponse{User: c.User, Registration: &c.Registration})
}

// notAllowed lists the request's fields outside the allow-lists, as
// FusionAuth field paths, sorted.
func notAllowed(raw map[string]any) []string {
	var out []string
	check := func(prefix string, m map[string]any, allowed []string) {
		for k := range m {
			if !slices.Contains(allowed, k) {
				out = append(out, prefix+k)
			}
		}
	}
	check("", raw, signUpFields)
	for name, allowed := range map[string][]string{"user": signUpUserFields, "registration": signUpRegistrationFields} {
		if m, ok := raw[name].(map[string]any); ok {
			check(name+".", m, allowed)
		}
	}
	sort.Strings(out)
	return out
}
