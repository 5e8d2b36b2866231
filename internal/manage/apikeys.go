package manage

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// minAPIKeyLength: a caller-chosen key shorter than this is refused. Keys are
// stored as a fast SHA-256 (HashAPIKey), which is only safe for keys with
// enough entropy to make an offline guess hopeless (security-bar.md §4.12).
const minAPIKeyLength = 16

// HashAPIKey is how API keys are stored: SHA-256 of the raw key. Keys are long
// random strings, so a fast hash suffices (no password KDF needed;
// docs/decisions.md "API keys stored as SHA-256").
func HashAPIKey(raw string) []byte {
	sum := sha256.Sum256([]byte(raw))
	return sum[:]
}

// APIKeysStore is what APIKeys uses.
type APIKeysStore interface {
	tenantReader
	CreateAPIKey(ctx context.Context, k storage.APIKey, audit ...storage.AuditEntry) error
	GetAPIKeyByHash(ctx context.Context, hash []byte) (storage.APIKey, error)
	GetAPIKey(ctx context.Context, id string) (storage.APIKey, error)
	ListAPIKeys(ctx context.Context) ([]storage.APIKey, error)
	DeleteAPIKey(ctx context.Context, id string, audit ...storage.AuditEntry) error
	UpdateAPIKey(ctx context.Context, k storage.APIKey, audit ...storage.AuditEntry) error
}

// APIKeys authenticates management API keys and creates them
// (apikeys.mdx; FusionAuth 1.26 key managers).
type APIKeys struct {
	Store APIKeysStore
	Now   func() time.Time
}

// Authenticate returns the key whose value is raw. ok is false for an
// unknown or expired key; the error is a storage failure only. Keys are not
// cached, so a removed key stops working on the next request.
func (ks *APIKeys) Authenticate(ctx context.Context, raw string) (k storage.APIKey, ok bool, err error) {
	k, err = ks.Store.GetAPIKeyByHash(ctx, HashAPIKey(raw))
	if errors.Is(err, storage.ErrNotFound) {
		return storage.APIKey{}, false, nil
	}
	if err != nil {
		return storage.APIKey{}, false, err
	}
	if k.ExpirationInstant != 0 && ks.Now().UnixMilli() >= k.ExpirationInstant {
		return storage.APIKey{}, false, nil
	}
	return k, true, nil
}

// EndpointPermissions are the permission names latchkey's API-key routes
// check: FusionAuth's endpoint prefixes, the keys of an API key's
// permissions.endpoints map. A key restricted to any other name would grant
// nothing, silently, so Kickstart refuses one. TestRouteTable (server) keeps
// this list equal to the permissions its route table uses.
var EndpointPermissions = []string{
	"/api/api-key",
	"/api/application",
	"/api/application/role",
	"/api/application/search",
	"/api/consent",
	"/api/consent/search",
	"/api/email/send",
	"/api/email/template",
	"/api/email/template/search",
	"/api/entity",
	"/api/entity/type",
	"/api/entity/type/search",
	"/api/group",
	"/api/group/member",
	"/api/group/member/search",
	"/api/group/search",
	"/api/identity-provider",
	"/api/identity-provider/link",
	"/api/identity-provider/search",
	"/api/identity-provider/test",
	"/api/jwt/refresh",
	"/api/jwt/revocations",
	"/api/jwt/vend",
	"/api/key",
	"/api/lambda",
	"/api/login",
	"/api/prometheus/metrics",
	"/api/system-configuration",
	"/api/system/audit-log",
	"/api/system/audit-log/export",
	"/api/system/audit-log/search",
	"/api/system/event-log",
	"/api/system/event-log/search",
	"/api/system/login-record/export",
	"/api/system/login-record/search",
	"/api/system/webhook-event-log",
	"/api/system/webhook-event-log/search",
	"/api/tenant",
	"/api/two-factor",
	"/api/user",
	"/api/user-action",
	"/api/user/action",
	"/api/user/bulk",
	"/api/user/change-password",
	"/api/user/comment",
	"/api/user/comment/search",
	"/api/user/consent",
	"/api/user/family",
	"/api/user/family/pending",
	"/api/user/family/request",
	"/api/user/forgot-password",
	"/api/user/import",
	"/api/user/recent-login",
	"/api/user/registration",
	"/api/user/search",
	"/api/user/two-factor",
	"/api/user/verify-email",
	"/api/user/verify-registration",
	"/api/webauthn",
	"/api/webhook",
}

