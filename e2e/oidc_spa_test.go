package e2e

import (
	"log/slog"

	"context"
	"errors"
	"fmt"
	"github.com/latchkeyhq/latchkey/internal/demo"
	"github.com/latchkeyhq/latchkey/internal/demo/demotest"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// The SPA of this test is a page served by the test that loads
// oidc-client-ts's browser bundle from e2e/oidcspa/node_modules (pinned in
// its package-lock.json; no build step) and signs in against latchkey with
// the code flow and PKCE, renews with its refresh token, and signs out.
const (
	spaAppID    = "5a9e1c2d-0000-4000-8000-00000000a0c1"
	spaUserID   = "5a9e1c2d-0000-4000-8000-00000000b0c1"
	spaEmail    = "spa@example.test"
	spaPassword = "correct horse battery staple"
)

const spaIndex = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>SPA</title></head><body data-state="loading">
<p id="who"></p>
<script src="/oidc-client-ts.min.js"></script>
<script>
window.mgr = new oidc.UserManager({authority: %q, client_id: %q, redirect_uri: location.origin + "/callback.html",
  post_logout_redirect_uri: location.origin + "/signed-out.html", response_type: "code",
  scope: "openid offline_access email", automaticSilentRenew: false, loadUserInfo: true,
  userStore: new oidc.WebStorageStateStore({store: window.localStorage})});
if (location.pathname === "/callback.html") {
  mgr.signinRedirectCallback().then(() => location.replace("/"), e => { document.body.dataset.state = "error:" + e; });
} else {
  mgr.getUser().then(u => { window.user = u; document.getElementById("who").textContent = u ? u.profile.email : "";
    document.body.dataset.state = u ? "in" : "out"; });
}
</script></body></html>`

// TestOIDCClientTSInChromium: a SPA built on oidc-client-ts logs in through
// latchkey's hosted page (code + PKCE S256, state, nonce, discovery, JWKS,
// userinfo, all checked by the library), renews silently with its refresh
// token, and signs out through /oauth2/logout, after which its tokens are
// dead and the next sign-in asks for the password again. The login page
// also refuses to be framed.
func TestOIDCClientTSInChromium(t *testing.T) {
	bundle := oidcClientBundle(t)
	spaLn, spaURL := listen(t, "spa")
	in, idpURL := startSPAIdentity(t, spaURL, nil)
	spa := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/oidc-client-ts.min.js":
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(bundle)
		case "/", "/callback.html", "/signed-out.html":
			w.Header().Set("Content-Type", "text/html;charset=utf-8")
			fmt.Fprintf(w, spaIndex, idpURL, spaAppID)
		case "/frame.html":
			w.Header().Set("Content-Type", "text/html;charset=utf-8")
			fmt.Fprintf(w, `<iframe id="f" src="%s/oauth2/authorize?client_id=%s"></iframe>`, idpURL, spaAppID)
		default:
			http.NotFound(w, r)
		}
	})}
	go spa.Serve(spaLn)
	t.Cleanup(func() { spa.Close() })

	ctx := spaBrowser(t, spaURL)
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, actions...); err != nil {
			where, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + " | " + document.body.dataset.state + " | " + document.body.innerText.slice(0, 300)`))
			t.Fatalf("%s: %v\n  page: %s", what, err, where)
		}
	}
	eval := func(js string) string {
		t.Helper()
		return value(t, ctx, js, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	}

	do("open the SPA", chromedp.Navigate(spaURL+"/"), until(`document.body.dataset.state === "out"`, 10*time.Second))
	do("sign in on latchkey's page",
		script(`setTimeout(() => mgr.signinRedirect(), 0)`),
		until(fmt.Sprintf(`location.origin === %q && !!document.getElementById("loginId")`, idpURL), 10*time.Second),
		chromedp.SetValue(chromedp.ID("loginId"), spaEmail),
		chromedp.SetValue(chromedp.ID("password"), spaPassword),
		chromedp.Click(`button[type=submit]`),
		until(`document.body.dataset.state === "in"`, 15*time.Second))
	if who := eval(`Promise.resolve(document.getElementById("who").textContent)`); who != spaEmail {
		t.Fatalf("signed-in user %q (state %s)", who, eval(`Promise.resolve(document.body.dataset.state)`))
	}
	first := eval(`mgr.getUser().then(u => u.access_token)`)
	if eval(`mgr.getUser().then(u => String(!!u.refresh_token && u.profile.sub))`) != spaUserID {
		t.Fatal("no refresh token or wrong subject after the sign-in")
	}

	renewed := eval(`mgr.signinSilent().then(u => u.access_token)`)
	if renewed == "" || renewed == first {
		t.Fatal("signinSilent did not renew the access token with the refresh token")
	}
	if !introspect(t, in.URL, renewed) {
		t.Fatal("the renewed access token is not active")
	}

	do("sign out through /oauth2/logout",
		script(`setTimeout(() => mgr.signoutRedirect(), 0)`),
		until(`location.pathname === "/signed-out.html"`, 15*time.Second))
	if introspect(t, in.URL, renewed) {
		t.Error("the access token is still active after signing out")
	}
	do("signing in again asks for the password",
		chromedp.Navigate(spaURL+"/"), until(`document.body.dataset.state === "out"`, 10*time.Second),
		script(`setTimeout(() => mgr.removeUser().then(() => mgr.signinRedirect()), 0)`),
		until(`!!document.getElementById("password")`, 10*time.Second))

	// Clickjacking: the login page in a frame of another origin is blocked
	// (CSP frame-ancestors 'none'): the frame holds Chromium's error page.
	do("frame the login page", chromedp.Navigate(spaURL+"/frame.html"), chromedp.Sleep(time.Second))
	res, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		t.Fatalf("frame tree: %v", err)
	}
	tree := res.FrameTree
	// Blocked, the frame holds chrome-error://chromewebdata/ with the login
	// page as its unreachable URL.
	if len(tree.ChildFrames) != 1 || !strings.HasPrefix(tree.ChildFrames[0].Frame.UnreachableURL, idpURL) {
		t.Fatalf("the framed login page loaded: %+v", tree.ChildFrames)
	}
}

