package database

import (
	"context"
	"fmt"
	"strings"

	// The SQLite driver FerretDB itself uses; imported to add an index FerretDB lacks.
	_ "modernc.org/sqlite"
)

// IndexIDs gives every collection of the embedded store an SQLite index on the exact
// expression FerretDB's {_id: value} queries filter on. FerretDB v1.24 indexes _id
// under a different expression, which SQLite cannot match, so without this a lookup
// by _id reads the whole table (about 50 ms at 20,000 documents, growing linearly);
// with it, a lookup takes well under a millisecond. It is idempotent, cheap, and a
// no-op on MongoDB. Collections created after the call get their index on the next.
func (db *DB) IndexIDs(ctx context.Context) error {
	path, ok := db.file()
	if !ok {
		return nil
	}
	sq, err := openFile(path, false)
	if err != nil {
		return fmt.Errorf("database: index ids: %w", err)
	}
	defer sq.Close()
	rows, err := sq.QueryContext(ctx, `SELECT table_name FROM _ferretdb_collections`)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil
		}
		return fmt.Errorf("database: index ids: %w", err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("database: index ids: %w", err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+"_registro_id", t)
		if _, err := sq.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("database: index ids of %s: %w", t, err)
		}
	}
	return nil
}
