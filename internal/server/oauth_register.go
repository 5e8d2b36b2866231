package server

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/hosted"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The hosted registration page (FusionAuth's self-service registration,
// basic form): GET /oauth2/register shows the form for an authorization
// request, POST /oauth2/register creates the account through the keyless
// sign-up's use case (manage.Registrations.SignUp: allow-listed fields,
// default roles, password policy, required fields, child rules,
// verification mail), signs the new user in as the login form does and
// completes the authorization.

// registerInput is one field of the basic registration form: the form
// field (the name the use case's problems give it), its label, input type
// and autocomplete token, and whether the application enabled and
// required it.
type registerInput struct {
	name, label, typ, autocomplete string
	req                            storage.Requirable
}

// registerInputs are the form's fields for c, in FusionAuth's order: the
// login id of loginIdType, the password (twice when confirmPassword is
// set), then the enabled profile fields.
func registerInputs(c storage.RegistrationConfiguration) []registerInput {
	on := storage.Requirable{Enabled: true, Required: true}
	in := []registerInput{{"user.email", "register.email", "email", "email", on}}
	if c.LoginIDType == "username" {
		in = []registerInput{{"user.username", "register.username", "text", "username", on}}
	}
	in = append(in, registerInput{"user.password", "register.password", "password", "new-password", on})
	if c.ConfirmPassword {
		in = append(in, registerInput{"passwordConfirm", "register.passwordConfirm", "password", "new-password", on})
	}
	for _, f := range []registerInput{
		{"user.birthDate", "register.birthDate", "date", "bday", c.BirthDate},
		{"user.firstName", "register.firstName", "text", "given-name", c.FirstName},
		{"user.fullName", "register.fullName", "text", "name", c.FullName},
		{"user.middleName", "register.middleName", "text", "additional-name", c.MiddleName},
		{"user.lastName", "register.lastName", "text", "family-name", c.LastName},
		{"user.mobilePhone", "register.mobilePhone", "tel", "tel", c.MobilePhone},
		{"user.preferredLanguages", "register.preferredLanguages", "text", "off", c.PreferredLanguages},
	} {
		if f.req.Enabled {
			in = append(in, f)
		}
	}
	return in
}

// registerFields are every field the form may post besides the
// authorization parameters: each at most once.
var registerFields = []string{"user.email", "user.username", "user.password", "passwordConfirm", "user.birthDate",
	"user.firstName", "user.fullName", "user.middleName", "user.lastName", "user.mobilePhone", "user.preferredLanguages",
	"user.parentEmail"}

// hostedRegister handles GET and POST /oauth2/register. The authorization
// request is checked exactly as /oauth2/authorize checks it (the same
// error page or redirect). An application that does not take sign-ups
// (registrationConfiguration.enabled false) gets its login page (our
// reading of FusionAuth's, whose docs do not say): a GET is redirected
// to /oauth2/authorize with the same parameters, a POST shows the login
// page with 403 and creates nothing. The route's guard already checked a
// POST's origin and CSRF token, its rate (the keyless sign-up's, shared)
// and took a hashing-gate slot.
func (s *Server) hostedRegister(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		params = r.PostForm
	}
	a, ok := s.checkedAuthorization(w, r, params, registerFields...)
	if !ok {
		return
	}
	if a.PromptNone {
		// OIDC Core §3.1.2.6: a form is an interaction.
		s.redirectError(w, r, a, params, "login_required", "interaction_required", "The user must sign up.")
		return
	}
	switch {
	case !a.App.RegistrationConfiguration.Enabled && r.Method == http.MethodGet:
		redirect(w, "/oauth2/authorize?"+authorizeQuery(params).Encode())
	case !a.App.RegistrationConfiguration.Enabled:
		s.loginPage(w, r, a, params, http.StatusForbidden, "", "register.error.disabled")
	case r.Method == http.MethodGet:
		s.registerPage(w, r, a, params, http.StatusOK, nil)
	default:
		s.submitRegistration(w, r, a, params)
	}
}

// submitRegistration creates the account from the form and signs the new
// user in. The sign-up is the keyless API's use case, so its rules live
// once; the sign-in is the passwordless end of a login
// (auth.LoginAuthenticated, authenticationType REGISTRATION: the password
// was just set, hashing it again would prove nothing) followed by the
// login form's own session and code, so a tenant gating unverified
// addresses or an application verifying registrations shows the page the
// login form would show, and gives no code.
func (s *Server) submitRegistration(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values) {
	in := manage.SignUp{Password: params.Get("user.password"), Registration: storage.Registration{ApplicationID: a.App.ID},
		User: signUpUser(params, a.App.RegistrationConfiguration)}
	if a.App.RegistrationConfiguration.ConfirmPassword {
		c := params.Get("passwordConfirm")
		in.PasswordConfirm = &c
	}
	c, err := s.Manage.Registrations.SignUp(r.Context(), in)
	var inv *manage.Invalid
	switch {
	case errors.As(err, &inv):
		s.registerPage(w, r, a, params, http.StatusBadRequest, inv.Problems)
		return
	case errors.Is(err, manage.ErrForbidden):
		// The application stopped taking sign-ups since the check above.
		s.loginPage(w, r, a, params, http.StatusForbidden, "", "register.error.disabled")
		return
	case err != nil:
		s.authorizeFailure(w, r, a, params, err)
		return
	}
	t, err := s.Auth.LoginAuthenticated(r.Context(), auth.AuthenticatedLogin{UserID: c.User.ID, ApplicationID: a.App.ID,
		IPAddress: s.clientIP(r), UserAgent: r.UserAgent(), NoJWT: true, OAuth: true, Method: auth.AuthRegistration,
		TwoFactorTrustID: s.trustID(r, "")})
	if err != nil {
		loginID := c.User.Email
		if loginID == "" {
			loginID = c.User.Username
		}
		s.hostedLoginFailure(w, r, a, params, loginID, err)
		return
	}
	s.startHostedSession(w, r, a, params, t, auth.AuthRegistration)
}

