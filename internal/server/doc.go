// Package server is latchkey's HTTP layer: the one route table (routes.go),
// whose rows carry every rule of an endpoint as data (auth class, tenant
// header, CORS class, cookie use, hashing gate, body bound, HTML) and are read
// by one middleware (guard.go); the request middleware (middleware.go); the
// error writers for FusionAuth's /api/* format and OAuth2's format
// (errors.go); the strict JSON decoder (decode.go); the only place that
// writes cookies (cookies.go); CORS (cors.go, with the origin cache in
// cors_origins.go); and one file per endpoint family.
//
// Handlers are methods on Server, whose dependencies are fields. Rules live in
// the use cases, internal/auth (login and tokens) and internal/manage (the
// management API); this package translates HTTP to use-case calls and back,
// mapping their errors in one table per wire format (errors.go). It must not
// import internal/storage/sqlstorage, internal/app or internal/demo, and
// nothing but internal/app imports it (internal/archtest).
package server
