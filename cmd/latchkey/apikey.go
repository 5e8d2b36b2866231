package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

const apiKeyUsage = `Usage:
  latchkey api-key list [serve flags]
  latchkey api-key create [--description D] [--tenant-id T] [--key-manager]
                          [--endpoint /api/user=GET,POST]... [--expires RFC3339] [serve flags]
  latchkey api-key revoke (--id ID | --key-file FILE) [serve flags]

Lists, creates and revokes management API keys on the database the serve
settings name, without a running server or a key: a leaked key (one from a
Kickstart file, say) is killed with "revoke --key-file", which reads the
value from FILE ("-": standard input), never from the command line. create
prints the new key's value once; only its hash is kept. A revoked key is
refused by every node on its next request.
`

// runAPIKey is `latchkey api-key list|create|revoke [flags] [serve flags]`.
func runAPIKey(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "list" && args[0] != "create" && args[0] != "revoke") {
		if len(args) > 0 && (args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
			fmt.Fprint(stdout, apiKeyUsage)
			return 0
		}
		fmt.Fprint(stderr, apiKeyUsage)
		return 2
	}
	verb := args[0]
	c := newOfflineCommand("api-key "+verb, stdout, stderr)
	fs := c.fs
	fs.Usage = func() { fmt.Fprint(fs.Output(), apiKeyUsage+"\n"); fs.PrintDefaults() }
	var o apiKeyFlags
	switch verb {
	case "create":
		fs.StringVar(&o.description, "description", "", "the key's description")
		fs.StringVar(&o.tenantID, "tenant-id", "", "limit the key to this tenant")
		fs.BoolVar(&o.keyManager, "key-manager", false, "the key may manage API keys")
		fs.Func("endpoint", "an endpoint the key may call, with its methods: /api/user=GET,POST (repeat; none: every endpoint)", o.addEndpoint)
		fs.StringVar(&o.expires, "expires", "", "when the key stops working (RFC 3339); default never")
	case "revoke":
		fs.StringVar(&o.id, "id", "", "the id of the key to revoke")
		fs.StringVar(&o.keyFile, "key-file", "", `file whose first line is the value of the key to revoke ("-": standard input)`)
	}
	cfg, code, done := c.load(args[1:], getenv, func() error { return o.check(verb) })
	if done {
		return code
	}
	if verb == "revoke" && o.keyFile != "" {
		var err error
		if o.value, err = firstLine(o.keyFile, stdin); err != nil {
			return c.fail(err)
		}
	}
	// The whole server is opened but never serves, as for `latchkey admin`.
	a, err := c.open(ctx, cfg)
	if err != nil {
		return c.fail(err)
	}
	defer a.Close()
	keys := a.Server.Manage.APIKeys
	// The shell is a global key manager: whoever can open the database can
	// change it anyway. Audit entries name the command.
	root := storage.APIKey{KeyManager: true}
	actx := manage.WithActor(ctx, manage.Actor{Name: "latchkey api-key"})
	switch verb {
	case "list":
		list, err := keys.List(actx, root)
		if err != nil {
			return c.fail(err)
		}
		printAPIKeys(stdout, list)
	case "create":
		created, err := keys.Create(actx, root, manage.NewAPIKey{TenantID: o.tenantID, Endpoints: o.endpoints,
			Description: o.description, KeyManager: o.keyManager, ExpirationInstant: o.expiresAt})
		if inv := (*manage.Invalid)(nil); errors.As(err, &inv) {
			c.fail(err)
			return 2 // a flag's value refused (--tenant-id, --expires): a usage error
		} else if err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(stdout, "id=%s\nkey=%s\n", created.Record.ID, created.Key)
	case "revoke":
		if o.value != "" {
			k, ok, err := keys.Authenticate(actx, o.value)
			switch {
			case err != nil:
				return c.fail(err)
			case !ok:
				return c.fail(errors.New("no live key has that value"))
			}
			o.id = k.ID
		}
		if err := keys.Delete(actx, root, o.id); err != nil {
			if errors.Is(err, manage.ErrNotFound) {
				err = fmt.Errorf("no key has id %s", o.id)
			}
			return c.fail(err)
		}
		fmt.Fprintf(stdout, "latchkey api-key revoke: key %s deleted; it is refused from now on\n", o.id)
	}
	return 0
}

// apiKeyFlags are the subcommands' own flags.
type apiKeyFlags struct {
	description, tenantID, expires, id, keyFile, value string
	keyManager                                         bool
	endpoints                                          map[string][]string
	expiresAt                                          int64
}

// addEndpoint parses one --endpoint /api/x=GET,POST.
func (o *apiKeyFlags) addEndpoint(v string) error {
	path, methods, ok := strings.Cut(v, "=")
	if !ok || path == "" || methods == "" {
		return errors.New("want /api/endpoint=METHOD[,METHOD...]")
	}
	if o.endpoints == nil {
		o.endpoints = map[string][]string{}
	}
	for m := range strings.SplitSeq(methods, ",") {
		o.endpoints[path] = append(o.endpoints[path], strings.ToUpper(strings.TrimSpace(m)))
	}
	return nil
}

func (o *apiKeyFlags) check(verb string) error {
	if o.expires != "" {
		t, err := time.Parse(time.RFC3339, o.expires)
		if err != nil {
			return fmt.Errorf("--expires: %w", err)
		}
		o.expiresAt = t.UnixMilli()
	}
	if verb == "revoke" && (o.id == "") == (o.keyFile == "") {
		return errors.New("give --id or --key-file, one of them")
	}
	// The API's own rule, checked before the database is opened so that an
	// endpoint latchkey does not serve is a usage error like a malformed one.
	if ps := manage.EndpointProblems(o.endpoints); len(ps) > 0 {
		msgs := make([]string, len(ps))
		for i, p := range ps {
			msgs[i] = "--endpoint: " + p.Message
		}
		return errors.New(strings.Join(msgs, "\n"))
	}
	return nil
}

// firstLine reads the first line of file ("-": r).
func firstLine(file string, r io.Reader) (string, error) {
	line, err := readFirstLine(file, r)
	if err != nil {
		return "", err
	}
	if line = strings.TrimSpace(line); line == "" {
		return "", errors.New("the key file is empty")
	}
	return line, nil
}

// printAPIKeys writes one line per key: never a value (only hashes are kept).
func printAPIKeys(w io.Writer, keys []manage.APIKeyView) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tTENANT\tMANAGER\tEXPIRES\tENDPOINTS\tDESCRIPTION")
	for _, k := range keys {
		tenant, expires, endpoints := "global", "never", "all"
		if k.TenantID != "" {
			tenant = k.TenantID
		}
		if k.ExpirationInstant != 0 {
			expires = time.UnixMilli(k.ExpirationInstant).UTC().Format(time.RFC3339)
		}
		if len(k.Permissions.Endpoints) > 0 {
			var parts []string
			for _, ep := range slices.Sorted(maps.Keys(k.Permissions.Endpoints)) {
				parts = append(parts, ep+"="+strings.Join(k.Permissions.Endpoints[ep], ","))
			}
			endpoints = strings.Join(parts, " ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\t%s\n", k.ID, tenant, k.KeyManager, expires, endpoints, k.MetaData.Attributes["description"])
	}
	_ = tw.Flush()
}
