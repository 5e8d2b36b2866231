// Package openapi assembles latchkey's OpenAPI 3.1 description from one
// small file per endpoint family (paths/*.json) and the shared parts
// (base.json), embedded at build time. The server serves the result at
// GET /api/openapi.json; docs/openapi.json is the same bytes, checked in.
//
// Adding an endpoint means adding its operation to its family's file (or a
// new file for a new family): TestOpenAPICoversRouteTable (internal/server)
// fails for a route without an operation and for an operation without a
// route, and the full-stack tests validate their traffic against the
// document (openapitest). See CONTRIBUTING.md, "Adding an endpoint".
//
// It imports nothing of latchkey's and no OpenAPI library: the binary only
// carries the bytes; kin-openapi is used by the tests (openapitest).
package openapi
