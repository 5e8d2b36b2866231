package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func load(t *testing.T, args []string, e map[string]string) Config {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c, err := Load(fs, args, env(e))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestDefaultsAreValid(t *testing.T) {
	c := load(t, nil, nil)
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if c.Addr != "127.0.0.1:9011" || c.DatabaseURL != "latchkey.db" || c.Issuer != "http://localhost:9011" {
		t.Fatalf("unexpected defaults: %+v", c)
	}
	if c.SameSite() != http.SameSiteLaxMode || c.ShutdownTimeout != 10*time.Second {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestPrecedence(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"default", nil, nil, "127.0.0.1:9011"},
		{"env beats default", nil, map[string]string{"LATCHKEY_ADDR": "0.0.0.0:1"}, "0.0.0.0:1"},
		{"flag beats env", []string{"--addr", "127.0.0.1:2"}, map[string]string{"LATCHKEY_ADDR": "0.0.0.0:1"}, "127.0.0.1:2"},
		{"empty env is unset", nil, map[string]string{"LATCHKEY_ADDR": ""}, "127.0.0.1:9011"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := load(t, tt.args, tt.env).Addr; got != tt.want {
				t.Fatalf("Addr = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEverySettingHasFlagAndEnv(t *testing.T) {
	e := map[string]string{
		"LATCHKEY_DATABASE_URL":     "sqlite:/tmp/x.db",
		"LATCHKEY_KICKSTART":        "ks.json",
		"LATCHKEY_ISSUER":           "https://login.example.com",
		"LATCHKEY_LOG_FORMAT":       "json",
		"LATCHKEY_LOG_LEVEL":        "debug",
		"LATCHKEY_COOKIE_SAMESITE":  "Strict",
		"LATCHKEY_TRUSTED_PROXIES":  "10.0.0.0/8, 192.168.1.1",
		"LATCHKEY_SHUTDOWN_TIMEOUT": "3s",
		"LATCHKEY_SQLITE_PREWARM":   "off",
	}
	if d := load(t, nil, nil); d.SQLitePrewarm != "auto" || d.Validate() != nil {
		t.Fatalf("default SQLite prewarm = %q (%v), want auto", d.SQLitePrewarm, d.Validate())
	}
	c := load(t, nil, e)
	if c.SQLitePrewarm != "off" {
		t.Fatalf("LATCHKEY_SQLITE_PREWARM=off read as %q", c.SQLitePrewarm)
	}
	if c.DatabaseURL != "sqlite:/tmp/x.db" || c.Kickstart != "ks.json" || c.Issuer != "https://login.example.com" ||
		c.LogFormat != "json" || c.Level().String() != "DEBUG" || c.SameSite() != http.SameSiteStrictMode ||
		c.ShutdownTimeout != 3*time.Second {
		t.Fatalf("environment not applied: %+v", c)
	}
	if p := c.Proxies(); len(p) != 2 || p[1].String() != "192.168.1.1/32" {
		t.Fatalf("proxies = %v", p)
	}
	c = load(t, []string{"--log-format=text", "--cookie-samesite=None", "--shutdown-timeout=1m"}, e)
	if c.LogFormat != "text" || c.SameSite() != http.SameSiteNoneMode || c.ShutdownTimeout != time.Minute {
		t.Fatalf("flags not applied: %+v", c)
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	c := load(t, []string{
		"--addr", "nohostport",
		"--database-url", "mysql://u:secret@h/db",
		"--issuer", "acme.com",
		"--log-format", "xml",
		"--log-level", "loud",
		"--cookie-samesite", "sometimes",
		"--trusted-proxies", "10.0.0.0/8,not-an-ip",
		"--kickstart", filepath.Join(t.TempDir(), "missing.json"),
	}, map[string]string{"LATCHKEY_SHUTDOWN_TIMEOUT": "soon"})
	err := c.Validate()
	var p Problems
	if !errors.As(err, &p) {
		t.Fatalf("Validate = %v, want Problems", err)
	}
	wants := []string{"LATCHKEY_SHUTDOWN_TIMEOUT", "listen address", "database URL", "issuer", "log format",
		"log level", "SameSite", "not-an-ip", "kickstart"}
	if len(p) != len(wants) {
		t.Fatalf("got %d problems, want %d:\n%s", len(p), len(wants), err)
	}
	for _, w := range wants {
		if !slices.ContainsFunc(p, func(s string) bool { return strings.Contains(s, w) }) {
			t.Errorf("no problem mentions %q:\n%s", w, err)
		}
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("database password printed: %s", err)
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct{ name, flag, value string }{
		{"port out of range", "addr", "127.0.0.1:70000"},
		{"issuer with query", "issuer", "https://a.example?x=1"},
		{"issuer not http", "issuer", "ftp://a.example"},
		{"empty database", "database-url", ""},
		{"zero timeout", "shutdown-timeout", "0s"},
		{"negative cache TTL", "cache-ttl", "-1s"},
		{"cache TTL over an hour", "cache-ttl", "61m"},
		{"SMTP root CAs missing", "smtp-root-cas", "/nonexistent/ca.pem"},
		{"SMTP root CAs not PEM", "smtp-root-cas", "config_test.go"},
		{"SQLite prewarm neither auto nor off", "sqlite-prewarm", "on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := load(t, []string{"--" + tt.flag + "=" + tt.value}, nil)
			if err := c.Validate(); err == nil {
				t.Fatalf("%s=%q accepted", tt.flag, tt.value)
			}
		})
	}
}

func TestLoadRefusesStrayArguments(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := Load(fs, []string{"extra"}, env(nil)); err == nil {
		t.Fatal("stray argument accepted")
	}
	if _, err := Load(flag.NewFlagSet("x", flag.ContinueOnError), []string{"--nope"}, env(nil)); err == nil {
		t.Fatal("unknown flag accepted")
	}
}

func TestDatabaseMaxConns(t *testing.T) {
	if c := load(t, nil, map[string]string{"LATCHKEY_DATABASE_MAX_CONNS": "40"}); c.DatabaseMaxConns != 40 {
		t.Fatalf("env: DatabaseMaxConns = %d, want 40", c.DatabaseMaxConns)
	}
	if c := load(t, []string{"--database-max-conns", "7"}, map[string]string{"LATCHKEY_DATABASE_MAX_CONNS": "40"}); c.DatabaseMaxConns != 7 {
		t.Fatalf("flag: DatabaseMaxConns = %d, want 7", c.DatabaseMaxConns)
	}
	for _, bad := range []string{"many", "-1", "5000"} {
		c := load(t, nil, map[string]string{"LATCHKEY_DATABASE_MAX_CONNS": bad})
		err := c.Validate()
		if err == nil || !strings.Contains(strings.ToLower(err.Error()+fmt.Sprint(err)), "max") {
			t.Errorf("LATCHKEY_DATABASE_MAX_CONNS=%s: Validate() = %v, want a problem naming it", bad, err)
		}
	}
}

func TestCacheTTL(t *testing.T) {
	if c := load(t, nil, nil); c.CacheTTL != 0 || c.Validate() != nil {
		t.Fatalf("default CacheTTL = %s (%v), want 0: the built-in lifetimes", c.CacheTTL, c.Validate())
	}
	if c := load(t, nil, map[string]string{"LATCHKEY_CACHE_TTL": "1h"}); c.CacheTTL != time.Hour || c.Validate() != nil {
		t.Fatalf("env: CacheTTL = %s (%v), want 1h", c.CacheTTL, c.Validate())
	}
	if c := load(t, []string{"--cache-ttl=250ms"}, map[string]string{"LATCHKEY_CACHE_TTL": "1h"}); c.CacheTTL != 250*time.Millisecond {
		t.Fatalf("flag: CacheTTL = %s, want 250ms", c.CacheTTL)
	}
}

// The server secret: PostgreSQL needs one (every node must share it), a
// given one must parse, one source only, and no problem quotes a key.
func TestServerSecretSetting(t *testing.T) {
	key := "c2VjcmV0LWtleS1vZi0zMi1ieXRlcy1hdC1sZWFzdC0xMjM0NQ=="
	pg := "postgres://latchkey@db.internal:5432/latchkey"
	tests := []struct {
		name string
		env  map[string]string
		want string // "" valid
	}{
		{"sqlite needs none", nil, ""},
		{"postgres without one", map[string]string{"LATCHKEY_DATABASE_URL": pg}, "LATCHKEY_SECRET_FILE"},
		{"postgres with a value", map[string]string{"LATCHKEY_DATABASE_URL": pg, "LATCHKEY_SECRET": key}, ""},
		{"postgres with a file", map[string]string{"LATCHKEY_DATABASE_URL": pg, "LATCHKEY_SECRET_FILE": "/etc/latchkey/secret"}, ""},
		{"both", map[string]string{"LATCHKEY_SECRET": key, "LATCHKEY_SECRET_FILE": "/x"}, "not both"},
		{"short key", map[string]string{"LATCHKEY_SECRET": "c2hvcnQ="}, "at least 32"},
		{"second key bad", map[string]string{"LATCHKEY_SECRET": key + ",%%%"}, "not base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := load(t, nil, tt.env).Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate = %v, want a problem mentioning %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), key[:20]):
				t.Fatalf("a problem quotes the key: %v", err)
			}
		})
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c := Default()
	c.RegisterFlags(fs)
	if fs.Lookup("secret") != nil {
		t.Fatal("the secret itself is a flag: it would show in the process list")
	}
}

// The cookie prefix: empty or __Host-, the latter only for an https issuer
// (or localhost, where browsers accept Secure cookies over http).
func TestCookiePrefix(t *testing.T) {
	for _, tc := range []struct {
		prefix, issuer string
		ok             bool
	}{
		{"", "http://localhost:9011", true},
		{"__Host-", "https://login.example.com", true},
		{"__Host-", "http://localhost:9011", true},
		{"__Host-", "http://login.example.com", false},
		{"__Secure-", "https://login.example.com", false},
		{"host", "https://login.example.com", false},
	} {
		c := load(t, []string{"--cookie-prefix=" + tc.prefix, "--issuer=" + tc.issuer}, nil)
		if err := c.Validate(); (err == nil) != tc.ok {
			t.Errorf("prefix %q, issuer %s: %v", tc.prefix, tc.issuer, err)
		}
	}
}

// TestObservabilitySettings: the metrics address and the OTLP endpoint are
// checked like the others, tracing is off by default, and OpenTelemetry's
// own switch turns it on.
func TestObservabilitySettings(t *testing.T) {
	c := Default()
	if c.TracesExporter != "none" || c.MetricsAddr != "" {
		t.Fatalf("defaults: traces %q, metrics %q; want off", c.TracesExporter, c.MetricsAddr)
	}
	c.ApplyEnv(func(k string) string {
		return map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "LATCHKEY_METRICS_ADDR": "127.0.0.1:9464"}[k]
	})
	if c.TracesExporter != "otlp" || c.MetricsAddr != "127.0.0.1:9464" || c.Validate() != nil {
		t.Fatalf("from the environment: %+v, %v", c, c.Validate())
	}
	c.MetricsAddr, c.TracesExporter, c.OTLPEndpoint = "nope", "zipkin", "localhost:4318"
	err := c.Validate()
	for _, want := range []string{"metrics listen address", "traces exporter", "OTLP endpoint"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v, want a problem about %s", err, want)
		}
	}
}
