package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/apptest"
	"github.com/latchkeyhq/latchkey/internal/manage"
	"github.com/latchkeyhq/latchkey/internal/outbox"
	"github.com/latchkeyhq/latchkey/internal/storage"
	"github.com/latchkeyhq/latchkey/internal/storage/sqlstorage"
)

// eventLogWatch is the real store, telling each event log entry it stored
// to written, so a test waits for the background writer without sleeping.
type eventLogWatch struct {
	storage.Storage
	written chan storage.EventLog
}

func newEventLogWatch(t *testing.T) *eventLogWatch {
	return &eventLogWatch{Storage: sqlstorage.OpenTest(t), written: make(chan storage.EventLog, 64)}
}

func (s *eventLogWatch) CreateEventLog(ctx context.Context, e storage.EventLog) (storage.EventLog, error) {
	e, err := s.Storage.CreateEventLog(ctx, e)
	if err == nil {
		select {
		case s.written <- e:
		default:
		}
	}
	return e, err
}

// next is the next entry stored; the timeout is a failsafe only.
func (s *eventLogWatch) next(t *testing.T) storage.EventLog {
	t.Helper()
	select {
	case e := <-s.written:
		return e
	case <-time.After(time.Minute):
		t.Fatal("no event log entry was written")
		return storage.EventLog{}
	}
}

func doOK(t *testing.T, in *apptest.Instance, method, path string, body any) map[string]any {
	t.Helper()
	res, b := in.Do(t, method, path, body)
	if res.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	var m map[string]any
	if len(b) > 0 {
		must(t, json.Unmarshal(b, &m))
	}
	return m
}

// TestFailedWebhookDeliveriesAreInTheEventLog: user.create goes to two
// webhooks, one whose receiver answers 500 and one whose address refuses
// the connection (the HTTP client's error quotes the URL). Each failed
// attempt writes one Error entry naming the event type and the webhook's
// id, found through the event log search; none carries the query-string
// token of the URL, the HTTP Basic password or a configured header's value.
func TestFailedWebhookDeliveriesAreInTheEventLog(t *testing.T) {
	const queryToken, pathToken, basicPassword, headerSecret = "query-token-5d1e9", "path-token-c4f0e", "basic-secret-a9c2", "header-secret-77ab"
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer failing.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	closed := "http://" + l.Addr().String()
	must(t, l.Close())

	st := newEventLogWatch(t)
	in := apptest.Start(t, apptest.Options{Store: st, Webhooks: outbox.Config{BaseBackoff: time.Hour}})
	doOK(t, in, "PATCH", "/api/tenant/"+manage.DefaultTenantID, map[string]any{"tenant": map[string]any{"eventConfiguration": map[string]any{
		"events": map[string]any{"user.create": map[string]any{"enabled": true, "transactionType": "None"}}}}})
	ids := map[string]bool{}
	for _, base := range []string{failing.URL, closed} {
		w := doOK(t, in, "POST", "/api/webhook", map[string]any{"webhook": map[string]any{
			"url": base + "/hooks/" + pathToken + "?token=" + queryToken, "connectTimeout": 1000, "readTimeout": 1000, "global": true,
			"eventsEnabled": map[string]any{"user.create": true}, "headers": map[string]any{"X-Hook-Secret": headerSecret},
			"httpAuthenticationUsername": "hook-user", "httpAuthenticationPassword": basicPassword}})
		ids[w["webhook"].(map[string]any)["id"].(string)] = true
	}
	doOK(t, in, "POST", "/api/user", map[string]any{"user": map[string]any{"email": "hooked@example.test", "password": "a long enough password"}})

	named := map[string]bool{}
	for range 2 {
		e := st.next(t)
		if e.Type != storage.EventLogError || !strings.Contains(e.Message, "Failed to deliver the event [user.create] to the webhook with Id [") ||
			!strings.Contains(e.Message, "will retry at") {
			t.Errorf("entry %+v", e)
		}
		for id := range ids {
			if strings.Contains(e.Message, id) {
				named[id] = true
			}
		}
		for _, secret := range []string{queryToken, pathToken, basicPassword, headerSecret} {
			if strings.Contains(e.Message, secret) {
				t.Errorf("%q leaked into the event log: %s", secret, e.Message)
			}
		}
	}
	if len(named) != 2 {
		t.Fatalf("entries named webhooks %v, want both of %v", named, ids)
	}
	found := doOK(t, in, "POST", "/api/system/event-log/search", map[string]any{"search": map[string]any{"message": "USER.CREATE", "type": "Error"}})
	if found["total"] != 2.0 {
		t.Fatalf("search: %v", found)
	}
}

