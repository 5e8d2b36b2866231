package bench

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// procSample is a process's CPU time and resident memory at one moment,
// from /proc/<pid>/stat (proc(5): fields 14 utime, 15 stime in clock ticks,
// 24 rss in pages).
type procSample struct {
	cpu time.Duration
	rss int64 // bytes
}

// clockTick is USER_HZ, the unit of utime and stime. It is 100 on every
// Linux architecture Go supports (it is part of the kernel's ABI with user
// space, unlike the internal HZ), and Go cannot ask sysconf without cgo.
const clockTick = 10 * time.Millisecond

func readProcStat(pid int) (procSample, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procSample{}, err
	}
	return parseProcStat(string(b))
}

// parseProcStat reads a /proc/<pid>/stat line. The command name (field 2)
// is in parentheses and may hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseProcStat(line string) (procSample, error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return procSample{}, errors.New("bench: /proc stat line without a command name")
	}
	f := strings.Fields(line[i+1:]) // f[0] is field 3 (state)
	if len(f) < 22 {
		return procSample{}, errors.New("bench: /proc stat line too short")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	rss, err3 := strconv.ParseInt(f[21], 10, 64)   // field 24
	if err := errors.Join(err1, err2, err3); err != nil {
		return procSample{}, fmt.Errorf("bench: /proc stat: %w", err)
	}
	return procSample{cpu: time.Duration(utime+stime) * clockTick, rss: rss * int64(os.Getpagesize())}, nil
}

// findListener returns the process listening on TCP port: the socket's
// inode from /proc/net/tcp and tcp6 (state 0A is LISTEN), then the process
// holding a file descriptor to socket:[inode]. Only processes whose fds
// this user may read are found (the same user's, or any as root).
func findListener(ip net.IP, port int) (int, error) {
	var inodes []string
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		inodes = append(inodes, listeningInodes(string(b), ip, port)...)
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("bench: no listening socket on port %d in /proc/net/tcp", port)
	}
	want := map[string]bool{}
	for _, in := range inodes {
		want["socket:["+in+"]"] = true
	}
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range fds {
		if link, err := os.Readlink(fd); err == nil && want[link] {
			pid, _ := strconv.Atoi(strings.Split(fd, "/")[2])
			return pid, nil
		}
	}
	return 0, fmt.Errorf("bench: no readable process holds the socket listening on port %d (give --server-pid)", port)
}

// listeningInodes reads /proc/net/tcp{,6} text (proc(5)): local_address is
// the address in hex, as the kernel stores it (each 32-bit word in host
// byte order), a colon and the port in hex; st 0A is LISTEN. A listener on
// the wildcard address matches any ip.
func listeningInodes(table string, ip net.IP, port int) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(table))
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != "0A" {
			continue
		}
		addr, p, ok := strings.Cut(f[1], ":")
		pn, err := strconv.ParseUint(p, 16, 16)
		if !ok || err != nil || int(pn) != port {
			continue
		}
		if local := procAddr(addr); local != nil && (local.IsUnspecified() || ip == nil || local.Equal(ip)) {
			out = append(out, f[9])
		}
	}
	return out
}

// procAddr decodes /proc/net/tcp's hex address: 8 hex digits (IPv4) or 32
// (IPv6), each 32-bit word printed as a number read from memory in the
// host's byte order (proc(5)).
func procAddr(h string) net.IP {
	if len(h) != 8 && len(h) != 32 {
		return nil
	}
	b := make([]byte, len(h)/2)
	for w := 0; w < len(b); w += 4 {
		v, err := strconv.ParseUint(h[2*w:2*w+8], 16, 32)
		if err != nil {
			return nil
		}
		binary.NativeEndian.PutUint32(b[w:], uint32(v))
	}
	return net.IP(b)
}
