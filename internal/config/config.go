package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/secret"
)

// Config is the operator configuration of `latchkey serve`.
//
// Settings that need parsing (same-site policy, proxies, log level) are kept as
// the text the operator wrote, so Validate can quote it back; the typed
// accessors below assume Validate passed.
type Config struct {
	// Addr is the listen address (LATCHKEY_ADDR).
	Addr string
	// DatabaseURL is a SQLite file path, a sqlite: URL, or a postgres:// URL
	// (LATCHKEY_DATABASE_URL).
	DatabaseURL string
	// SQLitePrewarm is auto (default; empty means auto) or off
	// (LATCHKEY_SQLITE_PREWARM):
	// whether the SQLite file is asked into the operating system's page
	// cache in the background at start when it fits in half of the memory
	// available (internal/storage/sqlstorage/prewarm.go).
	SQLitePrewarm string
	// DatabaseMaxConns caps the connection pool (LATCHKEY_DATABASE_MAX_CONNS);
	// 0 keeps the backend's default (PostgreSQL 20 per node; SQLite one writer
	// plus a reader pool). See docs/deploy.md for sizing.
	DatabaseMaxConns int
	// Kickstart is the path of a FusionAuth-format Kickstart file, or empty
	// (LATCHKEY_KICKSTART).
	Kickstart string
	// Issuer is the public base URL: the iss claim and the OIDC discovery
	// base. It defaults to the server's own URL rather than FusionAuth's
	// acme.com because OIDC clients (coreos/go-oidc) require the issuer to be
	// the discovery URL (OpenID Connect Discovery 1.0 §4.3).
	Issuer string
	// LogFormat is text or json (LATCHKEY_LOG_FORMAT).
	LogFormat string
	// LogLevel is debug, info, warn or error (LATCHKEY_LOG_LEVEL).
	LogLevel string
	// CookieSameSite is Lax, Strict or None (LATCHKEY_COOKIE_SAMESITE); one
	// global policy, as FusionAuth's FUSIONAUTH_COOKIE_SAME_SITE_POLICY.
	CookieSameSite string
	// CookiePrefix is "" (FusionAuth's cookie names) or "__Host-"
	// (LATCHKEY_COOKIE_PREFIX): the browser then keeps the token cookies
	// only as this host set them, Secure, Path=/ and without Domain, so a
	// sibling subdomain cannot plant one. HTTPS only (or localhost).
	CookiePrefix string
	// TrustedProxies is a comma-separated list of CIDRs (or single IPs) whose
	// X-Forwarded-For / X-Forwarded-Proto are believed
	// (LATCHKEY_TRUSTED_PROXIES). Empty: nobody's.
	TrustedProxies string
	// RateLimits overrides per-address rate limits by rule name
	// (LATCHKEY_RATE_LIMITS), e.g. "login=300/1m,token=0/1m" (0 turns a
	// rule off); docs/api.md "Limits" lists the rules and defaults.
	RateLimits string
	// ShutdownTimeout bounds the graceful drain of in-flight requests
	// (LATCHKEY_SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// MetricsAddr, when set, is a second listener serving Prometheus'
	// /metrics without authentication (LATCHKEY_METRICS_ADDR), meant for
	// loopback or a private interface. Empty: metrics only at
	// /api/prometheus/metrics on the main listener, behind an API key.
	MetricsAddr string
	// TracesExporter is none (default) or otlp (LATCHKEY_TRACES_EXPORTER;
	// OTEL_TRACES_EXPORTER=otlp also turns it on). The OTLP/HTTP exporter
	// reads the standard OTEL_EXPORTER_OTLP_* variables.
	TracesExporter string
	// OTLPEndpoint is the OTLP/HTTP base URL for traces, e.g.
	// http://127.0.0.1:4318 (LATCHKEY_OTLP_ENDPOINT); empty: the
	// exporter's OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT or its default.
	OTLPEndpoint string
	// CacheTTL replaces the built-in lifetimes of the per-node caches of
	// tenants (1 s), applications and the signing-key set (0.5 s) when not
	// zero (LATCHKEY_CACHE_TTL; internal/cache/doc.go). With PostgreSQL,
	// changes also reach every node's caches at once through the change
	// feed; the TTL bounds staleness while that feed is down.
	CacheTTL time.Duration
	// ThemesDir is a directory of hosted-page themes, one subdirectory per
	// application or tenant id (LATCHKEY_THEMES_DIR; internal/hosted). Empty:
	// the built-in theme only.
	ThemesDir string
	// KeyPublishAhead is how long a rotated-in signing key is published in
	// the JWKS before any node signs with it (LATCHKEY_KEY_PUBLISH_AHEAD;
	// 0: keys.DefaultPublishAhead, 10 min). It must be longer than your
	// resource servers may go without refetching the JWKS when they meet an
	// unknown kid; shorter, and they refuse valid tokens after a rotation.
	KeyPublishAhead time.Duration
	// Secret is the server secret: base64 keys of at least 32 bytes, comma
	// separated, the current one first (LATCHKEY_SECRET; environment only,
	// since a flag would show in the process list). It never goes into the
	// database (internal/secret).
	Secret string
	// SecretFile is a file holding the server secret, one key a line
	// (LATCHKEY_SECRET_FILE). With SQLite and neither set, the file next to
	// the database (SQLitePath + ".secret") is used, and generated on the
	// first start. PostgreSQL requires one of the two: every node needs the
	// same secret.
	SecretFile string
	// ClockOffset shifts this process's own clock, for tests only
	// (LATCHKEY_TEST_CLOCK_OFFSET, e.g. 120s): it simulates a node whose
	// clock is wrong, which internal/dbclock must make harmless. Not a flag
	// and not in the help.
	ClockOffset time.Duration

	// SMTPRootCAs is a PEM file of CA certificates the mail sender trusts
	// besides the system's, for an SMTP relay with a private CA
	// (LATCHKEY_SMTP_ROOT_CAS). Empty: the system roots only.
	SMTPRootCAs string

	// Webhook delivery (issue 14). WebhookPrivateAddresses is allow (the
	// default, as FusionAuth) or deny: refuse to post to loopback, private,
	// link-local and other non-public addresses (docs/security.md, SSRF)
	// (LATCHKEY_WEBHOOK_PRIVATE_ADDRESSES). WebhookRetryBase is the first
	// retry's delay, doubling up to 4 h (LATCHKEY_WEBHOOK_RETRY_BASE).
	// WebhookLease is how long a node holds a delivery before another may
	// take it over (LATCHKEY_WEBHOOK_LEASE); one attempt is bounded by half
	// of it.
	WebhookPrivateAddresses string
	WebhookRetryBase        time.Duration
	WebhookLease            time.Duration

	// envProblems are values from the environment that could not even be
	// parsed into their field; Validate reports them with the rest.
	envProblems []string
}

// MaxCacheTTL bounds CacheTTL.
const MaxCacheTTL = time.Hour

// Default returns the configuration that runs out of the box: a SQLite file in
// the working directory, listening on loopback only.
func Default() Config {
	return Config{
		Addr:            "127.0.0.1:9011",
		DatabaseURL:     "latchkey.db",
		SQLitePrewarm:   "auto",
		Issuer:          "http://localhost:9011",
		LogFormat:       "text",
		LogLevel:        "info",
		CookieSameSite:  "Lax",
		ShutdownTimeout: 10 * time.Second,

		WebhookPrivateAddresses: "allow",
		WebhookRetryBase:        15 * time.Second,
		WebhookLease:            2 * time.Minute,
		TracesExporter:          "none",
	}
}

// Bounds of the webhook delivery settings: the lease must leave room for
// one attempt at the largest timeouts a webhook may set (10 s to connect,
// 30 s to answer) with half of it.
const (
	MinWebhookLease = 2 * time.Second
	MaxWebhookLease = time.Hour
)

// setting describes one operator setting once, so the environment, the flags
// and the help text cannot drift apart.
type setting struct {
	flag, env, help string
	str             func(*Config) *string
	dur             func(*Config) *time.Duration
	num             func(*Config) *int
}

var settings = []setting{
	{flag: "addr", env: "LATCHKEY_ADDR", help: "listen address host:port (port 0 picks a free port)",
		str: func(c *Config) *string { return &c.Addr }},
	{flag: "database-url", env: "LATCHKEY_DATABASE_URL", help: "SQLite file path or sqlite: URL, or a postgres:// URL for several nodes on one PostgreSQL; created and migrated on first start",
		str: func(c *Config) *string { return &c.DatabaseURL }},
	{flag: "database-max-conns", env: "LATCHKEY_DATABASE_MAX_CONNS", help: "maximum open database connections of this node (0: the backend's default)",
		num: func(c *Config) *int { return &c.DatabaseMaxConns }},
	{flag: "sqlite-prewarm", env: "LATCHKEY_SQLITE_PREWARM", help: "auto: at start, ask the OS to read the SQLite file into its page cache in the background when it fits in half of the memory available; off: read pages only as requests need them",
		str: func(c *Config) *string { return &c.SQLitePrewarm }},
	{flag: "kickstart", env: "LATCHKEY_KICKSTART", help: "path of a FusionAuth-format Kickstart file applied once to a fresh database",
		str: func(c *Config) *string { return &c.Kickstart }},
	{flag: "issuer", env: "LATCHKEY_ISSUER", help: "public base URL: the iss claim and the OIDC discovery base",
		str: func(c *Config) *string { return &c.Issuer }},
	{flag: "log-format", env: "LATCHKEY_LOG_FORMAT", help: "log format: text or json",
		str: func(c *Config) *string { return &c.LogFormat }},
	{flag: "log-level", env: "LATCHKEY_LOG_LEVEL", help: "log level: debug, info, warn or error",
		str: func(c *Config) *string { return &c.LogLevel }},
	{flag: "cookie-samesite", env: "LATCHKEY_COOKIE_SAMESITE", help: "SameSite policy of the token cookies: Lax, Strict or None",
		str: func(c *Config) *string { return &c.CookieSameSite }},
	{flag: "cookie-prefix", env: "LATCHKEY_COOKIE_PREFIX", help: "token cookie names: empty for FusionAuth's (access_token, refresh_token), or __Host- so that no other subdomain can plant one (HTTPS only)",
		str: func(c *Config) *string { return &c.CookiePrefix }},
	{flag: "trusted-proxies", env: "LATCHKEY_TRUSTED_PROXIES", help: "comma-separated CIDRs of proxies whose X-Forwarded-For/-Proto are believed",
		str: func(c *Config) *string { return &c.TrustedProxies }},
	{flag: "rate-limits", env: "LATCHKEY_RATE_LIMITS", help: "per-address rate limit overrides, name=count/window, comma-separated (e.g. login=300/1m; 0 turns a rule off)",
		str: func(c *Config) *string { return &c.RateLimits }},
	{flag: "smtp-root-cas", env: "LATCHKEY_SMTP_ROOT_CAS", help: "PEM file of CA certificates trusted for SMTP over TLS besides the system's",
		str: func(c *Config) *string { return &c.SMTPRootCAs }},
	{flag: "shutdown-timeout", env: "LATCHKEY_SHUTDOWN_TIMEOUT", help: "how long a stop waits for in-flight requests",
		dur: func(c *Config) *time.Duration { return &c.ShutdownTimeout }},
	{flag: "webhook-private-addresses", env: "LATCHKEY_WEBHOOK_PRIVATE_ADDRESSES", help: "allow or deny webhook deliveries to loopback, private and link-local addresses (allow, as FusionAuth; see docs/security.md)",
		str: func(c *Config) *string { return &c.WebhookPrivateAddresses }},
	{flag: "webhook-retry-base", env: "LATCHKEY_WEBHOOK_RETRY_BASE", help: "delay before a failed webhook delivery is retried; it doubles per attempt up to 4h",
		dur: func(c *Config) *time.Duration { return &c.WebhookRetryBase }},
	{flag: "webhook-lease", env: "LATCHKEY_WEBHOOK_LEASE", help: "how long a node holds a webhook delivery before another node may take it over; one attempt is bounded by half of it",
		dur: func(c *Config) *time.Duration { return &c.WebhookLease }},
	{flag: "key-publish-ahead", env: "LATCHKEY_KEY_PUBLISH_AHEAD", help: "how long a rotated-in signing key is in the JWKS before it signs, at most 24h (0: 10m); must exceed how long resource servers cache the JWKS",
		dur: func(c *Config) *time.Duration { return &c.KeyPublishAhead }},
	{flag: "secret-file", env: "LATCHKEY_SECRET_FILE", help: "file holding the server secret (one base64 key a line, current first); SQLite default: <database>.secret, created on first start; PostgreSQL: this or LATCHKEY_SECRET is required",
		str: func(c *Config) *string { return &c.SecretFile }},
	{env: "LATCHKEY_SECRET", help: "the server secret itself: base64 keys of at least 32 bytes, comma separated, current first (environment only)",
		str: func(c *Config) *string { return &c.Secret }},
	{flag: "metrics-addr", env: "LATCHKEY_METRICS_ADDR", help: "second listener host:port serving Prometheus /metrics without authentication (keep it on loopback or a private network); empty: off",
		str: func(c *Config) *string { return &c.MetricsAddr }},
	{flag: "traces-exporter", env: "LATCHKEY_TRACES_EXPORTER", help: "OpenTelemetry traces: none or otlp (OTLP/HTTP; OTEL_EXPORTER_OTLP_* are honoured)",
		str: func(c *Config) *string { return &c.TracesExporter }},
	{flag: "otlp-endpoint", env: "LATCHKEY_OTLP_ENDPOINT", help: "OTLP/HTTP base URL for traces, e.g. http://127.0.0.1:4318 (default: OTEL_EXPORTER_OTLP_ENDPOINT)",
		str: func(c *Config) *string { return &c.OTLPEndpoint }},
	{flag: "cache-ttl", env: "LATCHKEY_CACHE_TTL", help: "how long a node reuses a tenant, application, signing-key set or CORS origin set it read, at most 1h (0: built-in 0.5-1s); with PostgreSQL changes reach all nodes at once and this bounds staleness while that push is down",
		dur: func(c *Config) *time.Duration { return &c.CacheTTL }},
	{flag: "themes-dir", env: "LATCHKEY_THEMES_DIR", help: "directory of hosted login page themes, one subdirectory per application or tenant id (templates, styles.css, messages.<lang>.json)",
		str: func(c *Config) *string { return &c.ThemesDir }},
}

// ApplyEnv overrides c with every LATCHKEY_* variable that is set and not
// empty. getenv is os.Getenv in production and a map in tests.
func (c *Config) ApplyEnv(getenv func(string) string) {
	// OpenTelemetry's own switch is honoured, but only to turn tracing on:
	// latchkey exports nothing unless asked (the SDK's default is otlp).
	if v := getenv("OTEL_TRACES_EXPORTER"); v == "otlp" {
		c.TracesExporter = v
	}
	for _, s := range settings {
		v := getenv(s.env)
		if v == "" {
			continue
		}
		if s.str != nil {
			*s.str(c) = v
			continue
		}
		if s.num != nil {
			n, err := strconv.Atoi(v)
			if err != nil {
				c.envProblems = append(c.envProblems, fmt.Sprintf("%s=%q is not a whole number", s.env, v))
				continue
			}
			*s.num(c) = n
			continue
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			c.envProblems = append(c.envProblems, fmt.Sprintf("%s=%q is not a duration (e.g. 10s, 1m)", s.env, v))
			continue
		}
		*s.dur(c) = d
	}
	if v := getenv(testClockOffsetEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			c.envProblems = append(c.envProblems, fmt.Sprintf("%s=%q is not a duration", testClockOffsetEnv, v))
		}
		c.ClockOffset = d
	}
}

// testClockOffsetEnv is the hidden test-only setting behind ClockOffset.
const testClockOffsetEnv = "LATCHKEY_TEST_CLOCK_OFFSET"

// RegisterFlags binds every setting to fs with c's current values as
// defaults, so that flags parsed afterwards beat the environment.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	for _, s := range settings {
		if s.flag == "" {
			continue // environment only (a secret)
		}
		help := s.help + " (env " + s.env + ")"
		if s.str != nil {
			fs.StringVar(s.str(c), s.flag, *s.str(c), help)
		} else if s.num != nil {
			fs.IntVar(s.num(c), s.flag, *s.num(c), help)
		} else {
			fs.DurationVar(s.dur(c), s.flag, *s.dur(c), help)
		}
	}
}

// EnvOnlyHelp describes the settings that have no flag, in the layout of
// flag.PrintDefaults.
func EnvOnlyHelp() string {
	var b strings.Builder
	for _, s := range settings {
		if s.flag == "" {
			fmt.Fprintf(&b, "  %s\n    \t%s\n", s.env, s.help)
		}
	}
	return b.String()
}

// Load builds the configuration from defaults, then the environment, then the
// flags in args. It returns flag.ErrHelp for -h/--help. It does not validate.
func Load(fs *flag.FlagSet, args []string, getenv func(string) string) (Config, error) {
	c := Default()
	c.ApplyEnv(getenv)
	c.RegisterFlags(fs)
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return c, err
}

