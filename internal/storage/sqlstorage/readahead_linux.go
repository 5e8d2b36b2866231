package sqlstorage

import "golang.org/x/sys/unix"

// blockReads is the process's block reads so far (getrusage(2)'s
// ru_inblock: 512-byte units Linux counts when a read of the process, or
// readahead it started, goes to the disk; a read the page cache answers
// counts nothing). ok is false when the call fails.
func blockReads() (int64, bool) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Inblock, true
}
