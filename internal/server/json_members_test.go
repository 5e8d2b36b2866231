package server_test

import "testing"

// members is the key member of each object of a decoded JSON list v (the
// names of a search's consents, the texts of a user's comments, …).
func members(t *testing.T, v any, key string) []string {
	t.Helper()
	out := []string{}
	for _, o := range v.([]any) {
		out = append(out, o.(map[string]any)[key].(string))
	}
	return out
}
