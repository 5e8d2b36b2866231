package observe

import (
	"context"
	"database/sql"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/latchkeyhq/latchkey/internal/storage"
)

// GateStats is what the hashing gate (server.Gate) reports.
type GateStats interface {
	InUse() int    // password verifications running
	Queued() int   // requests waiting for a slot
	Capacity() int // slots
	Refused() int64
	Abandoned() int64 // waits whose client went away (not refusals)
	Draining() bool
}

// WatchGate registers the hashing gate's gauges, read at scrape time.
func (m *Metrics) WatchGate(g GateStats) {
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	m.reg.MustRegister(
		gauge("latchkey_hash_gate_in_use", "Password verifications running now (hashing gate slots taken).", func() float64 { return float64(g.InUse()) }),
		gauge("latchkey_hash_gate_queued", "Password-verifying requests waiting for a hashing slot.", func() float64 { return float64(g.Queued()) }),
		gauge("latchkey_hash_gate_capacity", "Hashing gate slots (password verifications at once).", func() float64 { return float64(g.Capacity()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "latchkey_hash_gate_refused_total",
			Help: "Password-verifying requests refused with 503 because the queue was full or the wait too long."},
			func() float64 { return float64(g.Refused()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "latchkey_hash_gate_abandoned_total",
			Help: "Password-verifying requests whose client went away while they waited for a hashing slot or turn (not counted as refused)."},
			func() float64 { return float64(g.Abandoned()) }),
		gauge("latchkey_draining", "1 once shutdown has begun (readiness reports 503).", func() float64 {
			if g.Draining() {
				return 1
			}
			return 0
		}),
	)
}

// WatchPools registers database/sql's pool statistics of each pool
// (go_sql_* with db_name="writer", "reader" or "pool").
func (m *Metrics) WatchPools(pools map[string]*sql.DB) {
	for name, db := range pools {
		m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
}

// OutboxDepther is the one storage read the outbox gauges make.
type OutboxDepther interface {
	OutboxDepth(ctx context.Context, queue string) (storage.OutboxDepth, error)
}

// WatchOutbox registers the depth and age of each queue, read from the
// database at scrape time (one indexed count per queue, bounded by 2 s).
func (m *Metrics) WatchOutbox(st OutboxDepther, now func() time.Time, queues ...string) {
	m.reg.MustRegister(&outboxCollector{st: st, now: now, queues: queues})
}

var (
	outboxPending = prometheus.NewDesc("latchkey_outbox_pending", "Messages waiting for delivery (new or to be retried).", []string{"queue"}, nil)
	outboxDead    = prometheus.NewDesc("latchkey_outbox_dead", "Messages given up on after their last attempt.", []string{"queue"}, nil)
	outboxAge     = prometheus.NewDesc("latchkey_outbox_oldest_pending_age_seconds", "Age of the oldest pending message (0 when none).", []string{"queue"}, nil)
	outboxUp      = prometheus.NewDesc("latchkey_outbox_scrape_ok", "1 when the outbox depth could be read at this scrape.", []string{"queue"}, nil)
)

type outboxCollector struct {
	st     OutboxDepther
	now    func() time.Time
	queues []string
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxPending
	ch <- outboxDead
	ch <- outboxAge
	ch <- outboxUp
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, q := range c.queues {
		d, err := c.st.OutboxDepth(ctx, q)
		if err != nil {
			ch <- prometheus.MustNewConstMetric(outboxUp, prometheus.GaugeValue, 0, q)
			continue
		}
		age := 0.0
		if !d.OldestPending.IsZero() {
			age = max(0, c.now().Sub(d.OldestPending).Seconds())
		}
		ch <- prometheus.MustNewConstMetric(outboxUp, prometheus.GaugeValue, 1, q)
		ch <- prometheus.MustNewConstMetric(outboxPending, prometheus.GaugeValue, float64(d.Pending), q)
		ch <- prometheus.MustNewConstMetric(outboxDead, prometheus.GaugeValue, float64(d.Dead), q)
		ch <- prometheus.MustNewConstMetric(outboxAge, prometheus.GaugeValue, age, q)
	}
}

// UserCacheStats is what a SQLite store's user cache reports
// (sqlstorage.Store.UserCacheStats).
type UserCacheStats struct {
	Hits, Misses, Resets, Users, Bytes int64
	Off                                bool
	ReadAhead                          int64 // refresh reads run ahead of their batch (sqlstorage readahead.go)
}

var (
	userCacheReads  = prometheus.NewDesc("latchkey_sqlite_user_cache_reads_total", "SQLite refresh reads by where their user and registrations came from: result=\"hit\" (kept between batches) or \"miss\" (read from the tables).", []string{"result"}, nil)
	userCacheResets = prometheus.NewDesc("latchkey_sqlite_user_cache_resets_total", "Times the SQLite user cache forgot every user (its first batch, a gap in the change log, an error of a batch, a schema change).", nil, nil)
	userCacheUsers  = prometheus.NewDesc("latchkey_sqlite_user_cache_users", "Users the SQLite user cache keeps now.", nil, nil)
	userCacheBytes  = prometheus.NewDesc("latchkey_sqlite_user_cache_bytes", "Bytes of the stored documents the SQLite user cache keeps now.", nil, nil)
	readsAhead      = prometheus.NewDesc("latchkey_sqlite_refresh_reads_ahead_total", "SQLite refresh reads run ahead of their batch on a pooled connection because the batch before read from the disk: steady growth means the working set does not fit in the page cache.", nil, nil)
	userCacheOn     = prometheus.NewDesc("latchkey_sqlite_user_cache_enabled", "0 when the users' change log or one of its triggers (migration 0100) is missing, so the cache keeps nothing; 1 otherwise.", nil, nil)
)

// WatchUserCache registers the SQLite user cache's counters and gauges,
// read from stats at scrape time.
func (m *Metrics) WatchUserCache(stats func() UserCacheStats) {
	m.reg.MustRegister(userCacheCollector(stats))
}

type userCacheCollector func() UserCacheStats

func (c userCacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{userCacheReads, userCacheResets, userCacheUsers, userCacheBytes, userCacheOn, readsAhead} {
		ch <- d
	}
}

func (c userCacheCollector) Collect(ch chan<- prometheus.Metric) {
	st := c()
	on := 1.0
	if st.Off {
		on = 0
	}
	ch <- prometheus.MustNewConstMetric(userCacheReads, prometheus.CounterValue, float64(st.Hits), "hit")
	ch <- prometheus.MustNewConstMetric(userCacheReads, prometheus.CounterValue, float64(st.Misses), "miss")
	ch <- prometheus.MustNewConstMetric(userCacheResets, prometheus.CounterValue, float64(st.Resets))
	ch <- prometheus.MustNewConstMetric(userCacheUsers, prometheus.GaugeValue, float64(st.Users))
	ch <- prometheus.MustNewConstMetric(userCacheBytes, prometheus.GaugeValue, float64(st.Bytes))
	ch <- prometheus.MustNewConstMetric(userCacheOn, prometheus.GaugeValue, on)
	ch <- prometheus.MustNewConstMetric(readsAhead, prometheus.CounterValue, float64(st.ReadAhead))
}
