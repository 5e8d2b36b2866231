//go:build linux || darwin || freebsd || netbsd || openbsd

package bench

import (
	"net"
	"syscall"
)

// closedByPeer reports whether an idle connection can no longer carry a
// request: the server closed it (a keep-alive timeout) or reset it, or sent
// bytes nobody asked for. It peeks without waiting, as net/http's
// Transport learns the same from the read it keeps blocked on every idle
// connection.
func closedByPeer(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	closed := false
	var b [1]byte
	err = raw.Read(func(fd uintptr) bool {
		_, _, rerr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = rerr != syscall.EAGAIN && rerr != syscall.EWOULDBLOCK // nil: EOF or an unasked byte
		return true
	})
	return closed || err != nil
}
