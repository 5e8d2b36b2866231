package server_test

import (
	"net/http"
	"slices"
	"testing"
)

// TestLockoutIsNoAccountOracle is L2/L3 through HTTP: tooManyAttempts (3)
// failures and more, on alice and on an id naming nobody, get identical
// answers at every step (status, body, headers but the request id): both
// 404 until the threshold, then the same 409 with the same expiry, even for
// alice's correct password. Before, unknown ids never locked, so a 409 proved
// that an account existed.
func TestLockoutIsNoAccountOracle(t *testing.T) {
	s := newStack(t)
	send := func(loginID, pass string) result {
		return s.do(call{method: "POST", path: "/api/login",
			body: `{"loginId":"` + loginID + `","password":"` + pass + `","applicationId":"` + storeApp + `"}`})
	}
	steps := []struct {
		pass string
		want int
	}{{"bad", 404}, {"bad", 404}, {"bad", 404}, {"bad", 409}, {alicePass, 409}}
	for i, st := range steps {
		real := send(aliceEmail, st.pass)
		unknown := send("nobody@example.test", st.pass)
		if real.status != st.want || unknown.status != st.want {
			t.Fatalf("step %d: alice %d, unknown %d, want %d", i, real.status, unknown.status, st.want)
		}
		if string(real.body) != string(unknown.body) {
			t.Fatalf("step %d: bodies differ:\n%s\n%s", i, real.body, unknown.body)
		}
		hr, hu := stripVolatile(real.header), stripVolatile(unknown.header)
		if len(hr) != len(hu) {
			t.Fatalf("step %d: header sets differ: %v vs %v", i, hr, hu)
		}
		for k := range hr {
			if !slices.Equal(hr[k], hu[k]) {
				t.Fatalf("step %d: header %s differs: %q vs %q", i, k, hr[k], hu[k])
			}
		}
	}
}

// stripVolatile drops the headers that differ between any two responses.
func stripVolatile(h http.Header) http.Header {
	h = h.Clone()
	h.Del("X-Request-Id")
	h.Del("Date")
	return h
}
