package archtest

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/latchkeyhq/latchkey"

// deps lists every package pkg imports, directly or not.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", module+"/"+pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
	}
	return strings.Fields(string(out))
}

// rule forbids pkg some of its dependencies, for the reason why.
type rule struct {
	pkg       string
	forbidden func(dep string) bool
	why       string
}

// TestServerUsesTheUseCases: the HTTP layer depends on the use-case
// packages, so their rules are called, not copied (issue 8's package graph).
func TestServerUsesTheUseCases(t *testing.T) {
	got := deps(t, "internal/server")
	for _, want := range []string{"internal/manage", "internal/auth", "internal/keys"} {
		if !slices.Contains(got, module+"/"+want) {
			t.Errorf("internal/server does not depend on %s", want)
		}
	}
}

func TestDependencyDirection(t *testing.T) {
	tests := []rule{
		{"internal/auth", func(d string) bool {
			return d == "net/http" || d == module+"/internal/server"
		}, "use cases stay free of HTTP and never depend on the HTTP layer"},
		{"internal/storage", func(d string) bool {
			return strings.HasPrefix(d, module+"/") && d != module+"/internal/storage" ||
				strings.Contains(d, "sqlite") || strings.Contains(d, "pgx")
		}, "the contract imports no backend"},
		{"internal/keys", func(d string) bool { return d == "net/http" }, "key management stays free of HTTP"},
		{"internal/cache", func(d string) bool {
			return d == "net/http" || strings.HasPrefix(d, module+"/") && d != module+"/internal/cache"
		}, "the cache primitive knows nothing of latchkey"},
		{"jwtverify", func(d string) bool { return strings.HasPrefix(d, module+"/internal/") }, "a public package for third parties"},
		{"internal/bench", func(d string) bool { return strings.HasPrefix(d, module+"/") && d != module+"/internal/bench" },
			"the load generator is a client of the HTTP API like any third party, so it works against FusionAuth too"},
		{"internal/userimport", func(d string) bool { return strings.HasPrefix(d, module+"/") && d != module+"/internal/userimport" },
			"latchkey import is a client of the HTTP API like internal/bench, so it imports into FusionAuth too"},
		{"internal/mail", func(d string) bool {
			return d == "net/http" || strings.HasPrefix(d, module+"/") && !onlyFrom(d, "internal/mail", "internal/outbox", "internal/storage")
		}, "mail is a use case: no HTTP (go-mail's SMTP client is its network code), no backend, no server or auth"},
		{"internal/outbox", func(d string) bool {
			return d == "net/http" || strings.HasPrefix(d, module+"/") && !onlyFrom(d, "internal/outbox", "internal/storage")
		}, "the outbox delivers through the storage contract only"},
		{"internal/mailcatcher", func(d string) bool {
			return strings.HasPrefix(d, module+"/") && d != module+"/internal/mailcatcher"
		}, "the demo's mail catcher stands alone, like a mail server would"},
		{"internal/hosted", func(d string) bool {
			return d == "net/http" || strings.HasPrefix(d, module+"/") && d != module+"/internal/hosted"
		}, "the hosted pages only render: the server decides and sets headers, so no HTTP and no latchkey package"},
		{"internal/manage", func(d string) bool {
			return d == "net/http" || d == module+"/internal/server"
		}, "management use cases stay free of HTTP; server calls them, never the reverse"},
		{"internal/mfa", func(d string) bool {
			return d == module+"/internal/server" || strings.HasPrefix(d, module+"/internal/storage/sqlstorage") ||
				strings.HasPrefix(d, module+"/internal/app")
		}, "second factors, passkeys and passwordless are use cases: HTTP calls them, they know no backend (go-webauthn brings net/http along; mfa itself handles no request)"},
		{"internal/tally", func(d string) bool {
			return d == "net/http" || strings.HasPrefix(d, module+"/") && !onlyFrom(d, "internal/tally", "internal/storage")
		}, "the dashboard's counters are filled by a plain function and flushed through the storage contract"},
		{"internal/janitor", func(d string) bool {
			return d == "net/http" || strings.HasPrefix(d, module+"/") && d != module+"/internal/janitor" && d != module+"/internal/storage"
		}, "the janitor deletes through the storage contract only; its policies are given to it"},
		{"internal/dbclock", func(d string) bool {
			return d == "net/http" || strings.HasPrefix(d, module+"/") && d != module+"/internal/dbclock"
		}, "the shared clock follows any time source it is given"},
		{"internal/secret", func(d string) bool {
			return d == "net/http" || strings.HasPrefix(d, module+"/") && d != module+"/internal/secret"
		}, "the server secret is a leaf: no storage, so it cannot end up in the database by import"},
		{"internal/mergepatch", func(d string) bool {
			return strings.HasPrefix(d, module+"/") && d != module+"/internal/mergepatch"
		}, "a leaf: JSON only"},
		{"internal/jsonpatch", func(d string) bool {
			return strings.HasPrefix(d, module+"/") && d != module+"/internal/jsonpatch"
		}, "a leaf: JSON only"},
		{"internal/jsonnum", func(d string) bool {
			return strings.HasPrefix(d, module+"/") && d != module+"/internal/jsonnum"
		}, "a leaf: JSON only"},
		{"internal/kickstart", func(d string) bool {
			return d == module+"/internal/server" || strings.HasPrefix(d, module+"/internal/app")
		}, "Kickstart drives the server through an http.Handler it is given"},
		{"internal/password", func(d string) bool {
			return d == "net/http" || strings.HasPrefix(d, module+"/") && d != module+"/internal/storage" &&
				d != module+"/internal/password" && !strings.HasPrefix(d, module+"/internal/password/")
		}, "hashing and policy are pure functions over the PasswordHash record"},
		{"internal/lambda", func(d string) bool {
			return d == "net/http" || d == "net" || d == "os/exec" ||
				strings.HasPrefix(d, module+"/") && d != module+"/internal/lambda"
		}, "lambdas reach nothing outside: no sockets, no processes, and only the values latchkey passes in"},
		{"internal/events", func(d string) bool {
			return d == "net/http" || strings.HasPrefix(d, module+"/") &&
				!onlyFrom(d, "internal/events", "internal/storage", "internal/cache", "internal/outbox")
		}, "events are use-case code: their one HTTP client is internal/events/sender, wired by the app"},
		{"internal/events/sender", func(d string) bool {
			return strings.HasPrefix(d, module+"/") && !onlyFrom(d, "internal/events/sender", "internal/events", "internal/storage",
				"internal/cache", "internal/outbox")
		}, "the webhook client posts what it is given and knows nothing else of latchkey"},
		{"internal/server", func(d string) bool {
			return strings.HasPrefix(d, module+"/internal/storage/sqlstorage") || strings.HasPrefix(d, module+"/internal/app")
		}, "the HTTP layer does not know the storage backend"},
		{"internal/openapi", func(d string) bool {
			return strings.HasPrefix(d, module+"/") && d != module+"/internal/openapi" || strings.Contains(d, "kin-openapi")
		}, "the description is data: the binary carries its bytes, the validator is for tests (openapitest)"},
		{"cmd/latchkey", func(d string) bool { return strings.Contains(d, "kin-openapi") || strings.HasSuffix(d, "/openapitest") },
			"the OpenAPI validator is a test tool, not part of the server"},
	}
	for _, pkg := range demoApps(t) {
		tests = append(tests, demoAppRule(pkg))
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			for _, d := range deps(t, tt.pkg) {
				if tt.forbidden(d) {
					t.Errorf("%s imports %s: %s", tt.pkg, d, tt.why)
				}
			}
		})
	}
}

