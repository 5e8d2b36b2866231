package appkit

import (
	"encoding/json"
	"net/http"
)

// WriteJSON answers v as JSON. API answers are per user, so never cached.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteError is the API's one error shape, {"error": code, "message": text}.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	WriteJSON(w, status, map[string]string{"error": code, "message": msg})
}

// DecodeJSON reads a request body of at most limit bytes into v, refusing
// unknown fields: a client cannot slip in a field (a price, an author) the
// handler would ignore today and trust tomorrow.
func DecodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}
