package server_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/mfa"
	"github.com/latchkeyhq/latchkey/internal/storage"
)

// formFieldStart starts a FormField passwordless login for alice and
// returns its code and six-digit oneTimeCode.
func (s *stack) formFieldStart() (code, otc string) {
	s.t.Helper()
	res := s.do(call{method: "POST", path: "/api/passwordless/start", hdr: map[string]string{"Authorization": apiKey},
		body: `{"applicationId":"` + storeApp + `","loginId":"` + aliceEmail + `","loginStrategy":"FormField"}`})
	if res.status != 200 {
		s.t.Fatalf("start: %d %s", res.status, res.body)
	}
	b := res.json(s.t)
	return b["code"].(string), b["oneTimeCode"].(string)
}

func (s *stack) formFieldLogin(code, otc string) result {
	return s.do(call{method: "POST", path: "/api/passwordless/login", hdr: map[string]string{"Authorization": apiKey},
		body: `{"code":"` + code + `","oneTimeCode":"` + otc + `"}`})
}

// wrongDigits returns a six-digit code other than otc.
func wrongDigits(i int, otc string) string {
	g := fmt.Sprintf("%06d", i)
	if g == otc {
		g = "x" + g
	}
	return g
}

// passwordlessReads counts the passwordless challenges the MFA service
// reads live from the real store: every such read is followed by a compare
// of the oneTimeCode unless the answer was refused first.
type passwordlessReads struct {
	mfa.Store
	n atomic.Int32
}

func (c *passwordlessReads) GetChallenge(ctx context.Context, kind string, hash []byte, now time.Time) (storage.Challenge, error) {
	ch, err := c.Store.GetChallenge(ctx, kind, hash, now)
	if err == nil && kind == storage.ChallengePasswordless {
		c.n.Add(1)
	}
	return ch, err
}

// TestPasswordlessFormFieldConcurrentGuessesCapped: of 60 concurrent wrong
// oneTimeCodes against one FormField code at most five are compared, and
// the right code is then refused.
func TestPasswordlessFormFieldConcurrentGuessesCapped(t *testing.T) {
	s := passwordlessStack(t)
	reads := &passwordlessReads{Store: s.Srv.MFA.Store}
	s.Srv.MFA.Store = reads
	code, otc := s.formFieldStart()
	var wg sync.WaitGroup
	start := make(chan struct{})
	var ok atomic.Int32
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if r := s.formFieldLogin(code, wrongDigits(i, otc)); r.status == 200 {
				ok.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if ok.Load() != 0 {
		t.Fatalf("%d wrong oneTimeCodes logged in", ok.Load())
	}
	if n := reads.n.Load(); n > 5 {
		t.Errorf("%d of 60 concurrent wrong oneTimeCodes were compared against one code (cap 5)", n)
	}
	if r := s.formFieldLogin(code, otc); r.status == 200 {
		t.Errorf("the right oneTimeCode logged in after 60 wrong ones: %d", r.status)
	}
}

// TestPasswordlessFormFieldRightCodeAfterFourWrong: four wrong answers
// leave the fifth, right one its login.
func TestPasswordlessFormFieldRightCodeAfterFourWrong(t *testing.T) {
	s := passwordlessStack(t)
	code, otc := s.formFieldStart()
	for i := range 4 {
		if r := s.formFieldLogin(code, wrongDigits(i, otc)); r.status != 404 {
			t.Fatalf("wrong code %d: %d %s", i, r.status, r.body)
		}
	}
	if r := s.formFieldLogin(code, otc); r.status != 200 {
		t.Fatalf("right code after four wrong: %d %s", r.status, r.body)
	}
	code, otc = s.formFieldStart()
	for i := range 5 {
		s.formFieldLogin(code, wrongDigits(i, otc))
	}
	if r := s.formFieldLogin(code, otc); r.status != 404 {
		t.Fatalf("right code after five wrong: %d %s", r.status, r.body)
	}
}
