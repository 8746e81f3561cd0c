// Package database opens Registro's MongoDB database: the embedded FerretDB store
// (SQLite backend, in this process) when no MongoDB URI is configured, or a MongoDB
// server with majority writes.
package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// ErrUnavailable reports that the database could not be reached.
var ErrUnavailable = errors.New("database unavailable")

// Options say where the database is.
type Options struct {
	// URI of a MongoDB deployment; empty starts the embedded store in DataDir.
	URI string
	// DataDir holds the embedded store's files and its lock.
	DataDir string
	// Name of the database.
	Name string
	// Logger receives the embedded store's own errors (never its lower levels, which
	// can carry document contents).
	Logger *slog.Logger
	// MinFree is the free space, in bytes, the embedded store's file system must keep:
	// below it, CheckSpace reports ErrStorageLow (and /readyz answers 503). Zero
	// disables the check; it does not apply on MongoDB.
	MinFree uint64
	// MaxPages, for tests only, caps every SQLite file of the embedded store at that
	// many pages (SQLite's max_page_count; 4 KiB each), so that writes beyond it fail
	// exactly as on a full disk. Zero, the only value for production, means no cap.
	MaxPages int
}

// DB is an open database.
type DB struct {
	*mongo.Database
	Client *mongo.Client
	// Embedded is true on the in-process FerretDB store, which is single-process
	// (guarded by a lock file) and scans collections for any filter but {_id: value}.
	Embedded bool

	embedded *embeddedStore
	minFree  uint64
}

// Open connects to the database described by opts. It returns an error naming the
// problem when the data directory is locked by another process or the server cannot
// be reached.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if opts.Name == "" {
		return nil, errors.New("database: empty database name")
	}
	db := &DB{minFree: opts.MinFree}
	uri := opts.URI
	if uri == "" {
		es, err := startEmbedded(ctx, opts.DataDir, opts.MaxPages, opts.Logger)
		if err != nil {
			return nil, err
		}
		db.embedded = es
		db.Embedded = true
		uri = es.uri
	}
	copts := options.Client().ApplyURI(uri).
		SetServerSelectionTimeout(5 * time.Second).
		SetTimeout(30 * time.Second)
	if !db.Embedded {
		copts.SetWriteConcern(writeconcern.Majority())
	} else {
		// The WAL watcher pauses this client's commands for a forced checkpoint.
		copts.SetMonitor(db.embedded.gate.monitor())
	}
	client, err := mongo.Connect(copts)
	if err != nil {
		db.stopEmbedded()
		return nil, fmt.Errorf("database: connect: %w", err)
	}
	db.Client = client
	db.Database = client.Database(opts.Name)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := client.Ping(pctx, readpref.Primary()); err != nil {
		_ = client.Disconnect(context.Background())
		db.stopEmbedded()
		return nil, fmt.Errorf("database: %w: %v", ErrUnavailable, err)
	}
	return db, nil
}

// Ping reports whether the database answers; it returns ErrUnavailable when not.
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := db.Client.Ping(ctx, readpref.Primary()); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return nil
}

// Close disconnects and, for the embedded store, stops it and releases the lock.
func (db *DB) Close(ctx context.Context) error {
	err := db.Client.Disconnect(ctx)
	db.stopEmbedded()
	return err
}

func (db *DB) stopEmbedded() {
	if db.embedded != nil {
		db.embedded.stop()
		db.embedded = nil
	}
}

// IsUnavailable reports whether err means the database could not be reached (as
// opposed to a refused or invalid operation).
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) {
		return true
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		return false
	}
	return mongo.IsNetworkError(err) || mongo.IsTimeout(err) ||
		errors.Is(err, mongo.ErrClientDisconnected) ||
		errors.As(err, new(topology.ServerSelectionError))
}
