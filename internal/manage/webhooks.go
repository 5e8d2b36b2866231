package manage

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// WebhooksStore is what Webhooks uses.
type WebhooksStore interface {
	storage.WebhookStore
	tenantReader
	ListSigningKeys(ctx context.Context, now time.Time) ([]storage.SigningKey, error)
	// The webhook queue's deliveries (WebhookDelivery).
	GetOutboxMessage(ctx context.Context, id string) (storage.OutboxMessage, error)
	ListOutbox(ctx context.Context, f storage.OutboxFilter) ([]storage.OutboxMessage, error)
	OutboxDepth(ctx context.Context, queue string) (storage.OutboxDepth, error)
	RequeueOutbox(ctx context.Context, id string, at time.Time) error
}

// WebhookPublisher is what the webhook API needs of *events.Publisher:
// its node-local webhook list, which a change must clear; the wake-up of
// this node's webhook worker; a test event sent at once.
type WebhookPublisher interface {
	ForgetWebhooks()
	Committed(msgs []storage.OutboxMessage)
	Test(ctx context.Context, w storage.Webhook) (eventID string, err error)
}

// Webhooks is the webhook API (apis/webhooks; spec §3.1). Webhooks are
// global, as in FusionAuth: a tenant-scoped key may not use this API.
type Webhooks struct {
	Store     WebhooksStore
	Publisher WebhookPublisher
	Now       func() time.Time

	updates recordLocks // Update's, by webhook id
}

// Bounds of a webhook's timeouts (ms). One attempt takes at most their sum,
// which stays below the webhook queue's attempt timeout (internal/app), so
// a slow receiver never outlives the lease of the delivery.
const (
	maxConnectTimeout = 10_000
	maxReadTimeout    = 30_000
)

// Create stores a new webhook with id ("" generates one).
func (ws *Webhooks) Create(ctx context.Context, id string, w storage.Webhook) (storage.Webhook, error) {
	if id == "" {
		id = newID()
	}
	now := ws.Now().UnixMilli()
	w.ID, w.InsertInstant, w.LastUpdateInstant = id, now, now
	e, err := ws.validate(ctx, &w)
	if err != nil {
		return w, err
	}
	if _, err := ws.Store.GetWebhook(ctx, id); err == nil {
		e.Field("duplicate", "webhook.id", "A webhook with Id ["+id+"] already exists.")
	} else if !errors.Is(err, storage.ErrNotFound) {
		return w, err
	}
	if err := e.Err(); err != nil {
		return w, err
	}
	if err := ws.Store.CreateWebhook(ctx, w); errors.Is(err, storage.ErrConflict) {
		return w, invalid("duplicate", "webhook.id", "A webhook with Id ["+id+"] already exists.")
	} else if err != nil {
		return w, err
	}
	ws.Publisher.ForgetWebhooks()
	return w, nil
}

// Get returns one webhook.
func (ws *Webhooks) Get(ctx context.Context, id string) (storage.Webhook, error) {
	w, err := ws.Store.GetWebhook(ctx, id)
	return w, notFound(err)
}

// List returns every webhook.
func (ws *Webhooks) List(ctx context.Context) ([]storage.Webhook, error) {
	return ws.Store.ListWebhooks(ctx)
}

// WebhookSearch is FusionAuth's webhook search criteria
// (POST /api/webhook/search): description and url match as
// case-insensitive substrings, tenantId a webhook serving that tenant.
type WebhookSearch struct {
	Description     string `json:"description"`
	URL             string `json:"url"`
	TenantID        string `json:"tenantId"`
	NumberOfResults int    `json:"numberOfResults"`
	StartRow        int    `json:"startRow"`
	OrderBy         string `json:"orderBy"`
}

