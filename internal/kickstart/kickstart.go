package kickstart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	json "github.com/go-json-experiment/json"
	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/jsonnum"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Store is the storage Run uses: the claim that makes the Kickstart run once
// (storage.KickstartStore) and the API keys it creates. Everything else the
// file asks for goes through Handler, like any API client's requests.
type Store interface {
	storage.KickstartStore
	CreateAPIKey(ctx context.Context, k storage.APIKey, audit ...storage.AuditEntry) error
	GetAPIKeyByHash(ctx context.Context, hash []byte) (storage.APIKey, error)
	// GetTenant checks that a key's tenantId names a tenant.
	GetTenant(ctx context.Context, id string) (storage.Tenant, error)
	// CountAPIKeys, ListApplications and SearchUsers tell whether the
	// database is empty (checkEmpty).
	CountAPIKeys(ctx context.Context) (int, error)
	ListApplications(ctx context.Context, inactive bool) ([]storage.Application, error)
	SearchUsers(ctx context.Context, q storage.UserSearch) ([]storage.User, int, error)
}

// Options configures Run.
type Options struct {
	Path    string       // the Kickstart file
	Store   Store        // for the claim and the API keys
	Handler http.Handler // the server's complete handler; requests run through it
	// Scratch opens a throwaway stack (an empty temporary database behind
	// the same server code) for the dry run, and a function that removes
	// it. Nil skips the dry run (then a failing request can leave the
	// requests before it applied).
	Scratch func(ctx context.Context) (http.Handler, Store, func(), error)
	Now     func() time.Time
	Logger  *slog.Logger
	// Getenv reads #{ENV.NAME}; default os.LookupEnv.
	Getenv func(string) (string, bool)
	// Wait bounds how long a node waits for another node's Kickstart to
	// finish before it gives up starting (default 60 s).
	Wait time.Duration
	// StaleAfter: a claim not renewed for this long, and not done, belongs
	// to a node that died mid-apply and is taken over (default 30 s; the
	// holder renews it every StaleAfter/3).
	StaleAfter time.Duration
	// Poll is the interval between checks while waiting (default 250 ms).
	Poll time.Duration
}

