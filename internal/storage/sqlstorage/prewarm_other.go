//go:build !linux

package sqlstorage

import (
	"errors"
	"os"
)

const prewarmSupported = false

func willNeed(*os.File, int64, int64) error { return errors.New("not supported") }

func availableMemory() (int64, error) { return 0, errors.New("not supported") }
