//go:build unix

package github

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes an exclusive advisory lock on path (created 0600) without
// waiting; ok is false when another holder has it. flock locks belong to
// the open file, so two crawlers in one process exclude each other too, and
// the lock goes away with a killed process.
func tryLock(path string) (unlock func(), ok bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, false, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return func() { f.Close() }, true, nil
}
