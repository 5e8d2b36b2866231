// Package openapitest checks real HTTP traffic against latchkey's OpenAPI
// description with kin-openapi's validator (openapi3filter, JSON Schema
// 2020-12 for OpenAPI 3.1). The full-stack tests send their requests through
// Transport, so every answer they provoke is checked: its status must be
// documented for the operation, and its JSON body must match the
// documented schema; a request the server accepted (2xx) must match the
// documented request. A path the description lacks must have been answered
// 404 or 405. It is for tests only.
package openapitest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/latchkeyhq/latchkey/internal/openapi"
)

var (
	loadOnce sync.Once
	router   routers.Router
	loadErr  error
)

func load() (routers.Router, error) {
	loadOnce.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(openapi.Document())
		if err != nil {
			loadErr = err
			return
		}
		router, loadErr = legacy.NewRouter(doc)
	})
	return router, loadErr
}

// Transport returns base (nil: http.DefaultTransport) wrapped so that every
// exchange is checked against the description; a mismatch fails tb.
func Transport(tb testing.TB, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	r, err := load()
	if err != nil {
		tb.Fatalf("openapitest: the description does not load: %v", err)
	}
	return &transport{tb: tb, base: base, router: r}
}

type transport struct {
	tb     testing.TB
	base   http.RoundTripper
	router routers.Router
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	res, err := t.base.RoundTrip(req)
	if err != nil {
		return res, err
	}
	resBody, err := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(bytes.NewReader(resBody))
	if err != nil {
		return res, nil // the caller sees the truncated body and decides
	}
	if problem := Check(t.router, req, reqBody, res, resBody); problem != "" {
		t.tb.Errorf("OpenAPI: %s %s -> %d: %s", req.Method, req.URL.Path, res.StatusCode, problem)
	}
	return res, nil
}

func init() {
	// The SDK is JavaScript, the admin console's pages HTML and its style
	// sheet CSS; each schema is a string.
	for _, ct := range []string{"text/javascript", "text/html", "text/css"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
}

// Check returns what in the exchange contradicts the description, or "".
// Two answers come before any route and are described once in the
// document's info, not per operation: a CORS preflight, and net/http's 431
// for oversized headers.
func Check(r routers.Router, req *http.Request, reqBody []byte, res *http.Response, resBody []byte) string {
	if req.Method == http.MethodOptions && req.Header.Get("Access-Control-Request-Method") != "" {
		return ""
	}
	if res.StatusCode == http.StatusRequestHeaderFieldsTooLarge {
		return ""
	}
	if routerAnswer(res, resBody) {
		return "" // the route table's answer to a path or method it does not serve, not an operation's
	}
	probe := req.Clone(context.Background())
	probe.Body = io.NopCloser(bytes.NewReader(reqBody))
	route, params, err := r.FindRoute(probe)
	if err != nil {
		if res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed {
			return "" // not an operation, and not served as one
		}
		return fmt.Sprintf("answered %d to an operation the description lacks (%v)", res.StatusCode, err)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	// x-lenient-body: the operation ignores a body it cannot read (logout,
	// revocation by query), so no request body is "refused" by it.
	if lenient, _ := route.Operation.Extensions["x-lenient-body"].(bool); lenient {
		opts.ExcludeRequestBody = true
	}
	in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route, Options: opts}
	if res.StatusCode/100 == 2 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			return fmt.Sprintf("the server accepted a request the description refuses: %v", err)
		}
	}
	ropts := *opts
	if len(resBody) == 0 {
		ropts.ExcludeResponseBody = true // an empty body: only the status is checked
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header, Options: &ropts}
	out.SetBodyBytes(resBody)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return err.Error()
	}
	return ""
}

// routerAnswer: a 404 [NotFound] or a 405 [MethodNotAllowed] with Allow is
// the server's answer to a path or method no row of its route table serves
// (internal/server/unknown_paths.go), even where a templated path of the
// description matches it (GET /api/user/forgot-password is not
// GET /api/user/{id}).
func routerAnswer(res *http.Response, body []byte) bool {
	switch res.StatusCode {
	case http.StatusNotFound:
		return bytes.Contains(body, []byte(`"[NotFound]"`))
	case http.StatusMethodNotAllowed:
		return res.Header.Get("Allow") != "" && bytes.Contains(body, []byte(`"[MethodNotAllowed]"`))
	}
	return false
}
