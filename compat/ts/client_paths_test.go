package tscompat

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/apptest"
)

// clientCall is one request the TypeScript client builds:
// this.start().withUri('/api/…')…withMethod("GET")….go().
var (
	clientCall = regexp.MustCompile(`(?s)return this\.start\w*\(\)(.*?)\.go\(\)`)
	clientURI  = regexp.MustCompile(`withUri\('([^']+)'\)`)
	clientVerb = regexp.MustCompile(`withMethod\("(\w+)"\)`)
)

// TestFusionAuthClientPathsAreNotIDs: every literal path the pinned
// TypeScript client calls (its withUri, before any segment it appends) is
// either served or answered 404 [NotFound]; none falls into a row's {id}
// and comes back as [couldNotConvert]<field> (POST /api/entity/type/search
// was [couldNotConvert]entityTypeId, DELETE /api/user/bulk
// [couldNotConvert]userId). A path the client gains in a new version
// belongs in a route or in server.notServed.
func TestFusionAuthClientPathsAreNotIDs(t *testing.T) {
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	installClient(t, ctx, dir)
	src, err := os.ReadFile(filepath.Join(dir, "node_modules", "@fusionauth", "typescript-client", "build", "src", "FusionAuthClient.js"))
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]bool{}
	for _, m := range clientCall.FindAllSubmatch(src, -1) {
		uri, verb := clientURI.FindSubmatch(m[1]), clientVerb.FindSubmatch(m[1])
		if uri != nil && verb != nil && strings.HasPrefix(string(uri[1]), "/api/") {
			calls[string(verb[1])+" "+string(uri[1])] = true
		}
	}
	if len(calls) < 100 {
		t.Fatalf("found %d calls in the client; the pattern no longer matches its build", len(calls))
	}
	in := apptest.Start(t, apptest.Options{})
	for call := range calls {
		method, path, _ := strings.Cut(call, " ")
		req, err := http.NewRequestWithContext(ctx, method, in.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", in.APIKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(body), "[couldNotConvert]") {
			t.Errorf("%s: %d %s, want it served or 404 [NotFound]", call, res.StatusCode, body)
		}
	}
}