// oidcClientBundle installs the pinned oidc-client-ts (npm ci) when needed
// and returns its browser bundle.
func oidcClientBundle(t *testing.T) []byte {
	t.Helper()
	dir, err := filepath.Abs("oidcspa")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "node_modules", "oidc-client-ts", "dist", "browser", "oidc-client-ts.min.js")
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		npm, err := exec.LookPath("npm")
		if err != nil {
			if os.Getenv("LATCHKEY_REQUIRE_ALL") == "1" {
				t.Fatal("npm is required (LATCHKEY_REQUIRE_ALL=1)")
			}
			t.Skip("npm not installed")
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci: %v\n%s", err, out)
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// listen opens a loopback listener and names it http://<name>.example.test:<port>.
func listen(t *testing.T, name string) (net.Listener, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, fmt.Sprintf("http://%s.example.test:%d", name, ln.Addr().(*net.TCPAddr).Port)
}

// stepper runs actions in ctx's tab, each call within a minute; a failure
// names the step and shows where the page is.
func stepper(t *testing.T, ctx context.Context) func(what string, actions ...chromedp.Action[chromedp.Void]) {
	return func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, actions...); err != nil {
			where, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + " | " + document.body.innerText.slice(0, 300)`))
			t.Fatalf("%s: %v\n  page: %s", what, err, where)
		}
	}
}

// startSPAIdentity runs latchkey as http://login.example.test:<port> (same
// site as the SPA, on the port apptest listens on) with the SPA's
// application and user and a cheap password hash; edit, when set, changes
// the tenant further knowing that URL.
func startSPAIdentity(t *testing.T, spaURL string, edit func(idpURL string, tn *storage.Tenant)) (*apptest.Instance, string) {
	t.Helper()
	var idpURL string
	in := apptest.Start(t, apptest.Options{
		Config: func(c *config.Config) {
			_, port, _ := net.SplitHostPort(c.Addr)
			idpURL = "http://login.example.test:" + port
			c.Issuer = idpURL
		},
		Seed: seedSPA(spaURL),
		Tenant: func(tn *storage.Tenant) {
			tn.PasswordEncryptionConfiguration = storage.PasswordEncryptionConfiguration{EncryptionScheme: "salted-pbkdf2-hmac-sha256", EncryptionSchemeFactor: 1000}
			if edit != nil {
				edit(idpURL, tn)
			}
		},
	})
	return in, idpURL
}

// seedSPA stores the SPA's application (public client, PKCE, refresh
// tokens, SSO on) and its user.
func seedSPA(spaURL string) func(context.Context, storage.Storage) error {
	return func(ctx context.Context, st storage.Storage) error {
		app := manage.ApplicationDefaults()
		app.ID, app.TenantID, app.Name, app.Active, app.State = spaAppID, manage.DefaultTenantID, "SPA", true, "Active"
		app.OAuthConfiguration.ClientID, app.OAuthConfiguration.ClientSecret = spaAppID, "unused-secret-of-a-public-client"
		app.OAuthConfiguration.ClientAuthenticationPolicy = "NotRequired"
		app.OAuthConfiguration.EnabledGrants = []string{"authorization_code", "refresh_token"}
		app.OAuthConfiguration.GenerateRefreshTokens, app.OAuthConfiguration.SSOEnabled = true, true
		app.OAuthConfiguration.AuthorizedRedirectURLs = []string{spaURL + "/callback.html", spaURL + "/signed-out.html"}
		app.OAuthConfiguration.AuthorizedOriginURLs = []string{spaURL}
		if err := st.CreateApplication(ctx, app); err != nil {
			return err
		}
		ph, err := password.Hash(context.Background(), spaPassword, "salted-pbkdf2-hmac-sha256", 1000)
		if err != nil {
			return err
		}
		if err := st.CreateUser(ctx, storage.User{ID: spaUserID, TenantID: manage.DefaultTenantID, Active: true,
			Email: spaEmail, Verified: true, Password: ph}); err != nil {
			return err
		}
		return st.CreateRegistration(ctx, storage.Registration{ID: "5a9e1c2d-0000-4000-8000-00000000c0c1",
			ApplicationID: spaAppID, UserID: spaUserID, Roles: []string{}})
	}
}

// spaBrowser is headless Chromium resolving *.example.test to 127.0.0.1,
// with the SPA's http origin treated as secure (oidc-client-ts needs
// crypto.subtle for PKCE, which exists only in secure contexts).
func spaBrowser(t *testing.T, spaURL string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("host-resolver-rules", "MAP *.example.test 127.0.0.1"),
		chromedp.Flag("unsafely-treat-insecure-origin-as-secure", spaURL),
		chromedp.UserDataDir(t.TempDir()),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// introspect asks latchkey whether an access token of the SPA is active.
func introspect(t *testing.T, base, token string) bool {
	t.Helper()
	res, err := http.PostForm(base+"/oauth2/introspect", url.Values{"client_id": {spaAppID}, "token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return strings.Contains(string(b), `"active":true`)
}

// until polls a page expression until it is true, riding out the
// navigations the OAuth redirects cause (an evaluation interrupted by one is
// tried again).
func until(expr string, timeout time.Duration) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		deadline := time.Now().Add(timeout)
		for {
			ok, err := chromedp.Evaluate[bool](expr)(ctx, tg)
			if err == nil && ok {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not true after %s (last error %v)", expr, timeout, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// TestDemoStoreOAuthMode runs `latchkey demo --oauth` as the binary does and
// walks the Store's alternative mode in Chromium: the login button leads to
// latchkey's hosted page, the code comes back with state and iss, the Store
// exchanges it with its PKCE verifier and loads the cart with the access
// token; logging out revokes the refresh token and ends the session.
func TestDemoStoreOAuthMode(t *testing.T) {
	st := demotest.Start(t, demo.Options{DataDir: t.TempDir(), Logger: slogDiscard(), OAuth: true,
		JWTTTL: time.Minute, RefreshTTL: 10 * time.Minute, GracePeriod: time.Second},
		func(role string, port int) string { return fmt.Sprintf("http://%s.example.test:%d", role, port) })
	ctx := spaBrowser(t, st.StoreURL)
	steps := stepper(t, ctx)
	steps("open the Store", chromedp.Navigate(st.StoreURL+"/"), until(`document.body.dataset.state === "login"`, 10*time.Second))
	steps("log in on latchkey's page",
		chromedp.Click(`#login-button`),
		until(fmt.Sprintf(`location.origin === %q && !!document.getElementById("loginId")`, st.IdentityURL), 10*time.Second),
		chromedp.SetValue(chromedp.ID("loginId"), demo.DemoEmail),
		chromedp.SetValue(chromedp.ID("password"), demo.DemoPassword),
		chromedp.Click(`button[type=submit]`),
		until(`document.body.dataset.state === "app" && !!document.getElementById("cart-status")`, 15*time.Second))
	if who := value(t, ctx, "who", chromedp.Evaluate[string](`document.getElementById("who").textContent`)); who != demo.DemoEmail {
		t.Fatalf("logged in as %q", who)
	}
	if q := value(t, ctx, "url", chromedp.Evaluate[string](`location.search`)); q != "" {
		t.Errorf("the code stayed in the address bar: %q", q)
	}
	steps("log out", chromedp.Click(`#logout`), until(`document.body.dataset.state === "login"`, 15*time.Second))
	steps("the next login asks for the password again",
		chromedp.Click(`#login-button`), until(`!!document.getElementById("password")`, 10*time.Second))
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }
