package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/network"
)

// fixture is what a browser-test step needs from the steps before it (an
// account that exists, a profile that is logged in): the first step that
// needs it makes it, every later one finds it made. So each subtest also
// runs alone (`go test -run 'TestAccounts/forgot'`, listed in
// CONTRIBUTING.md) and sets up what the walk would have done before it;
// in the full walk nothing is done twice. Subtests of one test run one
// after another, so no lock is needed.
type fixture struct {
	name  string
	make  func(t *testing.T)
	state fixtureState
}

type fixtureState int

const (
	notMade fixtureState = iota
	making
	made
	broken
)

// ensure makes f in t unless an earlier step made it. When making it fails
// (t.Fatal inside make), f stays broken and every later step that needs it
// fails at once naming it, instead of reaching for state that is not there.
func (f *fixture) ensure(t *testing.T) {
	t.Helper()
	switch f.state {
	case made:
		return
	case broken:
		t.Fatalf("precondition %q failed in an earlier step of this run; see that failure", f.name)
	case making:
		t.Fatalf("precondition %q needs itself", f.name)
	}
	f.state = making
	defer func() {
		if f.state == making {
			f.state = broken
			t.Logf("precondition %q could not be set up (the failure above)", f.name)
		}
	}()
	t.Logf("setting up %q", f.name)
	f.make(t)
	f.state = made
}

// refreshCookie is the refresh_token cookie the browser holds for url; a
// missing one is a failure naming what was expected, not a nil value.
func refreshCookie(ctx context.Context, t *testing.T, url, what string) *network.Cookie {
	t.Helper()
	c := cookies(ctx, t, url)["refresh_token"]
	if c == nil || c.Value == "" {
		t.Fatalf("%s: the browser holds no refresh_token cookie for %s", what, url)
	}
	return c
}