// signUpUser is the user the form describes: the login id of loginIdType
// and the profile fields the application enabled; anything else posted
// is ignored, as a field the form never showed. A child's parentEmail is
// taken when sent (the page asks for it once the use case says a child
// needs one).
func signUpUser(params url.Values, c storage.RegistrationConfiguration) storage.User {
	g := func(n string) string { return strings.TrimSpace(params.Get(n)) }
	var u storage.User
	if c.LoginIDType == "username" {
		u.Username = g("user.username")
	} else {
		u.Email = g("user.email")
	}
	u.ParentEmail = g("user.parentEmail")
	set := func(r storage.Requirable, dst *string, n string) {
		if r.Enabled {
			*dst = g(n)
		}
	}
	set(c.BirthDate, &u.BirthDate, "user.birthDate")
	set(c.FirstName, &u.FirstName, "user.firstName")
	set(c.FullName, &u.FullName, "user.fullName")
	set(c.MiddleName, &u.MiddleName, "user.middleName")
	set(c.LastName, &u.LastName, "user.lastName")
	set(c.MobilePhone, &u.MobilePhone, "user.mobilePhone")
	if c.PreferredLanguages.Enabled {
		u.PreferredLanguages = strings.FieldsFunc(g("user.preferredLanguages"), func(r rune) bool { return r == ',' || r == ' ' })
	}
	return u
}

// registerPage renders the registration form for a, refilled from params
// (never a password) with problems shown at their fields; problems that
// name no field on the form show above it.
func (s *Server) registerPage(w http.ResponseWriter, r *http.Request, a auth.Authorization, params url.Values, status int,
	problems []manage.Problem) {
	c := a.App.RegistrationConfiguration
	d := &hosted.Data{Lang: params.Get("locale"), AppName: a.App.Name, Action: "/oauth2/register",
		CSRF: s.csrfToken(w, r), LoginURL: "/oauth2/authorize?" + authorizeQuery(params).Encode()}
	// A sign-in through an identity provider waiting for a link (the
	// login page's pending_link): the account created here gets it
	// (startHostedSession), and the page says so.
	s.pendingLinkNotice(r, a, params, d)
	for _, n := range authorizeParams {
		if v := params.Get(n); v != "" {
			d.Hidden = append(d.Hidden, hosted.Field{Name: n, Value: v})
		}
	}
	inputs := registerInputs(c)
	if params.Get("user.parentEmail") != "" || hasProblem(problems, "user.parentEmail") {
		inputs = append(inputs, registerInput{"user.parentEmail", "register.parentEmail", "email", "off", storage.Requirable{Enabled: true}})
	}
	placed := make([]bool, len(problems))
	for _, f := range inputs {
		in := hosted.Input{Name: f.name, Label: f.label, Type: f.typ, Autocomplete: f.autocomplete, Required: f.req.Required}
		if f.typ != "password" {
			in.Value = params.Get(f.name)
		}
		for i, p := range problems {
			// Without an email on the form, a blank login id is the username's.
			if p.Field == f.name || (p.Field == "user.email" && f.name == "user.username" && p.Kind == "blank") {
				in.Errors, placed[i] = append(in.Errors, "["+p.Kind+"]"+f.name), true
			}
		}
		d.Inputs = append(d.Inputs, in)
	}
	for i, p := range problems {
		if !placed[i] {
			d.Errors = append(d.Errors, "["+p.Kind+"]"+p.Field)
		}
	}
	theme := s.pages().Theme(a.App.ID, a.App.TenantID)
	s.renderPage(w, r, status, "register", theme, pageCSP(cspSource(a.RedirectURI)), d)
}

func hasProblem(ps []manage.Problem, field string) bool {
	for _, p := range ps {
		if p.Field == field {
			return true
		}
	}
	return false
}

// authorizeQuery is the authorization request in params, to carry from
// the login page to the registration page and back.
func authorizeQuery(params url.Values) url.Values {
	q := url.Values{}
	for _, n := range authorizeParams {
		if v := params.Get(n); v != "" {
			q.Set(n, v)
		}
	}
	return q
}
