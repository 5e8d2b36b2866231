// Package backchannel delivers OpenID Connect Back-Channel Logout 1.0
// notices: for each outbox message of auth.BackchannelQueue it signs a
// logout token and POSTs it to the application's backchannelLogoutURL. The
// outbox worker (internal/outbox) retries failures with backoff, so a
// relying party that is down hears of the logout when it is back.
package backchannel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/keys"
	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// logoutEvent is the events member of a logout token (BCL 1.0 §2.4).
const logoutEvent = "http://schemas.openid.net/event/backchannel-logout"

// Sender signs and posts logout tokens.
type Sender struct {
	Keys   *keys.Manager
	Client *http.Client // nil: a client with a 10 s timeout that follows no redirect
	Now    func() time.Time
}

// Deliver is the outbox.Deliver of the back-channel queue. A 2xx is
// delivered; a 4xx means the relying party refuses this token for good
// (BCL 1.0 §2.8: 400 for a token it cannot validate) and is permanent;
// anything else is retried.
func (s *Sender) Deliver(ctx context.Context, m storage.OutboxMessage) error {
	var n auth.BackchannelNotice
	if err := json.Unmarshal(m.Payload, &n); err != nil {
		return outbox.Permanent(fmt.Errorf("backchannel: bad payload: %w", err))
	}
	now := s.now()
	// BCL 1.0 §2.4: iss, aud, iat, exp, jti, events, sub and/or sid; never
	// a nonce. Two minutes: long enough for clock skew, short for replay.
	tok, err := s.Keys.Sign(ctx, "", map[string]any{"iss": n.Issuer, "aud": n.ClientID, "sub": n.UserID, "sid": n.SID,
		"iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(), "jti": uuid.NewString(),
		"events": map[string]any{logoutEvent: map[string]any{}}})
	if err != nil {
		return fmt.Errorf("backchannel: sign: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, strings.NewReader(url.Values{"logout_token": {tok}}.Encode()))
	if err != nil {
		return outbox.Permanent(fmt.Errorf("backchannel: %w", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := s.client().Do(req)
	if err != nil {
		// The client's error quotes the whole URL; its path or query may hold
		// a token, and the text is kept (the outbox, the event log).
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("backchannel: post to %s: %w", req.URL.Host, err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	switch {
	case res.StatusCode/100 == 2:
		return nil
	case res.StatusCode/100 == 4:
		return outbox.Permanent(fmt.Errorf("backchannel: %s refused the logout token: %s", req.URL.Host, res.Status))
	}
	return errors.New("backchannel: " + req.URL.Host + " answered " + res.Status)
}

// FailureMessage is the event log text of a failed attempt of the
// back-channel queue (outbox.Config.Failed): the application (client id),
// the relying party's host, the attempt and the error, which names the
// host only (Deliver); never the logout URL's path or query, nor the user.
func FailureMessage(o outbox.Outcome) string {
	var n auth.BackchannelNotice
	_ = json.Unmarshal(o.Message.Payload, &n) // an unreadable payload names nothing; its error says why
	host := ""
	if u, err := url.Parse(n.URL); err == nil {
		host = u.Host
	}
	text := "Failed to send a back-channel logout token for the application with Id [" + n.ClientID + "] to [" + host + "] (" + o.Attempt() + ")"
	if o.Err != nil {
		text += ": " + o.Err.Error()
	}
	return text
}

func (s *Sender) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (s *Sender) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
