//go:build !linux

package sqlstorage

// blockReads is not counted here: refresh reads never read ahead.
func blockReads() (int64, bool) { return 0, false }
