package main

import (
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

// TestLazyFreeEnv: serve, demo and bench get madvdontneed=0 added to GODEBUG,
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
		{"already set, after others", []string{"serve"}, []string{"GODEBUG=gctrace=1,madvdontneed=0"}, nil},
		// The runtime does not trim: " madvdontneed=0" sets nothing.
		{"a space before it", []string{"serve"}, []string{"GODEBUG=gctrace=1, madvdontneed=0"},
			[]string{"GODEBUG=gctrace=1, madvdontneed=0,madvdontneed=0"}},
		{"not an integer", []string{"serve"}, []string{"GODEBUG=madvdontneed=yes"},
			[]string{"GODEBUG=madvdontneed=yes,madvdontneed=0"}},
		// The runtime reads the first GODEBUG of the environment.
		{"two GODEBUG entries", []string{"serve"}, []string{"GODEBUG=gctrace=1", "GODEBUG=madvdontneed=1"},
			[]string{"GODEBUG=gctrace=1,madvdontneed=0", "GODEBUG=madvdontneed=1"}},
		{"bench: its hash ceiling hashes as the server does", []string{"bench", "--mode", "login"}, []string{"HOME=/x"},
			[]string{"HOME=/x", "GODEBUG=madvdontneed=0"}},
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

// TestLogLazyFree: serve says at start how freed memory is returned, and a
// failed execution with the setting is a warning that names the error.
func TestLogLazyFree(t *testing.T) {
	tests := []struct {
		godebug string
		failed  error
		want    string
	}{
		{"madvdontneed=0", nil, `level=INFO msg="freed memory is returned to the kernel lazily (GODEBUG=madvdontneed=0)"`},
		{"madvdontneed=1", nil, `level=INFO msg="freed memory is returned to the kernel at once (GODEBUG madvdontneed=1)"`},
		{"", errors.New("exec: permission denied"), `level=WARN msg="freed memory is returned to the kernel at once (MADV_DONTNEED): could not run again with GODEBUG=madvdontneed=0" err="exec: permission denied"`},
		{"gctrace=1", nil, ""},
	}
	defer func() { lazyFreeFailed = nil }()
	for _, tt := range tests {
		var b strings.Builder
		lazyFreeFailed = tt.failed
		logLazyFree(slog.New(slog.NewTextHandler(&b, nil)), func(k string) string {
			if k == "GODEBUG" {
				return tt.godebug
			}
			return ""
		})
		if got := b.String(); tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("GODEBUG %q, failed %v: logged %q, want %q", tt.godebug, tt.failed, got, tt.want)
		}
	}
}
