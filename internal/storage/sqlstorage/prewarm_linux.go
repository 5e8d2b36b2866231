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

	"golang.org/x/sys/unix"
)

const prewarmSupported = true

// willNeed asks Linux to read n bytes of f from off into the page cache,
// without waiting for them (POSIX_FADV_WILLNEED).
func willNeed(f *os.File, off, n int64) error {
	return unix.Fadvise(int(f.Fd()), off, n, unix.FADV_WILLNEED)
}

// availableMemory is what the prewarm may fill: the kernel's MemAvailable
// (free memory plus the page cache it can reclaim), or less when this
// process's memory cgroup leaves less under its limit.
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

// cgroupMemoryLeft is the memory this process's cgroup may still use (its
// limit minus its usage, which counts its page cache), from cgroup v2's
// memory.max and memory.current or v1's memory.limit_in_bytes and
// memory.usage_in_bytes. ok is false when there is no limit or it cannot
// be read.
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
		var dir, limitFile, usageFile string
		switch {
		case parts[0] == "0" && parts[1] == "": // v2
			dir, limitFile, usageFile = filepath.Join(root, parts[2]), "memory.max", "memory.current"
		case strings.Contains(","+parts[1]+",", ",memory,"): // v1
			dir, limitFile, usageFile = filepath.Join(root, "memory", parts[2]), "memory.limit_in_bytes", "memory.usage_in_bytes"
		default:
			continue
		}
		limit, err1 := readBytesFile(filepath.Join(dir, limitFile))
		usage, err2 := readBytesFile(filepath.Join(dir, usageFile))
		if err1 != nil || err2 != nil || limit <= 0 {
			continue // "max", unreadable, or not this hierarchy
		}
		if limit >= 1<<62 { // v1's "unlimited"
			continue
		}
		return max(limit-usage, 0), true
	}
	return 0, false
}

func readBytesFile(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}
