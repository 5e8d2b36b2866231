package main

import (
	"bytes"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
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
