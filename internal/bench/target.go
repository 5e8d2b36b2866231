package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
)

// ErrRemote: the target is not a loopback address and AllowRemote is off.
// A load test is a denial of service to whoever runs the target, so it runs
// against this machine unless the operator says otherwise.
var ErrRemote = errors.New("bench: the target is not a loopback address (give --allow-remote to load a server on another machine)")

// checkTarget parses the base URL and, unless allowRemote, requires every
// address the host resolves to be loopback (127.0.0.0/8, ::1). A name that
// resolves to one loopback and one public address is refused: the HTTP
// client could pick either.
func checkTarget(ctx context.Context, raw string, allowRemote bool) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("bench: target %q: want an http or https URL such as http://127.0.0.1:9011", raw)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return nil, fmt.Errorf("bench: target %q: want the server's base URL, without a path or query", raw)
	}
	u.Path = ""
	if allowRemote {
		return u, nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return nil, ErrRemote
		}
		return u, nil
	}
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("bench: resolve %s: %w", host, err)
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return nil, ErrRemote
		}
	}
	if len(addrs) == 0 {
		return nil, ErrRemote
	}
	return u, nil
}
