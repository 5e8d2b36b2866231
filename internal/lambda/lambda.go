package lambda

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// Type is a FusionAuth lambda type name (lambdas.json; the TypeScript
// client's LambdaType enum).
type Type string

// JWTPopulate is the one type latchkey runs. FusionAuth has no separate
// id-token type: application.lambdaConfiguration.accessTokenPopulateId and
// idTokenPopulateId both reference a JWTPopulate lambda (lambdas.json).
const JWTPopulate Type = "JWTPopulate"

// OpenIDReconcile is the lambda an OpenID Connect identity provider names
// in lambdaConfiguration.reconcileId: reconcile(user, registration, jwt,
// id_token, tokens) maps the upstream claims onto the user and their
// registration on every login through the provider (Reconcile).
const OpenIDReconcile Type = "OpenIDReconcile"

// knownTypes are FusionAuth's other lambda types. They are recognised so that
// a request naming one gets a message saying latchkey does not run it, rather
// than one saying the name is unknown.
var knownTypes = []Type{
	"SAMLv2Reconcile", "SAMLv2Populate", "AppleReconcile",
	"ExternalJWTReconcile", "FacebookReconcile", "GoogleReconcile", "HYPRReconcile",
	"TwitterReconcile", "LDAPConnectorReconcile", "LinkedInReconcile", "EpicGamesReconcile",
	"NintendoReconcile", "SonyPSNReconcile", "SteamReconcile", "TwitchReconcile",
	"XboxReconcile", "ClientCredentialsJWTPopulate", "SCIMServerGroupRequestConverter",
	"SCIMServerGroupResponseConverter", "SCIMServerUserRequestConverter",
	"SCIMServerUserResponseConverter", "SelfServiceRegistrationValidation",
	"UserInfoPopulate", "LoginValidation", "MFARequirement",
}

// EngineGraalJS is FusionAuth's engine name. latchkey runs every lambda on
// goja but accepts and reports FusionAuth's value, so FusionAuth clients and
// Kickstart files work unchanged; Nashorn was removed in FusionAuth 1.49.
const EngineGraalJS = "GraalJS"

// Lambda is FusionAuth's lambda object (apis/lambdas, _lambda-request-body).
// Instants are milliseconds since the epoch. Enabled is deprecated in
// FusionAuth ("not currently used") and is not consulted here.
type Lambda struct {
	ID                string `json:"id"`
	Name              string `json:"name"`
	Type              Type   `json:"type"`
	Body              string `json:"body"`
	Debug             bool   `json:"debug"`
	Enabled           bool   `json:"enabled"`
	EngineType        string `json:"engineType"`
	InsertInstant     int64  `json:"insertInstant"`
	LastUpdateInstant int64  `json:"lastUpdateInstant"`
}

// FieldError is one FusionAuth field error, e.g. Field "lambda.body",
// Code "[blank]lambda.body". Kind is the bracketed part without brackets,
// for writers that build the code themselves.
type FieldError struct {
	Field   string
	Kind    string
	Code    string
	Message string
}

func fieldError(kind, field, message string) FieldError {
	return FieldError{Field: field, Kind: kind, Code: "[" + kind + "]" + field, Message: message}
}

// Validate checks a lambda before it is saved and returns every problem as
// FusionAuth field errors; nil means it may be saved. Beyond FusionAuth's
// required fields it compiles the body and runs its top level in the same
// sandbox and limits as a real call, so a body that does not parse, throws
// while loading, or defines no populate function is refused now rather than
// failing on every login later.
func (e *Engine) Validate(l Lambda) []FieldError {
	var errs []FieldError
	if strings.TrimSpace(l.Name) == "" {
		errs = append(errs, fieldError("blank", "lambda.name", "You must specify the [name] of the lambda."))
	}
	switch {
	case l.Type == "":
		errs = append(errs, fieldError("blank", "lambda.type", "You must specify the [type] of the lambda."))
	case l.Type == JWTPopulate, l.Type == OpenIDReconcile:
	default:
		msg := fmt.Sprintf("The lambda type [%s] is not a FusionAuth lambda type.", l.Type)
		for _, t := range knownTypes {
			if t == l.Type {
				msg = fmt.Sprintf("latchkey runs only JWTPopulate and OpenIDReconcile lambdas, not [%s].", l.Type)
			}
		}
		errs = append(errs, fieldError("invalid", "lambda.type", msg))
	}
	if l.EngineType != "" && l.EngineType != EngineGraalJS {
		errs = append(errs, fieldError("invalid", "lambda.engineType",
			fmt.Sprintf("The engine type [%s] is not supported; use [GraalJS] (Nashorn was removed in FusionAuth 1.49).", l.EngineType)))
	}
	if strings.TrimSpace(l.Body) == "" {
		return append(errs, fieldError("blank", "lambda.body", "You must specify the [body] of the lambda."))
	}
	if msg := e.checkBody(l); msg != "" {
		errs = append(errs, fieldError("invalid", "lambda.body", msg))
	}
	return errs
}

