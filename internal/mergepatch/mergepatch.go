package mergepatch

// Mode is how arrays in the patch are applied.
type Mode int

const (
	// RFC7396 replaces an array with the patch's (RFC 7396 §2).
	RFC7396 Mode = iota
	// FusionAuthLegacy appends the patch's array to the existing one.
	FusionAuthLegacy
)

// Merge merges patch into base and returns the result (base is modified):
// objects merge recursively, null removes the member, arrays are replaced
// or appended according to m, anything else replaces.
func Merge(base, patch map[string]any, m Mode) map[string]any {
	if base == nil {
		base = map[string]any{}
	}
	for k, pv := range patch {
		switch pv := pv.(type) {
		case nil:
			delete(base, k)
		case map[string]any:
			bv, _ := base[k].(map[string]any)
			base[k] = Merge(bv, pv, m)
		case []any:
			if bv, ok := base[k].([]any); ok && m == FusionAuthLegacy {
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
