package events

import (
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// Event is FusionAuth's event object, the body of every webhook request
// as {"event": ...} (extend/events-and-webhooks/events; BaseEvent and its
// subclasses in the Java client). The envelope fields come first; the
// others are set by the event types that carry them and omitted otherwise.
// Users are the management API's user JSON, which never holds a password
// hash (storage.User.Password is not serialised).
type Event struct {
	ID            string `json:"id"` // unique per event; receivers de-duplicate on it
	Type          string `json:"type"`
	CreateInstant int64  `json:"createInstant"`
	TenantID      string `json:"tenantId,omitempty"`
	Info          *Info  `json:"info,omitempty"`

	ApplicationID                  string         `json:"applicationId,omitempty"`
	ApplicationIDs                 []string       `json:"applicationIds,omitempty"`
	ApplicationTimeToLiveInSeconds map[string]int `json:"applicationTimeToLiveInSeconds,omitempty"`
	AuthenticationType             string         `json:"authenticationType,omitempty"`
	// IdentityProviderID and IdentityProviderName name the identity
	// provider of a federated user.login.success (omitted otherwise).
	IdentityProviderID   string `json:"identityProviderId,omitempty"`
	IdentityProviderName string `json:"identityProviderName,omitempty"`
	// IPAddress is the deprecated top-level copy of info.ipAddress that
	// FusionAuth still sends with login events.
	IPAddress    string                `json:"ipAddress,omitempty"`
	Original     *storage.User         `json:"original,omitempty"` // user.update: the user before
	Reason       *Reason               `json:"reason,omitempty"`
	RefreshToken *RefreshToken         `json:"refreshToken,omitempty"`
	Registration *storage.Registration `json:"registration,omitempty"`
	User         *storage.User         `json:"user,omitempty"`
	UserID       string                `json:"userId,omitempty"`
	Users        []storage.User        `json:"users,omitempty"` // user.bulk.create
	// RefreshTokenID names the session of jwt.refresh and
	// jwt.refresh-token.reuse (latchkey's field: FusionAuth's jwt.refresh
	// carries the token values themselves, which latchkey never stores,
	// so never puts in an outbox row either).
	RefreshTokenID string `json:"refreshTokenId,omitempty"`
	// Message is the text of a test event (FusionAuth's TestEvent).
	Message string `json:"message,omitempty"`

	// user.action (FusionAuth's UserActionEvent; latchkey has no action
	// reasons, so reason and reasonCode are never set).
	Action          string `json:"action,omitempty"`
	ActionID        string `json:"actionId,omitempty"`
	ActioneeUserID  string `json:"actioneeUserId,omitempty"`
	ActionerUserID  string `json:"actionerUserId,omitempty"`
	Comment         string `json:"comment,omitempty"`
	EmailedUser     *bool  `json:"emailedUser,omitempty"`
	Expiry          int64  `json:"expiry,omitempty"`
	LocalizedAction string `json:"localizedAction,omitempty"`
	LocalizedOption string `json:"localizedOption,omitempty"`
	NotifyUser      *bool  `json:"notifyUser,omitempty"`
	Option          string `json:"option,omitempty"`
	Phase           string `json:"phase,omitempty"` // start, modify, cancel, end
}

// Info is FusionAuth's EventInfo: where the request that caused the event
// came from.
type Info struct {
	IPAddress         string `json:"ipAddress,omitempty"`
	UserAgent         string `json:"userAgent,omitempty"`
	DeviceName        string `json:"deviceName,omitempty"`
	DeviceDescription string `json:"deviceDescription,omitempty"`
	DeviceType        string `json:"deviceType,omitempty"`
}

// Source builds the info of a request from its address and user agent;
// nil when neither is known.
func Source(ip, userAgent string) *Info {
	if ip == "" && userAgent == "" {
		return nil
	}
	return &Info{IPAddress: ip, UserAgent: userAgent}
}

// Reason is user.login.failed's reason (FusionAuth's EventReason).
type Reason struct {
	Code string `json:"code"` // credentials
}

// RefreshToken is FusionAuth's refresh token object as events carry it,
// without the token value (latchkey stores only its hash).
type RefreshToken struct {
	ID            string             `json:"id"`
	ApplicationID string             `json:"applicationId,omitempty"`
	TenantID      string             `json:"tenantId,omitempty"`
	UserID        string             `json:"userId"`
	InsertInstant int64              `json:"insertInstant"`
	StartInstant  int64              `json:"startInstant"`
	MetaData      RefreshTokenDevice `json:"metaData"`
}

// RefreshTokenDevice is the refresh token's metaData.
type RefreshTokenDevice struct {
	Device storage.DeviceInfo `json:"device"`
	Scopes []string           `json:"scopes,omitempty"`
}

// TokenView is the event form of a stored refresh token.
func TokenView(t storage.RefreshToken) *RefreshToken {
	return &RefreshToken{ID: t.ID, ApplicationID: t.ApplicationID, TenantID: t.TenantID, UserID: t.UserID,
		InsertInstant: t.InsertedAt.UnixMilli(), StartInstant: t.StartInstant.UnixMilli(),
		MetaData: RefreshTokenDevice{Device: t.Device, Scopes: t.Scopes}}
}

// UserView is u as an event carries it: a copy, so the caller may go on
// changing u, with registrations as given.
func UserView(u storage.User) *storage.User {
	u.Password = storage.PasswordHash{}
	return &u
}
