//go:build !linux

package sqlstorage

import (
	"errors"
	"os"
)

const prewarmSupported = false

var errPrewarmUnsupported = errors.New("not supported on this operating system")

func willNeed(*os.File, int64, int64) error { return errPrewarmUnsupported }

func residentShare(*os.File, int64) (float64, error) { return 0, errPrewarmUnsupported }

func availableMemory() (int64, error) { return 0, errPrewarmUnsupported }
