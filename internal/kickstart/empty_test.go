package kickstart

import (
	"strings"
	"testing"
)

// TestAppliedNote: a real run that failed part-way names what it wrote and
// what is left to send; one that wrote nothing says nothing (the database
// is still empty, and a corrected file runs).
func TestAppliedNote(t *testing.T) {
	p := plan{keys: []apiKey{{Description: "bootstrap"}, {}}}
	for range 30 {
		p.requests = append(p.requests, request{Method: "POST", URL: "/api/application"})
	}
	for _, tt := range []struct {
		name     string
		done     progress
		want     []string
		wantNone []string
	}{
		{"nothing written", progress{}, nil, nil},
		{"a key, not the next", progress{keys: 1}, []string{`API key apiKeys[0] ("bootstrap")`, "create apiKeys[1] and the keys after it",
			"then send the 30 requests"}, []string{"request 1 ("}},
		{"the keys and a request", progress{keys: 2, requests: 1}, []string{"apiKeys[0]", "API key apiKeys[1]",
			"request 1 (POST /api/application)", "send requests 2 to 30 with apiKeys[0]"}, []string{"request 2 ("}},
		{"all but the last request", progress{keys: 2, requests: 29}, []string{"request 20 (", "requests 21 to 29",
			"send request 30 with apiKeys[0]"}, []string{"request 21 ("}},
		{"the admin application", progress{keys: 2, admin: true}, []string{"the admin console application",
			"send requests 1 to 30"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := appliedNote(p, tt.done)
			if tt.want == nil && got != "" {
				t.Fatalf("note %q, want none", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("note lacks %q: %s", w, got)
				}
			}
			for _, w := range tt.wantNone {
				if strings.Contains(got, w) {
					t.Errorf("note has %q: %s", w, got)
				}
			}
		})
	}
}
