package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// patchSystemConfiguration sends PATCH /api/system-configuration with body
// to a's handler under apiKey, as an admin changes a retention setting, and
// fails the test unless the answer is want.
func patchSystemConfiguration(t *testing.T, a *App, apiKey, body string, want int) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPatch, "/api/system-configuration", strings.NewReader(body))
	req.Header.Set("Authorization", apiKey)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	if rec.Code != want {
		t.Fatalf("PATCH /api/system-configuration %s: %d %s, want %d", body, rec.Code, rec.Body, want)
	}
}

// janitorTask runs one pass of a's janitor, with its own task list, and
// returns how many rows the named task purged; it fails the test when the
// pass has no such task.
func janitorTask(t *testing.T, a *App, task string) int {
	t.Helper()
	done, err := a.janitor.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n, ok := done[task]
	if !ok {
		t.Fatalf("the janitor's pass has no %s task: %v", task, done)
	}
	return n
}
