package sqlstorage

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/latchkeyhq/latchkey/internal/loghygiene"
)

// resident is the share of the file at path in the page cache.
func resident(t *testing.T, path string) float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	r, err := residentShare(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// diskTempDir is a temporary directory on a file system with a page cache
// to drop: t.TempDir, or one under /var/tmp when the temporary directory is
// a tmpfs (whose files are the page cache).
func diskTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if !onTmpfs(dir) {
		return dir
	}
	dir, err := os.MkdirTemp("/var/tmp", "latchkey-prewarm-test-")
	if err != nil || onTmpfs(dir) {
		if err == nil {
			os.RemoveAll(dir)
		}
		return dir // the test skips (or fails under LATCHKEY_REQUIRE_ALL=1) at dropFromCache
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func onTmpfs(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.TMPFS_MAGIC
}

// prewarmPath runs prewarmFile on the file at path.
func prewarmPath(t *testing.T, ctx context.Context, path string, available func() (int64, error)) prewarmResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return prewarmFile(ctx, f, available)
}

// evicted writes size random bytes to a new file, flushes it and asks the
// kernel to drop it from the page cache, and returns its path. A file
// system that keeps it cached anyway (tmpfs) cannot show a prewarm: the
// test is skipped there, and fails under LATCHKEY_REQUIRE_ALL=1.
func evicted(t *testing.T, size int) string {
	t.Helper()
	path := filepath.Join(diskTempDir(t), "cold.db")
	b := make([]byte, size)
	_, _ = rand.Read(b)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	dropFromCache(t, path)
	return path
}

// dropFromCache flushes the file at path and asks the kernel to drop it
// from the page cache.
func dropFromCache(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if r := resident(t, path); r > 0.1 {
		msg := "the file system keeps the test file cached after POSIX_FADV_DONTNEED, so a prewarm cannot be observed"
		if os.Getenv("LATCHKEY_REQUIRE_ALL") == "1" {
			t.Fatalf("%s (%.0f %% resident; LATCHKEY_REQUIRE_ALL=1)", msg, 100*r)
		}
		t.Skip(msg)
	}
}

// waitResident waits until at least 90 % of the file is in the page cache
// (the kernel's readahead may drop a page under memory pressure; without
// a prewarm none comes back): a prewarm's reads are asynchronous. The
// deadline only keeps a broken prewarm from hanging the test; 32 MiB are
// read in milliseconds.
func waitResident(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := resident(t, path)
		if r >= 0.9 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%.1f %% of the file is in the page cache after the prewarm, want at least 90 %%", 100*r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func plenty() (int64, error) { return 1 << 40, nil }

// TestPrewarmReadsTheFileIntoThePageCache: a file dropped from the page
// cache stays out of it by itself, and is all in it after a prewarm.
func TestPrewarmReadsTheFileIntoThePageCache(t *testing.T) {
	const size = 32 << 20 // 32 chunks: the prewarm asks chunk by chunk
	path := evicted(t, size)
	time.Sleep(100 * time.Millisecond)
	if r := resident(t, path); r > 0.1 {
		t.Fatalf("%.0f %% of the file came back into the page cache by itself: nothing to measure the prewarm against", 100*r)
	}
	r := prewarmPath(t, context.Background(), path, plenty)
	if r.err != nil || r.skipped != "" || r.asked != size || r.size != size {
		t.Fatalf("prewarm = %+v, want all %d bytes asked for", r, size)
	}
	waitResident(t, path)
}

// TestPrewarmLeavesAFileLargerThanHalfTheMemory: a file larger than half
// of the memory available is not read (it could push out a working set
// larger than itself), and the reason is given; exactly half is read.
func TestPrewarmLeavesAFileLargerThanHalfTheMemory(t *testing.T) {
	const size = 4 << 20
	path := evicted(t, size)
	r := prewarmPath(t, context.Background(), path, func() (int64, error) { return 2*size - 1, nil })
	if r.asked != 0 || !strings.Contains(r.skipped, "larger than half of the memory available") {
		t.Fatalf("prewarm = %+v, want it skipped as too large", r)
	}
	time.Sleep(100 * time.Millisecond)
	if got := resident(t, path); got > 0.1 {
		t.Fatalf("%.0f %% of a skipped file is in the page cache", 100*got)
	}
	r = prewarmPath(t, context.Background(), path, func() (int64, error) { return 0, errors.New("no meminfo") })
	if r.asked != 0 || !strings.Contains(r.skipped, "no meminfo") {
		t.Fatalf("prewarm with the memory unknown = %+v, want it skipped, saying why", r)
	}
	r = prewarmPath(t, context.Background(), path, func() (int64, error) { return 2 * size, nil })
	if r.asked != size || r.skipped != "" {
		t.Fatalf("prewarm of a file of exactly half the memory = %+v, want it read", r)
	}
	waitResident(t, path)
}

// TestPrewarmStopsWhenAsked: a prewarm whose context ended asks for
// nothing more.
func TestPrewarmStopsWhenAsked(t *testing.T) {
	path := evicted(t, 4<<20)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r := prewarmPath(t, ctx, path, plenty); r.asked != 0 || r.err != nil {
		t.Fatalf("prewarm after its end = %+v, want nothing asked", r)
	}
}

// TestStoreOpenedWithPrewarmReadsItsFile: a store opened with Prewarm on a
// database file the page cache had dropped brings it back in the
// background, logs it, and closes cleanly; without Prewarm nothing is
// started.
func TestStoreOpenedWithPrewarmReadsItsFile(t *testing.T) {
	path := filepath.Join(diskTempDir(t), "warm.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.prewarm != nil {
		t.Fatal("a store opened without Prewarm started one")
	}
	if _, err := s.exec(context.Background(), `CREATE TABLE ck (k TEXT PRIMARY KEY, b BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	writeRows(t, s, "a", 2000, 5000) // about 10 MB in the file
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	dropFromCache(t, path)
	var logs loghygiene.Buffer
	s, err = Open(context.Background(), path, Options{Prewarm: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	<-s.prewarm.done
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.prewarm.result; r.err != nil || r.skipped != "" || r.asked != r.size || r.size < 10<<20 {
		t.Fatalf("prewarm = %+v, want the whole file (%d bytes) asked for", r, fi.Size())
	}
	waitResident(t, path)
	if !strings.Contains(logs.String(), "sqlite prewarm: the database file was asked into the page cache") {
		t.Fatalf("log %q does not say the prewarm ran", logs.String())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestAvailableMemoryReadsMeminfoAndTheCgroupLimit: MemAvailable, and the
// room under a cgroup's memory limit (v1 and v2) when that is smaller; no
// limit ("max", v1's huge number) leaves MemAvailable.
func TestAvailableMemoryReadsMeminfoAndTheCgroupLimit(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, s string) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	mi := write("meminfo", "MemTotal:       24000000 kB\nMemFree:        1000 kB\nMemAvailable:   20000000 kB\n")
	if got, err := memAvailable(mi); err != nil || got != 20000000*1024 {
		t.Fatalf("memAvailable = %d, %v", got, err)
	}
	if _, err := memAvailable(write("old-meminfo", "MemTotal: 1 kB\n")); err == nil {
		t.Fatal("a meminfo without MemAvailable was read as a number")
	}

	root := filepath.Join(dir, "cg")
	write("cg/svc/memory.max", "1073741824\n")
	write("cg/svc/memory.current", "268435456\n")
	v2 := write("self-v2", "0::/svc\n")
	if left, ok := cgroupMemoryLeft(v2, root); !ok || left != 768<<20 {
		t.Fatalf("v2 left = %d, %v; want 768 MiB", left, ok)
	}
	write("cg/unlimited/memory.max", "max\n")
	write("cg/unlimited/memory.current", "1\n")
	if _, ok := cgroupMemoryLeft(write("self-v2-max", "0::/unlimited\n"), root); ok {
		t.Fatal("memory.max \"max\" read as a limit")
	}
	write("cg/memory/box/memory.limit_in_bytes", "536870912\n")
	write("cg/memory/box/memory.usage_in_bytes", "805306368\n")
	if left, ok := cgroupMemoryLeft(write("self-v1", "9:pids:/\n4:memory:/box\n0::/\n"), root); !ok || left != 0 {
		t.Fatalf("v1 over its limit: left = %d, %v; want 0", left, ok)
	}
	// The inactive file cache is not counted as used.
	write("cg/svc/memory.stat", "anon 1\ninactive_file 134217728\nactive_file 5\n")
	if left, ok := cgroupMemoryLeft(v2, root); !ok || left != 896<<20 {
		t.Fatalf("v2 left with 128 MiB inactive file cache = %d, %v; want 896 MiB", left, ok)
	}
	// memory.high below memory.max, and a parent's tighter limit, count.
	write("cg/svc/memory.high", "805306368\n")
	if left, ok := cgroupMemoryLeft(v2, root); !ok || left != 640<<20 {
		t.Fatalf("v2 left under memory.high = %d, %v; want 640 MiB", left, ok)
	}
	write("cg/slice/memory.max", "536870912\n")
	write("cg/slice/memory.current", "268435456\n")
	write("cg/slice/child/memory.max", "max\n")
	write("cg/slice/child/memory.current", "1\n")
	if left, ok := cgroupMemoryLeft(write("self-v2-nested", "0::/slice/child\n"), root); !ok || left != 256<<20 {
		t.Fatalf("v2 left under the parent's limit = %d, %v; want 256 MiB", left, ok)
	}
	// A path that is not under the mount (a container's view on v1, or
	// without its own namespace) is read at the mount: the container's.
	write("cg/memory/memory.limit_in_bytes", "2147483648\n")
	write("cg/memory/memory.usage_in_bytes", "1073741824\n")
	if left, ok := cgroupMemoryLeft(write("self-v1-docker", "4:memory:/docker/0123abcd\n"), root); !ok || left != 1<<30 {
		t.Fatalf("v1 container left = %d, %v; want 1 GiB from the mount's own files", left, ok)
	}
	write("cg/memory/free/memory.limit_in_bytes", "9223372036854771712\n")
	write("cg/memory/free/memory.usage_in_bytes", "1\n")
	if left, ok := cgroupMemoryLeft(write("self-v1-free", "4:memory:/free\n"), root); !ok || left != 1<<30 {
		t.Fatalf("v1 unlimited under a limited mount: left = %d, %v; want the mount's 1 GiB, not the unlimited one", left, ok)
	}
	// A path outside the namespace's root ("/../..") is read at the mount.
	root2 := filepath.Join(dir, "cg2")
	write("cg2/memory.max", "1073741824\n")
	write("cg2/memory.current", "536870912\n")
	if left, ok := cgroupMemoryLeft(write("self-v2-outside", "0::/../..\n"), root2); !ok || left != 512<<20 {
		t.Fatalf("v2 path outside the mount: left = %d, %v; want the mount's 512 MiB", left, ok)
	}
	if _, ok := cgroupMemoryLeft(write("self-none", "4:memory:/free\n"), filepath.Join(dir, "elsewhere")); ok {
		t.Fatal("a limit read where no cgroup files are")
	}
}

// heldLocks counts the POSIX locks this process holds on the file at path
// (/proc/locks: "id: POSIX ADVISORY READ|WRITE pid maj:min:inode start end").
func heldLocks(t *testing.T, path string) int {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		t.Fatal(err)
	}
	pid, ino := strconv.Itoa(os.Getpid()), ":"+strconv.FormatUint(st.Ino, 10)
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[1] == "POSIX" && f[4] == pid && strings.HasSuffix(f[5], ino) {
			n++
		}
	}
	return n
}

// TestPrewarmKeepsSQLitesLocks: closing any descriptor of a file drops
// every POSIX lock the process holds on it, so the prewarm's descriptor
// stays open until the store's connections are closed. While the store is
// open after its prewarm, SQLite's lock on the file (a WAL reader's) is
// still held; without it another process could take the exclusive lock and
// delete the WAL the store writes to.
func TestPrewarmKeepsSQLitesLocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.db")
	s, err := Open(context.Background(), path, Options{Prewarm: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	<-s.prewarm.done
	if r := s.prewarm.result; r.err != nil || r.asked != r.size {
		t.Fatalf("prewarm = %+v, want the file asked for", r)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := heldLocks(t, path); n == 0 {
		t.Fatal("after the prewarm the process holds no lock on the database file: closing the prewarm's descriptor dropped SQLite's")
	}
}
