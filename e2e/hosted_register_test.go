package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestHostedRegistrationInChromium: a SPA built on oidc-client-ts sends a
// new visitor to latchkey's hosted login page; the visitor follows
// "Create an account", fills in the registration form (email, password
// twice, first name) and lands back in the SPA signed in as the new user,
// the library having exchanged the code (PKCE, state, nonce, id token
// checked by it).
func TestHostedRegistrationInChromium(t *testing.T) {
	bundle := oidcClientBundle(t)
	spaLn, spaURL := listen(t, "spa")
	var idpURL string
	apptest.Start(t, apptest.Options{
		Config: func(c *config.Config) {
			_, port, _ := net.SplitHostPort(c.Addr)
			idpURL = "http://login.example.test:" + port
			c.Issuer = idpURL
		},
		Seed: func(ctx context.Context, st storage.Storage) error {
			if err := seedSPA(spaURL)(ctx, st); err != nil {
				return err
			}
			app, err := st.GetApplication(ctx, spaAppID)
			if err != nil {
				return err
			}
			app.RegistrationConfiguration = storage.RegistrationConfiguration{Enabled: true, Type: "basic", LoginIDType: "email",
				ConfirmPassword: true, FirstName: storage.Requirable{Enabled: true, Required: true}}
			return st.UpdateApplication(ctx, app)
		},
		Tenant: func(tn *storage.Tenant) {
			tn.PasswordEncryptionConfiguration = storage.PasswordEncryptionConfiguration{EncryptionScheme: "salted-pbkdf2-hmac-sha256", EncryptionSchemeFactor: 1000}
		},
	})
	spa := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/oidc-client-ts.min.js":
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(bundle)
		case "/", "/callback.html":
			w.Header().Set("Content-Type", "text/html;charset=utf-8")
			fmt.Fprintf(w, spaIndex, idpURL, spaAppID)
		default:
			http.NotFound(w, r)
		}
	})}
	go spa.Serve(spaLn)
	t.Cleanup(func() { spa.Close() })

	ctx := spaBrowser(t, spaURL)
	steps := stepper(t, ctx)
	const email = "newcomer@example.test"
	steps("open the SPA", chromedp.Navigate(spaURL+"/"), until(`document.body.dataset.state === "out"`, 10*time.Second))
	steps("go to latchkey's login page and follow its registration link",
		script(`setTimeout(() => mgr.signinRedirect(), 0)`),
		until(fmt.Sprintf(`location.origin === %q && !!document.querySelector("#register-link a")`, idpURL), 10*time.Second),
		chromedp.Click(`#register-link a`),
		until(`location.pathname === "/oauth2/register" && !!document.getElementById("user.email")`, 10*time.Second))
	steps("fill in the form and create the account",
		script(fmt.Sprintf(`document.getElementById("user.email").value = %q;
document.getElementById("user.password").value = "a newcomer's passphrase";
document.getElementById("passwordConfirm").value = "a newcomer's passphrase";
document.getElementById("user.firstName").value = "Newt";`, email)),
		chromedp.Click(`button[type=submit]`),
		until(`document.body.dataset.state === "in"`, 15*time.Second))
	if who := value(t, ctx, "who", chromedp.Evaluate[string](`document.getElementById("who").textContent`)); who != email {
		t.Fatalf("signed in as %q, want the new account", who)
	}
	if sub := value(t, ctx, "sub", chromedp.Evaluate[string](`mgr.getUser().then(u => u.profile.sub)`, chromedp.EvalAwaitPromise)); sub == "" || sub == spaUserID {
		t.Fatalf("subject %q, want the new user's id", sub)
	}
}
