package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/internal/userimport"
)

const importUsage = `Usage: latchkey import [flags] FILE

Imports the users of FILE, a FusionAuth user import file (the body of
POST /api/user/import: {"encryptionScheme", "factor", "validateDbConstraints",
"users": [...]}), into a running server through that API, in batches. The
file is read as a stream ("-" reads standard input), so its size does not
matter. Each batch is one transaction: when the server refuses one, the bad
records are named by their index in the file, nothing of that batch is
imported, and --skip N resumes after the batches that were.
Users keep their password hashes and are rehashed to the tenant's scheme at
their first login. docs/api.md describes the format.

`

func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	o := userimport.Options{}
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:9011", "base URL of the server")
	fs.StringVar(&o.APIKey, "api-key", getenv("LATCHKEY_IMPORT_API_KEY"), "API key allowed POST /api/user/import (env LATCHKEY_IMPORT_API_KEY)")
	fs.StringVar(&o.TenantID, "tenant-id", "", "X-FusionAuth-TenantId, when the server has several tenants")
	fs.IntVar(&o.BatchSize, "batch-size", 10_000, "users per request (one transaction each)")
	fs.IntVar(&o.Skip, "skip", 0, "pass over the first N users of the file (resume after imported batches)")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "timeout of one batch")
	scheme := fs.String("encryption-scheme", "", "override the file's encryptionScheme (the scheme plain-text passwords are hashed with)")
	factor := fs.Int("factor", 0, "override the file's factor")
	validate := fs.Bool("validate-db-constraints", false, "override the file's validateDbConstraints")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), importUsage)
		fs.PrintDefaults()
	}
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "latchkey import: give one FILE (or - for standard input)")
		return 2
	}
	if o.APIKey == "" {
		fmt.Fprintln(stderr, "latchkey import: --api-key (or LATCHKEY_IMPORT_API_KEY) is required")
		return 2
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "encryption-scheme":
			o.EncryptionScheme = scheme
		case "factor":
			o.Factor = factor
		case "validate-db-constraints":
			o.ValidateDbConstraints = validate
		}
	})
	file, size, err := openImport(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "latchkey import: %v\n", err)
		return 1
	}
	defer file.Close()
	o.File, o.Size = file, size
	line := progressLine(stdout, stderr)
	o.Progress = line.showImport
	res, err := userimport.Run(ctx, o)
	line.clear()
	if err != nil {
		fmt.Fprintf(stderr, "latchkey import: %v\n", err)
		if res.Imported > 0 {
			fmt.Fprintf(stderr, "latchkey import: %d users were imported before that.\n", res.Imported)
		}
		return 1
	}
	fmt.Fprintf(stdout, "imported %d users in %d batches in %s", res.Imported, res.Batches, res.Elapsed.Round(time.Millisecond))
	if res.Skipped > 0 {
		fmt.Fprintf(stdout, " (skipped the first %d)", res.Skipped)
	}
	fmt.Fprintln(stdout)
	return 0
}

func openImport(name string) (*os.File, int64, error) {
	if name == "-" {
		return os.Stdin, 0, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// showImport is `latchkey import`'s progress line, drawn by hand on
// stderr when stdout and stderr are terminals, like `latchkey bench`'s
// (docs/decisions.md): the bar follows the bytes of the file read.
func (l *ttyLine) showImport(s userimport.Status) {
	if l.w == nil {
		return
	}
	const width = 30
	filled := 0
	if s.Size > 0 {
		filled = int(min(float64(s.Read)/float64(s.Size), 1) * width)
	}
	rate := float64(s.Imported) / max(s.Elapsed.Seconds(), 1e-3)
	fmt.Fprintf(l.w, "\r\x1b[K[%s] %5.1fs  %d users  %.0f/s", strings.Repeat("=", filled)+strings.Repeat(" ", width-filled),
		s.Elapsed.Seconds(), s.Imported, rate)
}
