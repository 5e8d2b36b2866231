package server

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	sdkjs "github.com/latchkeyhq/latchkey/sdk/js"
)

// sdkETag identifies the embedded SDK build so browsers revalidate cheaply.
var sdkETag = func() string {
	sum := sha256.Sum256(sdkjs.Module)
	return `"` + hex.EncodeToString(sum[:8]) + `"`
}()

// sdk answers GET /sdk/latchkey.js. The SPAs live on other origins and load it
// with `import`, and module scripts are always fetched in CORS mode: its route
// is corsAnyOrigin (cors.go), which adds the headers such a file needs.
func (s *Server) sdk(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/javascript") // module scripts are always decoded as UTF-8 (HTML spec)
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("ETag", sdkETag)
	if r.Header.Get("If-None-Match") == sdkETag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(sdkjs.Module)
}
