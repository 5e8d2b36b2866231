//go:build !linux

package main

// execLazyFree does nothing: MADV_DONTNEED is the runtime's default on Linux
// only.
func execLazyFree() error { return nil }
