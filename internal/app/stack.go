package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/hosted"
	"github.com/latchkeyhq/latchkey/internal/keys"
	"github.com/latchkeyhq/latchkey/internal/kickstart"
	"github.com/latchkeyhq/latchkey/internal/lambda"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/mfa"
	"github.com/latchkeyhq/latchkey/internal/observe"
	"github.com/latchkeyhq/latchkey/internal/password"
	"github.com/latchkeyhq/latchkey/internal/secret"
	"github.com/latchkeyhq/latchkey/internal/server"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
	"github.com/latchkeyhq/latchkey/internal/tally"
)

// wiring is what newServer shares with the process: the metrics (nil for
// the Kickstart dry run), the server secret (internal/secret), the one
// lambda engine, and what posts webhook requests (events.NoDelivery for the
// dry run, which must not reach the outside world).
type wiring struct {
	metrics *observe.Metrics
	secret  secret.Secret
	engine  *lambda.Engine
	poster  events.Poster
	// dryRun: the Kickstart dry run, whose tokens and hashes are thrown
	// away: keys made on demand, hashes at the lowest cost (issue 13).
	dryRun bool
}

// newServer wires storage -> keys -> auth -> HTTP server on st. Open uses it
// for the real database and scratch for the Kickstart dry run, so both run
// the same code with the same settings. unfollow stops the caches following
// st's change feed. w carries the metrics (nil for the dry run: they count
// auth's events), the lambda engine, the webhook poster and the server
// secret (internal/secret), from which the refresh-token successor keys
// and the TOTP seal keys are derived.
func newServer(ctx context.Context, st storage.Storage, cfg config.Config, opts Options, log *slog.Logger, gate *server.Gate,
	w wiring) (srv *server.Server, unfollow func(), err error) {
	if err := manage.EnsureDefaults(ctx, st, cfg.Issuer, opts.Now()); err != nil {
		return nil, nil, err
	}
	// Half a second by default, so a rotation through another node is in
	// use here within one second even when this node reloaded just before
	// it, should the change feed be down.
	keysTTL := 500 * time.Millisecond
	if cfg.CacheTTL > 0 {
		keysTTL = cfg.CacheTTL
	}
	// The dry run's keys are made when first used (keys.Options.OnDemand):
	// its tokens are thrown away, and an RSA key it never signs with was
	// half of a fresh start's time (issue 13).
	km := keys.New(st, keys.Options{Now: opts.Now, Issuer: cfg.Issuer, RefreshInterval: keysTTL, PublishAhead: cfg.KeyPublishAhead,
		LongestTokenLifetime: func(ctx context.Context) (time.Duration, error) { return manage.LongestTokenLifetime(ctx, st) },
		OnDemand:             w.dryRun})
	var svc *auth.Service
	pub := events.New(events.Config{Store: st, Signer: km, Now: opts.Now, Logger: log, CacheTTL: cfg.CacheTTL,
		Tenant: func(ctx context.Context, id string) (storage.Tenant, error) { return svc.Tenant(ctx, id) },
		Poster: w.poster})
	ac := auth.Config{Store: st, Keys: km, Logger: log, Now: opts.Now, Issuer: cfg.Issuer, TenantID: manage.DefaultTenantID,
		TenantCacheTTL: cfg.CacheTTL, ApplicationCacheTTL: cfg.CacheTTL, SuccessorKeys: w.secret.Derive(successorPurpose),
		FederationKeys: w.secret.Derive(federationPurpose),
		SealKeys:       w.secret.Derive(sealPurpose), Events: pub, Lambdas: w.engine}
	// The real run counts auth's events twice: into the Prometheus
	// counters and into the dashboard's hourly counts (internal/tally,
	// flushed by App.Run). The dry run's events are not counted.
	var counts *tally.Tally
	if w.metrics != nil {
		counts = tally.New(st, opts.Now, log.With("component", "tally"))
		ac.Count = func(ctx context.Context, event, outcome string) {
			w.metrics.Count(ctx, event, outcome)
			counts.Count(ctx, event, outcome)
		}
	}
	svc = auth.New(ac)
	var themes fs.FS
	if cfg.ThemesDir != "" {
		themes = os.DirFS(cfg.ThemesDir)
	}
	pages, err := hosted.New(themes)
	if err != nil {
		return nil, nil, err
	}
	mg := manage.New(st, svc, opts.Now)
	mg.Mail.BaseURL, mg.Mail.Log = cfg.Issuer, log
	if w.dryRun {
		// The dry run refuses what a real run would, but its hashes are
		// thrown away: made at the scheme's lowest cost (issue 13).
		mg.Users.Hash = password.HashCheap
	}
	mg.Lambdas.Engine, mg.Keys.Rotator, mg.Keys.Ready = w.engine, km, km.Ready
	mg.UseEvents(pub)
	svc.SetEmailVerifier(mg.Accounts)
	srv = &server.Server{
		Store: st, Keys: km, Auth: svc, Hosted: pages, Manage: mg, Events: pub, Logger: log, Now: opts.Now,
		MFA:    &mfa.Service{Store: st, Auth: svc, Now: opts.Now, Logger: log, TenantID: manage.DefaultTenantID},
		Mailer: manage.CodeMailer{Mail: mg.Mail, Queue: st, Now: opts.Now},
		Config: server.Config{Issuer: cfg.Issuer, CookieSameSite: cfg.SameSite(), TrustedProxies: cfg.Proxies(),
			CookiePrefix: cfg.CookiePrefix, OriginCacheTTL: cfg.CacheTTL, RequestTimeout: opts.HTTP.RequestTimeout},
		Gate: gate, Metrics: w.metrics, Tally: counts,
	}
	// Follow from the start. Whatever is read before the feed listens is
	// dropped by its first event (ChangeAll, once LISTEN is in place).
	unfollow = followChanges(st, svc, km, pub, srv.ForgetOrigins)
	// The ES256 key is stored before the node serves; a missing RS256 key
	// is made on a goroutine, and what would show or use it waits for it
	// (keys.Manager.Start; issue 13).
	if err := km.Start(ctx); err != nil {
		unfollow()
		return nil, nil, fmt.Errorf("signing keys: %w", err)
	}
	return srv, unfollow, nil
}

