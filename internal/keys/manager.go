package keys

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/latchkeyhq/latchkey/internal/cache"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Algorithms latchkey signs with. ES256 is the default (fusionauth-api.md
// decisions); RS256 exists for consumers without EC support.
const (
	ES256 = "ES256"
	RS256 = "RS256"
)

// Algorithms is the allow-list Verify pins (RFC 8725 §3.1).
var Algorithms = []string{ES256, RS256}

// Defaults applied by New when an Options field is zero.
const (
	DefaultRefreshInterval = time.Second
	// DefaultPublishAhead is how long a rotated-in key is in the JWKS before
	// any node signs with it. Resource servers cache the JWKS: jwtverify
	// refetches on an unknown kid at most every 10 s
	// (jwtverify.DefaultMinRefetchInterval) and at least every 5 min
	// (jwtverify.DefaultMaxKeySetAge); common libraries refetch on an
	// unknown kid after a pause of up to 5 minutes, or cache for 5-10
	// minutes. Ten minutes covers them all, so a rotation never makes a
	// resource server refuse a valid token (TestPublishAheadOutlastsVerifierCaches).
	DefaultPublishAhead = 10 * time.Minute
	// DefaultRetireAfter is the least time a replaced key stays published
	// after its successor started signing; it stays longer when tokens live
	// longer (Options.LongestTokenLifetime). An hour also outlasts the
	// longest any node may keep a stale key set (config.MaxCacheTTL), so a
	// node that missed the rotation never signs with a key others dropped.
	DefaultRetireAfter = time.Hour
	// retireMargin is added to the longest token lifetime: resource servers'
	// leeway on exp (jwtverify: 5 s) and the nodes' clock tolerance.
	retireMargin = time.Minute
)

// ErrNoActiveKey: Sign was asked for an algorithm that has no active key
// (Init not run, or an algorithm latchkey does not sign with).
var ErrNoActiveKey = errors.New("keys: no active signing key for algorithm")

// Options configures a Manager.
type Options struct {
	Now func() time.Time
	// Issuer, when set, is required as the iss claim by Verify.
	Issuer string
	// RetireAfter is the least time a rotated-out key stays published after
	// its successor's activation (default DefaultRetireAfter).
	RetireAfter time.Duration
	// LongestTokenLifetime reports the longest lifetime a token can be
	// given now (the tenants' and applications' jwtConfiguration), so that a
	// rotated-out key stays published until the last token it signed has
	// expired. Nil: RetireAfter alone.
	LongestTokenLifetime func(ctx context.Context) (time.Duration, error)
	// PublishAhead is how long a rotated-in key is published before it
	// signs (default DefaultPublishAhead; negative: it signs at once, for an
	// emergency rotation, at the price of refusals by resource servers that
	// have not fetched it yet).
	PublishAhead time.Duration
	// RefreshInterval is how stale the cached key set may get before it is
	// reloaded from storage (so a rotation on another node is seen), when
	// nothing (KeysChanged) says earlier that it changed.
	RefreshInterval time.Duration
	// Leeway is the clock skew tolerated on exp and nbf (default 0: every
	// node reads the same database and tokens are verified where issued).
	Leeway time.Duration
	// OnDemand: Init creates no key, and Sign creates an algorithm's first
	// key when it is first asked to sign with it. Only for a throwaway
	// stack whose tokens nobody verifies (the Kickstart dry run): an RSA key
	// costs about as much as everything else a fresh start does (issue 13),
	// and a dry run that signs at all signs ES256. A serving node calls
	// Init, so its keys are published before anything is signed.
	OnDemand bool
}

// keepLastGood bounds how long past RefreshInterval the key set is still
// used while reloading it fails (a database blip): a refresh that committed
// its rotation must still get its token signed. Safe because a key is used
// only until the RetireAt this node knows, and another node's rotation keeps
// the old key published for at least RetireAfter (an hour), far longer.
const keepLastGood = time.Minute

