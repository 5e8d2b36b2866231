package server_test

import (
	"context"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/latchkeyhq/latchkey/internal/observe"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// A keyless passwordless start (POST /api/passwordless/start without an API
// key) stores a job and answers; the lookup, the per-user limit, the code
// and its mail happen in the passwordless job worker (mfa.PasswordlessQueue).

const startRoute = "POST /api/passwordless/start"

// passwordlessMail is a mail stack whose Store application allows
// passwordless login, its spans recorded in exp: the server's, and one per
// SQL statement (its SQLite store traced as the App traces its own).
func passwordlessMail(t *testing.T) (*mailStack, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tr, err := observe.NewTracingWith(sdktrace.NewSimpleSpanProcessor(exp), "test")
	must(t, err)
	st, err := sqlstorage.Open(context.Background(), filepath.Join(t.TempDir(), "latchkey.db"), sqlstorage.Options{Tracer: tr.Provider})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	s := buildMailStack(t, stackOpts{tracing: tr, store: st}, func(apps map[string]*storage.Application, _ *storage.Tenant) {
		apps[storeApp].PasswordlessConfiguration = &storage.PasswordlessConfiguration{Enabled: true}
	})
	return s, exp
}

// keylessStart is a keyless start from a SPA of the Store.
func keylessStart(s *mailStack, loginID string) result {
	return startFrom(s, loginID, map[string]string{"Origin": storeSite})
}

func startFrom(s *mailStack, loginID string, hdr map[string]string) result {
	return s.do(call{method: "POST", path: "/api/passwordless/start", hdr: hdr,
		body: `{"applicationId":"` + storeApp + `","loginId":"` + loginID + `"}`})
}

// requestStatements is every SQL statement the last request of route ran
// (the spans under its server span, in the order they started), each as
// the kind of call (query, exec, begin_tx, commit) and its text. A
// statement's preparation is left out: it happens once per pooled
// connection, on whichever connection the request was given.
func requestStatements(t *testing.T, exp *tracetest.InMemoryExporter, route string) []string {
	t.Helper()
	spans := exp.GetSpans()
	var server *tracetest.SpanStub
	for i := range spans {
		if spans[i].Name == route {
			server = &spans[i]
		}
	}
	if server == nil {
		t.Fatalf("no span of %s among %d", route, len(spans))
	}
	var mine []tracetest.SpanStub
	for _, sp := range spans {
		if sp.SpanContext.TraceID() == server.SpanContext.TraceID() && strings.HasPrefix(sp.Name, "sql.") {
			mine = append(mine, sp)
		}
	}
	sort.SliceStable(mine, func(i, j int) bool { return mine[i].StartTime.Before(mine[j].StartTime) })
	var out []string
	for _, sp := range mine {
		// Pool work says nothing about the account: a request that finds
		// no idle connection opens one (on a loaded machine, either of the
		// two compared may), and a reused one is reset.
		switch sp.Name[strings.LastIndexByte(sp.Name, '.')+1:] {
		case "prepare", "connect", "reset_session", "ping":
			continue
		}
		q := ""
		for _, kv := range sp.Attributes {
			if kv.Key == "db.query.text" || kv.Key == "db.statement" {
				q = kv.Value.AsString()
			}
		}
		out = append(out, sp.Name[strings.LastIndexByte(sp.Name, '.')+1:]+" "+q)
	}
	return out
}

// TestKeylessPasswordlessStartDoesTheSameWorkForAnyLoginID (adversarial,
// L2): without an API key, a start for an account and one for an unknown
// login id answer the same 200 {} with the same headers, and the request
// runs the very same SQL statements for both (one job stored, no lookup, no
// rate counter, no code, no mail), so neither the answer nor its timing
// tells them apart. The worker then mails the account one code, over real
// SMTP, that logs in once; the unknown id gets nothing.
func TestKeylessPasswordlessStartDoesTheSameWorkForAnyLoginID(t *testing.T) {
	s, exp := passwordlessMail(t)
	// A first start warms whatever a node's first request warms (prepared
	// statements, pools), so the two compared below meet the same state.
	if res := keylessStart(s, "first@example.test"); res.status != 200 {
		t.Fatalf("first start: %d %s", res.status, res.body)
	}
	s.drained()
	// Without an Origin: the CORS layer reloads the allowed origins when
	// its cache expires (after a second), the same for any login id, but
	// it would make the two lists depend on how long the test took.
	start := func(loginID string) (result, []string) {
		exp.Reset()
		res := startFrom(s, loginID, nil)
		return res, requestStatements(t, exp, startRoute)
	}
	known, knownSQL := start(aliceEmail)
	s.drained() // the account's job is done: its writes cannot meet the next request's
	unknown, unknownSQL := start("nobody@example.test")
	if known.status != 200 || unknown.status != 200 || string(known.body) != "{}\n" || string(unknown.body) != "{}\n" {
		t.Fatalf("known %d %q, unknown %d %q; want 200 {} for both", known.status, known.body, unknown.status, unknown.body)
	}
	for _, h := range []string{"Content-Type", "Content-Length", "Cache-Control", "Set-Cookie"} {
		if known.header.Get(h) != unknown.header.Get(h) {
			t.Errorf("header %s differs: %q vs %q", h, known.header.Get(h), unknown.header.Get(h))
		}
	}
	if len(knownSQL) == 0 || !slices.Equal(knownSQL, unknownSQL) {
		t.Fatalf("the request's statements differ by whether the account exists:\naccount: %q\nunknown: %q", knownSQL, unknownSQL)
	}
	for _, q := range knownSQL {
		if strings.Contains(q, "challenges") || strings.Contains(q, "users") || strings.Contains(q, "rate") {
			t.Errorf("the request touched an account's data itself: %s", q)
		}
	}

	code := linkID(t, s.mailTo(aliceEmail, 1)[0], "/passwordless/")
	s.noMailTo("nobody@example.test")
	s.noMailTo("first@example.test")
	jobs, err := s.Store.ListOutbox(context.Background(), storage.OutboxFilter{Queue: "passwordless"})
	must(t, err)
	if len(jobs) != 3 {
		t.Fatalf("%d passwordless jobs, want one per start whatever it named", len(jobs))
	}
	for _, j := range jobs {
		if j.State != storage.OutboxSent || len(j.Payload) != 0 {
			t.Errorf("job %s: state %s, payload %q; want done and its login id gone", j.ID, j.State, j.Payload)
		}
	}
	res := s.do(call{method: "POST", path: "/api/passwordless/login", hdr: map[string]string{"Origin": storeSite}, body: `{"code":"` + code + `"}`})
	if res.status != 200 || cookieValue(res, "refresh_token") == "" {
		t.Fatalf("login with the mailed code: %d %s", res.status, res.body)
	}
	if res := s.do(call{method: "POST", path: "/api/passwordless/login", body: `{"code":"` + code + `"}`}); res.status != 404 {
		t.Fatalf("the mailed code a second time: %d", res.status)
	}
}

// TestKeylessPasswordlessCodesAreLimitedInTheWorker (adversarial): the
// per-user limit (five codes a minute) holds for keyless starts, applied
// by the worker: six starts answer 200 {} alike, and exactly five mails
// arrive, one per code (none twice); every job is done, none lost or left
// pending. A minute later a start mails again.
func TestKeylessPasswordlessCodesAreLimitedInTheWorker(t *testing.T) {
	s, _ := passwordlessMail(t)
	for i := range 6 {
		if res := keylessStart(s, aliceEmail); res.status != 200 || string(res.body) != "{}\n" {
			t.Fatalf("start %d: %d %q", i+1, res.status, res.body)
		}
	}
	s.drained()
	got := s.mailTo(aliceEmail, 5)
	codes := map[string]bool{}
	for _, m := range got {
		codes[linkID(t, m, "/passwordless/")] = true
	}
	if len(got) != 5 || len(codes) != 5 {
		t.Fatalf("%d mails with %d distinct codes after six starts in a minute; want five, one code each", len(got), len(codes))
	}
	jobs, err := s.Store.ListOutbox(context.Background(), storage.OutboxFilter{Queue: "passwordless"})
	must(t, err)
	if len(jobs) != 6 {
		t.Fatalf("%d jobs, want six", len(jobs))
	}
	for _, j := range jobs {
		if j.State != storage.OutboxSent {
			t.Errorf("job %s is %s, want done", j.ID, j.State)
		}
	}
	s.Clock.Advance(61 * time.Second)
	if res := keylessStart(s, aliceEmail); res.status != 200 {
		t.Fatalf("a start a minute later: %d", res.status)
	}
	s.mailTo(aliceEmail, 6)
	s.drained()
	if n := len(s.mailTo(aliceEmail, 6)); n != 6 {
		t.Fatalf("%d mails after the seventh start, want six", n)
	}
}
