package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
	"github.com/latchkeyhq/latchkey/internal/manage"
)

// runAdmin is `latchkey admin --email EMAIL [serve settings]`: it makes
// EMAIL an administrator of the admin console (a new user with the
// password given, or an existing one, registered to the console's
// application with the admin role), on the database the serve settings
// name, and exits. The password comes from LATCHKEY_ADMIN_PASSWORD or the
// first line of --password-file ("-": standard input), never from the
// command line (the process list shows it).
func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	var usage bytes.Buffer
	fs.SetOutput(&usage)
	email := fs.String("email", "", "the administrator's email address (required)")
	pwFile := fs.String("password-file", "", `file whose first line is the password of a new user ("-": standard input; default: $LATCHKEY_ADMIN_PASSWORD)`)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: latchkey admin --email EMAIL [--password-file FILE] [serve flags]\n\n"+
			"Makes EMAIL an administrator of the admin console at /admin, on the database the serve\n"+
			"settings name. A new user gets the password from $LATCHKEY_ADMIN_PASSWORD or --password-file;\n"+
			"an existing user keeps theirs.\n\n")
		fs.PrintDefaults()
	}
	cfg, err := config.Load(fs, args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		_, _ = stdout.Write(usage.Bytes())
		return 0
	}
	if err == nil && strings.TrimSpace(*email) == "" {
		err = errors.New("--email is required")
	}
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		_, _ = stderr.Write(usage.Bytes())
		fmt.Fprintf(stderr, "latchkey admin: %v\n", err)
		return 2
	}
	password, err := adminPassword(*pwFile, getenv, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "latchkey admin: %v\n", err)
		return 2
	}
	// The whole server is opened (migrations, defaults, Kickstart) but never
	// serves: the listener only satisfies Open.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintf(stderr, "latchkey admin: %v\n", err)
		return 1
	}
	a, err := app.Open(ctx, cfg, app.Options{Logger: app.NewLogger(cfg, stderr), Listener: ln})
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "latchkey admin: cannot open the database: %v\n", err)
		return 1
	}
	defer a.Close()
	actx := manage.WithActor(ctx, manage.Actor{Name: "latchkey admin"})
	u, err := a.Server.Manage.Console.CreateAdmin(actx, strings.TrimSpace(*email), password)
	var inv *manage.Invalid
	if errors.As(err, &inv) {
		for _, p := range inv.Problems {
			fmt.Fprintf(stderr, "latchkey admin: %s\n", p.Message)
		}
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "latchkey admin: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "latchkey admin: %s (user %s) is an administrator; sign in at %s/admin/\n",
		u.Email, u.ID, strings.TrimSuffix(cfg.Issuer, "/"))
	return 0
}

// adminPassword reads the password: the file's first line, else the
// environment. Empty is allowed (an existing user keeps their password; a
// new one is refused by the tenant's password rules).
func adminPassword(file string, getenv func(string) string, stdin io.Reader) (string, error) {
	if file == "" {
		return getenv("LATCHKEY_ADMIN_PASSWORD"), nil
	}
	var r io.Reader = stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
