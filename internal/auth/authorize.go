package auth

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// AuthorizeRequest holds the parameters of /oauth2/authorize (RFC 6749
// §4.1.1, RFC 7636 §4.3, OIDC Core §3.1.2.1) as sent.
type AuthorizeRequest struct {
	ClientID, RedirectURI, ResponseType, ResponseMode, Scope string
	State, Nonce                                             string
	CodeChallenge, CodeChallengeMethod                       string
	Prompt, MaxAge, LoginHint, TenantID                      string
}

// AuthorizeError is a refused authorization request: FusionAuth's error,
// error_reason and error_description. Redirect is false for the errors found
// before the redirect_uri is known to be registered (a missing or unknown
// client, a redirect_uri that is not registered): those are shown on an
// error page and never sent to the URI (RFC 6749 §4.1.2.1).
type AuthorizeError struct {
	Code, Reason, Description string
	Redirect                  bool
}

func (e *AuthorizeError) Error() string { return "auth: authorize: " + e.Code + "/" + e.Reason }

// Authorization is a validated authorization request.
type Authorization struct {
	App         storage.Application
	Tenant      storage.Tenant
	RedirectURI string
	State       string
	Nonce       string
	Scopes      []string
	Challenge   string
	Method      string // S256 or plain, "" without PKCE
	PromptNone  bool
	PromptLogin bool
	// MaxAge is max_age in seconds, -1 when absent (OIDC Core §3.1.2.1).
	MaxAge    int
	LoginHint string
	// Issuer is the iss of the response (RFC 9207) and of the tokens.
	Issuer string
}

// PKCE and scope values (RFC 7636 §4.2, FusionAuth scopes.mdx).
const (
	methodS256  = "S256"
	methodPlain = "plain"
	// ProvidedScopes are the scopes FusionAuth reserves; others are unknown
	// (unknownScopePolicy Reject, FusionAuth's default).
	providedScopes = "openid offline_access profile email phone address"
)

// CheckAuthorize validates req in FusionAuth's order (DefaultOAuthService
// .validateAuthorizeRequest): redirect_uri present, the client, the
// redirect_uri registered — refused on a page — then, redirected to the
// client: response_type, response_mode, grant enabled, PKCE, prompt,
// max_age, scope. A public client (any clientAuthenticationPolicy other
// than Required) must use PKCE (OAuth 2.1 §4.1.1, RFC 9700 §2.1.1).
func (s *Service) CheckAuthorize(ctx context.Context, req AuthorizeRequest) (Authorization, error) {
	page := func(code, reason, desc string) (Authorization, error) {
		return Authorization{}, &AuthorizeError{Code: code, Reason: reason, Description: desc}
	}
	if req.RedirectURI == "" {
		return page("invalid_request", "missing_redirect_uri", "The redirect_uri parameter is required.")
	}
	if req.ClientID == "" {
		return page("invalid_request", "missing_client_id", "The client_id parameter is required.")
	}
	app, tenant, err := s.authorizeClient(ctx, req)
	if errors.Is(err, storage.ErrNotFound) {
		return page("invalid_client", "invalid_client_id", "client_id: "+clip(req.ClientID)+" is not valid.")
	}
	if err != nil {
		return Authorization{}, err
	}
	o := app.OAuthConfiguration
	if !RedirectAllowed(o.AuthorizedRedirectURLs, o.AuthorizedURLValidationPolicy, req.RedirectURI) {
		return page("invalid_request", "invalid_redirect_uri", "Invalid redirect_uri "+clip(req.RedirectURI))
	}
	a := Authorization{App: app, Tenant: tenant, RedirectURI: req.RedirectURI, State: req.State, Nonce: req.Nonce,
		LoginHint: req.LoginHint, MaxAge: -1, Issuer: s.issuer(tenant)}
	if e := a.check(req); e != nil {
		e.Redirect = true
		return a, e
	}
	return a, nil
}

// authorizeClient loads the active application named by client_id (its id)
// and its tenant; a tenantId that is not the application's counts as an
// unknown client.
func (s *Service) authorizeClient(ctx context.Context, req AuthorizeRequest) (storage.Application, storage.Tenant, error) {
	if uuid.Validate(req.ClientID) != nil {
		return storage.Application{}, storage.Tenant{}, storage.ErrNotFound
	}
	app, err := s.application(ctx, req.ClientID)
	if err != nil {
		return app, storage.Tenant{}, wrapLoad("application", err)
	}
	if !appActive(app) || (req.TenantID != "" && req.TenantID != app.TenantID) {
		return app, storage.Tenant{}, storage.ErrNotFound
	}
	tenant, err := s.tenant(ctx, app.TenantID)
	if err != nil {
		return app, tenant, wrapLoad("tenant", err)
	}
	return app, tenant, nil
}

