package server

import (
	"mime"
	"net/http"

	json "github.com/go-json-experiment/json"
)

// decodePatch applies a PATCH body to current (the record's JSON view) and
// decodes the result into into, which then goes through the same validation as
// a PUT. Content-Type application/merge-patch+json is RFC 7396; anything else
// JSON is FusionAuth's legacy merge (PATCH support since 1.12: objects merge
// recursively, arrays are appended, null removes). On failure the response is
// written and false returned.
func (s *Server) decodePatch(w http.ResponseWriter, r *http.Request, current, into any) bool {
	var patch map[string]any
	if !s.decodeJSON(w, r, &patch, false) {
		return false
	}
	raw, err := json.Marshal(current)
	var base map[string]any
	if err == nil {
		err = json.Unmarshal(raw, &base)
	}
	if err != nil {
		s.writeInternal(w, r, err)
		return false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	merged := mergeJSON(base, patch, mt != "application/merge-patch+json")
	raw, err = json.Marshal(merged)
	if err == nil {
		err = json.Unmarshal(raw, into)
	}
	if err != nil {
		writeDecodeError(w, err)
		return false
	}
	return true
}

// mergeJSON merges patch into base. With appendArrays (FusionAuth legacy) an
// array in the patch is appended to the existing array; otherwise (RFC 7396
// §2) it replaces it. null removes the member in both.
func mergeJSON(base, patch map[string]any, appendArrays bool) map[string]any {
	if base == nil {
		base = map[string]any{}
	}
	for k, pv := range patch {
		switch pv := pv.(type) {
		case nil:
			delete(base, k)
		case map[string]any:
			bv, _ := base[k].(map[string]any)
			base[k] = mergeJSON(bv, pv, appendArrays)
		case []any:
			if bv, ok := base[k].([]any); ok && appendArrays {
				base[k] = append(bv, pv...)
			} else {
				base[k] = pv
			}
		default:
			base[k] = pv
		}
	}
	return base
}
