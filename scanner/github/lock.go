package github

import (
	"context"
	"time"
)

// lockWait takes the lock on path, waiting for another holder to let go or
// ctx to end.
func lockWait(ctx context.Context, path string) (unlock func(), err error) {
	for {
		unlock, ok, err := tryLock(path)
		if err != nil {
			return nil, err
		}
		if ok {
			return unlock, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
