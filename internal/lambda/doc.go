// Package lambda runs FusionAuth-style JWT populate lambdas: JavaScript
// bodies of the form `function populate(jwt, user, registration, context)`
// that add claims to a token before it is signed (FusionAuth,
// extend/code/lambdas/jwt-populate). It owns the lambda object and its
// validation, the compiled-program cache, the sandbox calls run in
// (github.com/dop251/goja runtimes with frozen builtins, pooled, cleaned
// after every call, one call at a time each), the per-call limits
// (time, allocation, call depth, sizes), the reserved claims a lambda may not
// change, and the failure semantics: a lambda that throws, times out or hits
// a limit leaves the claims unchanged, is logged with its id, and the login
// goes on (FusionAuth, extend/code/lambdas "Exceptions"). It also runs
// OpenID Connect reconcile lambdas, `function reconcile(user, registration,
// jwt, id_token, tokens)`, in the same sandbox and limits (Reconcile); their
// failure is the caller's to act on, since FusionAuth then refuses the login.
//
// It imports nothing from latchkey and never net/http (internal/archtest):
// storage of lambda records, the /api/lambda endpoints and the call from
// token minting live elsewhere and pass plain values in.
package lambda
