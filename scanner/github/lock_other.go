//go:build !unix

package github

import "sync"

var (
	localLocksMu sync.Mutex
	localLocks   = map[string]bool{}
)

// tryLock excludes holders within this process only (no advisory file
// locks here).
func tryLock(path string) (unlock func(), ok bool, err error) {
	localLocksMu.Lock()
	defer localLocksMu.Unlock()
	if localLocks[path] {
		return nil, false, nil
	}
	localLocks[path] = true
	return func() {
		localLocksMu.Lock()
		delete(localLocks, path)
		localLocksMu.Unlock()
	}, true, nil
}
