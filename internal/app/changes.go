package app

import (
	"github.com/latchkeyhq/latchkey/internal/auth"
	"github.com/latchkeyhq/latchkey/internal/events"
	"github.com/latchkeyhq/latchkey/internal/keys"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// followChanges makes this node's caches drop what another node changed,
// from the store's change feed (PostgreSQL LISTEN/NOTIFY; nothing on
// SQLite, where this node is the only writer and its handlers forget what
// they change). It returns the function that stops following.
//
// API keys are not cached. The CORS origin set (internal/server) is made of
// the applications and the system configuration, so it follows both.
func followChanges(feed storage.ChangeFeed, svc *auth.Service, km *keys.Manager, pub *events.Publisher, origins func()) (stop func()) {
	return feed.SubscribeChanges(func(c storage.Change) {
		switch c.Kind {
		case storage.ChangeTenant:
			svc.ForgetTenant(c.ID)
		case storage.ChangeApplication:
			svc.ForgetApplication(c.ID)
			origins()
		case storage.ChangeSystemConfiguration:
			origins()
		case storage.ChangeSigningKey:
			km.KeysChanged()
		case storage.ChangeLambda:
			svc.ForgetLambda(c.ID)
		case storage.ChangeWebhook:
			pub.ForgetWebhooks()
		case storage.ChangeAll:
			svc.ForgetAll()
			km.KeysChanged()
			pub.ForgetWebhooks()
			origins()
		}
	})
}