// check applies the rules whose failures go back to the client.
func (a *Authorization) check(req AuthorizeRequest) *AuthorizeError {
	bad := func(code, reason, desc string) *AuthorizeError {
		return &AuthorizeError{Code: code, Reason: reason, Description: desc}
	}
	switch {
	case req.ResponseType == "":
		return bad("invalid_request", "missing_response_type", "Parameter response_type must be set to code.")
	case req.ResponseType != "code":
		return bad("unsupported_response_type", "invalid_response_type", "Parameter response_type must be set to code.")
	case req.ResponseMode != "" && req.ResponseMode != "query":
		return bad("invalid_request", "invalid_response_mode", "Parameter response_mode must be query.")
	case !slices.Contains(a.App.OAuthConfiguration.EnabledGrants, "authorization_code"):
		return bad("unauthorized_client", "grant_type_disabled", "The [authorization_code] Authorization Code grant has been disabled for this client.")
	}
	if e := a.checkPKCE(req); e != nil {
		return e
	}
	if e := a.checkPrompt(req); e != nil {
		return e
	}
	var unknown []string
	if a.Scopes, unknown = SplitScopes(req.Scope); len(unknown) > 0 {
		return bad("invalid_scope", "unknown_scope", UnknownScopesMessage(unknown))
	}
	return nil
}

// SplitScopes reads a scope parameter (RFC 6749 §3.3): the scopes latchkey
// provides, each once, in the order asked, and the unknown ones (clipped
// for an error message). The authorization request and the password grant
// refuse any unknown scope (FusionAuth's unknownScopePolicy Reject).
func SplitScopes(scope string) (known, unknown []string) {
	for _, sc := range strings.Fields(scope) {
		if !slices.Contains(strings.Fields(providedScopes), sc) {
			unknown = append(unknown, clip(sc))
		} else if !slices.Contains(known, sc) {
			known = append(known, sc)
		}
	}
	return known, unknown
}

// UnknownScopesMessage is the error_description of an invalid_scope for
// unknown scopes.
func UnknownScopesMessage(unknown []string) string {
	return "Invalid scope. The scopes [" + strings.Join(unknown, " ") + "] are unknown."
}

// checkPKCE: a challenge is required for public clients and by
// proofKeyForCodeExchangePolicy Required; its method must be S256, or plain
// when the application allows it. A challenge without a method is plain
// (RFC 7636 §4.3), which FusionAuth reads as S256 instead.
func (a *Authorization) checkPKCE(req AuthorizeRequest) *AuthorizeError {
	o := a.App.OAuthConfiguration
	public := o.ClientAuthenticationPolicy != "Required"
	if req.CodeChallenge == "" {
		if public || o.ProofKeyForCodeExchangePolicy == "Required" {
			return &AuthorizeError{Code: "invalid_request", Reason: "missing_code_challenge",
				Description: "The code_challenge parameter is required (PKCE with S256)."}
		}
		if req.CodeChallengeMethod != "" {
			return &AuthorizeError{Code: "invalid_request", Reason: "invalid_pkce_code_challenge",
				Description: "A code_challenge_method needs a code_challenge."}
		}
		return nil
	}
	method := req.CodeChallengeMethod
	if method == "" {
		method = methodPlain
	}
	if method != methodS256 && (method != methodPlain || !o.AllowPlainCodeChallengeMethod) {
		return &AuthorizeError{Code: "invalid_request", Reason: "invalid_pkce_code_challenge_method",
			Description: "The code_challenge_method must be S256."}
	}
	if !validPKCEValue(req.CodeChallenge) {
		return &AuthorizeError{Code: "invalid_request", Reason: "invalid_pkce_code_challenge",
			Description: "The code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~]."}
	}
	a.Challenge, a.Method = req.CodeChallenge, method
	return nil
}

// checkPrompt reads prompt (none, login, consent; select_account ignored)
// and max_age (OIDC Core §3.1.2.1).
func (a *Authorization) checkPrompt(req AuthorizeRequest) *AuthorizeError {
	prompts := strings.Fields(req.Prompt)
	for _, p := range prompts {
		switch p {
		case "none":
			a.PromptNone = true
		case "login":
			a.PromptLogin = true
		case "consent", "select_account":
		default:
			return &AuthorizeError{Code: "invalid_request", Reason: "invalid_prompt", Description: "Unknown prompt value."}
		}
	}
	if a.PromptNone && len(prompts) > 1 {
		return &AuthorizeError{Code: "invalid_request", Reason: "invalid_prompt",
			Description: "The prompt value none cannot be combined with other values."}
	}
	if req.MaxAge != "" {
		n, err := strconv.Atoi(req.MaxAge)
		if err != nil || n < 0 {
			return &AuthorizeError{Code: "invalid_request", Reason: "invalid_request", Description: "max_age must be a number of seconds."}
		}
		a.MaxAge = n
	}
	return nil
}

// validPKCEValue: RFC 7636 §4.1 code_verifier (and §4.2 challenge) syntax.
func validPKCEValue(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, c := range []byte(v) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~') {
			return false
		}
	}
	return true
}

// clip bounds a value echoed into a description.
func clip(s string) string {
	if len(s) > 256 {
		return s[:256] + "…"
	}
	return s
}