// Manager signs and verifies access tokens with keys kept in storage. It is
// safe for concurrent use; the key set is cached as described on
// Options.RefreshInterval and in internal/cache/doc.go.
type Manager struct {
	store Store
	opts  Options
	set   *cache.Cache[struct{}, keySet]
	clock func() time.Time // the cache's clock, for the unknown-kid bound

	demandMu sync.Mutex // Options.OnDemand's key creation, and Ready's retry

	// pending is Start's RS256 key while it is being made and stored (nil
	// when nothing is pending).
	pending atomic.Pointer[pendingKey]

	unknownMu     sync.Mutex
	unknownReload time.Time // last reload caused by an unknown kid
	unknownErr    error     // its transient failure, if it failed
}

// Store is the storage a Manager uses: the signing keys, and the rotation
// that commits its events with it.
type Store interface {
	storage.SigningKeyStore
	RotateSigningKeyWith(ctx context.Context, r storage.KeyRotation) error
}

// New returns a Manager. It does not touch storage; call Init.
func New(store Store, opts Options) *Manager {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RefreshInterval <= 0 {
		opts.RefreshInterval = DefaultRefreshInterval
	}
	if opts.RetireAfter <= 0 {
		opts.RetireAfter = DefaultRetireAfter
	}
	switch {
	case opts.PublishAhead == 0:
		opts.PublishAhead = DefaultPublishAhead
	case opts.PublishAhead < 0:
		opts.PublishAhead = 0
	}
	m := &Manager{store: store, opts: opts}
	m.newCache(time.Now)
	return m
}

// newCache (re)builds the key-set cache on clock: the real monotonic clock,
// not Options.Now, which tests freeze; tests pass a clock they move.
func (m *Manager) newCache(clock func() time.Time) {
	m.clock = clock
	m.set = cache.New(func(ctx context.Context, _ struct{}) (keySet, error) { return m.load(ctx) },
		cache.Options{TTL: m.opts.RefreshInterval, KeepLastGood: keepLastGood, Transient: storage.Transient, Now: clock})
}

// Init makes sure an active ES256 and RS256 key exist. On the first start of
// a cluster every node may try to create them; storage lets one insert win
// (ErrConflict for the others), and the losers load the winner's key.
func (m *Manager) Init(ctx context.Context) error {
	set, err := m.reload(ctx)
	if err != nil || m.opts.OnDemand {
		return err
	}
	for _, alg := range Algorithms {
		if err := m.ensure(ctx, set, alg); err != nil {
			return err
		}
	}
	if _, err := m.reload(ctx); err != nil {
		return err
	}
	return nil
}

// pendingKey is Start's background RS256 key: done is closed when the
// attempt has ended, err (set before) says whether it failed.
type pendingKey struct {
	done   chan struct{}
	err    error
	cancel context.CancelFunc
}

// Start is Init for a node about to serve, which need not wait for an RSA
// key (tens to hundreds of milliseconds of a core, about a third of a fresh
// start: issue 13): it makes sure an active ES256 key exists before it
// returns, and when there is no RS256 key it creates one on a goroutine.
// Until that key is stored and in this node's key set, everything that
// shows the key set or could sign with RS256 waits for it (Ready): JWKS,
// PublicKeyPEMs, Sign (SignAs, SignWith) of RS256, SignWithKey, Rotate,
// and manage's key listing through Ready. So, as with Init, no key set this
// node shows lacks the RS256 key, and no token is signed with a key it has
// not published (TestStartPublishesRS256BeforeUse). Close ends the wait.
func (m *Manager) Start(ctx context.Context) error {
	if m.opts.OnDemand {
		return m.Init(ctx)
	}
	set, err := m.reload(ctx)
	if err != nil {
		return err
	}
	if err := m.ensure(ctx, set, ES256); err != nil {
		return err
	}
	if _, err := m.reload(ctx); err != nil {
		return err
	}
	if set.active(RS256, m.opts.Now()) != nil {
		return nil
	}
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &pendingKey{done: make(chan struct{}), cancel: cancel}
	m.pending.Store(p)
	go func() {
		defer close(p.done)
		defer cancel()
		if p.err = m.ensure(bctx, set, RS256); p.err == nil {
			// Reload expires the cached set first: a load that started
			// before the insert is not the one waiters then read.
			_, p.err = m.reload(bctx)
		}
	}()
	return nil
}

