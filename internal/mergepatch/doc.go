// Package mergepatch merges a JSON patch document into a JSON object, the
// two ways FusionAuth's PATCH endpoints accept: RFC 7396 JSON Merge Patch
// (Content-Type application/merge-patch+json) and FusionAuth's legacy merge
// (any other JSON content type; PATCH support since FusionAuth 1.12), which
// differs only in appending arrays instead of replacing them.
//
// It works on decoded JSON (map[string]any, []any, scalars) and must not
// import anything of latchkey (internal/archtest).
package mergepatch
