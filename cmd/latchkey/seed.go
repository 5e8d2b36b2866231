package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// runSeed fills the database the serve settings name with a population to
// benchmark among (issue 13's 1,000,000 users and 10,000,000 refresh
// tokens): sqlstorage.SeedScale. The server must not be running.
func runSeed(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c := newOfflineCommand("seed", stdout, stderr)
	fs := c.fs
	appID := fs.String("application-id", "", "the application the users are registered to and the tokens belong to (required; e.g. one a --kickstart creates)")
	users := fs.Int("users", 1_000_000, "users to create")
	tokens := fs.Int("tokens", 10_000_000, "refresh tokens to create, spread evenly over the users: 85 % live, 15 % revoked (two thirds of those expired)")
	printN := fs.Int("print-tokens", 0, "print this many refresh tokens of the population --users and --tokens describe (live, of distinct users drawn at random, at least 7 days from expiry after the seeding) instead of seeding, for latchkey bench --refresh-tokens; nothing is opened or written")
	draw := fs.Int("sample", 1, "with --print-tokens: which draw, 1, 2, ... (the same number prints the same tokens; draws of the same size share no user)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), "Usage: latchkey seed --application-id ID [--users N] [--tokens N] [serve flags]\n"+
			"       latchkey seed --print-tokens N [--sample K] [--users N] [--tokens N]\n\n"+
			"Writes N users (as the user import writes them) and N refresh tokens (as logins and\n"+
			"rotations leave them) into the database the serve settings name, for latchkey bench to\n"+
			"measure among (docs/performance.md). Their ids and values are fixed and their users\n"+
			"share a known password, so only a database without users or refresh tokens is seeded\n"+
			"(seed an empty database once, made for benchmarks; never a production one).\n"+
			"Stop the server first. With --print-tokens it prints sessions of that population\n"+
			"for latchkey bench --refresh-tokens instead, and touches no database.\n\n")
		fs.PrintDefaults()
	}
	cfg, code, done := c.load(args, getenv, func() error {
		switch {
		case *printN < 0:
			return errors.New("--print-tokens must not be negative")
		case *appID == "" && *printN == 0:
			return errors.New("--application-id is required")
		case *users < 0 || *tokens < 0 || *tokens > 0 && *users == 0:
			return errors.New("--users and --tokens must be positive (tokens need users)")
		}
		return nil
	})
	if done {
		return code
	}
	if *printN > 0 {
		picked, err := sqlstorage.SeedSample(*printN, *draw, *users, *tokens, 7*24*time.Hour)
		if err != nil {
			return c.fail(err)
		}
		for _, i := range picked {
			fmt.Fprintln(stdout, sqlstorage.SeedTokenValue(i))
		}
		return 0
	}
	a, err := c.open(ctx, cfg)
	if err != nil {
		c.say(err)
		return 1
	}
	defer a.Close()
	st, ok := a.Store().(*sqlstorage.Store)
	if !ok {
		c.say(errors.New("the store is not SQL"))
		return 1
	}
	began, last := time.Now(), time.Now()
	err = st.SeedScale(ctx, sqlstorage.Seed{ApplicationID: *appID, Users: *users, Tokens: *tokens,
		Progress: func(u, t int) {
			if time.Since(last) >= 10*time.Second || u == *users && t == *tokens {
				last = time.Now()
				fmt.Fprintf(stdout, "latchkey seed: %d users, %d tokens (%s)\n", u, t, time.Since(began).Round(time.Second))
			}
		}})
	if err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(stdout, "latchkey seed: done in %s\n", time.Since(began).Round(time.Second))
	return 0
}
