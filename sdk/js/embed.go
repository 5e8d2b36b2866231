// Package sdkjs embeds the browser SDK so the identity server can serve it at
// a stable path (GET /sdk/latchkey.js). It owns no logic and imports nothing
// from latchkey.
package sdkjs

import _ "embed"

// Module is sdk/js/latchkey.js, the ES module the demo SPAs import.
//
//go:embed latchkey.js
var Module []byte
