// Package e2e walks the SPA workflow (shared/spec/workflow.md, steps 1-17) in
// a real Chromium driven over the DevTools protocol (chromedp), against the
// identity server, the Store and the Forums exactly as `latchkey demo` runs
// them, on three host names of one registrable domain. It owns no production
// code; it imports internal/demo (to start everything) and nothing it tests
// by reaching inside. What reaches the identity server is recorded at its
// front door (demotest.WrapIdentity), with each tab tagged by its
// User-Agent: the test counts refreshes there and, where an order of events
// matters (step 16), holds a request back instead of relying on timing.
package e2e
