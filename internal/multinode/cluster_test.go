package multinode

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// Fixed ids of the Kickstart's records.
const (
	// raceApp: OneTimeUse with a grace period, so a request that arrives
	// just after another node rotated the same token gets the successor
	// (two tabs, two nodes) instead of revoking the family.
	raceApp = "5e1f0000-0000-4000-8000-00000000000a"
	// strictApp: OneTimeUse with a one-second grace period (the shortest
	// one can set; 0 means latchkey's 60 s retry window): reuse of a rotated
	// value after it is theft (RFC 9700 §4.14.2) and revokes the family.
	strictApp = "5e1f0000-0000-4000-8000-00000000000b"
	// defaultsApp: OneTimeUse with no grace period configured
	// (gracePeriodInSeconds 0, FusionAuth's default).
	defaultsApp = "5e1f0000-0000-4000-8000-00000000000d"
	// shortApp: access tokens live one minute, less than the clock skew
	// the clock tests give a node.
	shortApp  = "5e1f0000-0000-4000-8000-00000000000c"
	userID    = "5e1f0000-0000-4000-8000-0000000000c1"
	lockID    = "5e1f0000-0000-4000-8000-0000000000c2"
	userEmail = "node-user@example.com"
	lockEmail = "node-lock@example.com"
	password  = "multinode-password"
)

func application(name string, grace int) map[string]any {
	return map[string]any{"application": map[string]any{
		"name": name,
		"jwtConfiguration": map[string]any{
			"enabled": true, "timeToLiveInSeconds": 600, "refreshTokenTimeToLiveInMinutes": 60,
			"refreshTokenExpirationPolicy": "Fixed", "refreshTokenUsagePolicy": "OneTimeUse",
			"refreshTokenOneTimeUseConfiguration": map[string]any{"gracePeriodInSeconds": grace},
		},
		// An SPA logs in without an API key (fusionauth-api.md §1.2).
		"loginConfiguration": map[string]any{"requireAuthentication": false, "allowTokenRefresh": true, "generateRefreshTokens": true},
	}}
}

// shortLived gives an application's access tokens a one-minute lifetime.
func shortLived(app map[string]any) map[string]any {
	app["application"].(map[string]any)["jwtConfiguration"].(map[string]any)["timeToLiveInSeconds"] = 60
	return app
}

// writeKickstart writes the cluster's one Kickstart file and returns its
// path and the API key it creates.
func writeKickstart(t *testing.T) (path, apiKey string) {
	t.Helper()
	apiKey = rand.Text() + rand.Text()
	k := map[string]any{
		"apiKeys": []map[string]any{{"key": apiKey, "description": "multinode test"}},
		"requests": []map[string]any{
			{"method": "POST", "url": "/api/application/" + raceApp, "body": application("race", 60)},
			{"method": "POST", "url": "/api/application/" + strictApp, "body": application("strict", 1)},
			{"method": "POST", "url": "/api/user/registration/" + userID, "body": map[string]any{
				"user":         map[string]any{"email": userEmail, "password": password},
				"registration": map[string]any{"applicationId": raceApp}}},
			{"method": "POST", "url": "/api/user/registration/" + userID, "body": map[string]any{
				"registration": map[string]any{"applicationId": strictApp}}},
			{"method": "POST", "url": "/api/application/" + shortApp, "body": shortLived(application("short", 0))},
			{"method": "POST", "url": "/api/application/" + defaultsApp, "body": application("defaults", 0)},
			{"method": "POST", "url": "/api/user/registration/" + userID, "body": map[string]any{
				"registration": map[string]any{"applicationId": defaultsApp}}},
			{"method": "POST", "url": "/api/user/registration/" + userID, "body": map[string]any{
				"registration": map[string]any{"applicationId": shortApp}}},
			{"method": "POST", "url": "/api/user/registration/" + lockID, "body": map[string]any{
				"user":         map[string]any{"email": lockEmail, "password": password},
				"registration": map[string]any{"applicationId": raceApp}}},
		},
	}
	b, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "kickstart.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, apiKey
}

// freshSchema makes an empty PostgreSQL schema for this test and returns a
// URL whose search_path selects it; it is dropped in t.Cleanup (after the
// nodes, which are registered later and so stopped first).
func freshSchema(t *testing.T) string {
	t.Helper()
	url, drop, err := sqlstorage.NewTestSchema(context.Background(), requirePostgres(t))
	if err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
	})
	return url
}

// cluster is n nodes on one fresh schema with one Kickstart.
type cluster struct {
	nodes  []*node
	apiKey string
	dbURL  string
}

// startCluster launches n nodes at once and waits until all listen. env
// adds LATCHKEY_* settings to every node.
func startCluster(t *testing.T, n int, env ...string) *cluster {
	t.Helper()
	envs := make([][]string, n)
	for i := range envs {
		envs[i] = env
	}
	return startNodes(t, envs)
}

// startNodes is startCluster with settings of its own for each node.
func startNodes(t *testing.T, envs [][]string) *cluster {
	t.Helper()
	c := &cluster{dbURL: freshSchema(t)}
	var ks string
	ks, c.apiKey = writeKickstart(t)
	for i, env := range envs {
		c.nodes = append(c.nodes, launch(t, "node"+string(rune('A'+i)), c.dbURL, ks, env...))
	}
	for _, nd := range c.nodes {
		nd.waitReady(t)
	}
	return c
}

// login logs email in to app on nd and returns the response, failing the
// test unless it is 200.
func login(t *testing.T, nd *node, email, app string) response {
	t.Helper()
	r := nd.do(t, "POST", "/api/login", map[string]any{"loginId": email, "password": password, "applicationId": app})
	if r.status != 200 || r.str("refreshToken") == "" || r.str("token") == "" {
		t.Fatalf("login on %s: %d %s", nd.name, r.status, r.body)
	}
	return r
}

// refresh sends a refresh token in the body (no cookie: the load balancer
// may send each request to any node, so nothing may depend on the node).
func refresh(rt string) map[string]any { return map[string]any{"refreshToken": rt} }

// validate asks nd whether tok is valid: GET /api/jwt/validate.
func validate(t *testing.T, nd *node, tok string) int {
	t.Helper()
	return nd.do(t, "GET", "/api/jwt/validate", nil, "Authorization", "Bearer "+tok).status
}

// part decodes segment i (0 header, 1 claims) of a JWT.
func part(t *testing.T, tok string, i int) []byte {
	t.Helper()
	segs := strings.Split(tok, ".")
	if len(segs) != 3 {
		t.Fatalf("not a JWS compact token: %q", tok)
	}
	b, err := base64.RawURLEncoding.DecodeString(segs[i])
	if err != nil {
		t.Fatalf("token segment %d: %v", i, err)
	}
	return b
}

// kid returns the key id in a JWT's header.
func kid(t *testing.T, tok string) string {
	t.Helper()
	var h struct {
		Kid string `json:"kid"`
	}
	if json.Unmarshal(part(t, tok, 0), &h) != nil || h.Kid == "" {
		t.Fatalf("token header has no kid: %s", part(t, tok, 0))
	}
	return h.Kid
}
