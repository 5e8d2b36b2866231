// Package federation is latchkey's client of upstream OpenID Connect
// providers (FusionAuth's OpenIDConnect identity providers): the
// authorization request it sends the browser to, and the code exchange
// whose id token it verifies (coreos/go-oidc: discovery, JWKS, signature,
// issuer, audience, expiry, nonce) before anyone is logged in here. The
// use case that links and creates users is auth.FederatedUser; this
// package only speaks HTTP to the provider.
package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// ErrUpstream is any failure of the upstream provider: unreachable, a
// refused code, an id token that does not verify. The wrapped error says
// which, for the log; callers answer one way.
var ErrUpstream = errors.New("federation: the identity provider did not authenticate the user")

// Client calls upstream providers.
type Client struct {
	// HTTP is the client for discovery, JWKS, token and userinfo calls
	// (nil: 10 s timeout).
	HTTP *http.Client
	// Now is the clock id tokens are checked against (nil: time.Now).
	Now func() time.Time
}

func (c *Client) ctx(ctx context.Context) context.Context {
	h := c.HTTP
	if h == nil {
		h = &http.Client{Timeout: 10 * time.Second}
	}
	return oidc.ClientContext(ctx, h)
}

// endpoints resolves the provider's endpoints: discovered from its issuer
// (the id token is then verified), else as configured.
func (c *Client) endpoints(ctx context.Context, p storage.IdentityProvider) (*oidc.Provider, oauth2.Endpoint, error) {
	o := p.OAuth2
	style := oauth2.AuthStyleInHeader
	if o.ClientAuthenticationMethod != "client_secret_basic" {
		style = oauth2.AuthStyleInParams
	}
	if o.Issuer == "" {
		return nil, oauth2.Endpoint{AuthURL: o.AuthorizationEndpoint, TokenURL: o.TokenEndpoint, AuthStyle: style}, nil
	}
	prov, err := oidc.NewProvider(c.ctx(ctx), o.Issuer)
	if err != nil {
		return nil, oauth2.Endpoint{}, fmt.Errorf("%w: discovery: %w", ErrUpstream, err)
	}
	ep := prov.Endpoint()
	ep.AuthStyle = style
	return prov, ep, nil
}

func config(p storage.IdentityProvider, ep oauth2.Endpoint, redirectURI string) oauth2.Config {
	secret := p.OAuth2.ClientSecret
	if p.OAuth2.ClientAuthenticationMethod == "none" {
		secret = ""
	}
	scope := p.OAuth2.Scope
	if scope == "" {
		scope = "openid email profile"
	}
	return oauth2.Config{ClientID: p.OAuth2.ClientID, ClientSecret: secret, Endpoint: ep, RedirectURL: redirectURI,
		Scopes: strings.Fields(scope)}
}

// AuthorizeURL is where the browser goes to log in upstream: the code flow
// with state, nonce and PKCE S256 (verifier is ours to keep), and the
// user's email as login_hint when the client's request gave one (OIDC Core
// §3.1.2.1: the provider may fill its login form with it).
func (c *Client) AuthorizeURL(ctx context.Context, p storage.IdentityProvider, redirectURI, state, nonce, verifier, loginHint string) (string, error) {
	_, ep, err := c.endpoints(ctx, p)
	if err != nil {
		return "", err
	}
	cfg := config(p, ep, redirectURI)
	opts := []oauth2.AuthCodeOption{oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)}
	if loginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", loginHint))
	}
	return cfg.AuthCodeURL(state, opts...), nil
}

// Exchange redeems code (with verifier when the authorization request
// used PKCE) and returns the user's claims: the verified id token's, and
// the userinfo endpoint's for what the id token lacks (its sub must be the
// same). nonce, when not empty, must be the id token's.
func (c *Client) Exchange(ctx context.Context, p storage.IdentityProvider, code, redirectURI, verifier, nonce string) (map[string]any, error) {
	up, err := c.ExchangeTokens(ctx, p, code, redirectURI, verifier, nonce)
	return up.Claims, err
}