// Permits reports whether k may call method on endpoint. An empty permission
// map is a super key. Endpoints are FusionAuth's endpoint prefixes such as
// "/api/user"; a key for "/api/user" covers "/api/user/{id}" but not
// "/api/user/registration" unless listed (the route names the prefix).
func Permits(k storage.APIKey, endpoint, method string) bool {
	if len(k.Endpoints) == 0 {
		return true
	}
	methods, ok := k.Endpoints[endpoint]
	return ok && slices.ContainsFunc(methods, func(m string) bool { return strings.EqualFold(m, method) })
}

// NewAPIKey is a create request.
type NewAPIKey struct {
	ID          string // "" generates one
	Key         string // "" generates one
	TenantID    string
	Endpoints   map[string][]string
	Description string
	// Attributes are metaData.attributes besides "description"
	// (Description), kept as given (FusionAuth's Map<String, String>).
	Attributes        map[string]string
	KeyManager        bool
	ExpirationInstant int64
}

// CreatedAPIKey is the stored key and, once, its value.
type CreatedAPIKey struct {
	Record storage.APIKey
	Key    string
}

// MayCreate refuses (ErrForbidden) a caller that is not a key manager, before
// anything of its request is looked at.
func (ks *APIKeys) MayCreate(caller storage.APIKey) error {
	if !caller.KeyManager {
		return ErrForbidden
	}
	return nil
}

// Create stores a new key for caller, a key manager. A key never mints a key
// more powerful than itself: a tenant-scoped manager creates keys for its
// tenant only, and an endpoint-restricted manager creates neither managers
// nor keys beyond its own endpoints and methods.
func (ks *APIKeys) Create(ctx context.Context, caller storage.APIKey, in NewAPIKey) (CreatedAPIKey, error) {
	if err := ks.MayCreate(caller); err != nil {
		return CreatedAPIKey{}, err
	}
	if in.ID == "" {
		in.ID = newID()
	}
	e, err := ks.check(ctx, caller, &in)
	if err == nil {
		err = e.Err()
	}
	if err != nil {
		return CreatedAPIKey{}, err
	}
	rec := storage.APIKey{
		ID: in.ID, TenantID: in.TenantID, KeyHash: HashAPIKey(in.Key), Description: in.Description, Attributes: otherAttributes(in.Attributes),
		Endpoints: in.Endpoints, KeyManager: in.KeyManager, ExpirationInstant: in.ExpirationInstant, InsertInstant: ks.Now().UnixMilli(),
	}
	if _, err := ks.Store.GetAPIKeyByHash(ctx, rec.KeyHash); err == nil {
		return CreatedAPIKey{}, invalid("duplicate", "apiKey.key", "An API key with this value already exists.")
	}
	entry := audit(ctx, ks.Now(), rec.TenantID, "Created the API key with Id ["+rec.ID+"]", nil, ViewAPIKey(rec))
	switch err := ks.Store.CreateAPIKey(ctx, rec, entry); {
	case errors.Is(err, storage.ErrConflict):
		return CreatedAPIKey{}, invalid("duplicate", "apiKeyId", "An API key with Id ["+in.ID+"] already exists.")
	case err != nil:
		return CreatedAPIKey{}, err
	}
	return CreatedAPIKey{Record: rec, Key: in.Key}, nil
}

// otherAttributes is attrs without "description", which is kept as
// Description; nil when nothing is left.
func otherAttributes(attrs map[string]string) map[string]string {
	out := maps.Clone(attrs)
	delete(out, "description")
	if len(out) == 0 {
		return nil
	}
	return out
}

