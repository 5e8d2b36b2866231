package kickstart_test

import (
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/config"
)

// TestKickstartKeepsDataNumbers: numbers in a Kickstart request body, and
// in a request read from an included file, reach the API exactly as written
// (the file is decoded, substituted and re-encoded; a float64 on the way
// turned 9007199254740993 into 9007199254740992).
func TestKickstartKeepsDataNumbers(t *testing.T) {
	const data = `{"big":9007199254740993,"huge":12345678901234567890,"negzero":-0,"tenth":0.1}`
	path := writeFiles(t, map[string]string{
		"kickstart.json": `{"apiKeys": [{"key": "` + key + `"}], "requests": [
  {"method": "POST", "url": "/api/application/7d9c2f0e-41b5-4c1e-9a1f-0c6a7b2d9e11", "body": {"application": {"name": "spa", "data": ` + data + `}}},
  "&{user.json}"]}`,
		"user.json": `{"method": "POST", "url": "/api/user", "body": {"user": {"email": "bignum@example.com", "password": "correct horse", "data": ` + data + `}}}`,
	})
	in := apptest.Start(t, apptest.Options{Config: func(c *config.Config) { c.Kickstart = path }})
	in.APIKey = key
	_, app := in.Do(t, "GET", "/api/application/7d9c2f0e-41b5-4c1e-9a1f-0c6a7b2d9e11", nil)
	_, user := in.Do(t, "GET", "/api/user?email=bignum@example.com", nil)
	for what, body := range map[string][]byte{"application": app, "user": user} {
		if !strings.Contains(string(body), `"data":`+data) {
			t.Errorf("%s: want data %s in %s", what, data, body)
		}
	}
}
