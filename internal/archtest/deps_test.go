package archtest

import (
	"os/exec"
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

func TestDependencyDirection(t *testing.T) {
	tests := []struct {
		pkg       string
		forbidden func(dep string) bool
		why       string
	}{
		{"internal/auth", func(d string) bool { return d == "net/http" }, "use cases stay free of HTTP"},
		{"internal/storage", func(d string) bool {
			return strings.HasPrefix(d, module+"/") && d != module+"/internal/storage" ||
				strings.Contains(d, "sqlite") || strings.Contains(d, "pgx")
		}, "the contract imports no backend"},
		{"internal/keys", func(d string) bool { return d == "net/http" }, "key management stays free of HTTP"},
		{"jwtverify", func(d string) bool { return strings.HasPrefix(d, module+"/internal/") }, "a public package for third parties"},
		{"internal/demo/store", func(d string) bool {
			return strings.HasPrefix(d, module+"/") && !strings.HasPrefix(d, module+"/jwtverify") && !strings.HasPrefix(d, module+"/internal/demo/store")
		}, "the demo apps trust latchkey only through jwtverify, like a third party"},
		{"internal/demo/forums", func(d string) bool {
			return strings.HasPrefix(d, module+"/") && !strings.HasPrefix(d, module+"/jwtverify") && !strings.HasPrefix(d, module+"/internal/demo/forums")
		}, "the demo apps trust latchkey only through jwtverify, like a third party"},
		{"internal/server", func(d string) bool {
			return strings.HasPrefix(d, module+"/internal/storage/sqlstorage") || strings.HasPrefix(d, module+"/internal/app")
		}, "the HTTP layer does not know the storage backend"},
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