// TestThrowingLambdaIsInTheEventLog: an access token populate lambda that
// throws leaves the login to succeed and writes one Error entry naming the
// lambda, with its console output; a login whose lambda works writes none
// (the lambda is replaced by a working one and the next entry written is
// the throwing one's again).
func TestThrowingLambdaIsInTheEventLog(t *testing.T) {
	st := newEventLogWatch(t)
	in := apptest.Start(t, apptest.Options{Store: st})
	thrower := doOK(t, in, "POST", "/api/lambda", map[string]any{"lambda": map[string]any{"name": "Plan claims", "type": "JWTPopulate",
		"body": `function populate(jwt, user) { console.log("plan lookup"); throw new Error("no plan"); }`}})["lambda"].(map[string]any)["id"].(string)
	works := doOK(t, in, "POST", "/api/lambda", map[string]any{"lambda": map[string]any{"name": "Fine", "type": "JWTPopulate",
		"body": `function populate(jwt) { console.log("fine"); jwt.plan = "gold"; }`}})["lambda"].(map[string]any)["id"].(string)
	appID := doOK(t, in, "POST", "/api/application", map[string]any{"application": map[string]any{"name": "Lambda app",
		"lambdaConfiguration": map[string]any{"accessTokenPopulateId": works}}})["application"].(map[string]any)["id"].(string)
	doOK(t, in, "POST", "/api/user/registration", map[string]any{
		"user":         map[string]any{"email": "lambda@example.test", "password": "a long enough password"},
		"registration": map[string]any{"applicationId": appID}})
	login := func() {
		t.Helper()
		doOK(t, in, "POST", "/api/login", map[string]any{"loginId": "lambda@example.test", "password": "a long enough password", "applicationId": appID})
	}
	login()
	doOK(t, in, "PATCH", "/api/application/"+appID, map[string]any{"application": map[string]any{"lambdaConfiguration": map[string]any{"accessTokenPopulateId": thrower}}})
	login()
	e := st.next(t)
	if e.Type != storage.EventLogError || !strings.Contains(e.Message, "The lambda [Plan claims] with Id ["+thrower+"] failed (exception)") ||
		!strings.Contains(e.Message, "console.info: plan lookup") {
		t.Fatalf("entry %+v, want the throwing lambda's failure with its console output", e)
	}
	select {
	case more := <-st.written:
		t.Fatalf("a second entry %+v: the working lambda's login wrote one", more)
	default:
	}
}

// failingChanges is the watched store whose ChangeUser fails while fail is
// set: the write a keyless forgot-password job makes.
type failingChanges struct {
	*eventLogWatch
	fail atomic.Bool
}

func (s *failingChanges) ChangeUser(ctx context.Context, c storage.UserChange) error {
	if s.fail.Load() {
		return errors.New("injected: the database refused the write")
	}
	return s.eventLogWatch.ChangeUser(ctx, c)
}

