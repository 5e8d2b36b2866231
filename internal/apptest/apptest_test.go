package apptest_test

import (
	"testing"

	"github.com/latchkeyhq/latchkey/internal/apptest"
)

func TestSmoke(t *testing.T) {
	in := apptest.Start(t, apptest.Options{})
	resp, body := in.Do(t, "GET", "/api/status", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d %s", resp.StatusCode, body)
	}
	resp, body = in.Do(t, "GET", "/api/tenant", nil)
	t.Log(resp.StatusCode, string(body))
	resp, body = in.Do(t, "POST", "/api/application", map[string]any{"application": map[string]any{"name": "x"}})
	t.Log(resp.StatusCode, string(body))
	resp, _ = in.Do(t, "GET", "/api/tenant", nil, "Authorization", "")
	if resp.StatusCode != 401 {
		t.Fatalf("no key: %d", resp.StatusCode)
	}
}