// Problems is Validate's error: one human sentence per problem.
type Problems []string

func (p Problems) Error() string { return strings.Join(p, "\n") }

// Validate checks every setting and returns all problems at once (as
// Problems), or nil.
func (c Config) Validate() error {
	p := Problems(append([]string(nil), c.envProblems...))
	p = append(p, checkAddr(c.Addr)...)
	p = append(p, checkDatabaseURL(c.DatabaseURL)...)
	if c.DatabaseMaxConns < 0 || c.DatabaseMaxConns > 1000 {
		p = append(p, fmt.Sprintf("database max conns %d: must be from 0 (backend default) to 1000", c.DatabaseMaxConns))
	}
	p = append(p, checkIssuer(c.Issuer)...)
	if c.Kickstart != "" {
		if st, err := os.Stat(c.Kickstart); err != nil {
			p = append(p, fmt.Sprintf("kickstart: cannot read %q: %v", c.Kickstart, unwrapPath(err)))
		} else if st.IsDir() {
			p = append(p, fmt.Sprintf("kickstart: %q is a directory, not a file", c.Kickstart))
		}
	}
	if c.SQLitePrewarm != "" && c.SQLitePrewarm != "auto" && c.SQLitePrewarm != "off" {
		p = append(p, fmt.Sprintf("sqlite prewarm %q: use auto or off", c.SQLitePrewarm))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		p = append(p, fmt.Sprintf("log format %q: use text or json", c.LogFormat))
	}
	if _, ok := parseLevel(c.LogLevel); !ok {
		p = append(p, fmt.Sprintf("log level %q: use debug, info, warn or error", c.LogLevel))
	}
	if _, ok := parseSameSite(c.CookieSameSite); !ok {
		p = append(p, fmt.Sprintf("cookie SameSite %q: use Lax, Strict or None", c.CookieSameSite))
	}
	p = append(p, c.checkCookiePrefix()...)
	if _, err := parseProxies(c.TrustedProxies); err != nil {
		p = append(p, err.Error())
	}
	if _, err := parseRates(c.RateLimits); err != nil {
		p = append(p, err.Error())
	}
	if c.MetricsAddr != "" {
		for _, m := range checkAddr(c.MetricsAddr) {
			p = append(p, "metrics "+m)
		}
	}
	if c.TracesExporter != "" && c.TracesExporter != "none" && c.TracesExporter != "otlp" {
		p = append(p, fmt.Sprintf("traces exporter %q: use none or otlp", c.TracesExporter))
	}
	if c.OTLPEndpoint != "" {
		if u, err := url.Parse(c.OTLPEndpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p = append(p, fmt.Sprintf("OTLP endpoint %q: must be an http(s) URL, e.g. http://127.0.0.1:4318", c.OTLPEndpoint))
		}
	}
	if _, err := c.SMTPRootCAPool(); err != nil {
		p = append(p, err.Error())
	}
	if c.ShutdownTimeout <= 0 {
		p = append(p, fmt.Sprintf("shutdown timeout %s: must be positive", c.ShutdownTimeout))
	}
	// At most an hour: a node must not sign with a key another node retired
	// for longer than retired keys stay published (at least an hour,
	// keys.DefaultRetireAfter).
	if c.CacheTTL < 0 || c.CacheTTL > MaxCacheTTL {
		p = append(p, fmt.Sprintf("cache TTL %s: must be from 0 (built-in defaults) to %s", c.CacheTTL, MaxCacheTTL))
	}
	p = append(p, c.checkWebhooks()...)
	if c.ThemesDir != "" {
		if st, err := os.Stat(c.ThemesDir); err != nil || !st.IsDir() {
			p = append(p, fmt.Sprintf("themes dir %q: not a readable directory", c.ThemesDir))
		}
	}
	if c.KeyPublishAhead < 0 || c.KeyPublishAhead > 24*time.Hour {
		p = append(p, fmt.Sprintf("key publish ahead %s: must be from 0 (10m) to 24h", c.KeyPublishAhead))
	}
	p = append(p, c.checkSecret()...)
	if len(p) == 0 {
		return nil
	}
	return p
}

