package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestHostedPasskeyLoginInChromium: on latchkey's hosted login page, with
// Chromium's virtual authenticator, a passkey is registered, then an
// authorization (code + PKCE S256) is completed with it through the page's
// own script: the code comes back with state and iss, is exchanged for
// tokens with the verifier, and the page set the SSO session (the next
// authorization needs no interaction). The page's script runs under the
// strict CSP (nonce only); the same assertion posted twice is refused the
// second time and issues no code.
func TestHostedPasskeyLoginInChromium(t *testing.T) {
	cbLn, cbURL := listen(t, "spa")
	in, idpURL := startSPAIdentity(t, cbURL, func(idpURL string, tn *storage.Tenant) {
		// The hosted page's own origin may run passkey ceremonies; the
		// relying party is its host.
		tn.WebAuthnConfiguration = &storage.TenantWebAuthnConfiguration{Enabled: true,
			Bootstrap: storage.WebAuthnWorkflow{Enabled: true}, AllowedOrigins: []string{idpURL}}
	})
	cb := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html;charset=utf-8")
		fmt.Fprint(w, `<!DOCTYPE html><title>callback</title><p id="cb">callback</p>`)
	})}
	go cb.Serve(cbLn)
	t.Cleanup(func() { cb.Close() })

	// WebAuthn needs a secure context: the identity server's http origin is
	// treated as one.
	ctx := spaBrowser(t, idpURL)
	va := virtualAuthenticator(t, ctx)
	do := stepper(t, ctx)
	authorize := func(seed string, extra ...string) (verifier, u string) {
		verifier = strings.Repeat(seed, 43/len(seed)+1)[:43]
		sum := sha256.Sum256([]byte(verifier))
		q := url.Values{"client_id": {spaAppID}, "redirect_uri": {cbURL + "/callback.html"}, "response_type": {"code"},
			"scope": {"openid offline_access"}, "state": {"state-" + seed}, "nonce": {"nonce-" + seed},
			"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
		for i := 0; i+1 < len(extra); i += 2 {
			q.Set(extra[i], extra[i+1])
		}
		return verifier, idpURL + "/oauth2/authorize?" + q.Encode()
	}
	atCallback := until(fmt.Sprintf(`location.origin === %q && !!document.getElementById("cb")`, cbURL), 15*time.Second)
	callback := func(state string) url.Values {
		t.Helper()
		u, err := url.Parse(value(t, ctx, "callback URL", chromedp.Evaluate[string](`location.href`)))
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if q.Get("code") == "" || q.Get("state") != state || q.Get("iss") != idpURL {
			t.Fatalf("authorization response %v", q)
		}
		return q
	}

	// The login page: the script ran (it shows the passkey button, hidden
	// without script) under a CSP allowing only its nonce.
	verifier, first := authorize("passkey")
	do("open the login page", chromedp.Navigate(first), chromedp.WaitVisible(chromedp.ID("passkey-login")))
	csp := value(t, ctx, "CSP", chromedp.Evaluate[string](
		`fetch(location.href, {credentials: "same-origin"}).then(r => r.headers.get("content-security-policy"))`, chromedp.EvalAwaitPromise))
	if !strings.Contains(csp, "script-src 'nonce-") || strings.Contains(csp, "unsafe") {
		t.Fatalf("login page CSP %q", csp)
	}

	// Register a passkey for the user (the management API, by API key,
	// from this origin; the virtual authenticator keeps it).
	status := value(t, ctx, "register", chromedp.Evaluate[int](fmt.Sprintf(registerScript, in.APIKey, spaUserID),
		chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
	creds, err := chromedp.Call(ctx, cdpwebauthn.GetCredentials, cdpwebauthn.GetCredentialsParams{AuthenticatorID: va})
	if status != 200 || err != nil || len(creds.Credentials) != 1 || creds.Credentials[0].RpID != "login.example.test" {
		t.Fatalf("registration %d; authenticator holds %+v (%v)", status, creds, err)
	}

	// Sign in with it: no user name, no password.
	do("sign in with the passkey", chromedp.Click(chromedp.ID("passkey-login")), atCallback)
	q := callback("state-passkey")
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {spaAppID}, "code": {q.Get("code")},
		"redirect_uri": {cbURL + "/callback.html"}, "code_verifier": {verifier}}
	res, err := http.PostForm(in.URL+"/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	err = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || tok["id_token"] == nil || tok["refresh_token"] == nil {
		t.Fatalf("code exchange: %d %v (%v)", res.StatusCode, tok, err)
	}
	access, _ := tok["access_token"].(string)
	if !introspect(t, in.URL, access) {
		t.Fatal("the access token from the passkey login is not active")
	}
	if sub := jwtClaim(t, access, "sub"); sub != spaUserID {
		t.Fatalf("access token for %q", sub)
	}

	// The SSO session: the next authorization returns at once.
	_, second := authorize("sso")
	do("authorize again within the SSO session", chromedp.Navigate(second), atCallback)
	callback("state-sso")

	// The same assertion twice, posted as the page's form would: the first
	// is answered with the redirect, the replay with the login page again.
	_, third := authorize("replay", "prompt", "login")
	do("open the login page again (prompt=login)", chromedp.Navigate(third), chromedp.WaitVisible(chromedp.ID("passkey-login")))
	got := value(t, ctx, "replay", chromedp.Evaluate[map[string]any](hostedReplayScript, chromedp.EvalAsValue, chromedp.EvalAwaitPromise))
	if got["first"] != "opaqueredirect" || got["replay"] != float64(400) || got["replayCode"] != false {
		t.Fatalf("assertion posted twice: %v", got)
	}
}

// registerScript registers a passkey for a user by API key from the page.
const registerScript = `(async () => {
  const key = %q, user = %q;
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const bin = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const post = (path, body) => fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json', Authorization: key}, body: JSON.stringify(body)});
  const o = (await (await post('/api/webauthn/register/start', {userId: user, displayName: 'Laptop', workflow: 'bootstrap'})).json()).options;
  const c = await navigator.credentials.create({publicKey: {...o, challenge: bin(o.challenge), user: {...o.user, id: bin(o.user.id)},
    excludeCredentials: []}});
  const credential = {id: c.id, type: c.type, response: {clientDataJSON: b64(c.response.clientDataJSON),
    attestationObject: b64(c.response.attestationObject), transports: c.response.getTransports()}, clientExtensionResults: {}};
  return (await post('/api/webauthn/register/complete', {userId: user, credential})).status;
})()`

// hostedReplayScript takes one assertion as the page's script does and
// posts the page's passkey form with it twice.
const hostedReplayScript = `(async () => {
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const bin = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const form = document.getElementById('passkey-form');
  const o = (await (await fetch('/api/webauthn/start', {method: 'POST', headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({applicationId: form.dataset.applicationId, workflow: 'bootstrap'})})).json()).options;
  const c = await navigator.credentials.get({publicKey: {challenge: bin(o.challenge), rpId: o.rpId, allowCredentials: []}});
  const r = c.response;
  const cred = JSON.stringify({id: c.id, type: c.type, response: {clientDataJSON: b64(r.clientDataJSON),
    authenticatorData: b64(r.authenticatorData), signature: b64(r.signature), userHandle: b64(r.userHandle)}});
  const send = () => { const f = new FormData(form); f.set('webauthnCredential', cred);
    return fetch(form.action, {method: 'POST', body: new URLSearchParams(f), redirect: 'manual'}); };
  const first = await send();
  const replay = await send();
  const text = await replay.text();
  return {first: first.type, replay: replay.status, replayCode: text.includes('code=')};
})()`

// jwtClaim reads a claim of a JWT's payload (its signature was checked by
// introspection).
func jwtClaim(t *testing.T, jwt, name string) any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c[name]
}
