package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestAPIKeyCommands: on a database a Kickstart file made, `latchkey
// api-key list` shows the Kickstart key (never a value), `create` prints a
// new key that works against the server, and `revoke --key-file -` kills the
// leaked Kickstart key by its value read from standard input: the server
// refuses it from then on while the new key keeps working. Refusals (an
// unknown id, a value no key has, bad flags, an endpoint latchkey does not
// serve) exit non-zero and change nothing.
func TestAPIKeyCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keys.db")
	_, stop := serveFile(t, db, backupKickstart(t))
	stop()
	cli := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := runAPIKey(context.Background(), append(args, "--database-url", db), func(string) string { return "" },
			strings.NewReader(stdin), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errs := cli("", "list")
	if code != 0 || strings.Count(out, "\n") != 2 || !strings.Contains(out, "global") || strings.Contains(out, backupKey) {
		t.Fatalf("list: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = cli("", "create", "--description", "ci reader", "--endpoint", "/api/application=GET")
	_, newKey, _ := strings.Cut(out, "key=")
	newKey = strings.TrimSpace(newKey)
	if code != 0 || len(newKey) < 32 {
		t.Fatalf("create: exit %d\n%s%s", code, out, errs)
	}
	// A key or id that is not there exits 1; a bad flag or flag value, an
	// endpoint latchkey does not serve included, is a usage error: 2.
	for _, refused := range []struct {
		args []string
		code int
	}{
		{[]string{"revoke", "--id", "0f1a2b3c-0000-4000-8000-0000000000ff"}, 1},
		{[]string{"revoke", "--key-file", "-"}, 1},
		{[]string{"revoke"}, 2},
		{[]string{"create", "--endpoint", "/api/application"}, 2},
		{[]string{"create", "--endpoint", "/api/application=FETCH"}, 2},
		{[]string{"create", "--endpoint", "/api/applications=GET"}, 2},
		{[]string{"create", "--endpoint", "/api/nope=GET"}, 2},
		{[]string{"create", "--tenant-id", "0f1a2b3c-0000-4000-8000-0000000000ff"}, 2},
	} {
		if code, _, errs := cli("no-such-key-0123456789abcdef\n", refused.args...); code != refused.code {
			t.Errorf("%v: exit %d, want %d (%s)", refused.args, code, refused.code, errs)
		}
	}
	if code, out, errs := cli(backupKey+"\n", "revoke", "--key-file", "-"); code != 0 || !strings.Contains(out, "deleted") {
		t.Fatalf("revoke by value: exit %d\n%s%s", code, out, errs)
	}
	if _, out, _ := cli("", "list"); strings.Count(out, "\n") != 2 || !strings.Contains(out, "ci reader") {
		t.Fatalf("list after revoke:\n%s", out)
	}

	base, stop := serveFile(t, db, "")
	defer stop()
	get := func(key string) int {
		req, _ := http.NewRequest("GET", base+"/api/application", nil)
		req.Header.Set("Authorization", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := get(backupKey); s != 401 {
		t.Errorf("the revoked Kickstart key: %d, want 401", s)
	}
	if s := get(newKey); s != 200 {
		t.Errorf("the key made by create: %d, want 200", s)
	}
}
