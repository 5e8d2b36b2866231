package sqlstorage

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

const prewarmSupported = true

// willNeed asks Linux to read n bytes of f from off into the page cache,
// without waiting for them (POSIX_FADV_WILLNEED).
func willNeed(f *os.File, off, n int64) error {
	return unix.Fadvise(int(f.Fd()), off, n, unix.FADV_WILLNEED)
}

// residentShare is the share of f's first size bytes in the page cache
// (mincore(2) over a read-only mapping, which reads nothing itself).
func residentShare(f *os.File, size int64) (float64, error) {
	if size <= 0 || int64(int(size)) != size {
		return 0, errors.New("no size to map")
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return 0, err
	}
	defer func() { _ = unix.Munmap(m) }()
	page := os.Getpagesize()
	vec := make([]byte, (len(m)+page-1)/page)
	// x/sys/unix has no wrapper for mincore(2).
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		return 0, errno
	}
	in := 0
	for _, v := range vec {
		in += int(v & 1)
	}
	return float64(in) / float64(len(vec)), nil
}

// availableMemory is what the prewarm may fill: the kernel's MemAvailable
// (free memory plus the page cache it can reclaim), or less when this
// process's memory cgroup, or one above it, leaves less under its limits.
func availableMemory() (int64, error) {
	avail, err := memAvailable("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	if left, ok := cgroupMemoryLeft("/proc/self/cgroup", "/sys/fs/cgroup"); ok && left < avail {
		avail = left
	}
	return avail, nil
}

// memAvailable reads MemAvailable (in kB) from a meminfo file.
func memAvailable(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s: MemAvailable %q: %w", path, f[1], err)
			}
			return kb * 1024, nil
		}
	}
	return 0, errors.New(path + " has no MemAvailable line")
}

// cgroupHierarchy names the files of one cgroup version.
type cgroupHierarchy struct {
	mount    string   // where it is mounted, under the cgroup root
	limits   []string // the limit files (the smallest counts)
	usage    string
	inactive string // memory.stat's key for the reclaimable inactive file cache
}

var (
	cgroupV2 = cgroupHierarchy{"", []string{"memory.max", "memory.high"}, "memory.current", "inactive_file"}
	cgroupV1 = cgroupHierarchy{"memory", []string{"memory.limit_in_bytes"}, "memory.usage_in_bytes", "total_inactive_file"}
)

// cgroupMemoryLeft is the memory this process's cgroups may still take:
// the least, over its memory cgroup and each one above it, of the limit
// (v2: memory.max and memory.high; v1: memory.limit_in_bytes) minus the
// usage, not counting the inactive file cache the kernel reclaims first
// (as the kubelet's working set does). A path /proc/self/cgroup names that
// is not under the mount (a container on cgroup v1, or one without its own
// cgroup namespace) is read at the mount itself, which is the container's
// cgroup there. ok is false when no limit is set or none can be read.
func cgroupMemoryLeft(selfCgroup, root string) (left int64, ok bool) {
	b, err := os.ReadFile(selfCgroup)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var h cgroupHierarchy
		switch {
		case parts[0] == "0" && parts[1] == "":
			h = cgroupV2
		case strings.Contains(","+parts[1]+",", ",memory,"):
			h = cgroupV1
		default:
			continue
		}
		mount := filepath.Join(root, h.mount)
		dir := filepath.Join(mount, parts[2])
		// A path outside the mount ("/../..": a process outside its cgroup
		// namespace's root) is read at the mount too.
		if _, err := os.Stat(dir); err != nil || (dir != mount && !strings.HasPrefix(dir, mount+string(filepath.Separator))) {
			dir = mount
		}
		for {
			if l, limited := h.left(dir); limited && (!ok || l < left) {
				left, ok = l, true
			}
			if dir == mount {
				break
			}
			dir = filepath.Dir(dir)
		}
	}
	return left, ok
}

// left is what the cgroup at dir leaves under its limits; limited is false
// when it sets none or they cannot be read.
func (h cgroupHierarchy) left(dir string) (left int64, limited bool) {
	limit := int64(-1)
	for _, name := range h.limits {
		v, err := readBytesFile(filepath.Join(dir, name))
		if err != nil || v <= 0 || v >= 1<<62 { // "max", absent, v1's "unlimited"
			continue
		}
		if limit < 0 || v < limit {
			limit = v
		}
	}
	if limit < 0 {
		return 0, false
	}
	usage, err := readBytesFile(filepath.Join(dir, h.usage))
	if err != nil {
		return 0, false
	}
	usage -= statValue(filepath.Join(dir, "memory.stat"), h.inactive)
	return max(limit-max(usage, 0), 0), true
}

// statValue is key's value in a memory.stat file, 0 when absent.
func statValue(path, key string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

func readBytesFile(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}
