package database

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// StartStandalone runs a FerretDB server (SQLite backend, files in dir) on a loopback
// port and returns its MongoDB URI: an external store for tests of several Registro
// processes sharing one database, which the embedded store (one process per data
// directory) cannot be. stop shuts it down.
func StartStandalone(ctx context.Context, dir string) (uri string, stop func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", nil, fmt.Errorf("database: standalone store: %w", err)
	}
	startMu.Lock()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
		Logger:    slog.New(slog.DiscardHandler),
	})
	startMu.Unlock()
	if err != nil {
		return "", nil, fmt.Errorf("database: standalone store: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(runCtx)
	}()
	return f.MongoDBURI(), func() { cancel(); <-done }, nil
}
