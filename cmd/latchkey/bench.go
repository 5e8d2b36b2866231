package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/latchkeyhq/latchkey/internal/bench"
	"github.com/latchkeyhq/latchkey/internal/password"
)

const benchUsage = `Usage: latchkey bench [flags]

Loads latchkey, or any FusionAuth-compatible server, and reports throughput,
latency percentiles, errors by status, and the server's CPU per request and
memory when it runs on this machine, with the bench's own CPU and how many of
the machine's CPUs were busy (and whose) during the run. Modes: login, refresh-cookie,
refresh-oauth, validate, mixed; and timing, which is not a load: it sends
--samples interleaved failed logins of each kind (an unknown id's and a
real account's first and later wrong password) one at a time and compares
each account's kind with the unknown id's of the same attempt (medians,
Mann-Whitney U). A closed loop by default (--clients busy
clients); --rate R sends R requests/s whatever the answers (open loop).

After a login run against a server on this machine, it measures the hash
ceiling: the tenant's password scheme and factor (read with --api-key)
hashed by latchkey's own implementation on as many goroutines as the
machine has CPUs for --ceiling, with no load running; it prints hashes/s,
CPU per hash, logins/s over hashes/s and hash CPU over server CPU per login.

It creates its own users and application with --api-key and deletes them
afterwards (also on Ctrl-C), or uses existing users (--users, --login-id),
or, for a refresh run, existing sessions (--refresh-tokens).
Only loopback targets unless --allow-remote. docs/performance.md explains it.

`

func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	o := bench.Defaults()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.StringVar(&o.URL, "url", o.URL, "base URL of the server")
	fs.StringVar(&o.Mode, "mode", o.Mode, "what to send: "+strings.Join(bench.Modes, ", ")+", or "+bench.ModeTiming)
	samples := fs.Int("samples", 200, "timing mode: failed logins of each kind")
	fs.StringVar(&o.Mix, "mix", o.Mix, "weights of the operations in mixed mode")
	fs.IntVar(&o.Clients, "clients", o.Clients, "concurrent clients (closed loop), or sessions an open loop spreads over; one test user each")
	fs.Float64Var(&o.Rate, "rate", 0, "requests per second (open loop); 0 = closed loop")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "time bound of the measured phase")
	fs.IntVar(&o.Requests, "requests", 0, "count bound (0 = the time bound only)")
	fs.DurationVar(&o.Warmup, "warmup", 0, "run the same load this long first, not counted (0 = none): a server just started is still growing its files and filling its caches")
	fs.DurationVar(&o.Timeout, "timeout", o.Timeout, "timeout of one request")
	fs.StringVar(&o.APIKey, "api-key", getenv("LATCHKEY_BENCH_API_KEY"), "API key to create and delete test users and an application (env LATCHKEY_BENCH_API_KEY)")
	fs.StringVar(&o.ApplicationID, "application-id", "", "use this application instead of creating one")
	fs.StringVar(&o.ClientSecret, "client-secret", "", "its OAuth client secret, for refresh-oauth (read with --api-key when empty)")
	fs.StringVar(&o.TenantID, "tenant-id", "", "X-FusionAuth-TenantId for the management calls, when the server has several tenants")
	usersFile := fs.String("users", "", "file of existing users, one loginId:password per line")
	tokensFile := fs.String("refresh-tokens", "", "file of existing sessions' refresh tokens, one per line, for a refresh run instead of logging users in (a benchmark database's, e.g. from latchkey seed --print-tokens); the run rotates them and writes the latest values back")
	loginID := fs.String("login-id", "", "one existing user's login id (with --password)")
	password := fs.String("password", getenv("LATCHKEY_BENCH_PASSWORD"), "that user's password (env LATCHKEY_BENCH_PASSWORD)")
	fs.IntVar(&o.ServerPID, "server-pid", 0, "the server's process id (default: found by the listening port on this machine)")
	fs.BoolVar(&o.AllowRemote, "allow-remote", false, "allow a target that is not a loopback address")
	fs.IntVar(&o.Procs, "procs", 0, "the bench's Go processors during the run (0 = when the server runs on this machine, 1 for a closed loop and 2 for an open loop (--rate), whose latency counts the bench's own hold-ups; else all)")
	fs.DurationVar(&o.Ceiling, "ceiling", o.Ceiling, "login mode: how long the hash ceiling runs after the login run (0 = none)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), benchUsage)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "latchkey bench: unexpected argument %q (the target is --url)\n", fs.Arg(0))
		return 2
	}
	if o.Mode == bench.ModeTiming && *tokensFile != "" {
		fmt.Fprintln(stderr, "latchkey bench: --refresh-tokens is for the refresh modes, not timing")
		return 2
	}
	if o.Mode == bench.ModeTiming {
		return runTiming(ctx, bench.TimingOptions{URL: o.URL, APIKey: o.APIKey, TenantID: o.TenantID,
			Timeout: o.Timeout, AllowRemote: o.AllowRemote, Samples: *samples}, *asJSON, stdout, stderr)
	}
	users, err := benchUsers(*usersFile, *loginID, *password)
	if err != nil {
		fmt.Fprintf(stderr, "latchkey bench: %v\n", err)
		return 2
	}
	o.Users = users
	if *tokensFile != "" {
		b, err := os.ReadFile(*tokensFile)
		if err == nil {
			o.RefreshTokens, err = bench.ParseRefreshTokens(string(b))
		}
		if err != nil {
			fmt.Fprintf(stderr, "latchkey bench: %v\n", err)
			return 2
		}
	}
	o.Hasher = loginHasher
	if err := o.Validate(); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "latchkey bench: %s\n", line)
		}
		return 2
	}
	line := progressLine(stdout, stderr)
	o.Progress = line.show
	rep, err := bench.Run(ctx, o)
	line.clear()
	if *tokensFile != "" && rep.RefreshTokens != nil {
		if err := saveRefreshTokens(*tokensFile, rep.RefreshTokens); err != nil {
			fmt.Fprintf(stderr, "latchkey bench: %v (the sessions' latest values are lost: presenting the old ones is reuse, which revokes them)\n", err)
		}
	}
	if err != nil {
		return failed(stderr, err, rep.Cleanup)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		rep.WriteText(stdout)
	}
	if rep.Interrupted || len(rep.Cleanup.Errors) > 0 {
		return 1
	}
	return 0
}