// Search returns one page of the webhooks matching q, ordered by
// description then id, and how many match in all. Webhooks are few, so
// the search runs over the list.
func (ws *Webhooks) Search(ctx context.Context, q WebhookSearch) ([]storage.Webhook, int, error) {
	e := &Invalid{}
	checkPaging(e, searchPaging(q.StartRow, q.NumberOfResults)...)
	checkFilterID(e, "search.tenantId", q.TenantID)
	if err := e.Err(); err != nil {
		return nil, 0, err
	}
	list, err := ws.Store.ListWebhooks(ctx)
	if err != nil {
		return nil, 0, err
	}
	has := func(v, sub string) bool { return strings.Contains(strings.ToLower(v), strings.ToLower(sub)) }
	list = slices.DeleteFunc(list, func(w storage.Webhook) bool {
		return !has(w.Description, q.Description) || !has(w.URL, q.URL) ||
			q.TenantID != "" && !w.Global && !slices.Contains(w.TenantIDs, q.TenantID)
	})
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].Description != list[j].Description {
			return list[i].Description < list[j].Description
		}
		return list[i].ID < list[j].ID
	})
	page, err := PageOf(list, q.StartRow, q.NumberOfResults)
	return page, len(list), err
}

// Update replaces webhook id with change's result (a PUT, or a PATCH applied
// to the current one). A blank httpAuthenticationPassword keeps the stored
// one, since responses never show it. A read-modify-write
// (recordLocks.rewrite): the write holds only while the webhook is as
// read; change runs once per try.
func (ws *Webhooks) Update(ctx context.Context, id string, change func(storage.Webhook) (storage.Webhook, error)) (storage.Webhook, error) {
	var w storage.Webhook
	err := ws.updates.rewrite(id, func() error {
		cur, err := ws.Get(ctx, id)
		if err != nil {
			return err
		}
		if w, err = change(cur); err != nil {
			return err
		}
		w.ID, w.InsertInstant, w.LastUpdateInstant, w.Revision = cur.ID, cur.InsertInstant, ws.Now().UnixMilli(), cur.Revision
		if w.HTTPAuthenticationPassword == "" && w.HTTPAuthenticationUsername != "" {
			w.HTTPAuthenticationPassword = cur.HTTPAuthenticationPassword
		}
		e, err := ws.validate(ctx, &w)
		if err != nil {
			return err
		}
		if err := e.Err(); err != nil {
			return err
		}
		return notFound(ws.Store.UpdateWebhook(ctx, w))
	})
	if err != nil {
		return w, err
	}
	ws.Publisher.ForgetWebhooks()
	return w, nil
}

// Delete removes a webhook; deliveries still queued for it are dropped.
func (ws *Webhooks) Delete(ctx context.Context, id string) error {
	if err := ws.Store.DeleteWebhook(ctx, id); err != nil {
		return notFound(err)
	}
	ws.Publisher.ForgetWebhooks()
	return nil
}

// validate checks w as FusionAuth's webhook request body describes it,
// normalising empty collections; it returns the problems found.
func (ws *Webhooks) validate(ctx context.Context, w *storage.Webhook) (*Invalid, error) {
	e := &Invalid{}
	checkWebhookURL(e, w.URL)
	checkTimeout(e, "webhook.connectTimeout", w.ConnectTimeout, maxConnectTimeout)
	checkTimeout(e, "webhook.readTimeout", w.ReadTimeout, maxReadTimeout)
	if w.EventsEnabled == nil {
		w.EventsEnabled = map[string]bool{}
	}
	for _, t := range sortedKeys(w.EventsEnabled) {
		if !events.Known(t) {
			e.Field("invalid", "webhook.eventsEnabled", "["+truncate(t, 64)+"] is not an event type.")
		}
	}
	if w.TenantIDs == nil {
		w.TenantIDs = []string{}
	}
	for _, id := range w.TenantIDs {
		if _, err := ws.Store.GetTenant(ctx, id); errors.Is(err, storage.ErrNotFound) {
			e.Field("invalid", "webhook.tenantIds", "The tenant ["+truncate(id, 64)+"] does not exist.")
		} else if err != nil {
			return e, err
		}
	}
	if w.Headers == nil {
		w.Headers = map[string]string{}
	}
	checkHeaders(e, w.Headers)
	checkBasicUser(e, w.HTTPAuthenticationUsername)
	if w.SSLCertificateKeyID != "" || w.SSLCertificate != "" {
		e.Field("invalid", "webhook.sslCertificateKeyId", "latchkey checks a webhook's TLS certificate against the system's trusted roots; a certificate of its own is not supported.")
	}
	w.SignatureConfiguration.SigningKeyAlgorithm = ""
	if w.SignatureConfiguration.Enabled {
		if err := ws.checkSigningKey(ctx, e, &w.SignatureConfiguration); err != nil {
			return e, err
		}
	}
	return e, nil
}

