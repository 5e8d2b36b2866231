package multinode

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/internal/secret"
)

// Bounds: every wait in this package ends by itself.
const (
	startTimeout = 60 * time.Second // build cache cold, 2 shared cores
	stopTimeout  = 10 * time.Second
	httpTimeout  = 15 * time.Second
)

// clusterSecret is the LATCHKEY_SECRET of every node (internal/secret).
var clusterSecret = strings.TrimSpace(secret.Generate().Encode())

// issuer is shared by every node of a cluster, as an operator behind one
// load balancer would set it: tokens carry it and every node checks it.
const issuer = "http://latchkey.multinode.test"

// node is one running `latchkey serve` process.
type node struct {
	name string
	URL  string
	cmd  *exec.Cmd
	out  *watcher
	errs *watcher
	done chan struct{} // closed when the process has exited
}

// watcher collects a stream and reports the URL from the line
// "latchkey <version> listening on http://127.0.0.1:port".
type watcher struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan string
	sent  bool
}

func newWatcher() *watcher { return &watcher{ready: make(chan string, 1)} }

func (w *watcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.sent {
		for line := range strings.Lines(w.buf.String()) {
			if _, url, ok := strings.Cut(line, " listening on "); ok && strings.HasSuffix(line, "\n") {
				w.ready <- strings.TrimSpace(url)
				w.sent = true
				break
			}
		}
	}
	return len(p), nil
}

func (w *watcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// launch starts a node on a free loopback port; it is stopped (SIGTERM, then
// SIGKILL after stopTimeout) in t.Cleanup. Call waitReady before using it.
// env adds to or overrides the LATCHKEY_* settings.
func launch(t *testing.T, name, dbURL, kickstart string, env ...string) *node {
	t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"LATCHKEY_ADDR=127.0.0.1:0",
		"LATCHKEY_DATABASE_URL=" + dbURL,
		"LATCHKEY_KICKSTART=" + kickstart,
		"LATCHKEY_ISSUER=" + issuer,
		"LATCHKEY_LOG_LEVEL=warn",
		// Every test client is 127.0.0.1: the load tests' hundreds of
		// refreshes a second would meet the per-address refresh and token
		// limits, which are tested in internal/server, not here.
		"LATCHKEY_RATE_LIMITS=refresh=0/1m,token=0/1m",
		// Every node of a deployment shares the server secret (required
		// with PostgreSQL); one per test binary is enough.
		"LATCHKEY_SECRET=" + clusterSecret,
	}, env...)
	n := &node{name: name, cmd: cmd, out: newWatcher(), errs: newWatcher(), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = n.out, n.errs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = cmd.Wait(); close(n.done) }()
	t.Cleanup(func() {
		n.stop(t)
		if t.Failed() {
			t.Logf("%s stderr:\n%s", name, tail(n.errs.String(), 4000))
		}
	})
	return n
}

// waitReady waits for the "listening on" line, or fails if the process
// exits first or takes longer than startTimeout.
func (n *node) waitReady(t *testing.T) {
	t.Helper()
	select {
	case n.URL = <-n.out.ready:
	case <-n.done:
		t.Fatalf("%s exited before listening (%v):\n%s", n.name, n.cmd.ProcessState, tail(n.errs.String(), 4000))
	case <-time.After(startTimeout):
		t.Fatalf("%s did not listen within %s:\n%s", n.name, startTimeout, tail(n.errs.String(), 4000))
	}
}

// stop ends the process gracefully, or kills it after stopTimeout.
func (n *node) stop(t *testing.T) {
	select {
	case <-n.done:
		return
	default:
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(stopTimeout):
		t.Errorf("%s did not stop within %s of SIGTERM; killing it", n.name, stopTimeout)
		_ = n.cmd.Process.Kill()
		<-n.done
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// client is shared by the tests; keep-alive connections make "at the same
// moment" mean the same moment rather than two TCP handshakes apart.
var client = &http.Client{
	Timeout:   httpTimeout,
	Transport: &http.Transport{MaxIdleConnsPerHost: 32, DisableCompression: true},
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// object decodes the body as a JSON object (nil when it is not one).
func (r response) object() map[string]any {
	var m map[string]any
	if json.Unmarshal(r.body, &m) != nil {
		return nil
	}
	return m
}

func (r response) str(key string) string {
	s, _ := r.object()[key].(string)
	return s
}

// send performs one request and returns an error instead of failing, so it
// can run in goroutines. body is marshalled as JSON unless nil; headers are
// name, value pairs.
func send(method, url string, body any, headers ...string) (response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return response{}, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}, err
}

// do is send for the test goroutine: a transport error fails the test.
func (n *node) do(t *testing.T, method, path string, body any, headers ...string) response {
	t.Helper()
	r, err := send(method, n.URL+path, body, headers...)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, n.name, err)
	}
	return r
}
