package main

import (
	"slices"
	"testing"
)

// TestLazyFreeEnv: serve and demo get madvdontneed=0 added to GODEBUG,
// after the operator's own settings; an operator's madvdontneed, in any
// position, wins and nothing is executed again (which is also what stops a
// second execution); the short-lived commands are left alone.
func TestLazyFreeEnv(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    []string // nil: run as is
	}{
		{"serve, no GODEBUG", []string{"serve"}, []string{"HOME=/x"}, []string{"HOME=/x", "GODEBUG=madvdontneed=0"}},
		{"demo, empty GODEBUG", []string{"demo", "--oauth"}, []string{"GODEBUG=", "A=b"}, []string{"GODEBUG=madvdontneed=0", "A=b"}},
		{"operator's settings kept", []string{"serve"}, []string{"GODEBUG=gctrace=1"}, []string{"GODEBUG=gctrace=1,madvdontneed=0"}},
		{"operator's madvdontneed wins", []string{"serve"}, []string{"GODEBUG=madvdontneed=1"}, nil},
		{"already set, after others", []string{"serve"}, []string{"GODEBUG=gctrace=1, madvdontneed=0"}, nil},
		{"bench", []string{"bench", "--mode", "login"}, []string{"HOME=/x"}, nil},
		{"admin", []string{"admin"}, nil, nil},
		{"no command", nil, nil, nil},
	}
	for _, tt := range tests {
		if got := lazyFreeEnv(tt.args, tt.environ); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	environ := []string{"GODEBUG=gctrace=1"}
	_ = lazyFreeEnv([]string{"serve"}, environ)
	if environ[0] != "GODEBUG=gctrace=1" {
		t.Errorf("the caller's environment was changed: %q", environ)
	}
}
