package auth

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// BackchannelQueue is the outbox queue of back-channel logout notices
// (internal/backchannel delivers it).
const BackchannelQueue = "backchannel_logout"

// BackchannelNotice is the payload of one notice: who to tell that which
// session of which user ended. The logout token is signed when it is
// delivered, so a retry carries a fresh one.
type BackchannelNotice struct {
	URL      string `json:"url"`
	Issuer   string `json:"iss"`
	ClientID string `json:"aud"`
	UserID   string `json:"sub"`
	SID      string `json:"sid"`
}

// backchannelNotices builds, from the tokens a session's end revoked, one
// notice per application among them that registered a
// backchannelLogoutURL (OpenID Connect Back-Channel Logout 1.0 §2.5; a
// latchkey extension, FusionAuth has none). It runs inside the storage
// transaction, reading applications through the cache.
func (s *Service) backchannelNotices(ctx context.Context, sid string) func([]storage.RefreshToken) ([]storage.OutboxMessage, error) {
	return func(revoked []storage.RefreshToken) ([]storage.OutboxMessage, error) {
		var out []storage.OutboxMessage
		var seen []string
		for _, rt := range revoked {
			if slices.Contains(seen, rt.ApplicationID) {
				continue
			}
			seen = append(seen, rt.ApplicationID)
			app, err := s.application(ctx, rt.ApplicationID)
			if err != nil || app.OAuthConfiguration.BackchannelLogoutURL == "" {
				continue
			}
			tenant, err := s.tenant(ctx, app.TenantID)
			if err != nil {
				continue
			}
			payload, _ := json.Marshal(BackchannelNotice{URL: app.OAuthConfiguration.BackchannelLogoutURL,
				Issuer: s.issuer(tenant), ClientID: app.ID, UserID: rt.UserID, SID: sid})
			out = append(out, storage.OutboxMessage{ID: newID(), Queue: BackchannelQueue, TenantID: app.TenantID,
				Payload: payload, CreatedAt: s.cfg.Now()})
		}
		return out, nil
	}
}
