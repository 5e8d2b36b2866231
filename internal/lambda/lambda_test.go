package lambda

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	e, _ := newTestEngine(t, Config{Timeout: 500 * time.Millisecond})
	good := jwtLambda("l1", `function populate(jwt, user, registration, context) { jwt.a = 1; }`)
	tests := []struct {
		name    string
		edit    func(*Lambda)
		codes   []string
		message string // a part of the first error's message
	}{
		{"valid", func(*Lambda) {}, nil, ""},
		{"engine type omitted", func(l *Lambda) { l.EngineType = "" }, nil, ""},
		{"blank name", func(l *Lambda) { l.Name = "  " }, []string{"[blank]lambda.name"}, "name"},
		{"blank type", func(l *Lambda) { l.Type = "" }, []string{"[blank]lambda.type"}, "type"},
		{"unknown type", func(l *Lambda) { l.Type = "IDTokenPopulate" }, []string{"[invalid]lambda.type"}, "not a FusionAuth lambda type"},
		{"type latchkey does not run", func(l *Lambda) { l.Type = "GoogleReconcile" }, []string{"[invalid]lambda.type"}, "runs only JWTPopulate"},
		{"Nashorn", func(l *Lambda) { l.EngineType = "Nashorn" }, []string{"[invalid]lambda.engineType"}, "GraalJS"},
		{"blank body", func(l *Lambda) { l.Body = "\n\t " }, []string{"[blank]lambda.body"}, "body"},
		{"syntax error", func(l *Lambda) { l.Body = "function populate(jwt) {\n  jwt.a = ;\n}" }, []string{"[invalid]lambda.body"}, "Line 2:11 Unexpected token"},
		{"unclosed", func(l *Lambda) { l.Body = "function populate(jwt) { jwt.a = 1;" }, []string{"[invalid]lambda.body"}, "not valid JavaScript"},
		{"escapes the wrapper", func(l *Lambda) { l.Body = "}); (function () { function populate(jwt) {}" }, []string{"[invalid]lambda.body"}, "not valid JavaScript"},
		{"no populate", func(l *Lambda) { l.Body = "function populateJwt(jwt) {}" }, []string{"[invalid]lambda.body"}, "must define a function named populate"},
		{"populate not a function", func(l *Lambda) { l.Body = "var populate = 1;" }, []string{"[invalid]lambda.body"}, "must define a function named populate"},
		{"throws while loading", func(l *Lambda) { l.Body = "undefinedThing(); function populate(jwt) {}" }, []string{"[invalid]lambda.body"}, "throws while loading: ReferenceError"},
		{"hangs while loading", func(l *Lambda) { l.Body = "for (;;) {} function populate(jwt) {}" }, []string{"[invalid]lambda.body"}, "timeout"},
		{"everything wrong", func(l *Lambda) { *l = Lambda{EngineType: "V8"} },
			[]string{"[blank]lambda.name", "[blank]lambda.type", "[invalid]lambda.engineType", "[blank]lambda.body"}, "name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := good
			tt.edit(&l)
			errs := e.Validate(l)
			var codes []string
			for _, fe := range errs {
				codes = append(codes, fe.Code)
				if fe.Code != "["+fe.Kind+"]"+fe.Field {
					t.Errorf("code %q does not match kind %q and field %q", fe.Code, fe.Kind, fe.Field)
				}
			}
			if strings.Join(codes, " ") != strings.Join(tt.codes, " ") {
				t.Fatalf("codes = %v, want %v (%+v)", codes, tt.codes, errs)
			}
			if tt.message != "" && !strings.Contains(errs[0].Message, tt.message) {
				t.Errorf("message %q does not mention %q", errs[0].Message, tt.message)
			}
		})
	}
}

// TestProgramCache: a body is compiled once per id and version; an update
// (a new lastUpdateInstant and body) takes effect on the next call.
func TestProgramCache(t *testing.T) {
	e, _ := newTestEngine(t, Config{})
	l := jwtLambda("cached", `function populate(jwt) { jwt.v = 1; }`)
	p1, err := e.program(l)
	if err != nil {
		t.Fatal(err)
	}
	if p2, _ := e.program(l); p2 != p1 {
		t.Errorf("the same version was compiled twice")
	}
	l.Body, l.LastUpdateInstant = `function populate(jwt) { jwt.v = 2; }`, 2
	if p3, _ := e.program(l); p3 == p1 {
		t.Errorf("an updated lambda ran its old program")
	}
	in := Input{Claims: baseClaims()}
	if got := mustSucceed(t, e.Populate(t.Context(), l, in))["v"]; got != int64(2) {
		t.Errorf("v = %v after the update, want 2", got)
	}
	// A body changed without a new instant (a same-millisecond update) is
	// still noticed.
	l.Body = `function populate(jwt) { jwt.v = 3; }`
	if got := mustSucceed(t, e.Populate(t.Context(), l, in))["v"]; got != int64(3) {
		t.Errorf("v = %v after a same-instant update, want 3", got)
	}
}

func TestInvalidBodyAtCallTime(t *testing.T) {
	// Validate refuses these at save time; a record that got past it (an
	// import, an older version) still fails safely at every call.
	e, logs := newTestEngine(t, Config{})
	for body, want := range map[string]Reason{
		"function populate(jwt {":                   ReasonInvalid,
		"function notPopulate(jwt) {}":              ReasonNoPopulate,
		"throw new Error('at load'); var populate;": ReasonException,
	} {
		in := baseClaims()
		if got := failureReason(t, populate(t, e, body), in); got != want {
			t.Errorf("%q: reason %s, want %s", body, got, want)
		}
	}
	if strings.Count(logs.String(), "lambda failed") != 3 {
		t.Errorf("want 3 failure records: %s", logs)
	}
}