// onlyFrom reports whether latchkey package d is one of pkgs.
func onlyFrom(d string, pkgs ...string) bool {
	return slices.Contains(pkgs, strings.TrimPrefix(d, module+"/"))
}

// demoAppRule is the demo applications' rule: of latchkey they may import
// jwtverify (and its subpackages), their shared kit internal/demo/appkit and
// their own subpackages, nothing else. appkit is under the same rule, so it
// cannot become a way around it.
func demoAppRule(pkg string) rule {
	allowed := []string{"jwtverify", "internal/demo/appkit", pkg}
	return rule{pkg, func(d string) bool {
		if !strings.HasPrefix(d, module+"/") {
			return false
		}
		for _, a := range allowed {
			if d == module+"/"+a || strings.HasPrefix(d, module+"/"+a+"/") {
				return false
			}
		}
		return true
	}, "the demo apps trust latchkey only through jwtverify, like a third party"}
}

// demoWiring runs latchkey itself (internal/app), so it is not under the demo
// applications' rule: internal/demo and its test starter demotest.
var demoWiring = []string{module + "/internal/demo", module + "/internal/demo/demotest"}

// demoApps lists every package under internal/demo except the wiring: the
// Store, the Forums, appkit, appkittest and whatever is added next, so a new
// one cannot forget the rule.
func demoApps(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "list", module+"/internal/demo/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list internal/demo/...: %v\n%s", err, out)
	}
	var pkgs []string
	for _, p := range strings.Fields(string(out)) {
		if !slices.Contains(demoWiring, p) {
			pkgs = append(pkgs, strings.TrimPrefix(p, module+"/"))
		}
	}
	if len(pkgs) < 3 {
		t.Fatalf("go list internal/demo/... found %v; want at least store, forums and appkit", pkgs)
	}
	return pkgs
}

// TestDemoAppRule pins what the rule lets through, so a loosened prefix check
// (jwtverifyx, appkitx, a sibling app) shows up here and not in a review.
func TestDemoAppRule(t *testing.T) {
	forbidden := demoAppRule("internal/demo/store").forbidden
	tests := []struct {
		dep  string
		want bool
	}{
		{"net/http", false},
		{"github.com/go-jose/go-jose/v4", false},
		{module + "/jwtverify", false},
		{module + "/jwtverify/strictjwt", false},
		{module + "/internal/demo/appkit", false},
		{module + "/internal/demo/store", false},
		{module + "/jwtverifyx", true},
		{module + "/internal/demo/appkitx", true},
		{module + "/internal/demo", true},
		{module + "/internal/demo/forums", true},
		{module + "/internal/demo/demotest", true},
		{module + "/internal/keys", true},
		{module + "/internal/app", true},
	}
	for _, tt := range tests {
		t.Run(tt.dep, func(t *testing.T) {
			if got := forbidden(tt.dep); got != tt.want {
				t.Errorf("forbidden(%s) = %v, want %v", tt.dep, got, tt.want)
			}
		})
	}
}
