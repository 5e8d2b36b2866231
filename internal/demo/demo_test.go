package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// start runs the demo on port-0 listeners and returns the three base URLs.
// syncBuffer is written by Run's goroutine and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func start(t *testing.T, dataDir string) (idp, storeURL, forumsURL string, out *syncBuffer, stop func() error) {
	t.Helper()
	var lns [3]net.Listener
	for i := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i] = ln
	}
	url := func(ln net.Listener) string { return "http://" + ln.Addr().String() }
	out = &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{DataDir: dataDir, Out: out, Logger: slog.New(slog.DiscardHandler),
			IdentityListener: lns[0], StoreListener: lns[1], ForumsListener: lns[2],
			IdentityURL: url(lns[0]), StoreURL: url(lns[1]), ForumsURL: url(lns[2])})
	}()
	stop = func() error { cancel(); return <-done }
	t.Cleanup(func() { cancel() })
	// Listeners exist already, so requests queue until each server serves.
	for {
		res, err := http.Get(url(lns[1]) + "/config.json")
		if err == nil && res.StatusCode == 200 {
			res.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("Run stopped early: %v\n%s", err, out)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return url(lns[0]), url(lns[1]), url(lns[2]), out, stop
}

func login(t *testing.T, idp, origin, appID string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"loginId": DemoEmail, "password": DemoPassword, "applicationId": appID})
	req, _ := http.NewRequest("POST", idp+"/api/login", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var lr struct{ Token string }
	_ = json.NewDecoder(res.Body).Decode(&lr)
	return res.StatusCode, lr.Token
}

func get(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestRunSeedsAndServes is `latchkey demo` end to end without a browser: the
// Kickstart seeded both applications and the user, each backend accepts its
// own application's token and refuses the other's, and a second run on the
// same data folder starts again (Kickstart already applied) and stops cleanly.
func TestRunSeedsAndServes(t *testing.T) {
	dir := t.TempDir()
	for run := 1; run <= 2; run++ {
		idp, storeURL, forumsURL, out, stop := start(t, dir)
		for _, want := range []string{idp, storeURL, forumsURL, DemoEmail, DemoPassword, dir} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("run %d: output does not mention %q:\n%s", run, want, out)
			}
		}
		status, storeTok := login(t, idp, storeURL, StoreAppID)
		if status != 200 || storeTok == "" {
			t.Fatalf("run %d: Store login: status %d", run, status)
		}
		_, forumsTok := login(t, idp, forumsURL, ForumsAppID)
		tests := []struct {
			name, url, token string
			want             int
		}{
			{"Store token at the Store", storeURL + "/api/load-shopping-cart", storeTok, 200},
			{"Forums token at the Forums", forumsURL + "/api/posts", forumsTok, 200},
			{"Forums token at the Store", storeURL + "/api/load-shopping-cart", forumsTok, 401},
			{"Store token at the Forums", forumsURL + "/api/posts", storeTok, 401},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := get(t, tt.url, tt.token); got != tt.want {
					t.Errorf("run %d: status %d, want %d", run, got, tt.want)
				}
			})
		}
		res, err := http.Get(idp + "/sdk/latchkey.js")
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("SDK not served: %v", err)
		}
		res.Body.Close()
		if err := stop(); err != nil {
			t.Fatalf("run %d: stop: %v", run, err)
		}
	}
}
