package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

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
	c := newOfflineCommand("admin", stdout, stderr)
	fs := c.fs
	email := fs.String("email", "", "the administrator's email address (required)")
	pwFile := fs.String("password-file", "", `file whose first line is the password of a new user ("-": standard input; default: $LATCHKEY_ADMIN_PASSWORD)`)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: latchkey admin --email EMAIL [--password-file FILE] [serve flags]\n\n"+
			"Makes EMAIL an administrator of the admin console at /admin, on the database the serve\n"+
			"settings name. A new user gets the password from $LATCHKEY_ADMIN_PASSWORD or --password-file;\n"+
			"an existing user keeps theirs.\n\n")
		fs.PrintDefaults()
	}
	cfg, code, done := c.load(args, getenv, func() error {
		if strings.TrimSpace(*email) == "" {
			return errors.New("--email is required")
		}
		return nil
	})
	if done {
		return code
	}
	password, err := adminPassword(*pwFile, getenv, stdin)
	if err != nil {
		c.say(err)
		return 2
	}
	a, err := c.open(ctx, cfg)
	if err != nil {
		c.say(err)
		return 1
	}
	defer a.Close()
	actx := manage.WithActor(ctx, manage.Actor{Name: "latchkey admin"})
	u, err := a.Server.Manage.Console.CreateAdmin(actx, strings.TrimSpace(*email), password)
	if err != nil {
		return c.fail(err)
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
	return readFirstLine(file, stdin)
}
