package kickstart

import (
	"context"
	"fmt"
	"strings"

	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// checkEmpty refuses a database that holds users, API keys or applications
// (other than the admin console's) before the Kickstart writes anything.
// FusionAuth runs a Kickstart only on an empty instance: "Kickstart will
// not run if it sees any users, API keys, or applications in the FusionAuth
// database. This is to prevent data loss" (get-started/.../kickstart,
// troubleshooting). The dry run cannot see a clash with data the real
// database held before, so a file that passed it could fail part-way
// through the real run; on an empty database that cannot happen. FusionAuth
// skips the file silently; latchkey stops start-up instead, because a node
// that served without the keys and requests it was given would fail later
// and less clearly. It runs under the claim, so a node that starts while
// another applies the Kickstart waits rather than seeing its writes here.
func checkEmpty(ctx context.Context, st Store) error {
	var held []string
	if _, n, err := st.SearchUsers(ctx, storage.UserSearch{Limit: 1, CountLimit: 1}); err != nil {
		return fmt.Errorf("kickstart: is the database empty: %w", err)
	} else if n > 0 {
		held = append(held, "users")
	}
	if n, err := st.CountAPIKeys(ctx); err != nil {
		return fmt.Errorf("kickstart: is the database empty: %w", err)
	} else if n > 0 {
		held = append(held, plural(n, "API key"))
	}
	apps := 0
	for _, inactive := range []bool{false, true} {
		list, err := st.ListApplications(ctx, inactive)
		if err != nil {
			return fmt.Errorf("kickstart: is the database empty: %w", err)
		}
		for _, a := range list {
			if !strings.EqualFold(a.ID, manage.AdminApplicationID) {
				apps++
			}
		}
	}
	if apps > 0 {
		held = append(held, plural(apps, "application"))
	}
	if len(held) == 0 {
		return nil
	}
	return fmt.Errorf("kickstart: the database already holds %s but no completed Kickstart, and a Kickstart runs only on "+
		"an empty database (as in FusionAuth); nothing was written. To serve this data as it is, start without "+
		"LATCHKEY_KICKSTART (--kickstart); to seed a new instance, start from an empty database. If an earlier start "+
		"applied part of this Kickstart, its error named what it applied (docs/deploy.md, \"Kickstart\")", strings.Join(held, ", "))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// progress is what apply wrote before it stopped: the first keys of
// p.keys, the admin application, the first requests of p.requests.
type progress struct {
	keys     int
	admin    bool
	requests int
}

// maxNamed bounds how many applied requests a failure lists one by one.
const maxNamed = 20

// appliedNote tells the operator of a real run that failed part-way what
// it left in the database and what to do; "" when it wrote nothing, so the
// database is as empty as before and a corrected file runs.
func appliedNote(p plan, pr progress) string {
	if pr.keys == 0 && !pr.admin && pr.requests == 0 {
		return ""
	}
	var parts []string
	for i := range pr.keys {
		parts = append(parts, "API key "+keyName(i, p.keys[i]))
	}
	if pr.admin {
		parts = append(parts, "the admin console application")
	}
	for i := range min(pr.requests, maxNamed) {
		r := p.requests[i]
		parts = append(parts, fmt.Sprintf("request %d (%s %s)", i+1, r.Method, r.URL))
	}
	if pr.requests > maxNamed {
		parts = append(parts, fmt.Sprintf("requests %d to %d", maxNamed+1, pr.requests))
	}
	var rest string
	switch failed, n := pr.requests+1, len(p.requests); {
	case pr.keys < len(p.keys):
		rest = fmt.Sprintf("create apiKeys[%d] and the keys after it (POST /api/api-key with apiKeys[0])", pr.keys)
		if n > 0 {
			rest += fmt.Sprintf(", then send the %d requests with apiKeys[0]", n)
		}
	case failed == n:
		rest = fmt.Sprintf("send request %d with apiKeys[0]", failed)
	default:
		rest = fmt.Sprintf("send requests %d to %d with apiKeys[0]", failed, n)
	}
	return "; already applied to the real database, and left there (a Kickstart is not one transaction): " +
		strings.Join(parts, ", ") + ". The Kickstart is not marked done and the database is no longer empty, so a " +
		"start with a Kickstart file refuses it. Either start again from an empty database (drop it, or delete " +
		"the SQLite file), or finish by hand: " + rest + " (a request that failed with a 4xx wrote nothing; after " +
		"a 5xx, check whether it took effect), then start without " +
		"LATCHKEY_KICKSTART (docs/deploy.md, \"Kickstart\")"
}
