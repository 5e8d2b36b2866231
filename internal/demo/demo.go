package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/demo/forums"
	"github.com/latchkeyhq/latchkey/internal/demo/store"
	"github.com/latchkeyhq/latchkey/internal/mailcatcher"
	"github.com/latchkeyhq/latchkey/jwtverify"
)

// Options configures Run. Zero values take the documented defaults.
type Options struct {
	DataDir      string        // where the SQLite files live; default: a folder under the user's cache dir
	IdentityAddr string        // default 127.0.0.1:9011 (published as http://localhost:9011)
	StoreAddr    string        // default 127.0.0.1:3000
	ForumsAddr   string        // default 127.0.0.1:3001
	InboxAddr    string        // the mail catcher's web inbox; default 127.0.0.1:3025
	MailAddr     string        // the mail catcher's SMTP listener; default 127.0.0.1:2525 (loopback only)
	JWTTTL       time.Duration // default 30s
	RefreshTTL   time.Duration // default 10m; FusionAuth counts whole minutes, so rounded up
	GracePeriod  time.Duration // one-time-use grace period; default 2s
	// OAuth runs the Store with the authorization code flow and PKCE
	// through latchkey's hosted login page instead of the native form.
	OAuth bool
	// CookiePrefix is the identity server's LATCHKEY_COOKIE_PREFIX: "" or
	// "__Host-" (browsers accept __Host- cookies on https, and on
	// http://localhost, the demo's default).
	CookiePrefix string
	Logger       *slog.Logger
	Out          io.Writer // where the URLs and credentials are printed

	// Public URLs as the browser reaches each server; default
	// http://localhost:<port>. The e2e test uses *.example.test names.
	IdentityURL, StoreURL, ForumsURL, InboxURL string
	// Listeners, when set, are used instead of the addresses (tests use
	// port 0). Run closes them.
	IdentityListener, StoreListener, ForumsListener, InboxListener, MailListener net.Listener
}

func (o *Options) defaults() error {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&o.IdentityAddr, "127.0.0.1:9011")
	def(&o.StoreAddr, "127.0.0.1:3000")
	def(&o.ForumsAddr, "127.0.0.1:3001")
	def(&o.InboxAddr, "127.0.0.1:3025")
	def(&o.MailAddr, "127.0.0.1:2525")
	if o.JWTTTL <= 0 {
		o.JWTTTL = 30 * time.Second
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = 10 * time.Minute
	}
	if o.GracePeriod <= 0 {
		o.GracePeriod = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.DataDir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			return fmt.Errorf("demo: no data folder given and no user cache dir: %w", err)
		}
		o.DataDir = filepath.Join(cache, "latchkey-demo")
	}
	return os.MkdirAll(o.DataDir, 0o700)
}

func localURL(ln net.Listener) string {
	return fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
}

