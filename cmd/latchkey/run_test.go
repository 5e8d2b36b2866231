package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// syncBuffer lets the test read what the running program writes.
type syncBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	wrote chan struct{}
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{wrote: make(chan struct{}, 100)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case b.wrote <- struct{}{}:
	default:
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func noEnv(string) string { return "" }

func TestServeAnswersStatusAndStopsCleanly(t *testing.T) {
	db := filepath.Join(t.TempDir(), "latchkey.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errOut := newSyncBuffer(), newSyncBuffer()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--log-level", "warn"},
			func(k string) string { return map[string]string{"LATCHKEY_DATABASE_URL": db}[k] }, out, errOut)
	}()
	re := regexp.MustCompile(`listening on (http://\S+)`)
	var url string
	for url == "" {
		select {
		case <-out.wrote:
			if m := re.FindStringSubmatch(out.String()); m != nil {
				url = m[1]
			}
		case c := <-code:
			t.Fatalf("serve exited with %d before listening: %s", c, errOut.String())
		}
	}
	resp, err := http.Get(url + "/api/status")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"ok"`) {
		t.Fatalf("GET /api/status = %d %s", resp.StatusCode, body)
	}
	cancel() // what SIGINT/SIGTERM do through signal.NotifyContext
	if c := <-code; c != 0 {
		t.Fatalf("exit code %d after stop: %s", c, errOut.String())
	}
}

func TestServeRefusesBadSettingsBeforeListening(t *testing.T) {
	var out, errOut bytes.Buffer
	env := map[string]string{"LATCHKEY_LOG_FORMAT": "xml", "LATCHKEY_COOKIE_SAMESITE": "maybe"}
	c := run(context.Background(), []string{"serve", "--issuer", "acme.com"}, func(k string) string { return env[k] }, &out, &errOut)
	if c == 0 {
		t.Fatal("bad settings accepted")
	}
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want one line per problem (3), got:\n%s", errOut.String())
	}
	for _, w := range []string{"issuer", "log format", "SameSite"} {
		if !strings.Contains(errOut.String(), w) {
			t.Errorf("no line about %s:\n%s", w, errOut.String())
		}
	}
	if strings.Contains(out.String(), "listening") {
		t.Fatal("listened despite bad settings")
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderrIn string
	}{
		{"help", []string{"--help"}, 0, []string{"latchkey serve", "latchkey demo", "latchkey bench", "LATCHKEY_"}, ""},
		{"serve help lists every setting", []string{"serve", "--help"}, 0, []string{"LATCHKEY_ADDR", "LATCHKEY_DATABASE_URL",
			"LATCHKEY_KICKSTART", "LATCHKEY_ISSUER", "LATCHKEY_LOG_FORMAT", "LATCHKEY_LOG_LEVEL", "LATCHKEY_COOKIE_SAMESITE",
			"LATCHKEY_TRUSTED_PROXIES", "LATCHKEY_SHUTDOWN_TIMEOUT", "LATCHKEY_DATABASE_MAX_CONNS",
			"LATCHKEY_METRICS_ADDR", "LATCHKEY_TRACES_EXPORTER", "LATCHKEY_OTLP_ENDPOINT", "LATCHKEY_SECRET_FILE", "LATCHKEY_SECRET\n"}, ""},
		{"version", []string{"version"}, 0, []string{"latchkey ", "module github.com/latchkeyhq/latchkey", "commit ", "go go1."}, ""},
		{"backup needs a file", []string{"backup"}, 2, nil, "Usage: latchkey backup"},
		{"backup refuses PostgreSQL", []string{"backup", "--database-url", "postgres://h/db", "x.db"}, 1, nil, "pg_dump"},
		{"unknown command", []string{"frobnicate"}, 2, nil, "unknown command"},
		{"no command", nil, 2, nil, "Usage"},
		{"unknown flag", []string{"serve", "--nope"}, 2, nil, "nope"},
		{"demo refuses a zero lifetime", []string{"demo", "--jwt-ttl", "0s"}, 2, nil, "at least 1s"},
		{"version refuses an unknown flag", []string{"version", "--x"}, 2, nil, "-x"},
		{"version refuses an argument", []string{"version", "now"}, 2, nil, `unexpected argument "now"`},
		{"help of a command is that command's help", []string{"help", "serve"}, 0, []string{"Usage: latchkey serve", "LATCHKEY_DATABASE_URL"}, ""},
		{"help of api-key", []string{"help", "api-key"}, 0, []string{"latchkey api-key create"}, ""},
		{"help of an unknown command", []string{"help", "frobnicate"}, 2, nil, "unknown command"},
		{"help with an unknown flag", []string{"help", "--x"}, 2, nil, `unknown flag "--x"`},
		{"help of help", []string{"help", "help"}, 0, []string{"latchkey serve", "latchkey help [COMMAND]"}, ""},
		// Every command's --help goes to stdout and exits 0.
		{"demo help", []string{"demo", "--help"}, 0, []string{"Usage: latchkey demo"}, ""},
		{"bench help", []string{"bench", "--help"}, 0, []string{"Usage: latchkey bench"}, ""},
		{"import help", []string{"import", "--help"}, 0, []string{"Usage: latchkey import"}, ""},
		{"backup help", []string{"backup", "--help"}, 0, []string{"Usage: latchkey backup"}, ""},
		{"backup refuses an unknown flag", []string{"backup", "--nope"}, 2, nil, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if c := run(context.Background(), tt.args, noEnv, &out, &errOut); c != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", c, tt.code, errOut.String())
			}
			for _, w := range tt.stdout {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out.String())
				}
			}
			if !strings.Contains(errOut.String(), tt.stderrIn) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderrIn, errOut.String())
			}
		})
	}
}
