package database

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrCorrupt reports that the embedded store's file fails SQLite's own check.
var ErrCorrupt = errors.New("the embedded store's file is damaged")

// CheckIntegrity runs SQLite's check of the embedded store's file: quick_check (every
// page and record readable, in order; seconds per GB) or, with full, integrity_check
// (indexes against tables too). It returns an error wrapping ErrCorrupt with SQLite's
// first findings, and nil on MongoDB, which checks itself.
func (db *DB) CheckIntegrity(ctx context.Context, full bool) error {
	path, ok := db.file()
	if !ok {
		return nil
	}
	sq, err := openFile(path, true)
	if err != nil {
		return fmt.Errorf("database: integrity check: %w", err)
	}
	defer sq.Close()
	pragma := "PRAGMA quick_check(5)"
	if full {
		pragma = "PRAGMA integrity_check(5)"
	}
	rows, err := sq.QueryContext(ctx, pragma)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
		}
		if line != "ok" {
			found = append(found, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
	}
	if len(found) > 0 {
		return fmt.Errorf("%w: %s: %s", ErrCorrupt, path, strings.Join(found, "; "))
	}
	return nil
}
