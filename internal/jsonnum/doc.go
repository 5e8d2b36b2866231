// Package jsonnum keeps the numbers of free-form JSON exactly as sent.
//
// FusionAuth stores a user's, registration's, application's (and so on)
// data as the client sent it: Jackson reads 9007199254740993 or
// 12345678901234567890 as a long or a BigInteger and writes it back
// unchanged. Decoded into Go's any, a JSON number becomes a float64, which
// has 53 bits of precision, so such a value came back changed. Here every
// number that lands in an any (a map[string]any, an []any, an any field)
// becomes an encoding/json.Number holding the number's text, which
// encoding/json writes back verbatim: the one representation for numbers
// of free-form JSON, from the request body through storage to the
// response, webhooks, audit entries and lambdas.
//
// Options does this for the JSON v2 decoder requests are read with
// (github.com/go-json-experiment/json), and refuses a number too large for
// a float64 (1e400): no JavaScript lambda, browser or most client
// libraries could carry it, and FusionAuth itself would turn it into
// "Infinity" (docs/decisions.md, "Numbers in data are kept exactly").
// Unmarshal is encoding/json's Unmarshal with UseNumber, for documents
// latchkey wrote itself (storage), which it never refuses for their
// numbers.
//
// A leaf: it imports nothing of latchkey (internal/archtest).
package jsonnum