func checkWebhookURL(e *Invalid, raw string) {
	if strings.TrimSpace(raw) == "" {
		e.Field("blank", "webhook.url", "You must specify the [webhook.url] property.")
		return
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || u.Fragment != "" || !dialablePort(u.Port()) {
		e.Field("invalid", "webhook.url", "The [webhook.url] must be an absolute http or https URL with a host, a port from 1 to 65535 if any, and no user information or fragment.")
	}
}

// dialablePort: no port (the scheme's), or 1–65535. url.Parse takes any
// digits, and a delivery to port 0 or 99999 could only fail at dial time.
func dialablePort(p string) bool {
	if p == "" {
		return true
	}
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535
}

// checkBasicUser refuses a Basic user-id a receiver cannot read back: RFC
// 7617 §2 splits user-id and password at the first colon, and allows no
// control characters.
func checkBasicUser(e *Invalid, user string) {
	if strings.ContainsFunc(user, func(r rune) bool { return r == ':' || r < ' ' || r == 0x7f }) {
		e.Field("invalid", "webhook.httpAuthenticationUsername", "The [webhook.httpAuthenticationUsername] property may not hold a colon or control characters (RFC 7617).")
	}
}

func checkTimeout(e *Invalid, field string, ms, most int) {
	switch {
	case ms == 0:
		e.Field("blank", field, "You must specify the ["+field+"] property, in milliseconds.")
	case ms < 0 || ms > most:
		e.Field("invalid", field, "The ["+field+"] property must be from 1 to "+itoa(most)+" milliseconds.")
	}
}

// reservedHeaders are set by the delivery itself.
var reservedHeaders = []string{"content-type", "content-length", "host", "authorization", "user-agent",
	"transfer-encoding", "connection", strings.ToLower(events.SignatureHeader)}

// checkHeaders refuses header names that are not HTTP tokens (RFC 9110
// §5.1), values with control characters (header injection), and names the
// delivery sets itself.
func checkHeaders(e *Invalid, h map[string]string) {
	for _, name := range sortedKeys(h) {
		switch {
		case name == "" || strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) }):
			e.Field("invalid", "webhook.headers", "The header name ["+truncate(name, 64)+"] is not valid.")
		case slices.Contains(reservedHeaders, strings.ToLower(name)):
			e.Field("invalid", "webhook.headers", "The header ["+name+"] is set by latchkey.")
		case strings.ContainsFunc(h[name], func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }):
			e.Field("invalid", "webhook.headers", "The value of header ["+name+"] holds control characters.")
		}
	}
}

// checkSigningKey requires signingKeyId to name a signing key that is
// active or still published (key management, /api/key), and records that
// key's algorithm: deliveries keep it after the key is retired and dropped
// (keys.Manager.SignWithKey).
func (ws *Webhooks) checkSigningKey(ctx context.Context, e *Invalid, sc *storage.SignatureConfiguration) error {
	const field = "webhook.signatureConfiguration.signingKeyId"
	if sc.SigningKeyID == "" {
		e.Field("blank", field, "You must specify the ["+field+"] property when signing is enabled.")
		return nil
	}
	keys, err := ws.Store.ListSigningKeys(ctx, ws.Now())
	if err != nil {
		return err
	}
	i := slices.IndexFunc(keys, func(k storage.SigningKey) bool { return k.ID == sc.SigningKeyID })
	if i < 0 {
		e.Field("invalid", field, "The key ["+truncate(sc.SigningKeyID, 64)+"] is not a signing key.")
		return nil
	}
	sc.SigningKeyAlgorithm = keys[i].Algorithm
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