func (c Config) checkWebhooks() []string {
	var p []string
	if c.WebhookPrivateAddresses != "allow" && c.WebhookPrivateAddresses != "deny" {
		p = append(p, fmt.Sprintf("webhook private addresses %q: use allow or deny", c.WebhookPrivateAddresses))
	}
	if c.WebhookRetryBase < time.Second || c.WebhookRetryBase > time.Hour {
		p = append(p, fmt.Sprintf("webhook retry base %s: must be from 1s to 1h", c.WebhookRetryBase))
	}
	if c.WebhookLease < MinWebhookLease || c.WebhookLease > MaxWebhookLease {
		p = append(p, fmt.Sprintf("webhook lease %s: must be from %s to %s", c.WebhookLease, MinWebhookLease, MaxWebhookLease))
	}
	return p
}

// checkSecret: a given secret must parse (its keys are never quoted), at
// most one source is set, and PostgreSQL needs one, since nodes generating
// their own would each derive different successors.
func (c Config) checkSecret() []string {
	switch {
	case c.Secret != "" && c.SecretFile != "":
		return []string{"server secret: set LATCHKEY_SECRET or LATCHKEY_SECRET_FILE, not both"}
	case c.Secret != "":
		if _, err := secret.Parse(c.Secret); err != nil {
			return []string{"LATCHKEY_SECRET: " + strings.TrimPrefix(err.Error(), "secret: ")}
		}
	case c.SecretFile == "" && c.Postgres():
		return []string{"server secret: PostgreSQL deployments must set LATCHKEY_SECRET_FILE (or LATCHKEY_SECRET) to the same secret on every node, " +
			"e.g. a file made once with `openssl rand -base64 32` (docs/deploy.md); it must not be stored in the database"}
	}
	return nil
}

