package lambda

import (
	"context"
	"encoding/json"
	"slices"
)

// Reserved lists the claims a lambda can never change, add or remove; an
// attempt is undone and logged. FusionAuth reserves amr, auth_time, cnf, exp
// (reduce-only since 1.59), gty, iat, sub, tid and tty (jwt-populate.mdx);
// latchkey also reserves the claims its resource servers and its own
// revocation and binding checks trust, so a lambda cannot widen a token:
// iss, aud, applicationId (audience and issuer checks), jti and sid
// (revocation by token and by session), nbf, scope (what was consented to),
// authenticationType, and the id token's bindings to its request (nonce,
// at_hash, c_hash, s_hash; OIDC Core 3.1.3.6, 3.3.2.11). exp cannot be
// lowered either. docs/decisions.md ("Reserved claims") gives the reasons.
var Reserved = []string{
	"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "amr", "acr",
	"applicationId", "tid", "sid", "cnf", "gty", "tty", "scope", "authenticationType",
	"nonce", "at_hash", "c_hash", "s_hash",
}

// merge turns a successful call's claims into the result: every reserved
// claim is put back as the caller had it.
func (e *Engine) merge(ctx context.Context, l Lambda, orig map[string]any, out outcome) Result {
	claims := out.claims
	var restored []string
	for _, name := range Reserved {
		was, had := orig[name]
		now, has := claims[name]
		if had != has || had && !sameJSON(was, now) {
			restored = append(restored, name)
		}
		if had {
			claims[name] = was
		} else {
			delete(claims, name)
		}
	}
	if len(restored) > 0 {
		e.cfg.Logger.WarnContext(ctx, "lambda changed reserved claims; they keep their original values",
			"lambdaId", l.ID, "lambdaName", l.Name, "claims", restored)
	}
	if len(out.dropped) > 0 {
		e.cfg.Logger.WarnContext(ctx, "lambda set claims that cannot be encoded as JSON; they are dropped",
			"lambdaId", l.ID, "lambdaName", l.Name, "claims", out.dropped)
	}
	e.logConsole(ctx, l, out.console)
	slices.Sort(out.dropped)
	return Result{Claims: claims, Restored: restored, Dropped: out.dropped}
}

// sameJSON reports whether a and b encode to the same JSON: the caller's
// value is a Go value (int64, []string, ...) and the lambda's came back from
// JavaScript (int64 or float64, []any, map[string]any).
func sameJSON(a, b any) bool {
	switch a := a.(type) {
	case string:
		s, ok := b.(string)
		return ok && s == a
	case bool:
		v, ok := b.(bool)
		return ok && v == a
	case int64:
		// exp, iat and auth_time on every call: compared without encoding
		// when the answer is plain (the lambda's value is an int64, or a
		// float64 holding exactly the same integer, which JSON writes alike).
		switch b := b.(type) {
		case int64:
			return a == b
		case float64:
			if a > -1<<53 && a < 1<<53 && b != 0 {
				return float64(a) == b
			}
		}
	}
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}
