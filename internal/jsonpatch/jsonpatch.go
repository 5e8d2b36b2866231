// Package jsonpatch applies an RFC 6902 JSON Patch (Content-Type
// application/json-patch+json, FusionAuth's PATCH option since 1.39) to a
// JSON document, within bounds, with github.com/evanphx/json-patch/v5
// doing the operations (docs/decisions.md, "RFC 6902 JSON Patch").
//
// What the library does not check is checked here first: the patch is
// strict JSON (no duplicate member names, valid UTF-8), an array of at
// most MaxOperations objects, each a known op with the members it needs
// (a string path that is a JSON Pointer, a value, a from). Array indexes
// are never negative (RFC 6902 has none), a patch's copies may add at most
// MaxGrowth bytes, so a patch that copies a value onto itself again and
// again is refused long before it could exhaust memory, and the patched
// document may be no larger than the larger of the document and the
// caller's limit (the route's body limit: a record cannot grow, request by
// request, past what a PUT could send back). The result
// must be a JSON object. A patch applies whole or not at all: a failed
// test, or any operation that cannot apply, refuses the patch.
//
// A leaf: it imports nothing of latchkey (internal/archtest).
package jsonpatch

import (
	"errors"
	"fmt"
	"strings"

	evanphx "github.com/evanphx/json-patch/v5"
	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// The bounds of a patch: its number of operations, and how many bytes its
// copies may add (docs/api.md, "Limits"; Apply's limit bounds the result).
const (
	MaxOperations = 1000
	MaxGrowth     = 1 << 20
)

// Kind is why a patch was refused.
type Kind int

const (
	// Malformed: not a JSON Patch (not an array of operations, an unknown
	// op, a missing or wrong path, value or from).
	Malformed Kind = iota
	// TooManyOperations: more than MaxOperations operations.
	TooManyOperations
	// NotApplicable: an operation names a location the document does not
	// have (remove or replace of a missing member, an index past the end),
	// or its result is not a JSON object.
	NotApplicable
	// TestFailed: a test operation found another value.
	TestFailed
	// TooLarge: the copies added more than MaxGrowth bytes, or the result
	// is larger than both the document and Apply's limit.
	TooLarge
)

// Error is a refused patch.
type Error struct {
	Kind Kind
	// Reason says what was wrong, for the client (no Go type names).
	Reason string
}

func (e *Error) Error() string { return e.Reason }

func refuse(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Reason: fmt.Sprintf(format, args...)}
}

// Apply applies patch (the request body) to doc (a JSON object) and
// returns the patched document, or an *Error. The patched document may be
// at most max(len(doc), limit) bytes: a patch may fill a document up to
// limit, and never makes one already larger grow.
func Apply(doc, patch []byte, limit int) ([]byte, error) {
	if err := check(patch); err != nil {
		return nil, err
	}
	p, err := evanphx.DecodePatch(patch)
	if err != nil { // check accepted it, so this is not expected
		return nil, refuse(Malformed, "The JSON Patch is not valid: %s", clip(err.Error()))
	}
	opts := evanphx.NewApplyOptions()
	opts.SupportNegativeIndices = false
	opts.AccumulatedCopySizeLimit = MaxGrowth
	opts.EscapeHTML = false
	out, err := apply(p, doc, opts)
	var copyErr *evanphx.AccumulatedCopySizeError
	switch {
	case errors.As(err, &copyErr):
		return nil, refuse(TooLarge, "The JSON Patch copies more than %d bytes.", MaxGrowth)
	case errors.Is(err, evanphx.ErrTestFailed):
		return nil, refuse(TestFailed, "A test operation of the JSON Patch failed: %s. Nothing was changed.", clip(err.Error()))
	case err != nil:
		return nil, refuse(NotApplicable, "The JSON Patch does not apply to this object: %s. Nothing was changed.", clip(err.Error()))
	case len(out) > max(len(doc), limit):
		return nil, refuse(TooLarge, "The JSON Patch makes the object %d bytes long; at most %d are allowed.", len(out), max(len(doc), limit))
	}
	if v := jsontext.Value(out); v.Kind() != '{' {
		return nil, refuse(NotApplicable, "The JSON Patch does not leave a JSON object.")
	}
	return out, nil
}

