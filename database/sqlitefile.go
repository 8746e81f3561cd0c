package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Registro reaches the embedded store's SQLite file directly, beside FerretDB, for what
// FerretDB does not offer: an index, a checkpoint, an integrity check, a snapshot. SQLite
// coordinates such connections with FerretDB's through the WAL's shared index and locks.

// sqliteFile is the SQLite file of database name in the data directory dataDir.
func sqliteFile(dataDir, name string) string {
	return filepath.Join(dataDir, "sqlite", name+".sqlite")
}

// file is the SQLite file of this database on the embedded store; ok is false on
// MongoDB and while the file does not exist yet.
func (db *DB) file() (path string, ok bool) {
	if db.embedded == nil {
		return "", false
	}
	path = filepath.Join(db.embedded.sqliteDir, db.Name()+".sqlite")
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return "", false
	}
	return path, true
}

// openFile opens a connection of its own to the SQLite file path; readOnly opens it
// for reading only. A busy store is waited for up to 10 s.
func openFile(path string, readOnly bool) (*sql.DB, error) {
	q := "?_pragma=busy_timeout(10000)"
	if readOnly {
		q += "&mode=ro"
	}
	return sql.Open("sqlite", "file:"+path+q)
}

// Snapshot writes a consistent point-in-time copy of the embedded store of database
// name in dataDir into the data directory into (created), by SQLite's VACUUM INTO: it
// reads one snapshot, so a server writing meanwhile is neither stopped nor seen half.
func Snapshot(ctx context.Context, dataDir, name, into string) error {
	src := sqliteFile(dataDir, name)
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("database: no embedded store at %s: %w", src, err)
	}
	dst := sqliteFile(into, name)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	sq, err := openFile(src, true)
	if err != nil {
		return err
	}
	defer sq.Close()
	if _, err := sq.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return fmt.Errorf("database: snapshot of %s: %w", src, err)
	}
	return nil
}
