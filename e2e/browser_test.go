package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/latchkeyhq/latchkey/internal/demo"
	"github.com/latchkeyhq/latchkey/internal/demo/demotest"
)

// Lifetimes short enough that the walk finishes in about a minute. The
// refresh token lives 1 minute: FusionAuth counts it in whole minutes.
const (
	jwtTTL = 4 * time.Second
	grace  = 1 * time.Second
)

// stack is the three servers as the browser sees them.
type stack struct {
	idp, store, forums string // public URLs (http://<name>.example.test:<port>)
	inbox              string // the demo's mail catcher (its web inbox)
}

// startStack runs demo.Run on port-0 listeners and waits until it serves;
// rec sees every request to the identity server.
func startStack(t *testing.T, rec *recorder) stack {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("LATCHKEY_TEST_LOG") == "1" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	st := demotest.Start(t, demo.Options{
		DataDir: t.TempDir(), Logger: logger,
		JWTTTL: jwtTTL, RefreshTTL: time.Minute, GracePeriod: grace,
	}, func(role string, port int) string { return fmt.Sprintf("http://%s.example.test:%d", role, port) },
		demotest.WrapIdentity(rec.wrap))
	return stack{idp: st.IdentityURL, store: st.StoreURL, forums: st.ForumsURL, inbox: st.InboxURL}
}

// chromium finds Debian's chromium; missing skips, or fails under CI.
func chromium(t *testing.T) string {
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if os.Getenv("LATCHKEY_REQUIRE_ALL") == "1" {
		t.Fatal("chromium not found and LATCHKEY_REQUIRE_ALL=1")
	}
	t.Skip("chromium not found (apt-get install chromium)")
	return ""
}

// newBrowser starts headless Chromium resolving *.example.test to 127.0.0.1.
func newBrowser(t *testing.T, s stack) context.Context {
	t.Helper()
	// chromedp's defaults keep background tabs running (no timer
	// throttling, no renderer backgrounding): the second profile of step 11
	// must keep refreshing while the first one is in front.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP *.example.test 127.0.0.1"),
		// Web Locks exist only in secure contexts; treat the two app origins
		// as secure so the SDK's cross-tab lock path is the one exercised.
		chromedp.Flag("unsafely-treat-insecure-origin-as-secure", s.store+","+s.forums),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// openTab opens a tab whose requests carry tag (see uaTag): in a fresh,
// isolated profile (its own cookies and localStorage) when newProfile,
// else beside parent's tab in parent's profile. It closes with the test.
func openTab(t *testing.T, parent context.Context, tag string, newProfile bool) context.Context {
	t.Helper()
	var opts []chromedp.ContextOption
	if newProfile {
		opts = append(opts, chromedp.WithNewBrowserContext())
	}
	ctx, cancel := chromedp.NewContext(parent, opts...)
	t.Cleanup(cancel)
	// The first call on a chromedp context opens its tab for the life of
	// that call's context: no timeout here.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open tab %s: %v", tag, err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
		UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Chromium" + uaTag + tag,
	}); err != nil {
		t.Fatalf("tag tab %s: %v", tag, err)
	}
	return ctx
}

type step = chromedp.Action[chromedp.Void]

func run(t *testing.T, ctx context.Context, what string, steps ...step) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// value runs one action that returns a value.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// poll waits until the page expression is truthy.
func poll(expr string, timeout time.Duration) step {
	p := chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(100*time.Millisecond))
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := p(ctx, tg)
		return chromedp.Void{}, err
	}
}

// script runs a statement in the page for its effect.
func script(js string) step {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](js)(ctx, tg)
		return err
	})
}

// waitState polls until the page shows the login form or the app.
func waitState(state string, timeout time.Duration) step {
	return poll(fmt.Sprintf(`document.body.dataset.state === %q`, state), timeout)
}

// login fills the SPA's own form, as a person would.
func login() step {
	return chromedp.Steps(
		waitState("login", 10*time.Second),
		chromedp.SetValue(chromedp.ID("loginId"), demo.DemoEmail),
		chromedp.SetValue(chromedp.ID("password"), demo.DemoPassword),
		chromedp.Click(chromedp.ID("login-button")),
		waitState("app", 10*time.Second),
	)
}

func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	return value(t, ctx, "text of #"+id, chromedp.Text(chromedp.ID(id)))
}

func jwtKey(appID string) string { return "latchkey.jwt." + appID }

// jwtExp is a JWT's exp claim (unverified: the test only compares it).
func jwtExp(t *testing.T, jwt string) int64 {
	t.Helper()
	parts := strings.Split(jwt, ".")
	var claims struct{ Exp int64 }
	if len(parts) == 3 {
		if raw, err := base64.RawURLEncoding.DecodeString(parts[1]); err == nil {
			_ = json.Unmarshal(raw, &claims)
		}
	}
	if claims.Exp == 0 {
		t.Fatalf("no exp in JWT %q", jwt)
	}
	return claims.Exp
}

// clockText is exp as the page prints it (#expires-at, the session log):
// the browser formats it, in the browser's locale and zone.
func clockText(t *testing.T, ctx context.Context, exp int64) string {
	t.Helper()
	return value(t, ctx, "format a time", chromedp.Evaluate[string](
		fmt.Sprintf(`new Date(%d * 1000).toLocaleTimeString([], { hour12: false })`, exp)))
}

// storedJWT reads the JWT from the page's localStorage, as an injected
// script could.
func storedJWT(ctx context.Context, t *testing.T, appID string) string {
	t.Helper()
	return value(t, ctx, "read localStorage", chromedp.Evaluate[string](fmt.Sprintf(`localStorage.getItem(%q) || ""`, jwtKey(appID))))
}

// cookies reads cookies for url through the DevTools protocol, which sees
// HttpOnly cookies that page scripts cannot.
func cookies(ctx context.Context, t *testing.T, url string) map[string]*network.Cookie {
	t.Helper()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{url}})
	if err != nil {
		t.Fatalf("Network.getCookies: %v", err)
	}
	out := map[string]*network.Cookie{}
	for _, c := range res.Cookies {
		out[c.Name] = c
	}
	return out
}

func logEntries(ctx context.Context, t *testing.T, kind string) []string {
	t.Helper()
	return value(t, ctx, "read session log", chromedp.Evaluate[[]string](
		fmt.Sprintf(`[...document.querySelectorAll('#log li[data-kind=%q]')].map(li => li.textContent)`, kind)))
}

// screenshot saves the viewport to the test's temp dir and, when
// LATCHKEY_SCREENSHOTS is set, there too.
func screenshot(ctx context.Context, t *testing.T, dir, name string) {
	t.Helper()
	png := value(t, ctx, "screenshot", chromedp.CaptureScreenshot())
	dirs := []string{dir}
	if d := os.Getenv("LATCHKEY_SCREENSHOTS"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
