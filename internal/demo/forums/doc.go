// Package forums is the workflow's second application, the Forums: a Go
// backend with its own SQLite database that serves the Forums single-page app
// and the user's posts (GET /api/posts, POST /api/posts).
//
// It owns the posts (its table, its API, its web/app.js); the rest comes from
// internal/demo/appkit. Like the Store it trusts latchkey only through the
// public jwtverify package and must not import any other latchkey package
// but appkit (internal/archtest).
package forums