// check validates in, generating a blank key and fixing a scoped caller's
// tenant on it.
func (ks *APIKeys) check(ctx context.Context, caller storage.APIKey, in *NewAPIKey) (*Invalid, error) {
	e := &Invalid{}
	if in.Key == "" {
		in.Key = rand.Text() + rand.Text()
	}
	for _, p := range APIKeyValueProblems(in.Key) {
		e.Field(p.Kind, p.Field, p.Message+" Leave it blank to have one generated.")
	}
	if caller.TenantID != "" {
		if in.TenantID != "" && in.TenantID != caller.TenantID {
			e.Field("invalid", "apiKey.tenantId", "A tenant-scoped key can only create keys for its own tenant.")
		}
		in.TenantID = caller.TenantID
	}
	if in.TenantID != "" {
		if _, err := ks.Store.GetTenant(ctx, in.TenantID); errors.Is(err, storage.ErrNotFound) || !ValidID(in.TenantID) {
			e.Field("invalid", "apiKey.tenantId", "No tenant exists with the given id.")
		} else if err != nil {
			return nil, err
		}
	}
	e.Problems = append(e.Problems, EndpointProblems(in.Endpoints)...)
	if len(caller.Endpoints) > 0 {
		if in.KeyManager {
			e.Field("invalid", "apiKey.keyManager", "An endpoint-restricted key cannot create a key manager.")
		}
		if !endpointsWithin(in.Endpoints, caller.Endpoints) {
			e.Field("invalid", "apiKey.permissions", "A key cannot grant endpoints or methods it does not hold itself.")
		}
	}
	if in.ExpirationInstant != 0 && in.ExpirationInstant <= ks.Now().UnixMilli() {
		e.Field("invalid", "apiKey.expirationInstant", "The expiration instant must be in the future.")
	}
	return e, nil
}

// APIKeyValueProblems lists what is wrong with key, a key value chosen by
// whoever creates the key (the API, Kickstart): fewer than 16 characters, or
// a character other than visible ASCII. FusionAuth's docs set no rule ("the
// API key is simply a string"), but a key travels as the raw Authorization
// header value, which HTTP trims of surrounding whitespace and which carries
// no control character and no non-ASCII text verbatim: such a key could only
// ever work through Basic, so it is refused rather than stored. A space
// inside is refused too ("Bearer x..." would read as a token). Messages
// never show the value.
func APIKeyValueProblems(key string) []Problem {
	var ps []Problem
	if utf8.RuneCountInString(key) < minAPIKeyLength {
		ps = append(ps, Problem{Kind: "tooShort", Field: "apiKey.key", Message: "The key must be at least 16 characters long."})
	}
	if strings.ContainsFunc(key, func(r rune) bool { return r < '!' || r > '~' }) {
		ps = append(ps, Problem{Kind: "invalid", Field: "apiKey.key",
			Message: "The key may hold only visible ASCII characters: no spaces, control characters or non-ASCII letters, which the Authorization header does not carry verbatim."})
	}
	return ps
}

var endpointMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// EndpointProblems lists what is wrong with eps, a key's
// permissions.endpoints: an endpoint not in EndpointPermissions, one listing
// no method, a method other than GET, POST, PUT, PATCH or DELETE (upper
// case, as routes check them). Any of these would grant nothing, silently,
// so the API and Kickstart refuse them alike.
func EndpointProblems(eps map[string][]string) []Problem {
	var ps []Problem
	add := func(msg string) {
		ps = append(ps, Problem{Kind: "invalid", Field: "apiKey.permissions.endpoints", Message: msg})
	}
	for _, ep := range slices.Sorted(maps.Keys(eps)) {
		name := truncate(ep, 64)
		if !slices.Contains(EndpointPermissions, ep) {
			add("Endpoint [" + name + "] is not an endpoint latchkey serves.")
		}
		if len(eps[ep]) == 0 {
			add("Endpoint [" + name + "] lists no methods.")
		}
		for _, m := range eps[ep] {
			if !slices.Contains(endpointMethods, m) {
				add("Method [" + truncate(m, 16) + "] of endpoint [" + name + "] must be one of GET, POST, PUT, PATCH, DELETE.")
			}
		}
	}
	return ps
}

// endpointsWithin reports whether want grants nothing beyond have. An empty
// want is a super key, which is beyond any restricted have.
func endpointsWithin(want, have map[string][]string) bool {
	if len(want) == 0 {
		return false
	}
	for ep, methods := range want {
		for _, m := range methods {
			if !slices.Contains(have[ep], m) {
				return false
			}
		}
	}
	return true
}
