//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package bench

import "net"

// closedByPeer cannot peek here: a kept connection the server closed is
// found when a request on it fails (and a GET or HEAD is sent again).
func closedByPeer(net.Conn) bool { return false }
