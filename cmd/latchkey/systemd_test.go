package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSystemdUnitVerifies: deploy/systemd/latchkey.service passes
// `systemd-analyze verify` with no complaint (an unknown or misspelt key is
// a warning there, so any output fails), and `systemd-analyze security`
// rates its sandbox at most 2.0 of 10 ("OK"). ExecStart points at this test
// binary, since verify checks that the program exists.
func TestSystemdUnitVerifies(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("LATCHKEY_REQUIRE_ALL") == "1" {
			t.Fatal("systemd-analyze is required (LATCHKEY_REQUIRE_ALL=1): apt-get install systemd")
		}
		t.Skip("systemd-analyze not installed")
	}
	unit, err := os.ReadFile("../../deploy/systemd/latchkey.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "StateDirectory=latchkey", "NoNewPrivileges=yes",
		"ProtectHome=yes", "PrivateTmp=yes", "RestrictAddressFamilies=", "SystemCallFilter=@system-service"} {
		if !strings.Contains(string(unit), "\n"+want) {
			t.Errorf("the unit lacks %s", want)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "latchkey.service")
	text := strings.Replace(string(unit), "ExecStart=/usr/local/bin/latchkey", "ExecStart="+self, 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(sa, "security", "--offline=yes", "--no-pager", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	s := string(out)
	i := strings.LastIndex(s, "Overall exposure level for latchkey.service: ")
	if i < 0 {
		t.Fatalf("no exposure level in:\n%s", s)
	}
	score, err := strconv.ParseFloat(strings.Fields(s[i+len("Overall exposure level for latchkey.service: "):])[0], 64)
	if err != nil || score > 2.0 {
		t.Fatalf("exposure %v (%v), want at most 2.0:\n%s", score, err, s)
	}
}
