package multinode

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"testing"
)

// privatePostgres is a PostgreSQL server of one test's own, on its own
// loopback port, which the test may stop and start.
type privatePostgres struct {
	bin, dir string
	port     int
	cred     *syscall.Credential // postgres refuses to run as root
}

func (p *privatePostgres) url() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", p.port)
}

// startPrivatePostgres runs initdb in a fresh directory and starts the
// server; it is stopped and removed in t.Cleanup. Missing binaries skip the
// test (fail under LATCHKEY_REQUIRE_ALL=1).
func startPrivatePostgres(t *testing.T) *privatePostgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		if os.Getenv("LATCHKEY_REQUIRE_ALL") == "1" {
			t.Fatal("initdb not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
		}
		t.Skip("initdb not found under /usr/lib/postgresql/*/bin")
	}
	slices.Sort(bins)
	p := &privatePostgres{bin: filepath.Dir(bins[len(bins)-1])}
	dir, err := os.MkdirTemp("", "latchkey-pg-outage-")
	if err != nil {
		t.Fatal(err)
	}
	p.dir = dir
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Getuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	p.run(t, "initdb", "-D", p.data(), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync")
	p.start(t)
	t.Cleanup(func() { p.pgctl("stop", "-m", "immediate") })
	return p
}

func (p *privatePostgres) data() string { return filepath.Join(p.dir, "data") }

// start starts the server and waits (pg_ctl -w, bounded by -t) until it
// accepts connections.
func (p *privatePostgres) start(t *testing.T) {
	t.Helper()
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off", p.port, p.dir)
	if out, err := p.pgctl("start", "-w", "-t", "30", "-l", filepath.Join(p.dir, "log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.dir, "log"))
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
}

// stop stops the server at once (immediate mode: like a crash, open
// connections are cut), and waits until it is gone.
func (p *privatePostgres) stop(t *testing.T) {
	t.Helper()
	if out, err := p.pgctl("stop", "-w", "-t", "30", "-m", "immediate"); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}

func (p *privatePostgres) pgctl(args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(p.bin, "pg_ctl"), append([]string{"-D", p.data()}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	return cmd.CombinedOutput()
}

func (p *privatePostgres) run(t *testing.T, prog string, args ...string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(p.bin, prog), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", prog, err, out)
	}
}
