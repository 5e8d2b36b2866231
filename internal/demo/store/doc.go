// Package store is the workflow's Store: a Go backend with its own SQLite
// database that serves the Store single-page app and its API
// (GET /api/load-shopping-cart, POST /api/cart/items, DELETE /api/cart/items/{id}).
//
// It owns the cart (its table, its API, its web/app.js); the scaffolding and
// the page shell it shares with the Forums come from internal/demo/appkit.
// It trusts latchkey exactly as a third-party backend would: only through the
// public jwtverify package, over HTTP. It must not import any other latchkey
// package but appkit (internal/archtest enforces this).
package store
