package bench

import (
	"context"
	"errors"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestValidateListsEveryProblem(t *testing.T) {
	o := Options{Mode: "fast", Clients: 0, Rate: -1, Duration: 0, Requests: -1, Timeout: 0, Ceiling: -1, Procs: -1, Warmup: -1}
	err := o.Validate()
	for _, want := range []string{"mode", "clients", "rate", "duration", "requests", "timeout", "ceiling", "procs", "warmup", "no users"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validate() = %v; want a line about %s", err, want)
		}
	}
	o = Defaults()
	o.APIKey = "k"
	if err := o.Validate(); err != nil {
		t.Fatalf("defaults with an API key: %v", err)
	}
	o.Rate = 2e9
	if err := o.Validate(); err == nil {
		t.Fatal("a rate above a million requests/s accepted")
	}
	o.Rate = 0
	o.Duration = MaxDuration + time.Second
	if err := o.Validate(); err == nil {
		t.Fatal("a run longer than MaxDuration accepted: it must always stop by itself")
	}
	o = Defaults()
	o.Users = []Credential{{"a@b.c", "pw"}}
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "application-id") {
		t.Fatalf("existing users refreshing without an application: %v", err)
	}
}

func TestParseMix(t *testing.T) {
	mix, err := parseMix("login=1, refresh-oauth=0,validate=3")
	if err != nil || len(mix) != 2 || mix[0] != (weight{OpLogin, 1}) || mix[1] != (weight{OpValidate, 3}) {
		t.Fatalf("parseMix = %v, %v", mix, err)
	}
	for _, bad := range []string{"", "login", "login=x", "login=-1", "mixed=1", "fly=2", "login=0,validate=0"} {
		if _, err := parseMix(bad); err == nil {
			t.Errorf("parseMix(%q) accepted", bad)
		}
	}
	// The draw follows the weights.
	o := Defaults()
	o.Mode, o.Mix = ModeMixed, "login=1,validate=3"
	pick, r := picker(o), rand.New(rand.NewPCG(1, 2))
	n := map[string]int{}
	for range 4000 {
		n[pick(r)]++
	}
	if n[OpLogin] < 800 || n[OpLogin] > 1200 || n[OpLogin]+n[OpValidate] != 4000 {
		t.Fatalf("draws %v for weights 1:3", n)
	}
}

func TestParseUsers(t *testing.T) {
	users, err := ParseUsers("# test users\nann@example.com:pa:ss word\r\n\nbob:x\n")
	if err != nil || len(users) != 2 || users[0] != (Credential{"ann@example.com", "pa:ss word"}) || users[1].LoginID != "bob" {
		t.Fatalf("ParseUsers = %v, %v", users, err)
	}
	for _, bad := range []string{"", "# only a comment\n", "no-colon\n", ":pw\n", "id:\n"} {
		if _, err := ParseUsers(bad); err == nil {
			t.Errorf("ParseUsers(%q) accepted", bad)
		}
	}
}

func TestCheckTarget(t *testing.T) {
	tests := []struct {
		url         string
		allowRemote bool
		ok          bool
		remote      bool
	}{
		{"http://127.0.0.1:9011", false, true, false},
		{"http://127.0.0.2:9011/", false, true, false},
		{"https://[::1]:9011", false, true, false},
		{"http://localhost:9011", false, true, false},
		{"http://10.0.0.1:9011", false, false, true},
		{"http://0.0.0.0:9011", false, false, true},
		{"http://[::]:9011", false, false, true},
		{"http://10.0.0.1:9011", true, true, false},
		{"ftp://127.0.0.1", false, false, false},
		{"127.0.0.1:9011", false, false, false},
		{"http://127.0.0.1:9011/api", false, false, false},
		{"http://127.0.0.1:9011?x=1", false, false, false},
	}
	for _, tt := range tests {
		u, err := checkTarget(context.Background(), tt.url, tt.allowRemote)
		if (err == nil) != tt.ok || errors.Is(err, ErrRemote) != tt.remote {
			t.Errorf("checkTarget(%q, %v) = %v, %v", tt.url, tt.allowRemote, u, err)
		}
		if err == nil && u.Path != "" {
			t.Errorf("checkTarget(%q) kept path %q", tt.url, u.Path)
		}
	}
}

// TestLoadProcsBesideAServerOnThisMachine: one processor for a closed loop
// beside a local server, two for an open loop (its latency counts the
// bench's own hold-ups), all otherwise, --procs above all.
func TestLoadProcsBesideAServerOnThisMachine(t *testing.T) {
	all := runtime.GOMAXPROCS(0)
	other := &ServerReport{PID: 1}
	same := &ServerReport{PID: 1, SameProcess: true}
	for _, c := range []struct {
		name  string
		procs int
		rate  float64
		srv   *ServerReport
		want  int
	}{
		{"closed loop, server another process here", 0, 0, other, 1},
		{"open loop, server another process here", 0, 2000, other, min(2, all)},
		{"server in the bench's process", 0, 0, same, all},
		{"open loop, server in the bench's process", 0, 2000, same, all},
		{"server elsewhere", 0, 2000, nil, all},
		{"--procs given", 3, 0, other, 3},
		{"--procs given, open loop", 1, 2000, other, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := loadProcs(Options{Procs: c.procs, Rate: c.rate}, c.srv); got != c.want {
				t.Fatalf("loadProcs = %d, want %d", got, c.want)
			}
		})
	}
}