// checkCookiePrefix: "" or "__Host-", and the latter only where browsers
// accept Secure cookies: an https issuer, or localhost.
func (c Config) checkCookiePrefix() []string {
	switch c.CookiePrefix {
	case "":
		return nil
	case "__Host-":
		u, err := url.Parse(c.Issuer)
		if err == nil && (u.Scheme == "https" || u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1" || u.Hostname() == "::1") {
			return nil
		}
		return []string{fmt.Sprintf("cookie prefix __Host- needs an https issuer (browsers keep __Host- cookies only when Secure); issuer is %q", c.Issuer)}
	}
	return []string{fmt.Sprintf("cookie prefix %q: use __Host- or leave it empty", c.CookiePrefix)}
}

// Postgres reports whether DatabaseURL names a PostgreSQL database.
func (c Config) Postgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func checkAddr(addr string) []string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return []string{fmt.Sprintf("listen address %q: want host:port, e.g. 127.0.0.1:9011", addr)}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return []string{fmt.Sprintf("listen address %q: port must be a number from 0 to 65535", addr)}
	}
	return nil
}

func checkDatabaseURL(u string) []string {
	switch {
	case u == "":
		return []string{"database URL is empty: give a SQLite file path, e.g. latchkey.db"}
	case strings.HasPrefix(u, "sqlite:"), strings.HasPrefix(u, "file:"),
		strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return nil
	case strings.Contains(u, "://"):
		return []string{fmt.Sprintf("database URL %q: unsupported scheme; use a SQLite file path, sqlite: or postgres://", redact(u))}
	}
	return nil
}

// redact hides a password in a database URL before it is printed.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

func checkIssuer(iss string) []string {
	u, err := url.Parse(iss)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return []string{fmt.Sprintf("issuer %q: must be an absolute http(s) URL, e.g. https://login.example.com", iss)}
	}
	// OpenID Connect Discovery 1.0 §3: the issuer has no query or fragment.
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return []string{fmt.Sprintf("issuer %q: must not contain a query, fragment or user info", iss)}
	}
	return nil
}

func parseLevel(s string) (slog.Level, bool) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, false
	}
	return l, true
}

func parseSameSite(s string) (http.SameSite, bool) {
	switch strings.ToLower(s) {
	case "lax":
		return http.SameSiteLaxMode, true
	case "strict":
		return http.SameSiteStrictMode, true
	case "none":
		return http.SameSiteNoneMode, true
	}
	return 0, false
}

func parseProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	var bad []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		bad = append(bad, strconv.Quote(f))
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("trusted proxies: %s not a CIDR (e.g. 10.0.0.0/8) or IP address", strings.Join(bad, ", "))
	}
	return out, nil
}

// Level is the parsed LogLevel (info if invalid).
func (c Config) Level() slog.Level {
	l, ok := parseLevel(c.LogLevel)
	if !ok {
		return slog.LevelInfo
	}
	return l
}

// SameSite is the parsed CookieSameSite (Lax if invalid).
func (c Config) SameSite() http.SameSite {
	s, ok := parseSameSite(c.CookieSameSite)
	if !ok {
		return http.SameSiteLaxMode
	}
	return s
}

// Proxies is the parsed TrustedProxies (none if invalid).
func (c Config) Proxies() []netip.Prefix {
	p, _ := parseProxies(c.TrustedProxies)
	return p
}

// Rate is one rate-limit override: Limit requests per Window.
type Rate struct {
	Limit  int
	Window time.Duration
}

// Rates is the parsed RateLimits (none if invalid).
func (c Config) Rates() map[string]Rate {
	r, _ := parseRates(c.RateLimits)
	return r
}

func parseRates(s string) (map[string]Rate, error) {
	out := map[string]Rate{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, spec, ok := strings.Cut(item, "=")
		count, window, ok2 := strings.Cut(spec, "/")
		n, err := strconv.Atoi(strings.TrimSpace(count))
		d, derr := time.ParseDuration(strings.TrimSpace(window))
		if !ok || !ok2 || err != nil || derr != nil || n < 0 || d <= 0 || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("rate limits: %q is not name=count/window (e.g. login=300/1m)", item)
		}
		out[strings.TrimSpace(name)] = Rate{Limit: n, Window: d}
	}
	return out, nil
}