// TestFailedAccountJobsAreInTheEventLog: a keyless forgot-password request
// is answered 200 at once and its work is a job; when the job's write
// fails, the attempt is an Error entry naming the job queue, the attempt
// and the error, and never the login id the request named (the request is
// anonymous; its answer tells nobody whether the account exists, and the
// event log must not either).
func TestFailedAccountJobsAreInTheEventLog(t *testing.T) {
	st := &failingChanges{eventLogWatch: newEventLogWatch(t)}
	in := apptest.Start(t, apptest.Options{Store: st})
	const email = "jobbed-user@example.test"
	doOK(t, in, "POST", "/api/user", map[string]any{"user": map[string]any{"email": email, "password": "a long enough password"}})
	st.fail.Store(true)
	if res, body := in.Do(t, "POST", "/api/user/forgot-password", map[string]any{"loginId": email}, "Authorization", ""); res.StatusCode != 200 {
		t.Fatalf("keyless forgot password: %d %s", res.StatusCode, body)
	}
	e := st.next(t)
	if e.Type != storage.EventLogError || !strings.Contains(e.Message, "Failed to run the ["+manage.JobQueue+"] job with Id [") ||
		!strings.Contains(e.Message, "will retry at") || !strings.Contains(e.Message, "injected: the database refused the write") {
		t.Fatalf("entry %+v", e)
	}
	if strings.Contains(e.Message, "jobbed-user") {
		t.Fatalf("the login id leaked into the event log: %s", e.Message)
	}
}

// TestKickstartDryRunWritesNoEventLog: a Kickstart whose combined
// registration mints a token through a throwing populate lambda is
// rehearsed on a throwaway database first; the rehearsal's failure must
// not reach the real event log, so the lambda's failure is there once,
// from the real run. A marker lambda failing after start is written after
// everything queued before it (one writer, in order), so once it is seen
// the count is final.
func TestKickstartDryRunWritesNoEventLog(t *testing.T) {
	const lambdaID, appID = "7d0c1f52-0000-4000-8000-00000000e001", "7d0c1f52-0000-4000-8000-00000000e002"
	ks := `{"apiKeys":[{"key":"kickstart-key-0123456789abcdef"}],"requests":[
	  {"method":"POST","url":"/api/lambda/` + lambdaID + `","body":{"lambda":{"name":"Kickstart thrower","type":"JWTPopulate",
	    "body":"function populate(jwt) { console.log(\"kickstart lambda ran\"); throw new Error(\"no\"); }"}}},
	  {"method":"POST","url":"/api/application/` + appID + `","body":{"application":{"name":"Kickstart app",
	    "lambdaConfiguration":{"accessTokenPopulateId":"` + lambdaID + `"}}}},
	  {"method":"POST","url":"/api/user/registration","body":{"user":{"email":"kick-lambda@example.test","password":"a long enough password"},
	    "registration":{"applicationId":"` + appID + `"}}}]}`
	st := newEventLogWatch(t)
	in := apptest.Start(t, apptest.Options{Store: st, Kickstart: ks})
	in.APIKey = "kickstart-key-0123456789abcdef"
	marker := doOK(t, in, "POST", "/api/lambda", map[string]any{"lambda": map[string]any{"name": "Marker", "type": "JWTPopulate",
		"body": `function populate(jwt) { console.log("marker lambda ran"); throw new Error("marker"); }`}})["lambda"].(map[string]any)["id"].(string)
	markerApp := doOK(t, in, "POST", "/api/application", map[string]any{"application": map[string]any{"name": "Marker app",
		"lambdaConfiguration": map[string]any{"accessTokenPopulateId": marker}}})["application"].(map[string]any)["id"].(string)
	doOK(t, in, "POST", "/api/user/registration", map[string]any{
		"user":         map[string]any{"email": "marker@example.test", "password": "a long enough password"},
		"registration": map[string]any{"applicationId": markerApp}})
	kickstart := 0
	for {
		e := st.next(t)
		if strings.Contains(e.Message, "marker lambda ran") {
			break
		}
		if strings.Contains(e.Message, "kickstart lambda ran") {
			kickstart++
		}
	}
	if kickstart != 1 {
		t.Fatalf("the Kickstart's lambda failure was written %d times, want once (the real run's)", kickstart)
	}
}
