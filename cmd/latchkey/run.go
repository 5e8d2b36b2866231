package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/demo"
)

const usage = `latchkey: an identity server that speaks FusionAuth's HTTP API.

Usage:
  latchkey serve [flags]   run the identity server (latchkey serve --help lists every setting)
  latchkey demo [flags]    run the identity server with the Store and Forums example apps
  latchkey bench [flags]   load a latchkey (or FusionAuth) server and report throughput and latency
  latchkey import FILE     import a FusionAuth user import file into a running server, in batches
  latchkey backup FILE     copy the SQLite database consistently while latchkey runs
  latchkey admin --email E make E an administrator of the admin console (/admin)
  latchkey seed --application-id ID  fill the database with users and refresh tokens to bench among
  latchkey api-key list|create|revoke  manage API keys on the database (revoke a leaked key)
  latchkey version         print the version, module and commit
  latchkey help [COMMAND]  show this text, or COMMAND's (as latchkey COMMAND --help)

Every serve setting is a flag and a LATCHKEY_* environment variable; a flag
beats the environment, which beats the default. Out of the box latchkey
listens on 127.0.0.1:9011 with a SQLite database file latchkey.db, created
and migrated on first start. A bad setting stops the program before it
listens, with one line per problem.
`

// run is the whole program; it returns the process exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		return runImport(ctx, args[1:], getenv, stdout, stderr)
	case "seed":
		return runSeed(ctx, args[1:], getenv, stdout, stderr)
	case "admin":
		return runAdmin(ctx, args[1:], getenv, os.Stdin, stdout, stderr)
	case "api-key":
		return runAPIKey(ctx, args[1:], getenv, os.Stdin, stdout, stderr)
	case "version", "--version", "-version":
		return runVersion(args[1:], stdout, stderr)
	case "help", "--help", "-help", "-h":
		return runHelp(ctx, args[1:], getenv, stdout, stderr)
	}
	fmt.Fprintf(stderr, "latchkey: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// runVersion is `latchkey version`: it takes no flags or arguments, and
// refuses any (exit 2) as every other command refuses one it does not know.
func runVersion(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: latchkey version\n\nPrints the version, module, commit and Go release.\n")
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "latchkey version: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	fmt.Fprint(stdout, app.ReadBuildInfo())
	return 0
}

// runHelp is `latchkey help [COMMAND]`: the general usage, or COMMAND's
// own (what `latchkey COMMAND --help` prints).
func runHelp(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case len(args) > 1:
		fmt.Fprintf(stderr, "latchkey help: give one command, got %q\n", args)
		return 2
	case strings.HasPrefix(args[0], "-"):
		fmt.Fprintf(stderr, "latchkey help: unknown flag %q\n\n%s", args[0], usage)
		return 2
	}
	return run(ctx, []string{args[0], "--help"}, getenv, stdout, stderr)
}

// parseFlags parses a command's own flags the way serve and the offline
// commands do: -h prints the usage on stdout (exit 0), a bad flag prints
// the error and the usage on stderr (exit 2). When done, the command exits
// with code.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, done bool) {
	var out bytes.Buffer
	fs.SetOutput(&out)
	err := fs.Parse(args)
	fs.SetOutput(stderr) // the command's own later fs.Usage() calls
	switch {
	case errors.Is(err, flag.ErrHelp):
		_, _ = stdout.Write(out.Bytes())
		return 0, true
	case err != nil:
		_, _ = stderr.Write(out.Bytes())
		return 2, true
	}
	return 0, false
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	// The flag package prints usage itself on -help or a parse error; collect
	// it so that help goes to stdout and errors to stderr, once each.
	var usage bytes.Buffer
	fs.SetOutput(&usage)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: latchkey serve [flags]\n\nRuns the identity server. Settings (flag, then environment variable):\n\n")
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\nEnvironment only (secrets stay out of the process list):\n\n"+config.EnvOnlyHelp())
	}
	cfg, err := config.Load(fs, args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		_, _ = stdout.Write(usage.Bytes())
		return 0
	}
	if err != nil {
		_, _ = stderr.Write(usage.Bytes())
		fmt.Fprintf(stderr, "latchkey serve: %v\n", err)
		return 2
	}
	if err := cfg.Validate(); err != nil {
		var p config.Problems
		if errors.As(err, &p) {
			for _, line := range p {
				fmt.Fprintf(stderr, "latchkey serve: %s\n", line)
			}
		} else {
			fmt.Fprintf(stderr, "latchkey serve: %v\n", err)
		}
		return 2
	}
	tuneGC(getenv)
	logger := app.NewLogger(cfg, stderr)
	logLazyFree(logger, getenv)
	a, err := app.Open(ctx, cfg, app.Options{Logger: logger})
	if err != nil {
		fmt.Fprintf(stderr, "latchkey serve: cannot start: %v\n", err)
		return 1
	}
	defer a.Close()
	fmt.Fprintf(stdout, "latchkey %s listening on %s\n", app.Version(), a.URL())
	if err := a.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "latchkey serve: %v\n", err)
		return 1
	}
	return 0
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var o demo.Options
	fs.StringVar(&o.DataDir, "data-dir", "", "folder for the demo's SQLite files (default: under the user cache dir)")
	fs.BoolVar(&o.OAuth, "oauth", false, "the Store logs in with the authorization code flow and PKCE through latchkey's hosted page instead of its native form")
	fs.StringVar(&o.IdentityAddr, "identity-addr", "127.0.0.1:9011", "listen address of the identity server")
	fs.StringVar(&o.StoreAddr, "store-addr", "127.0.0.1:3000", "listen address of the Store example app")
	fs.StringVar(&o.ForumsAddr, "forums-addr", "127.0.0.1:3001", "listen address of the Forums example app")
	fs.DurationVar(&o.JWTTTL, "jwt-ttl", 30*time.Second, "access token lifetime")
	fs.DurationVar(&o.RefreshTTL, "refresh-ttl", 10*time.Minute, "refresh token lifetime (FusionAuth counts it in whole minutes: rounded up)")
	fs.StringVar(&o.CookiePrefix, "cookie-prefix", "", "token cookie names: empty for FusionAuth's, or __Host- (browsers accept it on http://localhost)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: latchkey demo [flags]\n\nRuns the identity server, the Store and the Forums, seeded. Ctrl-C stops them.\n\n")
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if o.JWTTTL < time.Second || o.RefreshTTL < time.Second {
		fmt.Fprintf(stderr, "latchkey demo: --jwt-ttl and --refresh-ttl must be at least 1s (got %s and %s)\n", o.JWTTTL, o.RefreshTTL)
		return 2
	}
	o.Out = stdout
	o.Logger = app.NewLogger(config.Default(), stderr)
	if lazyFreeFailed != nil {
		logLazyFree(o.Logger, os.Getenv)
	}
	if err := demo.Run(ctx, o); err != nil {
		// demo's errors already say "demo: ..."; do not say it twice.
		fmt.Fprintf(stderr, "latchkey demo: %s\n", strings.TrimPrefix(err.Error(), "demo: "))
		return 1
	}
	return 0
}