// Run starts everything and blocks until ctx is done, then stops cleanly.
func Run(ctx context.Context, opts Options) (err error) {
	// Given listeners are closed whatever happens, as Options promises, even
	// when Run fails before serving (a test polling one would hang).
	lns := []net.Listener{opts.IdentityListener, opts.StoreListener, opts.ForumsListener, opts.InboxListener, opts.MailListener}
	defer func() {
		for _, ln := range lns {
			if ln != nil {
				ln.Close()
			}
		}
	}()
	if err := opts.defaults(); err != nil {
		return err
	}
	for i, addr := range []string{opts.IdentityAddr, opts.StoreAddr, opts.ForumsAddr, opts.InboxAddr, opts.MailAddr} {
		if lns[i] != nil {
			continue
		}
		if lns[i], err = net.Listen("tcp", addr); err != nil {
			return fmt.Errorf("demo: listen on %s: %w", addr, err)
		}
	}
	urls := []*string{&opts.IdentityURL, &opts.StoreURL, &opts.ForumsURL, &opts.InboxURL}
	for i, u := range urls {
		if *u == "" {
			*u = localURL(lns[i])
		}
	}
	s := settings{jwtTTL: opts.JWTTTL, refreshTTL: opts.RefreshTTL, grace: opts.GracePeriod,
		storeOrigin: opts.StoreURL, forumsOrigin: opts.ForumsURL, mailPort: lns[4].Addr().(*net.TCPAddr).Port}

	// The mail catcher receives what latchkey sends (verification, password
	// reset) on loopback SMTP and shows it in a web inbox.
	catcher := mailcatcher.Start(lns[4], lns[3], mailcatcher.Options{})
	lns[3], lns[4] = nil, nil
	defer catcher.Close()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idp, err := openIdentity(ctx, opts, s, lns[0])
	if err != nil {
		return err
	}
	lns[0] = nil // the App owns it now
	defer idp.Close()
	errc := make(chan error, 3)
	go func() { errc <- idp.Run(ctx) }()

	internal := idp.URL() // backends reach latchkey over loopback, like a sidecar
	st, fo, err := openApps(ctx, opts, internal)
	if err != nil {
		return err
	}
	defer st.Close()
	defer fo.Close()
	servers := []*http.Server{
		{Handler: st, ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn)},
		{Handler: fo, ReadHeaderTimeout: 5 * time.Second, ErrorLog: slog.NewLogLogger(opts.Logger.Handler(), slog.LevelWarn)},
	}
	// Printed before serving: the listeners already queue connections.
	fmt.Fprintf(opts.Out, "latchkey demo (data in %s)\n\n", opts.DataDir)
	fmt.Fprintf(opts.Out, "  identity server  %s\n  Store            %s\n  Forums           %s\n  mail inbox       %s\n\n",
		opts.IdentityURL, opts.StoreURL, opts.ForumsURL, opts.InboxURL)
	fmt.Fprintf(opts.Out, "  log in as %s / %s, or create an account (its mail lands in the inbox)\n  JWTs live %s, refresh tokens %d min (one-time use, %s grace). Ctrl-C stops.\n",
		DemoEmail, DemoPassword, opts.JWTTTL, s.refreshMinutes(), opts.GracePeriod)

	for i, srv := range servers {
		ln := lns[i+1]
		go func() { errc <- srv.Serve(ln) }()
	}
	lns[1], lns[2] = nil, nil

	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("demo: a server stopped: %w", err)
	}
	cancel()
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer scancel()
	for _, srv := range servers {
		if e := srv.Shutdown(sctx); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// openIdentity opens latchkey on the data folder's SQLite, kickstarting a
// fresh database and reconciling an old one with this run's settings.
func openIdentity(ctx context.Context, opts Options, s settings, ln net.Listener) (*app.App, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	ks, err := kickstartFile(s, hex.EncodeToString(key))
	if err != nil {
		return nil, err
	}
	// The file holds a super API key: write it privately and delete it as
	// soon as it has been applied.
	tmp, err := os.MkdirTemp("", "latchkey-demo-kickstart-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	ksPath := filepath.Join(tmp, "kickstart.json")
	if err := os.WriteFile(ksPath, ks, 0o600); err != nil {
		return nil, err
	}
	cfg := config.Default()
	cfg.Addr = ln.Addr().String()
	cfg.DatabaseURL = filepath.Join(opts.DataDir, "latchkey.db")
	cfg.Issuer = opts.IdentityURL
	cfg.Kickstart = ksPath
	cfg.CookiePrefix = opts.CookiePrefix
	a, err := app.Open(ctx, cfg, app.Options{Logger: opts.Logger, Listener: ln})
	if err != nil {
		return nil, fmt.Errorf("demo: identity server: %w", err)
	}
	if err := reconcile(ctx, a.Store(), s); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// openApps builds the Store and the Forums, each with its own database and a
// jwtverify.Verifier whose audience is its own application id.
func openApps(ctx context.Context, opts Options, internalIdentityURL string) (*store.Store, *forums.Forums, error) {
	verifier := func(aud string) (*jwtverify.Verifier, error) {
		return jwtverify.New(ctx, jwtverify.Config{
			Issuer: opts.IdentityURL, JWKSURL: internalIdentityURL + "/.well-known/jwks.json", Audience: aud,
		})
	}
	sv, err := verifier(StoreAppID)
	if err != nil {
		return nil, nil, fmt.Errorf("demo: store verifier: %w", err)
	}
	fv, err := verifier(ForumsAppID)
	if err != nil {
		return nil, nil, fmt.Errorf("demo: forums verifier: %w", err)
	}
	login := ""
	if opts.OAuth {
		login = "oauth"
	}
	st, err := store.New(store.Config{DBPath: filepath.Join(opts.DataDir, "store.db"), IdentityURL: opts.IdentityURL,
		ApplicationID: StoreAppID, Verifier: sv, Logger: opts.Logger, Login: login})
	if err != nil {
		return nil, nil, err
	}
	fo, err := forums.New(forums.Config{DBPath: filepath.Join(opts.DataDir, "forums.db"), IdentityURL: opts.IdentityURL,
		ApplicationID: ForumsAppID, Verifier: fv, Logger: opts.Logger})
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return st, fo, nil
}