// Upstream is what a code exchange yields: the user's claims (as Exchange
// returns them) and, when an id token was verified, its own claims and its
// encoded form (a reconcile lambda's id_token and tokens.id_token). The
// upstream access and refresh tokens are not kept.
type Upstream struct {
	Claims     map[string]any
	IDToken    map[string]any
	RawIDToken string
}

// ExchangeTokens is Exchange, with the verified id token apart.
func (c *Client) ExchangeTokens(ctx context.Context, p storage.IdentityProvider, code, redirectURI, verifier, nonce string) (Upstream, error) {
	claims, idt, raw, err := c.exchange(ctx, p, code, redirectURI, verifier, nonce)
	return Upstream{Claims: claims, IDToken: idt, RawIDToken: raw}, err
}

func (c *Client) exchange(ctx context.Context, p storage.IdentityProvider, code, redirectURI, verifier, nonce string) (claims, idClaims map[string]any, rawID string, err error) {
	prov, ep, err := c.endpoints(ctx, p)
	if err != nil {
		return nil, nil, "", err
	}
	cfg := config(p, ep, redirectURI)
	var opts []oauth2.AuthCodeOption
	if verifier != "" {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	tok, err := cfg.Exchange(c.ctx(ctx), code, opts...)
	if err != nil {
		return nil, nil, "", fmt.Errorf("%w: token: %w", ErrUpstream, err)
	}
	claims = map[string]any{}
	if prov != nil {
		raw, _ := tok.Extra("id_token").(string)
		idt, err := prov.Verifier(&oidc.Config{ClientID: p.OAuth2.ClientID, Now: c.Now}).Verify(c.ctx(ctx), raw)
		if err != nil {
			return nil, nil, "", fmt.Errorf("%w: id token: %w", ErrUpstream, err)
		}
		if nonce != "" && idt.Nonce != nonce {
			return nil, nil, "", fmt.Errorf("%w: id token nonce does not match", ErrUpstream)
		}
		if err := idt.Claims(&claims); err != nil {
			return nil, nil, "", fmt.Errorf("%w: id token claims: %w", ErrUpstream, err)
		}
		idClaims, rawID = map[string]any{}, raw
		if err := idt.Claims(&idClaims); err != nil {
			return nil, nil, "", fmt.Errorf("%w: id token claims: %w", ErrUpstream, err)
		}
	}
	info, err := c.userinfo(ctx, p, prov, tok)
	if err != nil {
		return nil, nil, "", err
	}
	if sub, ok := claims["sub"]; ok && info != nil && info["sub"] != sub {
		return nil, nil, "", fmt.Errorf("%w: userinfo names another subject", ErrUpstream)
	}
	for k, v := range info {
		if _, ok := claims[k]; !ok {
			claims[k] = v
		}
	}
	if len(claims) == 0 {
		return nil, nil, "", fmt.Errorf("%w: no id token and no userinfo endpoint", ErrUpstream)
	}
	return claims, idClaims, rawID, nil
}

// userinfo reads the userinfo endpoint, when there is one.
func (c *Client) userinfo(ctx context.Context, p storage.IdentityProvider, prov *oidc.Provider, tok *oauth2.Token) (map[string]any, error) {
	endpoint := p.OAuth2.UserinfoEndpoint
	if prov != nil {
		endpoint = prov.UserInfoEndpoint()
	}
	if endpoint == "" {
		return nil, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo: %w", ErrUpstream, err)
	}
	tok.SetAuthHeader(req)
	h := c.HTTP
	if h == nil {
		h = &http.Client{Timeout: 10 * time.Second}
	}
	res, err := h.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo: %w", ErrUpstream, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: userinfo answered %s", ErrUpstream, res.Status)
	}
	var info map[string]any
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&info); err != nil {
		return nil, fmt.Errorf("%w: userinfo: %w", ErrUpstream, err)
	}
	return info, nil
}
