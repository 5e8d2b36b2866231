package multinode

import (
	"encoding/json"
	"testing"
)

// TestLambdaChangesArePushedToOtherNodes: with caches that would keep a
// record for an hour, a JWT populate lambda attached to an application
// through node A runs on node B's next token, and a change to its body made
// through A is what B runs next: the lambda and the application reach B
// through the change feed (docs/api.md, "A change to a lambda applies to the
// next token on every node").
func TestLambdaChangesArePushedToOtherNodes(t *testing.T) {
	c := startCluster(t, 2, cachedForAnHour)
	a, b := c.nodes[0], c.nodes[1]
	const lambdaID = "5e1f0000-0000-4000-8000-0000000000d1"
	color := func() any {
		var claims map[string]any
		if err := json.Unmarshal(part(t, login(t, b, userEmail, raceApp).str("token"), 1), &claims); err != nil {
			t.Fatal(err)
		}
		return claims["favoriteColor"]
	}
	if got := color(); got != nil { // B has the application cached now
		t.Fatalf("before: B's token has favoriteColor %v", got)
	}
	body := func(c string) map[string]any {
		return map[string]any{"lambda": map[string]any{"name": "color", "type": "JWTPopulate",
			"body": `function populate(jwt, user, registration) { jwt.favoriteColor = "` + c + `"; }`}}
	}
	if r := a.do(t, "POST", "/api/lambda/"+lambdaID, body("teal"), "Authorization", c.apiKey); r.status != 200 {
		t.Fatalf("create lambda on A: %d %s", r.status, r.body)
	}
	r := a.do(t, "PATCH", "/api/application/"+raceApp, map[string]any{"application": map[string]any{
		"lambdaConfiguration": map[string]any{"accessTokenPopulateId": lambdaID}}}, "Authorization", c.apiKey)
	if r.status != 200 {
		t.Fatalf("PATCH application on A: %d %s", r.status, r.body)
	}
	pushed(t, "the application's lambda runs", func() bool { return color() == "teal" })
	if r := a.do(t, "PATCH", "/api/lambda/"+lambdaID, body("plum"), "Authorization", c.apiKey); r.status != 200 {
		t.Fatalf("PATCH lambda on A: %d %s", r.status, r.body)
	}
	pushed(t, "the lambda's new body runs", func() bool { return color() == "plum" })
}
