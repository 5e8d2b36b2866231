package lambda

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

func reconcileLambda(id, body string) Lambda {
	l := jwtLambda(id, body)
	l.Type = OpenIDReconcile
	return l
}

func reconcileInput() ReconcileInput {
	return ReconcileInput{
		User:         map[string]any{"id": "u1", "email": "ana@example.com", "firstName": "Ana", "data": map[string]any{"keep": "me"}},
		Registration: map[string]any{"id": "r1", "applicationId": "a1", "roles": []any{"user"}},
		JWT:          map[string]any{"sub": "up-1", "department": "sales", "given_name": "Anabel"},
		IDToken:      map[string]any{"sub": "up-1", "groups": []any{"admins"}},
		Tokens:       map[string]any{"id_token": "eyJ.x.y"},
	}
}

// TestReconcileShapeIsChecked: an OpenIDReconcile body must define
// reconcile; one that defines only populate (or a populate body that
// defines only reconcile) is refused on save with a message naming the
// function it lacks.
func TestReconcileShapeIsChecked(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	if errs := e.Validate(reconcileLambda("ok", `function reconcile(user, registration, jwt, id_token, tokens) {}`)); errs != nil {
		t.Fatalf("a reconcile body: %v", errs)
	}
	errs := e.Validate(reconcileLambda("wrong", `function populate(jwt, user) {}`))
	if len(errs) != 1 || errs[0].Code != "[invalid]lambda.body" || !strings.Contains(errs[0].Message, "function named reconcile") {
		t.Fatalf("a reconcile lambda with only populate: %+v", errs)
	}
	errs = e.Validate(jwtLambda("wrong2", `function reconcile(user) {}`))
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "function named populate") {
		t.Fatalf("a populate lambda with only reconcile: %+v", errs)
	}
}

// TestReconcileMapsClaims: the lambda's changes to the user and the
// registration come back; the upstream claims and the id token reach it
// in FusionAuth's argument order; what it does to jwt, id_token and tokens
// and to the objects never reaches the caller's values.
func TestReconcileMapsClaims(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	in := reconcileInput()
	before := reconcileInput()
	l := reconcileLambda("map", `function reconcile(user, registration, jwt, id_token, tokens) {
		user.firstName = jwt.given_name;
		user.data.department = jwt.department;
		user.data.token = tokens.id_token;
		registration.roles.push(id_token.groups[0]);
		jwt.sub = "changed"; id_token.sub = "changed"; tokens.id_token = "changed";
	}`)
	r := e.Reconcile(context.Background(), l, in)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r.User["firstName"] != "Anabel" || !reflect.DeepEqual(r.User["data"], map[string]any{"keep": "me", "department": "sales", "token": "eyJ.x.y"}) {
		t.Errorf("user: %v", r.User)
	}
	if !reflect.DeepEqual(r.Registration["roles"], []any{"user", "admins"}) {
		t.Errorf("registration: %v", r.Registration)
	}
	if !reflect.DeepEqual(in, before) {
		t.Errorf("the caller's values changed: %v", in)
	}
}

// TestReconcileFailures: a body that throws, runs past the deadline, takes
// too much memory, leaves a value JSON cannot hold or an object past the
// size bound fails with its reason, returns nothing to apply, and is logged
// with the lambda's id. A populate lambda is not run as a reconcile one.
func TestReconcileFailures(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       Reason
	}{
		{"throws", `function reconcile(user) { user.firstName = "half"; throw new Error("no"); }`, ReasonException},
		{"loops", `function reconcile(user) { user.firstName = "half"; for (;;) {} }`, ReasonTimeout},
		{"memory", `function reconcile(user) { user.firstName = "half"; var a = []; for (;;) { a.push("x".repeat(1 << 16) + a.length); } }`, ReasonMemory},
		{"function", `function reconcile(user) { user.firstName = "half"; user.data.f = function () {}; }`, ReasonUnencodable},
		{"too large", `function reconcile(user) { user.firstName = "half"; user.data.big = "x".repeat(5000); }`, ReasonTooLarge},
		{"not JSON", `function reconcile(user, registration) { user.firstName = "half"; registration.roles = NaN; }`, ReasonUnencodable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{MaxClaimsBytes: 4096, MemoryLimit: 8 << 20}
			if tc.want == ReasonTimeout {
				cfg.Timeout = 200 * time.Millisecond
			}
			e, logs := newTestEngine(t, cfg)
			l := reconcileLambda("fail-"+strings.ReplaceAll(tc.name, " ", "-"), tc.body)
			r := e.Reconcile(context.Background(), l, reconcileInput())
			f, ok := r.Err.(*Failure)
			if !ok || f.Reason != tc.want || r.User != nil || r.Registration != nil {
				t.Fatalf("err %v, user %v, registration %v; want %s and nothing to apply", r.Err, r.User, r.Registration, tc.want)
			}
			if !strings.Contains(logs.String(), `"lambdaId":"`+l.ID+`"`) {
				t.Errorf("the failure is not logged with the lambda id: %s", logs.String())
			}
		})
	}
	e, _ := newTestEngine(t, Config{})
	if r := e.Reconcile(context.Background(), jwtLambda("populate", `function populate(jwt) {}`), reconcileInput()); r.Err == nil {
		t.Error("a JWTPopulate lambda ran as a reconcile lambda")
	}
}

// TestReconcileWithoutRegistration: a user with no registration for the
// application gets undefined, and nothing comes back for it.
func TestReconcileWithoutRegistration(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	in := reconcileInput()
	in.Registration, in.IDToken = nil, nil
	l := reconcileLambda("noreg", `function reconcile(user, registration, jwt, id_token) {
		user.lastName = typeof registration + "/" + typeof id_token;
	}`)
	r := e.Reconcile(context.Background(), l, in)
	if r.Err != nil || r.Registration != nil || r.User["lastName"] != "undefined/undefined" {
		t.Fatalf("err %v, registration %v, user %v", r.Err, r.Registration, r.User)
	}
}