// checkBody compiles the body and loads it in a sandbox; it returns "" when
// the type's function (populate, or reconcile for OpenIDReconcile) is
// defined, else a message for the administrator.
func (e *Engine) checkBody(l Lambda) string {
	c, err := compile(l)
	var refused refusedError
	switch {
	case errors.As(err, &refused):
		return "The lambda body uses what lambdas cannot: " + string(refused)
	case err != nil:
		return "The lambda body is not valid JavaScript: " + err.Error()
	}
	out := e.run(context.Background(), l, c, nil)
	if out.failure == nil {
		return ""
	}
	switch out.failure.Reason {
	case ReasonNoPopulate:
		if l.Type == OpenIDReconcile {
			return "The lambda body must define a function named reconcile, e.g. function reconcile(user, registration, jwt, id_token, tokens) {}."
		}
		return "The lambda body must define a function named populate, e.g. function populate(jwt, user, registration, context) {}."
	case ReasonException:
		return "The lambda body throws while loading: " + out.failure.Detail
	default:
		return "The lambda body cannot be loaded: " + out.failure.Error()
	}
}

// refusedError is valid JavaScript that a lambda may not contain.
type refusedError string

func (e refusedError) Error() string { return string(e) }

// compile parses a body into a program that any number of runtimes may run
// at once (goja.Program is not linked to a runtime). The body must parse on
// its own, as a sloppy-mode script as in FusionAuth ("use strict" is
// opt-in), and hold no BigInt literal (bigint.go); it then runs inside a
// function, called with the global object as this, so that its top-level
// declarations are made anew by every call and never left behind on a
// reused runtime (except for bodies whose functions no call can get hold
// of, whose populate a runtime keeps: keepable). The function returns
// populate. The prefix shares the body's first line, so line numbers in
// errors match.
//
// A reconcile body (OpenIDReconcile) returns reconcile instead, and gets
// none of populate's shortcuts: every argument is built, its function is
// not kept, and its calls run on the sandbox's goroutine.
func compile(l Lambda) (*compiled, error) {
	name := "lambda " + l.ID
	entry := "populate"
	if l.Type == OpenIDReconcile {
		entry = "reconcile"
	}
	tree, err := parser.ParseFile(nil, name, l.Body, 0)
	if err != nil {
		return nil, err
	}
	if at := bigIntLiteral(tree); at >= 0 {
		pos := tree.File.Position(int(at) - tree.File.Base())
		return nil, refusedError(fmt.Sprintf("Line %d:%d a BigInt literal; BigInt values are not available in lambdas", pos.Line, pos.Column))
	}
	prog, err := goja.Compile(name, "(function () {"+l.Body+
		"\n;return typeof "+entry+" === \"function\" ? "+entry+" : undefined;\n})", false)
	if err != nil {
		return nil, err
	}
	if l.Type == OpenIDReconcile {
		return &compiled{prog: prog}, nil
	}
	return &compiled{prog: prog, unread: unreadArguments(tree), keep: keepable(tree), bounded: bounded(tree)}, nil
}

// compiled is a body ready to run in any runtime.
type compiled struct {
	prog    *goja.Program
	unread  unread // the arguments the body cannot read
	keep    bool   // a runtime may keep populate for later calls (keepable)
	bounded bool   // a call may run on the caller's goroutine (bounded)
}
