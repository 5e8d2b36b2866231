// Package appkit is what the demo applications (internal/demo/store,
// internal/demo/forums) have in common: the backend scaffolding (config
// checks, the app's own SQLite database, /config.json, the locked-down page
// headers, the bearer-token guard on /api/*, JSON answers) and the shared
// single-page shell (web/index.html, web/shell.js, web/style.css) that each
// app serves at the same paths beside its own /app.js. Each app keeps only
// what is its own: its tables, its API handlers and its app.js.
//
// Like the apps it must not import any latchkey package but jwtverify: the
// apps trust latchkey exactly as a third-party backend would, over HTTP
// (internal/archtest enforces this for everything under internal/demo/
// except the demo wiring itself).
package appkit
