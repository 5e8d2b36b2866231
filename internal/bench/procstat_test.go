package bench

import (
	"net"
	"os"
	"testing"
	"time"
)

// A /proc/net/tcp excerpt: a listener on 0.0.0.0:2024, one on
// 127.0.0.1:55432, and an established connection on port 55432 that must
// not count.
const procNetTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1061 1 000000004149867a 100 0 0 10 0
   1: 0100007F:D888 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 5555 1 00000000745f7e70 100 0 0 10 0
   2: 0100007F:D888 0100007F:9C40 01 00000000:00000000 00:00000000 00000000   101        0 7777 1 00000000745f7e70 100 0 0 10 0
`

// A /proc/net/tcp6 excerpt: a listener on [::1]:9011.
const procNetTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:2333 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
`

func TestListeningInodes(t *testing.T) {
	if !isLittleEndianHost() {
		if os.Getenv("LATCHKEY_REQUIRE_ALL") == "1" {
			t.Fatal("the excerpts are a little-endian host's (LATCHKEY_REQUIRE_ALL=1)")
		}
		t.Skip("the excerpts are a little-endian host's")
	}
	tests := []struct {
		name  string
		table string
		ip    net.IP
		port  int
		want  []string
	}{
		{"loopback listener", procNetTCP, net.IPv4(127, 0, 0, 1), 55432, []string{"5555"}},
		{"any ip for localhost", procNetTCP, nil, 55432, []string{"5555"}},
		{"other loopback address", procNetTCP, net.IPv4(127, 0, 0, 2), 55432, nil},
		{"wildcard listener matches", procNetTCP, net.IPv4(127, 0, 0, 1), 2024, []string{"1061"}},
		{"no listener on port", procNetTCP, net.IPv4(127, 0, 0, 1), 9011, nil},
		{"ipv6 loopback", procNetTCP6, net.IPv6loopback, 9011, []string{"4242"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := listeningInodes(tt.table, tt.ip, tt.port)
			if len(got) != len(tt.want) || len(got) > 0 && got[0] != tt.want[0] {
				t.Fatalf("listeningInodes = %v, want %v", got, tt.want)
			}
		})
	}
}

func isLittleEndianHost() bool { return procAddr("0100007F").Equal(net.IPv4(127, 0, 0, 1)) }

// TestParseProcStat: fields are counted after the last ')', since a
// command name may hold spaces and parentheses.
func TestParseProcStat(t *testing.T) {
	line := "4242 (latchkey (x) serve) S 1 4242 4242 0 -1 4194560 1234 0 0 0 " +
		"250 50 0 0 20 0 9 0 123456 1300000000 5000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
	got, err := parseProcStat(line)
	if err != nil {
		t.Fatal(err)
	}
	if got.cpu != 3*time.Second || got.rss != 5000*int64(os.Getpagesize()) {
		t.Fatalf("parseProcStat = %+v, want 3s CPU (300 ticks) and 5000 pages", got)
	}
	for _, bad := range []string{"", "4242 latchkey S 1", "4242 (latchkey) S 1 2 3"} {
		if _, err := parseProcStat(bad); err == nil {
			t.Errorf("parseProcStat(%q) accepted", bad)
		}
	}
}

// TestFindListenerFindsThisProcess: a socket this process listens on is
// traced back to this process, and its /proc stat reads.
func TestFindListenerFindsThisProcess(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	pid, err := findListener(net.IPv4(127, 0, 0, 1), ln.Addr().(*net.TCPAddr).Port)
	if err != nil || pid != os.Getpid() {
		t.Fatalf("findListener = %d, %v; want this process %d", pid, err, os.Getpid())
	}
	s, err := readProcStat(pid)
	if err != nil || s.rss <= 0 {
		t.Fatalf("readProcStat = %+v, %v", s, err)
	}
	ln.Close()
	if pid, err := findListener(net.IPv4(127, 0, 0, 1), ln.Addr().(*net.TCPAddr).Port); err == nil {
		t.Fatalf("closed listener still found: pid %d", pid)
	}
}
