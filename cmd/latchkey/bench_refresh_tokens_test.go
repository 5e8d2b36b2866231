package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBenchRefreshesSeededSessions: `latchkey seed --print-tokens` prints
// live sessions of a seeded population (the same ones for the same draw,
// other ones for another), and `latchkey bench --refresh-tokens` refreshes
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
	if other := printTokens("2"); slices.Equal(other, printed) {
		t.Fatalf("another draw printed the same tokens")
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
	// The printed values were rotated by the runs: presenting them again is
	// reuse, refused.
	rep, code, stderr := benchRun("refresh-oauth", stale)
	if code != 0 || rep.OK == rep.Requests || rep.Errors["400"]+rep.Errors["401"] == 0 {
		t.Fatalf("a run over the rotated values: exit %d, %+v, %s", code, rep, stderr)
	}
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
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"bench", "--url", "http://127.0.0.1:1"}, tc.args...), getenv, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"seed", "--print-tokens", "50", "--users", "10", "--tokens", "100"}, getenv, &out, &errb)
	if code != 1 || out.Len() != 0 || !strings.Contains(errb.String(), "of 50 live tokens of distinct users") {
		t.Fatalf("a draw larger than the population: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}
