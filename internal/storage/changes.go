package storage

// ChangeKind names the kind of record a Change is about. The values are
// also the names the PostgreSQL triggers send (sqlstorage migration 0010).
type ChangeKind string

// The records whose changes are announced: those some node keeps in memory
// (internal/cache/doc.go), or may later.
const (
	ChangeTenant              ChangeKind = "tenant"
	ChangeApplication         ChangeKind = "application"
	ChangeSigningKey          ChangeKind = "signing_key"
	ChangeAPIKey              ChangeKind = "api_key"
	ChangeSystemConfiguration ChangeKind = "system_configuration"
	// Webhooks and lambdas (issue 14): read by every event and every token
	// of an application with a lambda.
	ChangeWebhook ChangeKind = "webhook"
	ChangeLambda  ChangeKind = "lambda"
	// ChangeAll: changes may have been missed (the feed's connection was
	// down, or has just been made); forget everything cached.
	ChangeAll ChangeKind = "all"
)

// Change says that a committed write changed one record (ID, empty for
// ChangeAll). It carries no data: subscribers drop what they cached and read
// the record again when they need it.
type Change struct {
	Kind ChangeKind
	ID   string
}

// ChangeFeed pushes changes committed by any node sharing the database, so
// caches on every node drop a changed record at once instead of at the end
// of their TTL. The PostgreSQL backend sends a notification in the writing
// transaction and listens on a dedicated connection; the SQLite backend
// serves one node, whose handlers forget what they change themselves, and
// delivers nothing. Delivery is best effort: while the feed is down caches
// rely on their TTL, and when it comes back it delivers ChangeAll first.
type ChangeFeed interface {
	// SubscribeChanges calls fn for every change from now on, on the feed's
	// own goroutine: fn must return quickly. The returned function
	// unsubscribes.
	SubscribeChanges(fn func(Change)) (unsubscribe func())
}