// Ready waits until the RS256 key Start makes in the background is stored
// and in this node's key set (at once when nothing is pending). Should that
// attempt have failed (the database did not answer), Ready makes the key
// itself, one caller at a time.
func (m *Manager) Ready(ctx context.Context) error {
	p := m.pending.Load()
	if p == nil {
		return nil
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if p.err != nil {
		if _, err := m.onDemand(ctx, RS256); err != nil {
			return err
		}
	}
	m.pending.CompareAndSwap(p, nil)
	return nil
}

// Close stops and waits for Start's background key, if it is still being
// made, so that the storage can be closed after it. A key it did not store
// is made by the next start.
func (m *Manager) Close() {
	if p := m.pending.Load(); p != nil {
		p.cancel()
		<-p.done
	}
}

// ensure creates an active key of alg unless set has one.
func (m *Manager) ensure(ctx context.Context, set keySet, alg string) error {
	if set.active(alg, m.opts.Now()) != nil {
		return nil
	}
	k, err := generate(alg, m.opts.Now())
	if err != nil {
		return err
	}
	if err := m.store.InsertSigningKey(ctx, k); err != nil && !errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("keys: insert %s key: %w", alg, err)
	}
	return nil
}

// onDemand creates alg's first key for Options.OnDemand (one at a time, so
// concurrent first uses create one key) and returns the reloaded set.
func (m *Manager) onDemand(ctx context.Context, alg string) (keySet, error) {
	m.demandMu.Lock()
	defer m.demandMu.Unlock()
	set, err := m.reload(ctx)
	if err != nil {
		return set, err
	}
	if err := m.ensure(ctx, set, alg); err != nil {
		return set, err
	}
	return m.reload(ctx)
}

// Rotate creates the next key for alg. It is published at once and signs
// from ActivateAt, PublishAhead later, so every resource server has fetched
// it before the first token it signs arrives; until then the old key signs.
// The old key stays published until the longest token it can have signed
// has expired: ActivateAt + the longest token lifetime (plus a margin), and
// at least RetireAfter. Each audit function, when given, describes the new
// key (public part only) for an audit entry stored in the rotation's
// transaction.
func (m *Manager) Rotate(ctx context.Context, alg string, audit ...func(next storage.SigningKey) storage.AuditEntry) (storage.SigningKey, error) {
	return m.RotateWith(ctx, alg, nil, audit...)
}

// RotateWith is Rotate that also commits outbox (the jwt.public-key.update
// event) in the rotation's transaction.
func (m *Manager) RotateWith(ctx context.Context, alg string, outbox []storage.OutboxMessage,
	audit ...func(next storage.SigningKey) storage.AuditEntry) (storage.SigningKey, error) {
	if alg == "" {
		alg = ES256
	}
	// Not while Start's RS256 key is still being stored: the rotation would
	// find no key to replace.
	if err := m.Ready(ctx); err != nil {
		return storage.SigningKey{}, err
	}
	keep := m.opts.RetireAfter
	if m.opts.LongestTokenLifetime != nil {
		longest, err := m.opts.LongestTokenLifetime(ctx)
		if err != nil {
			return storage.SigningKey{}, fmt.Errorf("keys: longest token lifetime: %w", err)
		}
		keep = max(keep, longest+retireMargin)
	}
	now := m.opts.Now()
	k, err := generate(alg, now)
	if err != nil {
		return storage.SigningKey{}, err
	}
	k.ActivateAt = now.Add(m.opts.PublishAhead)
	public := k
	public.PrivateKeyPEM = ""
	entries := make([]storage.AuditEntry, len(audit))
	for i, a := range audit {
		entries[i] = a(public)
	}
	if err := m.store.RotateSigningKeyWith(ctx, storage.KeyRotation{Next: k, RetireOldAt: k.ActivateAt.Add(keep),
		Outbox: outbox, Audit: entries}); err != nil {
		return storage.SigningKey{}, fmt.Errorf("keys: rotate %s: %w", alg, err)
	}
	if _, err := m.reload(ctx); err != nil {
		return storage.SigningKey{}, err
	}
	k.PrivateKeyPEM = "" // the caller gets the public record only
	return k, nil
}

