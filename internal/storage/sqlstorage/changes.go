package sqlstorage

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// changeChannel is the channel migration 0010's triggers notify on.
const changeChannel = "latchkey_changes"

// Bounds of the change feed's connection. A listening connection receives
// nothing while nothing changes, so a dead one (a partition, a half-open
// TCP connection) is only noticed by asking: after pingEvery of silence the
// feed pings, and a ping unanswered within pingTimeout ends the connection.
// Changes missed meanwhile are covered by ChangeAll on reconnection, and by
// the caches' TTL until then.
const (
	pingEvery      = 10 * time.Second
	pingTimeout    = 5 * time.Second
	connectTimeout = 10 * time.Second
	retryMin       = 100 * time.Millisecond
	retryMax       = 5 * time.Second
)

// changeFeed listens for change notifications on a dedicated PostgreSQL
// connection (LISTEN needs one session for its whole life, which a pool
// cannot promise) and hands them to the subscribers, reconnecting for as
// long as the Store is open. It starts with the first subscriber.
type changeFeed struct {
	cfg *pgx.ConnConfig
	log *slog.Logger

	mu      sync.Mutex
	subs    map[int]func(storage.Change)
	nextSub int
	stop    context.CancelFunc // nil until started
	done    chan struct{}      // closed when the listener has stopped

	pingEvery time.Duration // pingEvery; tests shorten it

	up  atomic.Bool   // listening right now
	pid atomic.Uint32 // backend process id of the listening session (tests)
}

func newChangeFeed(cfg *pgx.ConnConfig, log *slog.Logger) *changeFeed {
	cfg = cfg.Copy()
	cfg.RuntimeParams["application_name"] = "latchkey change feed"
	return &changeFeed{cfg: cfg, log: log, subs: map[int]func(storage.Change){}, pingEvery: pingEvery}
}

// SubscribeChanges implements storage.ChangeFeed. On SQLite it delivers
// nothing: one node, whose handlers forget what they change.
func (s *Store) SubscribeChanges(fn func(storage.Change)) (unsubscribe func()) {
	if s.feed == nil {
		return func() {}
	}
	return s.feed.subscribe(fn)
}

func (f *changeFeed) subscribe(fn func(storage.Change)) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.nextSub
	f.nextSub++
	f.subs[id] = fn
	if f.stop == nil {
		ctx, cancel := context.WithCancel(context.Background())
		f.stop, f.done = cancel, make(chan struct{})
		go f.run(ctx)
	}
	return func() {
		f.mu.Lock()
		delete(f.subs, id)
		f.mu.Unlock()
	}
}

// close stops the listener and waits for it (Store.Close).
func (f *changeFeed) close() {
	f.mu.Lock()
	stop, done := f.stop, f.done
	f.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

func (f *changeFeed) publish(c storage.Change) {
	f.mu.Lock()
	subs := make([]func(storage.Change), 0, len(f.subs))
	for _, fn := range f.subs {
		subs = append(subs, fn)
	}
	f.mu.Unlock()
	for _, fn := range subs {
		fn(c)
	}
}

// run keeps a listening session up until ctx ends, retrying with a backoff.
// The first failure of an outage is a warning, its retries are debug lines,
// and each successful LISTEN is logged.
func (f *changeFeed) run(ctx context.Context) {
	defer close(f.done)
	wait, down := retryMin, false
	for ctx.Err() == nil {
		listened, err := f.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if listened { // it was up: this is a new outage
			wait, down = retryMin, false
		}
		if !down {
			f.log.Warn("change feed down: caches on this node fall back to their TTL until it is back",
				"error", f.redact(err))
			down = true
		} else {
			f.log.Debug("change feed: reconnecting failed", "error", f.redact(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, retryMax)
	}
}

// session connects, listens and delivers until the connection fails (or ctx
// ends). listened reports whether LISTEN succeeded.
func (f *changeFeed) session(ctx context.Context) (listened bool, err error) {
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, f.cfg)
	if err != nil {
		return false, err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), pingTimeout)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	var schema string
	if err := conn.QueryRow(cctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return false, err
	}
	if _, err := conn.Exec(cctx, `LISTEN `+changeChannel); err != nil {
		return false, err
	}
	f.pid.Store(conn.PgConn().PID())
	f.up.Store(true)
	defer f.up.Store(false)
	f.log.Info("change feed listening", "schema", schema)
	// Whatever changed before LISTEN took effect was not announced to us.
	f.publish(storage.Change{Kind: storage.ChangeAll})
	for {
		wctx, cancel := context.WithTimeout(ctx, f.pingEvery)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			if c, ok := parseChange(n.Payload, schema); ok {
				f.publish(c)
			}
		case ctx.Err() != nil:
			return true, nil
		case wctx.Err() != nil: // silence: make sure the connection is alive
			pctx, cancel := context.WithTimeout(ctx, pingTimeout)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return true, err
			}
		default:
			return true, err
		}
	}
}

// parseChange reads a trigger's payload; ok is false for another schema's.
// A payload that cannot be read means something changed that this node
// cannot name, so it forgets everything.
func parseChange(payload, schema string) (storage.Change, bool) {
	var p struct{ Schema, Kind, ID string }
	if err := json.Unmarshal([]byte(payload), &p); err != nil || p.Kind == "" {
		return storage.Change{Kind: storage.ChangeAll}, true
	}
	if p.Schema != schema {
		return storage.Change{}, false
	}
	return storage.Change{Kind: storage.ChangeKind(p.Kind), ID: p.ID}, true
}

// redact keeps the password out of connection errors, as openPostgres does.
func (f *changeFeed) redact(err error) string {
	if err == nil {
		return "connection closed"
	}
	msg := err.Error()
	if f.cfg.Password != "" {
		msg = strings.ReplaceAll(msg, f.cfg.Password, "xxxxx")
	}
	return msg
}
