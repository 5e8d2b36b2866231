package app_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/server"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

const slowEmail = "slow@example.test"

// slowStore embeds the real store and holds the user lookup for slowEmail
// until released: a stand-in for a KDF that takes long. Every lookup is
// counted, because a login that never looks the user up cannot have run a
// KDF (auth verifies only after the lookup).
type slowStore struct {
	storage.Storage
	lookups atomic.Int32
	entered chan struct{}
	release chan struct{}
}

func (s *slowStore) FindUser(ctx context.Context, f storage.UserFilter) (storage.User, error) {
	s.lookups.Add(1)
	if f.Email == slowEmail {
		s.entered <- struct{}{}
		<-s.release
	}
	return s.Storage.FindUser(ctx, f)
}

type reply struct {
	status int
	header http.Header
	body   string
}

func post(t *testing.T, url, contentType, body, apiKey string) reply {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return reply{}
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", apiKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return reply{}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(b)}
}

// TestPasswordLimitThroughTheApp is security-bar.md L8 and L9 on the real
// App over TCP, with the limit set through app.Options: one verification at
// a time and one waiting. With both taken, a further login and a password
// grant are refused at once with 503 + Retry-After and never look the user
// up; a 1 MB password is refused with 413 without queueing or a lookup;
// releasing the slow login lets the queued one finish.
func TestPasswordLimitThroughTheApp(t *testing.T) {
	ss := &slowStore{entered: make(chan struct{}, 4), release: make(chan struct{})}
	r := start(t, app.Options{Limits: server.Limits{HashConcurrency: 1, HashQueue: 1, HashWait: time.Hour}}, nil,
		func(st storage.Storage) storage.Storage { ss.Storage = st; return ss })
	login := "http://" + r.Addr + "/api/login"

	held := make(chan reply, 1)
	go func() { held <- post(t, login, "application/json", loginBody(slowEmail, "x"), r.APIKey) }()
	<-ss.entered
	// Two more logins: one takes the queue place, the other is refused at
	// once (which is which depends on arrival order).
	second := make(chan reply, 2)
	for range 2 {
		go func() { second <- post(t, login, "application/json", loginBody(userEmail, "wrong"), r.APIKey) }()
	}
	refused := <-second
	if refused.status != http.StatusServiceUnavailable || refused.header.Get("Retry-After") == "" ||
		!strings.Contains(refused.body, "[TooManyRequests]") {
		t.Fatalf("login beyond the limit: %+v", refused)
	}
	lookups := ss.lookups.Load()

	tests := []struct {
		name, path, contentType, body string
		want                          int
	}{
		{"password grant", "/oauth2/token", "application/x-www-form-urlencoded",
			"grant_type=password&username=" + userEmail + "&password=wrong&client_id=x", http.StatusServiceUnavailable},
		{"1 MB password", "/api/login", "application/json",
			loginBody(userEmail, strings.Repeat("p", 1<<20)), http.StatusRequestEntityTooLarge},
		{"1 MB password grant", "/oauth2/token", "application/x-www-form-urlencoded",
			"grant_type=password&username=" + userEmail + "&password=" + strings.Repeat("p", 1<<20), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := post(t, "http://"+r.Addr+tt.path, tt.contentType, tt.body, r.APIKey)
			if res.status != tt.want {
				t.Fatalf("status %d %s, want %d", res.status, res.body, tt.want)
			}
			if n := ss.lookups.Load(); n != lookups {
				t.Fatalf("the user was looked up (%d -> %d): a refused request reached the KDF path", lookups, n)
			}
		})
	}

	close(ss.release)
	if res := <-held; res.status != http.StatusNotFound {
		t.Fatalf("held login: %+v", res)
	}
	if res := <-second; res.status != http.StatusNotFound {
		t.Fatalf("queued login: %+v, want the ordinary failed-login 404", res)
	}
}
