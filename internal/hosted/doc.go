// Package hosted renders latchkey's hosted pages (the OAuth login page, the
// error page of /oauth2/authorize, the logout page) from html/template files
// and a stylesheet, themable per application or tenant and localized through
// message bundles. It only renders: it takes no request and imports no
// net/http; internal/server decides what to show and sets the headers.
//
// A theme is a directory named after an application id or a tenant id (or
// "default") that may hold any of layout.html, login.html, error.html,
// logout.html, styles.css and messages.<lang>.json; what it leaves out comes
// from the built-in theme. Lookup goes application, then tenant, then the
// built-in theme.
package hosted
