package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBenchRefreshesSeededSessions: `latchkey seed --print-tokens` prints
// live sessions of a seeded population (the same ones for the same draw,
// none of them in another), and `latchkey bench --refresh-tokens` refreshes
// them without logging anyone in or creating users, in both refresh modes.
// The run writes each session's latest value back, so a second run over the
// same file refreshes without a failure; the values as printed, presented
// again after being rotated, are refused (reuse).
func TestBenchRefreshesSeededSessions(t *testing.T) {
	const key = "seed-bench-key-0123456789abcdef0123456789abcdef"
	const app = "5ca1e000-0000-4000-8000-00000000a001"
	t.Setenv("LATCHKEY_API_KEY", key)
	getenv := func(k string) string {
		return map[string]string{"LATCHKEY_API_KEY": key, "LATCHKEY_BENCH_API_KEY": key}[k]
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "seed.db")
	population := []string{"--users", "200", "--tokens", "1000"}
	var out, errb bytes.Buffer
	if code := run(context.Background(), append([]string{"seed", "--application-id", app, "--database-url", db,
		"--kickstart", "../../scripts/scale/kickstart.json"}, population...), getenv, &out, &errb); code != 0 {
		t.Fatalf("seed: exit %d, %s", code, errb.String())
	}
	printTokens := func(sample string) []string {
		t.Helper()
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"seed", "--print-tokens", "20", "--sample", sample}, population...), getenv, &out, &errb)
		if code != 0 {
			t.Fatalf("seed --print-tokens: exit %d, %s", code, errb.String())
		}
		return strings.Fields(out.String())
	}
	printed := printTokens("1")
	if len(printed) != 20 || len(slices.Compact(slices.Sorted(slices.Values(printed)))) != 20 {
		t.Fatalf("printed %d tokens, want 20 distinct: %q", len(printed), printed)
	}
	if again := printTokens("1"); !slices.Equal(again, printed) {
		t.Fatalf("the same draw printed other tokens")
	}
	if other := printTokens("2"); len(other) != 20 || slices.ContainsFunc(other, func(v string) bool { return slices.Contains(printed, v) }) {
		t.Fatalf("draw 2 printed %d tokens, some of draw 1's: %q", len(other), other)
	}
	file := filepath.Join(dir, "tokens")
	if err := os.WriteFile(file, []byte(strings.Join(printed, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "stale")
	if err := os.WriteFile(stale, []byte(strings.Join(printed, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	base, stop := serveFile(t, db, "")
	defer stop()
	type report struct {
		Requests, OK, Rotations, UsersCreated int
		Errors                                map[string]int
	}
	benchRun := func(mode, tokens string) (report, int, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"bench", "--url", base, "--mode", mode, "--application-id", app,
			"--refresh-tokens", tokens, "--clients", "20", "--requests", "100", "--ceiling", "0", "--json"}, getenv, &out, &errb)
		var rep report
		if code == 0 {
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatalf("report: %v\n%s", err, out.String())
			}
		}
		return rep, code, errb.String()
	}
	for _, mode := range []string{"refresh-oauth", "refresh-cookie"} {
		rep, code, stderr := benchRun(mode, file)
		if code != 0 || rep.Requests != 100 || rep.OK != 100 || rep.Rotations != 100 || rep.UsersCreated != 0 || len(rep.Errors) != 0 {
			t.Fatalf("%s over the seeded sessions: exit %d, %+v, %s", mode, code, rep, stderr)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		now := strings.Fields(string(b))
		rotated := 0
		for i := range now {
			if now[i] != printed[i] {
				rotated++
			}
		}
		if len(now) != 20 || rotated < 15 {
			t.Fatalf("after the %s run the file holds %d tokens, %d rotated since printed", mode, len(now), rotated)
		}
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the written-back file: %v, %v; want mode 0600 (refresh tokens are credentials)", fi.Mode(), err)
	}
	// The printed values were rotated by the runs: presenting them again is
	// reuse, refused.
	rep, code, stderr := benchRun("refresh-oauth", stale)
	if code != 0 || rep.OK == rep.Requests || rep.Errors["400"]+rep.Errors["401"] == 0 {
		t.Fatalf("a run over the rotated values: exit %d, %+v, %s", code, rep, stderr)
	}

	// A session whose refresh the server commits but whose answer never
	// arrives (a proxy holds it until the bench gives up) holds a value the
	// server has rotated: it is left out of the file, and the report says
	// so; the other sessions are kept and refresh without a failure.
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	kept := strings.Fields(string(b))[:3]
	three := filepath.Join(dir, "three")
	if err := os.WriteFile(three, []byte(strings.Join(kept, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	held := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if form.Get("refresh_token") != kept[0] {
			proxy.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		proxy.ServeHTTP(rec, r) // the server answers (and rotates) ...
		<-r.Context().Done()    // ... but the bench never hears it
	}))
	defer held.Close()
	var hout, herr bytes.Buffer
	code = run(context.Background(), []string{"bench", "--url", held.URL, "--mode", "refresh-oauth", "--application-id", app,
		"--refresh-tokens", three, "--clients", "3", "--requests", "12", "--timeout", "3s", "--ceiling", "0", "--json"}, getenv, &hout, &herr)
	var hrep struct {
		OK                int
		UncertainSessions int
		Notes             []string
	}
	if err := json.Unmarshal(hout.Bytes(), &hrep); err != nil || code != 0 || hrep.UncertainSessions != 1 ||
		len(hrep.Notes) == 0 || !strings.Contains(strings.Join(hrep.Notes, " "), "1 sessions are left out") {
		t.Fatalf("a run with one answer lost: exit %d, %v, %s %s", code, err, hout.String(), herr.String())
	}
	b, err = os.ReadFile(three)
	if err != nil {
		t.Fatal(err)
	}
	if left := strings.Fields(string(b)); len(left) != 2 || slices.Contains(left, kept[0]) {
		t.Fatalf("after the run with one answer lost the file holds %q; want the two other sessions", left)
	}
	if rep, code, stderr := benchRun2(t, base, app, three, getenv); code != 0 || rep.OK != rep.Requests || len(rep.Errors) != 0 {
		t.Fatalf("a run over the kept sessions: exit %d, %+v, %s", code, rep, stderr)
	}
}

// benchRun2 refreshes the two sessions of file 20 times.
func benchRun2(t *testing.T, base, app, file string, getenv func(string) string) (struct {
	Requests, OK int
	Errors       map[string]int
}, int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"bench", "--url", base, "--mode", "refresh-oauth", "--application-id", app,
		"--refresh-tokens", file, "--clients", "2", "--requests", "20", "--ceiling", "0", "--json"}, getenv, &out, &errb)
	var rep struct {
		Requests, OK int
		Errors       map[string]int
	}
	if code == 0 {
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("report: %v\n%s", err, out.String())
		}
	}
	return rep, code, errb.String()
}

