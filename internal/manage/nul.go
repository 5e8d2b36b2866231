package manage

import "github.com/latchkeyhq/latchkey/internal/storage"

// checkNUL adds [invalid]<field> for each string of v (a record under
// prefix: user, registration) holding a NUL character, which no backend
// stores (storage.ErrNUL; docs/decisions.md "A NUL character is refused").
func checkNUL(e *Invalid, prefix string, v any) {
	for _, p := range storage.NULPaths(prefix, v) {
		e.Field("invalid", p, "The ["+p+"] property holds a NUL character (U+0000), which cannot be stored.")
	}
}
