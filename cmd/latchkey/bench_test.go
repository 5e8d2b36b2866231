package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// TestBenchCommand runs `latchkey bench` against the in-process server: the
// JSON report parses and holds the counts and percentiles scripts read,
// and the API key can come from the environment.
func TestBenchCommand(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	env := func(k string) string { return map[string]string{"LATCHKEY_BENCH_API_KEY": in.APIKey}[k] }
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"bench", "--url", in.URL, "--mode", "refresh-cookie",
		"--clients", "2", "--requests", "10", "--json"}, env, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep struct {
		Requests, OK, Rotations int
		LatencyMs               map[string]float64
		Errors                  map[string]int
		Cleanup                 struct{ UsersDeleted int }
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out.String())
	}
	if rep.Requests != 10 || rep.OK != 10 || rep.Rotations != 10 || len(rep.Errors) != 0 || rep.Cleanup.UsersDeleted != 2 {
		t.Fatalf("report %+v", rep)
	}
	for _, p := range []string{"p50", "p90", "p99", "p999", "max", "mean"} {
		if _, ok := rep.LatencyMs[p]; !ok {
			t.Errorf("latencyMs lacks %s: %v", p, rep.LatencyMs)
		}
	}
	if errOut.Len() != 0 {
		t.Errorf("stderr not empty (no progress line when stdout is not a terminal): %q", errOut.String())
	}

	out.Reset()
	if code := run(context.Background(), []string{"bench", "--url", in.URL, "--mode", "validate", "--clients", "1",
		"--requests", "3"}, env, &out, &errOut); code != 0 || !strings.Contains(out.String(), "latency ms") ||
		!strings.Contains(out.String(), "1 of 1 users deleted") {
		t.Fatalf("text report, exit %d:\n%s%s", code, out.String(), errOut.String())
	}
}

func TestBenchCommandRefusals(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"remote target", []string{"--url", "http://192.0.2.1:9011", "--api-key", "k"}, 1, "--allow-remote"},
		{"no users", []string{}, 2, "--api-key"},
		{"zero duration", []string{"--api-key", "k", "--duration", "0s"}, 2, "duration"},
		{"unknown mode", []string{"--api-key", "k", "--mode", "fast"}, 2, "mode"},
		{"users and login id", []string{"--users", "f", "--login-id", "a"}, 2, "not both"},
		{"login id without password", []string{"--login-id", "a"}, 2, "--password"},
		{"stray argument", []string{"http://127.0.0.1:9011"}, 2, "--url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if c := run(context.Background(), append([]string{"bench"}, tt.args...), noEnv, &out, &errOut); c != tt.code ||
				!strings.Contains(errOut.String(), tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", c, errOut.String(), tt.code, tt.stderr)
			}
		})
	}
}

// TestBenchLoginCeiling runs a login bench against the in-process server:
// the report holds the hash ceiling at the tenant's scheme and factor, with
// positive figures, in JSON and in text; without an API key to read the
// tenant, it says the scheme is unknown instead.
func TestBenchLoginCeiling(t *testing.T) {
	in := apptest.Start(t, apptest.Options{Tenant: func(tn *storage.Tenant) {
		tn.PasswordEncryptionConfiguration.EncryptionScheme = "salted-pbkdf2-hmac-sha256"
		tn.PasswordEncryptionConfiguration.EncryptionSchemeFactor = 1000
	}})
	var out, errOut bytes.Buffer
	args := []string{"bench", "--url", in.URL, "--mode", "login", "--clients", "2", "--requests", "6",
		"--ceiling", "300ms", "--api-key", in.APIKey}
	if code := run(context.Background(), append(args, "--json"), noEnv, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep struct {
		OK      int
		Ceiling *struct {
			Scheme                                                  string
			Factor, Goroutines, Hashes, WarmupHashes                int
			Source                                                  string
			Seconds, HashesPerSecond, CPUMsPerHash, ThroughputRatio float64
		}
		Notes []string
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out.String())
	}
	c := rep.Ceiling
	if rep.OK != 6 || c == nil {
		t.Fatalf("ok %d, ceiling %+v, notes %q; want 6 logins and a ceiling", rep.OK, c, rep.Notes)
	}
	if c.Scheme != "salted-pbkdf2-hmac-sha256" || c.Factor != 1000 || !strings.Contains(c.Source, "tenant") ||
		c.Goroutines < 1 || c.Hashes < c.Goroutines || c.Seconds <= 0 || c.HashesPerSecond <= 0 ||
		c.CPUMsPerHash <= 0 || c.ThroughputRatio <= 0 || c.WarmupHashes < 4*c.Goroutines {
		t.Errorf("ceiling %+v; want the tenant's scheme and factor, positive figures and at least 4 uncounted hashes per goroutine first", *c)
	}

	out.Reset()
	if code := run(context.Background(), args, noEnv, &out, &errOut); code != 0 ||
		!strings.Contains(out.String(), "ceiling      salted-pbkdf2-hmac-sha256 factor 1000") ||
		!strings.Contains(out.String(), " uncounted)") ||
		!strings.Contains(out.String(), "logins/s / hashes/s") {
		t.Fatalf("text report, exit %d:\n%s%s", code, out.String(), errOut.String())
	}

	// Existing users and no API key: the tenant cannot be read.
	if resp, body := in.Do(t, "POST", "/api/user", map[string]any{"user": map[string]any{
		"email": "ceiling@example.com", "password": "correct horse battery"}}); resp.StatusCode != 200 {
		t.Fatalf("create user: %d %s", resp.StatusCode, body)
	}
	out.Reset()
	if code := run(context.Background(), []string{"bench", "--url", in.URL, "--mode", "login", "--clients", "1",
		"--requests", "2", "--login-id", "ceiling@example.com", "--password", "correct horse battery"}, noEnv, &out, &errOut); code != 0 ||
		strings.Contains(out.String(), "ceiling      ") ||
		!strings.Contains(out.String(), "hash ceiling not measured: the password scheme is unknown") {
		t.Fatalf("text report without --api-key, exit %d:\n%s%s", code, out.String(), errOut.String())
	}
}

// TestBenchCommandShowsCleanupNotes: a run that fails in setup prints what
// its cleanup could not account for. A proxy answers the user's creation
// 502 without sending it on: the command exits 1 and says the creation was
// not confirmed and the user not found, naming the login id.
func TestBenchCommandShowsCleanupNotes(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	u, err := url.Parse(in.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/user/registration" {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer ts.Close()
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"bench", "--url", ts.URL, "--api-key", in.APIKey, "--mode", "validate",
		"--clients", "1", "--requests", "1"}, noEnv, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "cleanup: 1 user creation was not confirmed and not found") ||
		!strings.Contains(errOut.String(), "latchkey-bench-") {
		t.Fatalf("exit %d, stderr %q; want 1 and the cleanup's note", code, errOut.String())
	}
}