// TestBenchRefreshTokensRefusals: refresh tokens are for refresh runs, with
// an application, one per client; seed --print-tokens refuses a population
// too small for the draw.
func TestBenchRefreshTokensRefusals(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(file, []byte("# sessions\nAAAA\n\nBBBB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad")
	if err := os.WriteFile(bad, []byte("AAAA BBBB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	twice := filepath.Join(t.TempDir(), "twice")
	if err := os.WriteFile(twice, []byte("AAAA\nBBBB\nAAAA\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv := func(string) string { return "" }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "login", "--application-id", "a", "--clients", "2", "--refresh-tokens", file}, "not login"},
		{[]string{"--mode", "refresh-oauth", "--clients", "2", "--refresh-tokens", file}, "need --application-id"},
		{[]string{"--mode", "refresh-cookie", "--application-id", "a", "--clients", "3", "--refresh-tokens", file}, "only 2 refresh tokens"},
		{[]string{"--mode", "refresh-cookie", "--application-id", "a", "--clients", "1", "--refresh-tokens", bad}, "line 1: want one refresh token value"},
		{[]string{"--mode", "refresh-cookie", "--application-id", "a", "--clients", "1", "--refresh-tokens", file + ".missing"}, "no such file"},
		{[]string{"--mode", "refresh-cookie", "--application-id", "a", "--clients", "1", "--refresh-tokens", twice}, "line 3: a refresh token given twice"},
		{[]string{"--mode", "timing", "--refresh-tokens", file}, "not timing"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"bench", "--url", "http://127.0.0.1:1"}, tc.args...), getenv, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"seed", "--print-tokens", "50", "--users", "10", "--tokens", "100"}, getenv, &out, &errb)
	if code != 1 || out.Len() != 0 || !strings.Contains(errb.String(), "draw 1 of 50 sessions of distinct users needs 50 users") {
		t.Fatalf("a draw larger than the population: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
