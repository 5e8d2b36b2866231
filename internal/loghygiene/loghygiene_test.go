package loghygiene

import (
	"strings"
	"testing"
)

func TestHelpers(t *testing.T) {
	var buf Buffer
	log := NewLogger(&buf)
	log.Debug("login", "loginId", "x\nlevel=INFO msg=\"forged\"", "token", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.sig")
	log.Info("security event", "event", "login_success", "user_id", "u1")
	logs := buf.String()

	if got := ForeignLines(logs); len(got) != 0 {
		t.Fatalf("text handler let a line through: %q", got)
	}
	forged := logs + "level=INFO msg=forged\n"
	if got := ForeignLines(forged); len(got) != 1 {
		t.Fatalf("forged line not found: %q", got)
	}
	leaks := Leaks(logs, "x\nlevel=INFO", "absent-secret", "")
	if len(leaks) != 2 || !strings.Contains(leaks[0], "secret") || !strings.Contains(leaks[1], "JWT-like") {
		t.Fatalf("leaks %q", leaks)
	}
	ev := Events(logs)
	if len(ev) != 1 || ev[0]["event"] != "login_success" || ev[0]["user_id"] != "u1" || ev[0]["level"] != "INFO" {
		t.Fatalf("events %v", ev)
	}
	if r := Records(logs)[0]; r["loginId"] != "x\nlevel=INFO msg=\"forged\"" {
		t.Fatalf("quoted value parsed as %q", r["loginId"])
	}
}
