package database

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// ErrStorageFull reports that a write failed because the store has no room left.
var ErrStorageFull = errors.New("the database's disk is full")

// ErrStorageLow reports that the embedded store's file system has less free space than
// Options.MinFree.
var ErrStorageLow = errors.New("free disk space is under the configured minimum")

const (
	// codeOutOfDiskSpace is MongoDB's OutOfDiskSpace error (14031).
	codeOutOfDiskSpace = 14031
	// sqliteFullText is how SQLite's SQLITE_FULL (13) reaches the driver through
	// FerretDB: an InternalError (code 1) whose message holds SQLite's own text.
	sqliteFullText = "database or disk is full"
)

// IsStorageFull reports whether err means a write was refused for lack of space:
// ErrStorageFull, MongoDB's OutOfDiskSpace, or SQLite's SQLITE_FULL as the embedded
// store reports it (a full disk, or the max_page_count of Options.MaxPages). The write
// that failed changed nothing: SQLite rolls its transaction back.
func IsStorageFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrStorageFull) {
		return true
	}
	var se mongo.ServerError
	if !errors.As(err, &se) {
		return false
	}
	return se.HasErrorCode(codeOutOfDiskSpace) || se.HasErrorMessage(sqliteFullText)
}

// FreeSpace returns the bytes available to this process on the embedded store's file
// system; ok is false on MongoDB, whose disks Registro cannot see, or when the file
// system cannot be asked.
func (db *DB) FreeSpace() (bytes uint64, ok bool) {
	if db.embedded == nil {
		return 0, false
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(db.embedded.sqliteDir, &st); err != nil {
		return 0, false
	}
	return st.Bavail * uint64(st.Bsize), true
}

// CheckSpace returns an error wrapping ErrStorageLow while the embedded store's file
// system has less free space than Options.MinFree. It returns nil on MongoDB, when
// MinFree is zero, and when the free space cannot be read.
func (db *DB) CheckSpace() error {
	if db.minFree == 0 {
		return nil
	}
	free, ok := db.FreeSpace()
	if !ok || free >= db.minFree {
		return nil
	}
	return fmt.Errorf("%w: %s free in %s, minimum %s", ErrStorageLow,
		mib(free), db.embedded.sqliteDir, mib(db.minFree))
}

// SetMinFree changes the free space CheckSpace requires, in bytes (0 disables it).
// It affects this DB value only: copies made before keep their own minimum.
func (db *DB) SetMinFree(bytes uint64) { db.minFree = bytes }

func mib(b uint64) string {
	s := fmt.Sprintf("%.1f", float64(b)/(1<<20))
	return strings.TrimSuffix(s, ".0") + " MiB"
}
