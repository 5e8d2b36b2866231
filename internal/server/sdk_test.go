package server

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	sdkjs "github.com/latchkeyhq/latchkey/sdk/js"
)

func TestSDKRoute(t *testing.T) {
	s := &Server{Logger: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()

	tests := []struct {
		name        string
		method      string
		ifNoneMatch string
		wantStatus  int
		wantBody    bool
	}{
		{"module is served cross-origin", http.MethodGet, "", http.StatusOK, true},
		{"revalidation with the current ETag", http.MethodGet, sdkETag, http.StatusNotModified, false},
		{"stale ETag gets the body", http.MethodGet, `"old"`, http.StatusOK, true},
		{"POST is not served", http.MethodPost, "", 0, false}, // 0: anything but 200
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+"/sdk/latchkey.js", nil)
			req.Header.Set("Origin", "http://store.example.test")
			if tt.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tt.ifNoneMatch)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if tt.wantStatus == 0 {
				if res.StatusCode == http.StatusOK || bytes.Contains(body, []byte("createClient")) {
					t.Fatalf("status %d with the SDK body", res.StatusCode)
				}
				return
			}
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if !tt.wantBody {
				return
			}
			for k, want := range map[string]string{
				"Content-Type":                 "text/javascript",
				"Access-Control-Allow-Origin":  "*",
				"Cross-Origin-Resource-Policy": "cross-origin",
			} {
				if got := res.Header.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if !bytes.Equal(body, sdkjs.Module) || !bytes.Contains(body, []byte("export function createClient")) {
				t.Errorf("body is not the SDK module (%d bytes)", len(body))
			}
		})
	}
}