// scratch returns the Kickstart dry run's stack factory: a fresh SQLite file
// in a temporary directory behind a server wired like the real one, removed
// again by the returned cleanup. SQLite whatever the real database is: the
// dry run checks the requests (validation, duplicates, references), which
// the server does the same way on both dialects. schemaCopy, when set, is a
// copy of a just-migrated database (copySchema) to start from; the cleanup
// deletes it, so a second dry run would migrate its own.
func scratch(cfg config.Config, opts Options, log *slog.Logger, engine *lambda.Engine, schemaCopy string) func(context.Context) (http.Handler, kickstart.Store, func(), error) {
	return func(ctx context.Context) (http.Handler, kickstart.Store, func(), error) {
		st, remove, err := openScratch(ctx, schemaCopy)
		if err != nil {
			return nil, nil, nil, err
		}
		cleanup := func() {
			st.Close()
			remove()
		}
		// The dry run's 500s are logged (they are server faults, not bad
		// input); its routine output is not.
		srv, unfollow, err := newServer(ctx, st, cfg, opts, log.With("kickstart_dry_run", true), server.NewGate(opts.Limits),
			wiring{secret: secret.Generate(), engine: engine, poster: events.NoDelivery, dryRun: true})
		if err != nil {
			cleanup()
			return nil, nil, nil, err
		}
		return srv.Handler(), st, func() { unfollow(); cleanup() }, nil
	}
}

// openScratch opens the dry run's database: schemaCopy when it holds
// nothing but the schema, else a new file migrated from nothing. remove
// deletes what it opened.
func openScratch(ctx context.Context, schemaCopy string) (st *sqlstorage.Store, remove func(), err error) {
	// Throwaway: the file is deleted after the dry run, so its commits need
	// no fsync.
	o := sqlstorage.Options{Logger: slog.New(slog.DiscardHandler), Throwaway: true}
	if schemaCopy != "" {
		remove = func() {
			for _, f := range []string{schemaCopy, schemaCopy + "-wal", schemaCopy + "-shm"} {
				_ = os.Remove(f)
			}
		}
		if st, err = sqlstorage.Open(ctx, schemaCopy, o); err == nil && schemaOnly(ctx, st) {
			return st, remove, nil
		}
		if st != nil {
			st.Close()
		}
		remove()
	}
	dir, err := os.MkdirTemp("", "latchkey-kickstart-")
	if err != nil {
		return nil, nil, err
	}
	remove = func() { os.RemoveAll(dir) }
	if st, err = sqlstorage.Open(ctx, filepath.Join(dir, "dry-run.db"), o); err != nil {
		remove()
		return nil, nil, err
	}
	return st, remove, nil
}

// schemaOnly reports whether st holds nothing a start writes after
// migrating: no default tenant (the first thing every start writes, before
// its keys and its Kickstart), no signing key, no API key. A copy taken while another node
// sharing the SQLite file was already past its migrations is not used: its
// dry run would meet that node's data.
func schemaOnly(ctx context.Context, st *sqlstorage.Store) bool {
	if _, err := st.GetTenant(ctx, manage.DefaultTenantID); !errors.Is(err, storage.ErrNotFound) {
		return false
	}
	if ks, err := st.ListSigningKeys(ctx, time.Now()); err != nil || len(ks) > 0 {
		return false
	}
	n, err := st.CountAPIKeys(ctx)
	return err == nil && n == 0
}