// apply runs the library, turning a panic on an input it did not expect
// into a refusal (FuzzApply looks for such inputs).
func apply(p evanphx.Patch, doc []byte, opts *evanphx.ApplyOptions) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, errors.New("an operation could not be applied")
		}
	}()
	return p.ApplyWithOptions(doc, opts)
}

// check refuses what is not a JSON Patch of at most MaxOperations
// operations.
func check(patch []byte) error {
	var ops []jsontext.Value // strict: duplicate names and invalid UTF-8 are syntax errors
	var syntax *jsontext.SyntacticError
	if err := json.Unmarshal(patch, &ops); errors.As(err, &syntax) {
		return refuse(Malformed, "The JSON Patch is not valid JSON: %s", clip(strings.TrimPrefix(err.Error(), "jsontext: ")))
	} else if err != nil || ops == nil {
		return refuse(Malformed, "A JSON Patch is an array of operations.")
	}
	if len(ops) > MaxOperations {
		return refuse(TooManyOperations, "The JSON Patch has %d operations; at most %d are allowed.", len(ops), MaxOperations)
	}
	for i, op := range ops {
		if err := checkOp(i, op); err != nil {
			return err
		}
	}
	return nil
}

// checkOp checks operation i: an object with a known op and the members
// RFC 6902 §4 requires of it.
func checkOp(i int, raw jsontext.Value) error {
	if raw.Kind() != '{' {
		return refuse(Malformed, "Operation %d of the JSON Patch is not an object.", i)
	}
	var op map[string]jsontext.Value
	if err := json.Unmarshal(raw, &op); err != nil {
		return refuse(Malformed, "Operation %d of the JSON Patch is not valid: %s", i, clip(err.Error()))
	}
	var name string
	if v, ok := op["op"]; !ok || v.Kind() != '"' || json.Unmarshal(v, &name) != nil {
		return refuse(Malformed, "Operation %d of the JSON Patch has no op (a string).", i)
	}
	switch name {
	case "add", "replace", "test":
		if _, ok := op["value"]; !ok {
			return refuse(Malformed, "Operation %d of the JSON Patch (%s) has no value.", i, name)
		}
	case "move", "copy":
		if err := checkPointer(i, op, "from"); err != nil {
			return err
		}
	case "remove":
	default:
		return refuse(Malformed, "Operation %d of the JSON Patch has an unknown op %q: add, remove, replace, move, copy or test.", i, clip(name))
	}
	return checkPointer(i, op, "path")
}

// checkPointer checks that op's member is a string holding a JSON Pointer
// (RFC 6901): empty, or "/"-separated tokens in which "~" is only the
// start of "~0" or "~1".
func checkPointer(i int, op map[string]jsontext.Value, member string) error {
	var p string
	if v, ok := op[member]; !ok || v.Kind() != '"' || json.Unmarshal(v, &p) != nil {
		return refuse(Malformed, "Operation %d of the JSON Patch has no %s (a string).", i, member)
	}
	if p != "" && !strings.HasPrefix(p, "/") {
		return refuse(Malformed, "Operation %d of the JSON Patch: the %s %q is not a JSON Pointer (it must start with /).", i, member, clip(p))
	}
	for j := 0; j < len(p); j++ {
		if p[j] == '~' && (j+1 == len(p) || p[j+1] != '0' && p[j+1] != '1') {
			return refuse(Malformed, "Operation %d of the JSON Patch: the %s %q is not a JSON Pointer (~ must be ~0 or ~1).", i, member, clip(p))
		}
	}
	return nil
}

// clip keeps a message, or a client's text in one, short.
func clip(s string) string {
	const most = 200
	if len(s) <= most {
		return s
	}
	for i := most; i > 0; i-- {
		if (s[i] & 0xC0) != 0x80 { // not in the middle of a UTF-8 sequence
			return s[:i] + "…"
		}
	}
	return ""
}
