package server_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/latchkeyhq/latchkey/internal/config"
)

// behindProxy is a stack that believes X-Forwarded-For from loopback (the
// test client), so each call can come from an address of its choosing.
func behindProxy(t *testing.T, rates string) *stack {
	return newConfiguredStack(t, func(c *config.Config) {
		c.TrustedProxies = "127.0.0.1/32,::1/128"
		c.RateLimits = rates
	})
}

func (s *stack) loginFrom(addr, pass, extra string) result {
	s.t.Helper()
	return s.do(call{method: "POST", path: "/api/login", hdr: map[string]string{"X-Forwarded-For": addr},
		body: `{"loginId":"` + aliceEmail + `","password":"` + pass + `","applicationId":"` + storeApp + `"` + extra + `}`})
}

// TestLockoutIsNoDenialOfService: tooManyAttempts (3) wrong passwords from
// one client address (X-Forwarded-For through a trusted proxy) lock that
// address out of alice's account (409 with the lock), while alice at her
// own address still logs in (200). A keyless caller cannot escape its lock
// by naming another ipAddress in the body: only an API key vouches for it.
func TestLockoutIsNoDenialOfService(t *testing.T) {
	s := behindProxy(t, "")
	const attacker, alice = "203.0.113.9", "198.51.100.20"
	for i := range 3 {
		wantStatus(t, s.loginFrom(attacker, "wrong", ""), 404)
		_ = i
	}
	wantStatus(t, s.loginFrom(attacker, alicePass, ""), 409)
	wantStatus(t, s.loginFrom(attacker, alicePass, `,"ipAddress":"192.0.2.77"`), 409)
	wantStatus(t, s.loginFrom(alice, alicePass, ""), 200)
	wantStatus(t, s.loginFrom(attacker, alicePass, ""), 409)
}

// TestConcurrentGuessesAreReserved: N wrong passwords for one account sent
// at once from one address get at most tooManyAttempts (3) password checks
// (404); every other one is refused as locked (409) before its hash,
// because each attempt is reserved in storage before the hash. Before, all
// N read the counter unlocked and all N hashes ran.
func TestConcurrentGuessesAreReserved(t *testing.T) {
	s := newStack(t)
	const n = 10
	codes := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := http.Post(s.URL+"/api/login", "application/json", strings.NewReader(
				`{"loginId":"`+aliceEmail+`","password":"wrong","applicationId":"`+storeApp+`"}`))
			if err != nil {
				return
			}
			res.Body.Close()
			codes[i] = res.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	checked := 0
	for i, c := range codes {
		switch c {
		case 404:
			checked++
		case 409:
		default:
			t.Fatalf("attempt %d answered %d, want 404 or 409 (answers %v)", i, c, codes)
		}
	}
	if checked != 3 {
		t.Fatalf("%d of %d concurrent guesses had their password checked, want 3 (tooManyAttempts); answers %v", checked, n, codes)
	}
	wantStatus(t, s.login(storeApp, nil), 409)
}
