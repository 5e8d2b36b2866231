package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeRunsWithLazyFree builds the binary and starts `latchkey serve`:
// the process serving (same PID as the one started) runs with
// GODEBUG=madvdontneed=0 added to the operator's settings; with the
// operator's own madvdontneed=1 it runs with that, unchanged.
func TestServeRunsWithLazyFree(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "latchkey")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tt := range []struct{ godebug, want string }{
		{"gctrace=0", "GODEBUG=gctrace=0,madvdontneed=0"},
		{"madvdontneed=1", "GODEBUG=madvdontneed=1"},
	} {
		t.Run(tt.godebug, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			var stderr bytes.Buffer
			cmd := exec.Command(bin, "serve", "--addr", addr, "--database-url", filepath.Join(t.TempDir(), "l.db"))
			cmd.Env = append(os.Environ(), "GODEBUG="+tt.godebug)
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			deadline := time.Now().Add(30 * time.Second) // a hang guard, not a timing assertion
			for {
				resp, err := http.Get("http://" + addr + "/api/status")
				if err == nil {
					resp.Body.Close()
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the server did not answer: %v; stderr:\n%s", err, stderr.String())
				}
				time.Sleep(50 * time.Millisecond)
			}
			environ, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/environ")
			if err != nil {
				t.Fatal(err)
			}
			var godebug []string
			for _, kv := range strings.Split(string(environ), "\x00") {
				if strings.HasPrefix(kv, "GODEBUG=") {
					godebug = append(godebug, kv)
				}
			}
			if len(godebug) != 1 || godebug[0] != tt.want {
				t.Errorf("the serving process (PID %d) has %q; want %q", cmd.Process.Pid, godebug, tt.want)
			}
		})
	}
}

// TestFailedLazyFreeExecKeepsTheFileLimit: syscall.Exec lowers the soft
// RLIMIT_NOFILE to what the process started with before it executes; when
// the execution fails the server must not run on with that lower limit. The
// test runs itself as a child that starts with a soft limit below its hard
// one (which the Go runtime raises at start), has the child fail an
// execution, and reads the child's soft limit afterwards.
func TestFailedLazyFreeExecKeepsTheFileLimit(t *testing.T) {
	if os.Getenv("LATCHKEY_TEST_LAZYFREE_CHILD") == "1" {
		var before, after syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &before); err != nil {
			t.Fatal(err)
		}
		err := execLazyFreeWith("/nonexistent/latchkey", []string{"latchkey", "serve"}, []string{"HOME=/"})
		if gerr := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &after); gerr != nil {
			t.Fatal(gerr)
		}
		fmt.Printf("exec error: %v\nbefore %d after %d\n", err, before.Cur, after.Cur)
		return
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Max < 64 {
		t.Fatalf("hard RLIMIT_NOFILE %d: too low to test", lim.Max)
	}
	low := lim
	low.Cur = lim.Max / 2
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim) }()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFailedLazyFreeExecKeepsTheFileLimit$")
	cmd.Env = append(os.Environ(), "LATCHKEY_TEST_LAZYFREE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var before, after uint64
	if _, err := fmt.Sscanf(string(out[strings.Index(string(out), "before "):]), "before %d after %d", &before, &after); err != nil ||
		!strings.Contains(string(out), "exec error: no such file or directory") {
		t.Fatalf("child's output:\n%s\nwant the failed execution's error and its limits (%v)", out, err)
	}
	if before <= low.Cur {
		t.Fatalf("the child started at soft %d and ran at %d: the runtime did not raise it, nothing to test", low.Cur, before)
	}
	if after != before {
		t.Errorf("after the failed execution the soft RLIMIT_NOFILE is %d, want %d (the runtime's raised limit, not the %d the child started with)", after, before, low.Cur)
	}
}
