package server

import (
	"bytes"
	stdjson "encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"

	json "github.com/go-json-experiment/json"

	"github.com/latchkeyhq/latchkey/internal/jsonnum"
	"github.com/latchkeyhq/latchkey/internal/jsonpatch"
	"github.com/latchkeyhq/latchkey/internal/mergepatch"
)

// decodePatch applies a PATCH body to current (the record as the
// endpoint's GET shows it, the shape of its PUT request: never a member
// GET hides, such as a stored password, since an RFC 6902 copy, move or
// test reads whatever current holds; a secret the result leaves out is
// kept or cleared by the use case exactly as for a PUT that leaves it
// out) and decodes the result into into,
// which then goes through the same validation as a PUT: whatever a patch
// makes is a body a PUT could have sent. Content-Type
// application/json-patch+json is RFC 6902 (internal/jsonpatch; its paths
// are relative to that shape, e.g. /user/firstName),
// application/merge-patch+json RFC 7396, anything else JSON FusionAuth's
// legacy merge (internal/mergepatch). A failure of the body is a badBody;
// failing to encode current is the server's.
func decodePatch(r *http.Request, current, into any) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json-patch+json" {
		return decodeJSONPatch(r, current, into)
	}
	var patch map[string]any
	if err := decodeBody(r, &patch, false); err != nil {
		return err
	}
	raw, err := json.Marshal(current, jsonnum.Options)
	var base map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &base, jsonnum.Options)
	}
	if err != nil {
		return err
	}
	mode := mergepatch.FusionAuthLegacy
	if mt == "application/merge-patch+json" {
		mode = mergepatch.RFC7396
	}
	before := len(raw)
	raw, err = json.Marshal(mergepatch.Merge(base, patch, mode), jsonnum.Options)
	if err == nil && len(raw) > max(before, maxBody) {
		err = patchTooLarge{size: len(raw), limit: max(before, maxBody)}
	}
	if err == nil {
		err = json.Unmarshal(raw, into, jsonnum.Options)
	}
	if err != nil {
		return badBody{err}
	}
	return nil
}

// patchTooLarge refuses a merge patch whose result is larger than both the
// record before it and maxBody (every PATCH route's body limit): each
// request could otherwise add a body's worth to a record, which would grow
// without bound, request by request, past what a PUT could send back
// (an RFC 6902 patch has the same bound, jsonpatch.Apply's limit).
type patchTooLarge struct{ size, limit int }

func (e patchTooLarge) Error() string {
	return fmt.Sprintf("The patch makes the object %d bytes long; at most %d are allowed.", e.size, e.limit)
}

// decodeJSONPatch applies an RFC 6902 patch (the body) to current, encoded
// as GET's answer is (writeJSON: encoding/json, so a zero number GET
// leaves out is not there for a test to find either), and decodes the
// result into into. The result may be no larger than the
// larger of current and maxBody (every PATCH route's body limit), so a
// record never grows past what a PUT could send back. A refused patch is a badBody holding the
// *jsonpatch.Error (writeDecodeError answers it); so is a result into does
// not take (a wrong type: [invalid]<field>).
func decodeJSONPatch(r *http.Request, current, into any) error {
	body, err := readBody(r)
	switch {
	case err != nil:
		return badBody{err}
	case len(body) == 0:
		return badBody{errEmptyBody}
	}
	doc, err := stdjson.Marshal(current) // as writeJSON writes GET's answer
	if err != nil {
		return err
	}
	out, err := jsonpatch.Apply(doc, body, maxBody)
	if err == nil {
		err = json.Unmarshal(out, into, jsonnum.Options)
	}
	if err != nil {
		return badBody{err}
	}
	return nil
}

// decodeReplacement decodes a PUT body, or applies a PATCH body to current
// (the record's GET view, see decodePatch), into into: the change a use
// case's update applies.
func decodeReplacement(r *http.Request, current, into any) error {
	if r.Method == http.MethodPatch {
		return decodePatch(r, current, into)
	}
	return decodeBody(r, into, false)
}

// replayBody reads r's body once and returns rewind, which makes the next
// read of r.Body read it again from its start (a failed read fails again
// the same way): a change closure that decodes the body runs once per try
// of a conditional write (manage's retryStale), and a PATCH applies to the
// record as each try read it.
func replayBody(r *http.Request) (rewind func()) {
	body, err := readBody(r)
	return func() {
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), failedRead{err}))
	}
}

// failedRead ends a replayed body: io.EOF, or the error its read ended with.
type failedRead struct{ err error }

func (f failedRead) Read([]byte) (int, error) {
	if f.err == nil {
		return 0, io.EOF
	}
	return 0, f.err
}
