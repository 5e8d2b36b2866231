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

// offlineCommand is a command that works on the database the serve
// settings name without serving, and exits (admin, api-key): its flags are
// its own and the serve flags; its usage goes to stdout for -h and to
// stderr with a flag error.
type offlineCommand struct {
	name           string // as its messages say it: "admin", "api-key create"
	fs             *flag.FlagSet
	usage          bytes.Buffer
	stdout, stderr io.Writer
}

func newOfflineCommand(name string, stdout, stderr io.Writer) *offlineCommand {
	c := &offlineCommand{name: name, fs: flag.NewFlagSet(name, flag.ContinueOnError), stdout: stdout, stderr: stderr}
	c.fs.SetOutput(&c.usage)
	return c
}

// load reads the flags and settings (config.Load), then check (the
// command's own flags) and the settings' validity. When done, the command
// is over and exits with code: 0 for -h (the usage on stdout), 2 for a bad
// flag or setting (the usage and the error on stderr).
func (c *offlineCommand) load(args []string, getenv func(string) string, check func() error) (cfg config.Config, code int, done bool) {
	cfg, err := config.Load(c.fs, args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		_, _ = c.stdout.Write(c.usage.Bytes())
		return cfg, 0, true
	}
	if err == nil {
		err = check()
	}
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		_, _ = c.stderr.Write(c.usage.Bytes())
		c.say(err)
		return cfg, 2, true
	}
	return cfg, 0, false
}

// open opens the whole server on cfg's database (migrations, defaults,
// Kickstart) but never serves: the listener only satisfies app.Open. The
// caller closes it.
func (c *offlineCommand) open(ctx context.Context, cfg config.Config) (*app.App, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	// A command that runs once and exits has no use for the database file
	// in the page cache (LATCHKEY_SQLITE_PREWARM is for a serving node).
	cfg.SQLitePrewarm = "off"
	a, err := app.Open(ctx, cfg, app.Options{Logger: app.NewLogger(cfg, c.stderr), Listener: ln})
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("cannot open the database: %w", err)
	}
	return a, nil
}

// say writes err on stderr, naming the command.
func (c *offlineCommand) say(err error) {
	fmt.Fprintf(c.stderr, "latchkey %s: %v\n", c.name, err)
}

// fail says err, a manage.Invalid as its problems one a line, and returns
// the exit code 1.
func (c *offlineCommand) fail(err error) int {
	var inv *manage.Invalid
	if !errors.As(err, &inv) {
		c.say(err)
		return 1
	}
	for _, p := range inv.Problems {
		fmt.Fprintf(c.stderr, "latchkey %s: %s\n", c.name, p.Message)
	}
	return 1
}

// readFirstLine reads the first line of file ("-": stdin), without its line
// ending.
func readFirstLine(file string, stdin io.Reader) (string, error) {
	r := stdin
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