// saveRefreshTokens replaces file (the file a symbolic link names, when it
// is one) with the sessions' latest refresh tokens, one per line, without
// the file's comments: a new file beside it (mode 0600, as os.CreateTemp
// makes it: they are credentials), flushed to disk, renamed over the old
// one, and the directory flushed, so that after a crash or a power loss
// the file holds the new values.
func saveRefreshTokens(file string, tokens []string) (err error) {
	if target, err := filepath.EvalSymlinks(file); err == nil {
		file = target
	}
	f, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	text := strings.Join(tokens, "\n")
	if len(tokens) > 0 {
		text += "\n"
	}
	if _, err = f.WriteString(text); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), file); err != nil {
		return err
	}
	dir, err := os.Open(filepath.Dir(file))
	if err != nil {
		return err
	}
	defer dir.Close()
	return dir.Sync()
}

// loginHasher is the bench's hash ceiling: latchkey's own verification at
// scheme and factor, of a password hashed once beforehand, which is the
// hash a successful login runs.
func loginHasher(scheme string, factor int) (func(), string, int, error) {
	const plain = "latchkey bench ceiling"
	h, err := password.Hash(context.Background(), plain, scheme, factor)
	if err != nil {
		return nil, "", 0, err
	}
	return func() { _, _ = password.Verify(context.Background(), plain, h) }, h.Scheme, h.Factor, nil
}

func benchUsers(file, loginID, password string) ([]bench.Credential, error) {
	switch {
	case file != "" && loginID != "":
		return nil, errors.New("give --users or --login-id, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		return bench.ParseUsers(string(b))
	case loginID != "" && password == "":
		return nil, errors.New("--login-id needs --password (or LATCHKEY_BENCH_PASSWORD)")
	case loginID != "":
		return []bench.Credential{{LoginID: loginID, Password: password}}, nil
	}
	return nil, nil
}

// ttyLine is the progress line: redrawn in place on stderr, and only when
// stdout is a terminal, so a report piped to a file or to jq stays clean.
type ttyLine struct{ w io.Writer }

func progressLine(stdout, stderr io.Writer) *ttyLine {
	if isTTY(stdout) && isTTY(stderr) {
		return &ttyLine{w: stderr}
	}
	return &ttyLine{}
}

func isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

func (l *ttyLine) show(s bench.Status) {
	if l.w == nil {
		return
	}
	frac := float64(s.Elapsed) / float64(s.Bound)
	if s.Limit > 0 {
		frac = max(frac, float64(s.Done)/float64(s.Limit))
	}
	frac = min(frac, 1)
	const width = 30
	bar := strings.Repeat("=", int(frac*width)) + strings.Repeat(" ", width-int(frac*width))
	rate := float64(s.Done) / max(s.Elapsed.Seconds(), 1e-3)
	fmt.Fprintf(l.w, "\r\x1b[K[%s] %5.1fs/%s  %d requests  %.0f/s  %d failed",
		bar, s.Elapsed.Seconds(), s.Bound.Round(time.Second), s.Done, rate, s.Failed)
}

func (l *ttyLine) clear() {
	if l.w != nil {
		fmt.Fprint(l.w, "\r\x1b[K")
	}
}

// failed reports a run that failed, with what its cleanup has to say, and
// returns the exit status 1.
func failed(stderr io.Writer, err error, c bench.Cleanup) int {
	fmt.Fprintf(stderr, "latchkey bench: %s\n", strings.TrimPrefix(err.Error(), "bench: "))
	for _, e := range c.Messages() {
		fmt.Fprintf(stderr, "latchkey bench: cleanup: %s\n", e)
	}
	return 1
}

// runTiming runs `latchkey bench --mode timing`: exit status 0 when the
// failed logins' timings are equal by the report's bar, 1 when they are not
// or the run failed.
func runTiming(ctx context.Context, o bench.TimingOptions, asJSON bool, stdout, stderr io.Writer) int {
	rep, err := bench.RunTiming(ctx, o)
	if err != nil {
		return failed(stderr, err, rep.Cleanup)
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
	} else {
		rep.WriteText(stdout)
	}
	if !rep.Equal || rep.Unexpected > 0 || len(rep.Cleanup.Errors) > 0 {
		return 1
	}
	return 0
}
