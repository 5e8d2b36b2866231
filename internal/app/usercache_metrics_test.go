package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/latchkeyhq/latchkey/internal/app"
	"github.com/latchkeyhq/latchkey/internal/config"
)

// TestUserCacheMetrics: on SQLite the metrics listener reports the refresh
// reads' user cache (docs/deploy.md, "Metrics"). A login and three
// refreshes of its token: the first refresh reads the user from the tables
// (a miss: the cache starts empty, its one reset), the next two from the
// cache (hits). A second login changes the user (its last login), which
// the change log reports: the next refresh is a miss again. One user is
// kept, and the cache is on. No refresh read was read ahead.
func TestUserCacheMetrics(t *testing.T) {
	const (
		key   = "usercache-metrics-key-0123456789abcdef0123456789"
		appID = "5ca1e000-0000-4000-8000-00000000c0de"
		email = "cached@example.com"
		pass  = "correct horse battery staple"
	)
	dir := t.TempDir()
	ks := filepath.Join(dir, "kickstart.json")
	if err := os.WriteFile(ks, []byte(`{"apiKeys":[{"key":"`+key+`"}],"requests":[
	  {"method":"POST","url":"/api/application/`+appID+`","body":{"application":{"name":"Cached",
	    "loginConfiguration":{"requireAuthentication":false,"generateRefreshTokens":true,"allowTokenRefresh":true}}}},
	  {"method":"POST","url":"/api/user/registration","body":{"user":{"email":"`+email+`","password":"`+pass+`"},
	    "registration":{"applicationId":"`+appID+`"}}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Addr, cfg.DatabaseURL, cfg.Kickstart, cfg.MetricsAddr = "127.0.0.1:0", filepath.Join(dir, "latchkey.db"), ks, "127.0.0.1:0"
	a, err := app.Open(context.Background(), cfg, app.Options{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	runApp(t, a)

	post := func(path, body string) map[string]any {
		t.Helper()
		res, err := http.Post(a.URL()+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != 200 {
			t.Fatalf("POST %s: %d, %v", path, res.StatusCode, err)
		}
		return out
	}
	login := post("/api/login", `{"loginId":"`+email+`","password":"`+pass+`","applicationId":"`+appID+`"}`)
	refresh, _ := login["refreshToken"].(string)
	if refresh == "" {
		t.Fatalf("login returned no refresh token: %v", login)
	}
	refreshes := func(n int) {
		for range n {
			out := post("/api/jwt/refresh", `{"refreshToken":"`+refresh+`"}`)
			if next, _ := out["refreshToken"].(string); next != "" {
				refresh = next
			}
		}
	}
	refreshes(3)
	post("/api/login", `{"loginId":"`+email+`","password":"`+pass+`","applicationId":"`+appID+`"}`)
	refreshes(1)

	res, err := http.Get(a.MetricsURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("scrape does not parse: %v", err)
	}
	reads := map[string]float64{}
	for _, m := range fams["latchkey_sqlite_user_cache_reads_total"].GetMetric() {
		for _, l := range m.Label {
			if l.GetName() == "result" {
				reads[l.GetValue()] = m.GetCounter().GetValue()
			}
		}
	}
	if reads["miss"] != 2 || reads["hit"] != 2 {
		t.Errorf("user cache reads %v, want 2 misses and 2 hits", reads)
	}
	gauge := func(name string) float64 {
		ms := fams[name].GetMetric()
		if len(ms) != 1 {
			t.Fatalf("%s: %d series", name, len(ms))
		}
		return ms[0].GetGauge().GetValue()
	}
	if n := gauge("latchkey_sqlite_user_cache_users"); n != 1 {
		t.Errorf("users kept %v, want 1", n)
	}
	if n := gauge("latchkey_sqlite_user_cache_bytes"); n < 100 {
		t.Errorf("bytes kept %v, want the user's documents", n)
	}
	if on := gauge("latchkey_sqlite_user_cache_enabled"); on != 1 {
		t.Errorf("enabled %v, want 1", on)
	}
	if ms := fams["latchkey_sqlite_user_cache_resets_total"].GetMetric(); len(ms) != 1 || ms[0].GetCounter().GetValue() != 1 {
		t.Errorf("resets %v, want 1 (the first batch)", ms)
	}
	// One refresh at a time: no batch has a later member to read ahead.
	if ms := fams["latchkey_sqlite_refresh_reads_ahead_total"].GetMetric(); len(ms) != 1 || ms[0].GetCounter().GetValue() != 0 {
		t.Errorf("reads ahead %v, want one series at 0", ms)
	}
}
