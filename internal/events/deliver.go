package events

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Request is one webhook request, ready to send: every header is set,
// the signature included.
type Request struct {
	URL                         string
	ConnectTimeout, ReadTimeout time.Duration
	Header                      map[string]string
	Body                        []byte
}

// Poster sends a request and returns nil only for a 2xx answer within
// the timeouts (internal/events/sender).
type Poster interface {
	Post(ctx context.Context, r Request) error
}

// NoDelivery is a Poster that sends nothing and reports success: the
// Kickstart dry run (internal/app) runs the real requests on a throwaway
// database and must not reach the outside world, nor be refused by it.
var NoDelivery Poster = noDelivery{}

type noDelivery struct{}

func (noDelivery) Post(context.Context, Request) error { return nil }

// Signer signs claims with the signing key kid, of algorithm alg (what
// kid was when the webhook was saved), as a compact JWS whose header names
// alg, kid and typ JWT (internal/keys).
type Signer interface {
	SignWithKey(ctx context.Context, kid, alg string, claims map[string]any) (string, error)
}

// SignatureHeader is FusionAuth's webhook signature header
// (extend/events-and-webhooks/signing).
const SignatureHeader = "X-FusionAuth-Signature-JWT"

// request builds w's request for body: its headers, HTTP Basic
// credentials, and, when signing is on, X-FusionAuth-Signature-JWT: a JWT
// whose only claim, request_body_sha256, is the standard Base64 of the
// SHA-256 of the exact body (FusionAuth's signing.mdx), signed with the
// key the webhook names; receivers verify it with the key published in
// the JWKS (/.well-known/jwks.json) under the header's kid.
func (p *Publisher) request(ctx context.Context, w storage.Webhook, body []byte) (Request, error) {
	h := maps.Clone(w.Headers)
	if h == nil {
		h = map[string]string{}
	}
	h["Content-Type"] = "application/json"
	if w.HTTPAuthenticationUsername != "" {
		h["Authorization"] = "Basic " + base64.StdEncoding.EncodeToString([]byte(w.HTTPAuthenticationUsername+":"+w.HTTPAuthenticationPassword))
	}
	if w.SignatureConfiguration.Enabled {
		sum := sha256.Sum256(body)
		sc := w.SignatureConfiguration
		jwt, err := p.cfg.Signer.SignWithKey(ctx, sc.SigningKeyID, sc.SigningKeyAlgorithm,
			map[string]any{"request_body_sha256": base64.StdEncoding.EncodeToString(sum[:])})
		if err != nil {
			return Request{}, fmt.Errorf("events: sign webhook %s: %w", w.ID, err)
		}
		h[SignatureHeader] = jwt
	}
	return Request{URL: w.URL, ConnectTimeout: storage.Lifetime(w.ConnectTimeout, time.Millisecond),
		ReadTimeout: storage.Lifetime(w.ReadTimeout, time.Millisecond), Header: h, Body: body}, nil
}

func (p *Publisher) post(ctx context.Context, w storage.Webhook, body []byte) error {
	r, err := p.request(ctx, w, body)
	if err != nil {
		return err
	}
	return withoutSecrets(p.cfg.Poster.Post(ctx, r), w)
}

// scrubbed is an error whose text had a webhook's secrets taken out; it
// unwraps to the original.
type scrubbed struct {
	text string
	err  error
}

func (e *scrubbed) Error() string { return e.text }
func (e *scrubbed) Unwrap() error { return e.err }

// withoutSecrets is err with w's secrets out of its text: the URL as
// scheme://host (no user info, path or query: each may hold a token, as
// Slack's and Discord's webhook paths do), and
// the HTTP Basic password and every configured header value replaced. The
// outbox keeps the text as the delivery's last error, and the webhook event
// log and the event log show it.
func withoutSecrets(err error, w storage.Webhook) error {
	if err == nil {
		return nil
	}
	text := err.Error()
	if u, perr := url.Parse(w.URL); perr == nil {
		safe := (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
		var ue *url.Error
		if errors.As(err, &ue) {
			text = strings.Replace(text, strconv.Quote(ue.URL), strconv.Quote(safe), 1)
		}
		text = strings.ReplaceAll(text, w.URL, safe)
	}
	secrets := []string{w.HTTPAuthenticationPassword}
	for _, v := range w.Headers {
		secrets = append(secrets, v)
	}
	for _, v := range secrets {
		if len(v) >= 4 { // shorter values are too common to redact blindly, and too short to be a secret
			text = strings.ReplaceAll(text, v, "[redacted]")
		}
	}
	return &scrubbed{text, err}
}

// FailureMessage is the event log text of a failed attempt of the webhook
// queue (outbox.Config.Failed): the event type, the webhook's id, the
// attempt and the error (withoutSecrets). The event's body is not shown.
func FailureMessage(o outbox.Outcome) string {
	var msg message
	_ = json.Unmarshal(o.Message.Payload, &msg) // an unreadable payload names nothing; its error says why
	text := "Failed to deliver the event [" + msg.Type + "] to the webhook with Id [" + msg.WebhookID + "] (" + o.Attempt() + ")"
	if o.Err != nil {
		text += ": " + o.Err.Error()
	}
	return text
}

// Deliver is the webhook queue's outbox.Deliver: it sends one message's
// event to its webhook as the webhook is configured now (a changed URL or
// key applies to deliveries still queued). A webhook deleted since is a
// permanent failure: nobody is left to deliver to.
func (p *Publisher) Deliver(ctx context.Context, m storage.OutboxMessage) error {
	var msg message
	if err := json.Unmarshal(m.Payload, &msg); err != nil {
		return outbox.Permanent(fmt.Errorf("events: unreadable message %s: %w", m.ID, err))
	}
	w, err := p.cfg.Store.GetWebhook(ctx, msg.WebhookID)
	if errors.Is(err, storage.ErrNotFound) {
		return outbox.Permanent(fmt.Errorf("events: webhook %s was deleted", msg.WebhookID))
	}
	if err != nil {
		return err
	}
	return p.post(ctx, w, msg.Body)
}

// Enqueuer stores outbox messages on their own: the events that report
// something no other write stores (a failed login without lockout, a
// token minted without a rotation).
type Enqueuer interface {
	EnqueueOutbox(ctx context.Context, msgs ...storage.OutboxMessage) error
}

// Publish prepares ev and stores its messages at once, in their own
// transaction, for an event whose cause writes nothing it could ride
// with; the caller publishes before answering, so the event is durable
// before anyone learns of what it reports.
func (p *Publisher) Publish(ctx context.Context, st Enqueuer, pl Plan, ev *Event) error {
	msgs, err := p.Prepare(ctx, pl, ev)
	if err != nil || len(msgs) == 0 {
		return err
	}
	if err := st.EnqueueOutbox(ctx, msgs...); err != nil {
		return fmt.Errorf("events: store %s: %w", pl.typ, err)
	}
	p.Committed(msgs)
	return nil
}
