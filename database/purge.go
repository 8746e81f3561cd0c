package database

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// purgeTimeout bounds how long Purge keeps trying to empty the write-ahead log.
const purgeTimeout = 10 * time.Second

// Purge makes the content that deletions and rewrites freed unreadable from the
// embedded store's files: freed pages are zeroed as they are freed (secure_delete, set
// on every connection), and Purge copies the write-ahead log into the database file and
// truncates it, so the earlier versions of rewritten documents it still held are gone.
// It pauses this process's commands to the store while the checkpoint runs (tens of
// milliseconds) and retries, waiting longer, while commands in flight or other readers
// keep it from going through. On MongoDB it does nothing: what remains there (oplog,
// journal) is documented in README.
func (db *DB) Purge(ctx context.Context) (err error) {
	path, ok := db.file()
	if !ok {
		return nil
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("database: purge freed content: %w", err)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, purgeTimeout)
	defer cancel()
	wait := walQuiesceWait
	for {
		err := truncateWAL(ctx, path, db.embedded.gate, wait)
		if err == nil {
			return nil
		}
		if errors.Is(err, errStillRunning) {
			wait = min(2*wait, walQuiesceMax)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last attempt: %v)", ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