// KeysChanged makes the next use reload the key set: the change feed calls
// it when another node rotated. The set in memory stays the last good one
// should that reload fail.
func (m *Manager) KeysChanged() { m.set.Expire(struct{}{}) }

// current returns the cached key set, reloading it when older than
// RefreshInterval so that a rotation on another node is seen within it.
func (m *Manager) current(ctx context.Context) (keySet, error) {
	return m.set.Get(ctx, struct{}{})
}

// reload reads the key set now (one load however many callers ask). A
// failed read is an error even though the last good set stays cached for
// current(): the caller asked because it needs the set as it is now.
func (m *Manager) reload(ctx context.Context) (keySet, error) {
	return m.set.Reload(ctx, struct{}{})
}

// reloadForUnknownKID reloads at most once per interval (RefreshInterval, at
// most one second), however many distinct unknown kids arrive: an attacker
// cannot turn random kids into database load (security-bar J3). It reports
// whether it reloaded.
//
// A reload that failed because the database did not answer is an error
// (storage.Transient: a 503), and so is every lookup rate-limited behind
// it: the kid may be another node's new key, so "unknown" would refuse a
// valid token for the identity server's outage.
func (m *Manager) reloadForUnknownKID(ctx context.Context) (keySet, bool, error) {
	m.unknownMu.Lock()
	now := m.clock()
	if !m.unknownReload.IsZero() && now.Sub(m.unknownReload) < min(m.opts.RefreshInterval, DefaultRefreshInterval) {
		failed := m.unknownErr
		m.unknownMu.Unlock()
		if failed != nil {
			return keySet{}, false, failed
		}
		set, err := m.current(ctx)
		return set, false, err
	}
	m.unknownReload = now
	m.unknownMu.Unlock()
	set, err := m.reload(ctx)
	m.unknownMu.Lock()
	m.unknownErr = nil
	if storage.Transient(err) {
		m.unknownErr = err
	}
	m.unknownMu.Unlock()
	return set, true, err
}

// load reads storage. Keys are parsed once here, not per token.
func (m *Manager) load(ctx context.Context) (keySet, error) {
	recs, err := m.store.ListSigningKeys(ctx, m.opts.Now())
	if err != nil {
		return keySet{}, fmt.Errorf("keys: list signing keys: %w", err)
	}
	return parseKeySet(recs)
}

// JWKS is the published key set: every key not retired at Now, public parts
// only (RFC 7517 §5). Private keys are never part of it.
func (m *Manager) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	set, err := m.publishedSet(ctx)
	if err != nil {
		return jose.JSONWebKeySet{}, err
	}
	out := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range set.published(m.opts.Now()) {
		out.Keys = append(out.Keys, k.jwk)
	}
	return out, nil
}

// publishedSet is the key set to publish: after Start's RS256 key is
// stored (Ready), or, when storing it failed because the database does not
// answer, the last good set as every other read serves it during an outage.
// A set without that key is then the truth: no token is signed with a key
// that was never stored (Sign waits for Ready and fails with it), so
// resource servers lose nothing, while refusing to publish would stop them
// from verifying the ES256 tokens this node still signs.
func (m *Manager) publishedSet(ctx context.Context) (keySet, error) {
	if err := m.Ready(ctx); err != nil && ctx.Err() != nil {
		return keySet{}, err
	}
	return m.current(ctx)
}

// PublicKeyPEMs maps kid to PKIX PEM public key, the shape of FusionAuth's
// GET /api/jwt/public-key {"publicKeys":{kid:pem}}.
func (m *Manager) PublicKeyPEMs(ctx context.Context) (map[string]string, error) {
	set, err := m.publishedSet(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, k := range set.published(m.opts.Now()) {
		out[k.rec.ID] = k.rec.PublicKeyPEM
	}
	return out, nil
}