func (o *Options) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Getenv == nil {
		o.Getenv = os.LookupEnv
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Wait <= 0 {
		o.Wait = 60 * time.Second
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 30 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
}

// apiKey is one entry of "apiKeys".
type apiKey struct {
	Key         string `json:"key"`
	Description string `json:"description"`
	Permissions struct {
		Endpoints map[string][]string `json:"endpoints"`
	} `json:"permissions"`
	TenantID   string `json:"tenantId"`
	KeyManager *bool  `json:"keyManager"`
}

// request is one entry of "requests".
type request struct {
	Method      string         `json:"method"`
	URL         string         `json:"url"`
	TenantID    string         `json:"tenantId"`
	Body        map[string]any `json:"body"`
	ContentType string         `json:"contentType"`
}

type plan struct {
	keys     []apiKey
	requests []request
}

// Run applies the Kickstart file unless this database already had one
// applied, and returns only once the Kickstart is done on this database
// (by this node or another), so no node serves a half-seeded instance.
//
// Problems in the file are reported before anything is written: the whole
// file is first applied to a scratch database (Options.Scratch), and only
// when every request succeeds there is it applied for real, and only to an
// empty database (checkEmpty). Start-up stops with the request number,
// method, URL, status and body of the first failure, and a fixed file works
// on the next start. A real run that still fails part-way (the database
// failed, say) names what it applied and what to do (appliedNote).
func Run(ctx context.Context, o Options) error {
	o.defaults()
	// Done first: an applied file is not read again, so the secrets it
	// took from the environment can be removed after the first start.
	if done, err := o.Store.KickstartDone(ctx); err != nil {
		return fmt.Errorf("kickstart: %w", err)
	} else if done {
		o.Logger.Info("kickstart already applied to this database; skipping", "file", o.Path)
		return nil
	}
	p, err := load(o.Path, o.Getenv)
	if err != nil {
		return fmt.Errorf("kickstart %s: %w", o.Path, err)
	}
	if o.Scratch != nil {
		if err := dryRun(ctx, o, p); err != nil {
			return fmt.Errorf("%w (found by a dry run on a scratch database; nothing was written to the real one)", err)
		}
	}
	return claimAndApply(ctx, o, p)
}

// dryRun applies p to a throwaway stack. Its API keys and requests are the
// same plan (variables such as #{UUID()} already resolved), so what fails
// here would fail for real, except for conflicts with data the real
// database had before.
func dryRun(ctx context.Context, o Options, p plan) error {
	h, st, cleanup, err := o.Scratch(ctx)
	if err != nil {
		return fmt.Errorf("kickstart: open scratch database: %w", err)
	}
	defer cleanup()
	d := o
	d.Handler, d.Store = h, st
	d.Logger = o.Logger.With("dry_run", true)
	_, err = apply(ctx, d, p)
	return err
}

// load reads, substitutes and checks the file.
func load(path string, getenv func(string) (string, bool)) (plan, error) {
	root, err := os.OpenRoot(filepath.Dir(path))
	if err != nil {
		return plan{}, err
	}
	defer root.Close()
	s := &substituter{root: root, budget: maxTotalBytes, getenv: getenv, vars: map[string]string{}, resolving: map[string]bool{}}
	raw, err := readFile(s, path)
	if err != nil {
		return plan{}, err
	}
	var doc struct {
		Variables map[string]string `json:"variables"`
		APIKeys   []any             `json:"apiKeys"`
		Requests  []any             `json:"requests"`
	}
	if err := json.Unmarshal(raw, &doc, jsonnum.Options); err != nil {
		return plan{}, fmt.Errorf("not valid Kickstart JSON: %w", err)
	}
	vars := map[string]string{"FUSIONAUTH_TENANT_ID": manage.DefaultTenantID, "defaultTenantId": manage.DefaultTenantID,
		adminVariable: manage.AdminApplicationID}
	for k, v := range doc.Variables {
		vars[k] = v
	}
	s.raw = vars
	if id, err := s.resolveVar("defaultTenantId"); err != nil {
		return plan{}, err
	} else if !strings.EqualFold(id, manage.DefaultTenantID) {
		return plan{}, fmt.Errorf("variables.defaultTenantId: latchkey's default tenant has the fixed id %s; remove the variable or set it to that id", manage.DefaultTenantID)
	}
	var p plan
	tree, err := s.tree(map[string]any{"apiKeys": doc.APIKeys, "requests": doc.Requests}, "", 0)
	if err == nil {
		var b []byte
		if b, err = json.Marshal(tree, jsonnum.Options); err == nil {
			var out struct {
				APIKeys  []apiKey  `json:"apiKeys"`
				Requests []request `json:"requests"`
			}
			err = json.Unmarshal(b, &out, jsonnum.Options)
			p.keys, p.requests = out.APIKeys, out.Requests
		}
	}
	if err != nil {
		return plan{}, err
	}
	return p, check(p)
}

// readFile reads the Kickstart file itself, under the same bounds as an
// include (it may be named by an absolute path).
func readFile(s *substituter, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return s.read(f)
}

func check(p plan) error {
	if len(p.keys) == 0 {
		return errors.New(`"apiKeys" needs at least one key: the first one runs the requests`)
	}
	for i := range p.keys {
		if err := checkKey(i, &p.keys[i]); err != nil {
			return err
		}
	}
	if k := p.keys[0]; len(k.Permissions.Endpoints) > 0 || k.TenantID != "" {
		return errors.New("apiKeys[0] must be global and unrestricted: it runs the requests")
	}
	for i, r := range p.requests {
		if !slices.Contains([]string{"POST", "PUT", "PATCH"}, r.Method) || !strings.HasPrefix(r.URL, "/api/") {
			return fmt.Errorf("requests[%d]: want method POST, PUT or PATCH and a url starting with /api/, got %q %q", i, r.Method, r.URL)
		}
	}
	return nil
}

// apply creates p's keys and sends its requests, and reports how far it
// got.
func apply(ctx context.Context, o Options, p plan) (done progress, err error) {
	now := o.Now().UnixMilli()
	for i, k := range p.keys {
		// The first key manages keys unless the file says otherwise, so an
		// operator can mint further keys through /api/api-key.
		manager := i == 0
		if k.KeyManager != nil {
			manager = *k.KeyManager
		}
		if k.TenantID != "" {
			if _, err := o.Store.GetTenant(ctx, k.TenantID); errors.Is(err, storage.ErrNotFound) {
				return done, fmt.Errorf("kickstart: %s: tenantId %s: no such tenant", keyName(i, k), k.TenantID)
			} else if err != nil {
				return done, fmt.Errorf("kickstart: %s: %w", keyName(i, k), err)
			}
		}
		rec := storage.APIKey{ID: uuid.NewString(), TenantID: k.TenantID, KeyHash: manage.HashAPIKey(k.Key), Description: k.Description,
			Endpoints: k.Permissions.Endpoints, KeyManager: manager, InsertInstant: now}
		// Audited like a key created through the API; the actor is the
		// Kickstart file itself.
		actx := manage.WithActor(ctx, manage.Actor{Name: "kickstart"})
		err := o.Store.CreateAPIKey(ctx, rec, manage.AuditEntry(actx, o.Now(), rec.TenantID,
			"Created the API key with Id ["+rec.ID+"]", nil, manage.ViewAPIKey(rec)))
		if errors.Is(err, storage.ErrConflict) {
			// The same value listed earlier in the file (keys already in the
			// database were refused before: checkEmpty).
			_, err = o.Store.GetAPIKeyByHash(ctx, rec.KeyHash)
		}
		if err != nil {
			return done, fmt.Errorf("kickstart: %s: %w", keyName(i, k), err)
		}
		done.keys++
	}
	if needsAdminApplication(p) {
		created, err := ensureAdminApplication(ctx, o, p.keys[0].Key)
		if err != nil {
			return done, err
		}
		done.admin = created
	}
	for i, r := range p.requests {
		if err := send(ctx, o, p.keys[0].Key, i+1, r); err != nil {
			return done, err
		}
		done.requests++
	}
	return done, nil
}

func send(ctx context.Context, o Options, key string, n int, r request) error {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = json.Marshal(r.Body, jsonnum.Options); err != nil {
			return fmt.Errorf("kickstart: request %d (%s %s): %w", n, r.Method, r.URL, err)
		}
	}
	req := httptest.NewRequestWithContext(ctx, r.Method, r.URL, bytes.NewReader(body))
	req.RemoteAddr = "127.0.0.1:0"
	req.Header.Set("Authorization", key)
	req.Header.Set("Content-Type", "application/json")
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if r.TenantID != "" {
		req.Header.Set("X-FusionAuth-TenantId", r.TenantID)
	}
	rec := httptest.NewRecorder()
	o.Handler.ServeHTTP(rec, req)
	if rec.Code < 200 || rec.Code > 299 {
		msg := strings.TrimSpace(rec.Body.String())
		if len(msg) > 2000 {
			msg = msg[:2000] + "..."
		}
		if msg == "" {
			msg = "(empty body)"
		}
		return fmt.Errorf("kickstart: request %d (%s %s) failed with status %d: %s", n, r.Method, r.URL, rec.Code, msg)
	}
	o.Logger.Info("kickstart request applied", "n", n, "method", r.Method, "url", r.URL, "status", rec.Code)
	return nil
}
