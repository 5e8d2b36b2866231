package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/latchkeyhq/latchkey/internal/jsonnum"
	"github.com/latchkeyhq/latchkey/internal/jsonpatch"
)

// The decode failures with their own answers: 415 and an empty body.
var (
	errUnsupportedMediaType = errors.New("unsupported media type")
	errEmptyBody            = errors.New("empty body")
)

// tooLargeError is a body over its route's bound (routes.go), answered 413.
type tooLargeError struct{ limit int64 }

func (e tooLargeError) Error() string { return "request body too large" }

// message is the client's explanation, naming the bound.
func (e tooLargeError) message() string {
	return fmt.Sprintf("The request body is larger than the %d KiB limit.", e.limit>>10)
}

// badBody is a request body that could not be read or decoded: always the
// client's error, answered by writeDecodeError (also through writeError, so
// a decode inside a use case's change function is answered the same way).
type badBody struct{ err error }

func (b badBody) Error() string { return b.err.Error() }
func (b badBody) Unwrap() error { return b.err }

// decodeJSON reads the request body into v strictly: invalid UTF-8, duplicate
// member names (including case variants, since names match case-sensitively
// and a case variant is simply unknown), trailing data and over-deep nesting are
// refused. Unknown members are ignored, as FusionAuth's clients send extra
// fields. The JSON v2 decoder is used for exactly these properties
// (docs/decisions.md, "strict JSON decoding"). A number in free-form JSON
// (data) is kept as sent, and one beyond a float64's range refused
// (internal/jsonnum).
//
// An empty body leaves v untouched and is accepted when allowEmpty is true.
// On failure it writes the response itself, gives back the request's rate
// token (ratelimit_refund.go) and returns false.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) bool {
	if err := decodeBody(r, v, allowEmpty); err != nil {
		giveBackToken(r)
		writeDecodeError(w, err)
		return false
	}
	return true
}

// decodeBody is decodeJSON returning the failure (a badBody) instead of
// writing it.
func decodeBody(r *http.Request, v any, allowEmpty bool) error {
	body, err := readBody(r)
	switch {
	case err != nil:
	case len(body) == 0 && allowEmpty:
		return nil
	case len(body) == 0:
		err = errEmptyBody
	case !isJSON(r.Header.Get("Content-Type")):
		err = errUnsupportedMediaType
	default:
		err = json.Unmarshal(body, v, jsonnum.Options)
	}
	if err != nil {
		return badBody{err}
	}
	return nil
}

// readBody reads the body, which guard bounded to the route's limit.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, tooLargeError{mbe.Limit}
	}
	return b, err
}

// isJSON accepts application/json and the JSON patch media types.
func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "application/merge-patch+json" ||
		(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// writeDecodeError maps a decode failure to FusionAuth's error body.
func writeDecodeError(w http.ResponseWriter, err error) {
	var e Errors
	var tooLarge tooLargeError
	switch {
	case errors.As(err, &tooLarge):
		e.General("tooLarge", tooLarge.message())
		writeErrors(w, http.StatusRequestEntityTooLarge, &e)
		return
	case errors.Is(err, errUnsupportedMediaType):
		e.General("invalidContentType", "Send the request body as application/json.")
		writeErrors(w, http.StatusUnsupportedMediaType, &e)
		return
	case errors.Is(err, errEmptyBody):
		e.General("invalid", "Your request body was empty. Send a JSON object.")
		writeErrors(w, http.StatusBadRequest, &e)
		return
	}
	var pt patchTooLarge
	if errors.As(err, &pt) {
		e.General("PatchTooLarge", pt.Error())
		writeErrors(w, http.StatusBadRequest, &e)
		return
	}
	var pe *jsonpatch.Error
	if errors.As(err, &pe) {
		e.General(jsonPatchCodes[pe.Kind], pe.Reason)
		writeErrors(w, http.StatusBadRequest, &e)
		return
	}
	var se *json.SemanticError
	if errors.As(err, &se) && se.JSONPointer != "" && !errors.Is(se.Err, jsontext.ErrDuplicateName) {
		field := strings.Join(pointerTokens(se.JSONPointer), ".")
		e.Field("invalid", field, "The ["+field+"] property has the wrong type or an invalid value.")
		writeErrors(w, http.StatusBadRequest, &e)
		return
	}
	if errors.As(err, &se) && !errors.Is(se.Err, jsontext.ErrDuplicateName) {
		// A type mismatch at the top: the decoder's text names Go types.
		e.General("invalid", "Your JSON was invalid: the request body must be a JSON object.")
		writeErrors(w, http.StatusBadRequest, &e)
		return
	}
	e.General("invalid", "Your JSON was invalid: "+sanitizeDecodeMessage(err))
	writeErrors(w, http.StatusBadRequest, &e)
}

// jsonPatchCodes are the general error codes of a refused RFC 6902 patch
// (FusionAuth documents none; docs/compatibility.md).
var jsonPatchCodes = map[jsonpatch.Kind]string{
	jsonpatch.Malformed:         "invalidJSONPatch",
	jsonpatch.TooManyOperations: "tooManyOperations",
	jsonpatch.NotApplicable:     "JSONPatchNotApplicable",
	jsonpatch.TestFailed:        "JSONPatchTestFailed",
	jsonpatch.TooLarge:          "JSONPatchTooLarge",
}

func pointerTokens(p jsontext.Pointer) []string {
	var out []string
	for t := range p.Tokens() {
		out = append(out, t)
	}
	return out
}

// sanitizeDecodeMessage keeps the decoder's explanation but drops the Go type
// names it sometimes mentions.
func sanitizeDecodeMessage(err error) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	msg = strings.TrimPrefix(msg, "jsontext: ")
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}
